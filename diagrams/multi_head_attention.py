"""Multi-head attention: project, split into heads, attend, concatenate, project."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/01_attention_from_scratch.ipynb"
AFTER = "## 4. Multi-head attention"
ALT = "X is projected by W_Q, W_K and W_V; each result is split into four heads that "
ALT += "attend separately; their outputs are concatenated and projected by W_O"
CAPTION = (
    "**Multi-head attention with $h = 4$ heads.** The three projections of $X$ each "
    "have $d_\\text{model}$ features; the colours show how they are cut into $h$ "
    "slices of $d_k = d_\\text{model}/h$ features. Head $i$ attends using only "
    "slice $i$ of $Q$, $K$ and $V$, so each head can look at different positions. "
    "The four outputs are put side by side again ($h \\cdot d_k = d_\\text{model}$ "
    "features) and mixed by $W_O$. In code the split is a reshape to "
    "$(B, h, T, d_k)$, and the heads run as one batched attention."
)

HEADS = [KINDS["data"], KINDS["param"], KINDS["op"], KINDS["state"]]
SEG = 26


def bar(c: Canvas, x: float, y: float, label: str) -> None:
    """A d_model-wide vector drawn as four coloured slices, one per head."""
    for k, (fill, edge) in enumerate(HEADS):
        c.box(x + (k + 0.5) * SEG, y, SEG, 26, kind="plain", fill=fill, edge=edge,
              radius=2, lw=1.2)
    c.text(x + 2 * SEG, y - 24, label, size=14)


def draw() -> Canvas:
    c = Canvas(790, 330)
    x = c.box(40, 165, 50, 80, "$X$", kind="data", size=16)
    c.text(40, 222, r"$(B, T, d_\mathrm{model})$", size=10, color="#4b5563")
    rows = [75, 165, 255]
    for y, w, name in zip(rows, ["W_Q", "W_K", "W_V"], ["Q", "K", "V"], strict=True):
        p = c.box(140, y, 54, 36, f"${w}$", kind="param", size=13)
        c.arrow(x.right, p.left)
        c.arrow(p.right, (205, y))
        bar(c, 210, y, f"${name}$")
    c.path([(322, 75), (332, 75), (332, 255), (322, 255)], arrow=False, lw=1.2)
    c.path([(322, 165), (332, 165)], arrow=False, lw=1.2)
    heads = [55, 128, 201, 274]
    for k, (y, (fill, edge)) in enumerate(zip(heads, HEADS, strict=True)):
        head = c.box(440, y, 150, 50, "", kind="plain", fill=fill, edge=edge, lw=1.6)
        c.text(440, y - 9, f"head {k + 1}", size=12, bold=True)
        c.text(440, y + 11, f"$\\mathrm{{attn}}(Q_{k + 1}, K_{k + 1}, V_{k + 1})$",
               size=11)
        c.arrow((332, 165), head.left, lw=1.2, head=7)
        seg = c.box(570, y, 26, 73, kind="plain", fill=fill, edge=edge, radius=2, lw=1.2)
        c.arrow(head.right, seg.left, lw=1.2, head=7)
    c.text(300, 312, "split into $h$ heads", size=11, color="#4b5563")
    c.text(570, 10, "concatenate", size=11, color="#4b5563")
    wo = c.box(660, 165, 54, 36, "$W_O$", kind="param", size=13)
    c.arrow((583, 165), wo.left)
    out = c.box(750, 165, 50, 80, "out", kind="data", size=13)
    c.arrow(wo.right, out.left)
    return c
