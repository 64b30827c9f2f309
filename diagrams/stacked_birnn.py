"""A stacked bidirectional RNN: two layers, each running both ways."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/01_rnn_from_scratch.ipynb"
AFTER = "## 3. Stacked and bidirectional RNNs"
ALT = "Two bidirectional layers over four steps: in each layer a forward chain runs "
ALT += "left to right and a backward chain right to left; their states are "
ALT += "concatenated and passed up"
CAPTION = (
    "**A stacked bidirectional RNN: two layers, both directions.** In each layer the "
    "purple chain runs from the first step to the last and the teal chain from the "
    "last to the first, each with its own weights. At every step the two states are "
    "concatenated ($[\\rightarrow; \\leftarrow]$, $2H$ numbers), so an output sees the "
    "whole sequence, and that concatenation is the input of the layer above: this is "
    "why layer 1's $W_{ih}$ has $2H$ columns where layer 0's has $D$."
)

STEPS = [130, 300, 470, 640]
FWD, BWD = KINDS["state"][1], KINDS["state2"][1]


def line(c: Canvas, points: list[tuple[float, float]], **kwargs) -> None:
    """An arrow drawn over a white halo, so that it visibly passes over other lines."""
    c.path(points, color="white", lw=6, arrow=False, z=3)
    c.path(points, z=4, **kwargs)


def layer(c: Canvas, y_fwd: float, y_bwd: float, inputs: list[tuple[float, float]],
          name: str) -> list[tuple[float, float]]:
    """One bidirectional layer fed from `inputs`; returns the concatenation points."""
    fwd = [c.box(x - 34, y_fwd, 52, 32, r"$\rightarrow$", kind="state", size=14, z=5)
           for x in STEPS]
    bwd = [c.box(x + 34, y_bwd, 52, 32, r"$\leftarrow$", kind="state2", size=14, z=5)
           for x in STEPS]
    for a, b in zip(fwd, fwd[1:], strict=False):
        c.arrow(a.right, b.left, color=FWD, lw=1.8)
    for a, b in zip(bwd[1:], bwd, strict=False):
        c.arrow(a.left, b.right, color=BWD, lw=1.8)
    outs = []
    for x, f, b, (ix, iy) in zip(STEPS, fwd, bwd, inputs, strict=True):
        line(c, [(ix, iy), (ix, f.bottom[1] + 14), (f.cx, f.bottom[1] + 14), f.bottom],
             lw=1.3, head=7)
        line(c, [(ix, iy), (ix, b.bottom[1] + 14), (b.cx, b.bottom[1] + 14), b.bottom],
             lw=1.3, head=7)
        cat = c.box(x, y_bwd - 52, 62, 24, r"$[\rightarrow; \leftarrow]$", kind="plain",
                    size=11, z=5)
        line(c, [f.top, (f.cx, y_bwd - 30), (cat.cx - 12, y_bwd - 30),
                 (cat.cx - 12, cat.bottom[1])], lw=1.3, head=7, color=FWD)
        line(c, [b.top, (b.cx, y_bwd - 30), (cat.cx + 12, y_bwd - 30),
                 (cat.cx + 12, cat.bottom[1])], lw=1.3, head=7, color=BWD)
        outs.append(cat.top)
    c.text(14, (y_fwd + y_bwd) / 2, name, size=12, ha="left", color="#4b5563")
    return outs


def draw() -> Canvas:
    c = Canvas(760, 450)
    xs = []
    for k, x in enumerate(STEPS):
        box = c.box(x, 425, 40, 28, f"$x_{k + 1}$", kind="data", size=13)
        xs.append(box.top)
    mid = layer(c, 345, 290, xs, "layer 0")
    for x, y in layer(c, 170, 115, mid, "layer 1"):
        c.arrow((x, y), (x, y - 22), lw=1.3, head=7)
    c.text(14, 28, "outputs", size=12, ha="left", color="#4b5563")
    return c
