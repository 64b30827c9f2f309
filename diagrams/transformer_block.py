"""The transformer block, pre-norm (used here) beside post-norm (the original)."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/03_transformer.ipynb"
AFTER = "### 2.1 The transformer"
ALT = "Two transformer blocks side by side. Pre-norm: LayerNorm, masked self-attention, "
ALT += "add; LayerNorm, MLP, add. Post-norm: self-attention, add, LayerNorm; MLP, add, "
ALT += "LayerNorm"
CAPTION = (
    "**The transformer block, two ways.** Each block has two sublayers, masked "
    "multi-head self-attention (positions exchange information) and a position-wise "
    "MLP (each position on its own), each wrapped in a residual connection: the "
    "purple lines that go around a sublayer and are added back. Look at where LayerNorm "
    "sits. In the pre-norm block (left, `norm_first=True`, as in this notebook) it "
    "normalises the input of each sublayer, so the residual path from input to "
    "output is a chain of additions only. In the post-norm block of the original "
    "transformer (right) it comes after each addition, on the residual path itself. "
    "A stack repeats the block $N$ times; dropout, where used, is applied to each "
    "sublayer's output before the addition."
)

ATTN = "masked multi-head\nself-attention"
MLP = "MLP: Linear $d \\to 4d$,\nReLU, Linear $4d \\to d$"


def residual(c: Canvas, cx: float, y_from: float, plus) -> None:
    """A skip connection from (cx, y_from) around the left of a sublayer into plus."""
    c.path([(cx, y_from), (cx - 105, y_from), (cx - 105, plus.cy), plus.left], lw=2,
           color=KINDS["state"][1])


def pre_norm(c: Canvas, cx: float) -> None:
    """Input -> [LN -> attention -> +] -> [LN -> MLP -> +] -> output, bottom to top."""
    x = c.box(cx, 455, 70, 28, "$x$", kind="data", size=13)
    ln1 = c.box(cx, 385, 120, 30, "LayerNorm", kind="plain", size=12)
    attn = c.box(cx, 325, 170, 46, ATTN, kind="op", size=12)
    add1 = c.circle(cx, 265, 13, "+", size=14)
    ln2 = c.box(cx, 210, 120, 30, "LayerNorm", kind="plain", size=12)
    mlp = c.box(cx, 150, 170, 46, MLP, kind="op", size=11)
    add2 = c.circle(cx, 90, 13, "+", size=14)
    out = c.box(cx, 30, 70, 28, "out", kind="data", size=12)
    for a, b in [(x, ln1), (ln1, attn), (attn, add1), (add1, ln2), (ln2, mlp),
                 (mlp, add2), (add2, out)]:
        c.arrow(a.top, b.bottom)
    residual(c, cx, 425, add1)
    residual(c, cx, 240, add2)


def post_norm(c: Canvas, cx: float) -> None:
    """Input -> [attention -> + -> LN] -> [MLP -> + -> LN] -> output, bottom to top."""
    x = c.box(cx, 455, 70, 28, "$x$", kind="data", size=13)
    attn = c.box(cx, 380, 170, 46, ATTN, kind="op", size=12)
    add1 = c.circle(cx, 320, 13, "+", size=14)
    ln1 = c.box(cx, 275, 120, 30, "LayerNorm", kind="plain", size=12)
    mlp = c.box(cx, 195, 170, 46, MLP, kind="op", size=11)
    add2 = c.circle(cx, 135, 13, "+", size=14)
    ln2 = c.box(cx, 90, 120, 30, "LayerNorm", kind="plain", size=12)
    out = c.box(cx, 30, 70, 28, "out", kind="data", size=12)
    for a, b in [(x, attn), (attn, add1), (add1, ln1), (ln1, mlp), (mlp, add2),
                 (add2, ln2), (ln2, out)]:
        c.arrow(a.top, b.bottom)
    residual(c, cx, 425, add1)
    residual(c, cx, 245, add2)


def draw(
    titles: tuple[str, str] = ("pre-norm (this notebook)", "post-norm (2017 original)"),
) -> Canvas:
    """The pre-norm and the post-norm block side by side, under the two titles."""
    c = Canvas(720, 520)
    pre_norm(c, 215)
    post_norm(c, 545)
    c.group(85, 60, 330, 440, r"$\times N$", label_at="top right", size=13)
    c.group(415, 60, 660, 440, r"$\times N$", label_at="top right", size=13)
    c.text(215, 498, titles[0], size=13, bold=True)
    c.text(545, 498, titles[1], size=13, bold=True)
    return c
