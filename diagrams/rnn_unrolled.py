"""The RNN folded (one cell with a loop) and unrolled over time."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/01_rnn_from_scratch.ipynb"
AFTER = "## 1. Sequences and the recurrence relation"
ALT = "An RNN cell with a loop, and the same cell unrolled over time steps 1 to T"
CAPTION = (
    "**The RNN, folded and unrolled.** On the left, one cell whose hidden state loops "
    "back into it; on the right, the same cell drawn once per time step. Follow the "
    "purple hidden state from $h_0$ to $h_T$: it is the only path by which step $t$ "
    "learns about earlier inputs. Every copy of the cell uses the same weights "
    "$W_{ih}$, $W_{hh}$ and $W_{hy}$ (orange), so the number of parameters does not "
    "depend on the length $T$."
)

STATE = KINDS["state"][1]
PARAM = KINDS["param"][1]


def step(c: Canvas, cx: float, t: str, side: int = 1):
    """One time step: input below, tanh cell, output above. Returns the cell."""
    cell = c.box(cx, 135, 70, 44, r"$\tanh$", kind="op")
    x = c.box(cx, 235, 44, 30, rf"$x_{t}$", kind="data")
    y = c.box(cx, 35, 44, 30, rf"$\hat y_{t}$", kind="data")
    c.arrow(x.top, cell.bottom)
    c.arrow(cell.top, y.bottom)
    ha = "left" if side > 0 else "right"
    c.text(cx + 7 * side, 185, r"$W_{ih}$", size=11, color=PARAM, ha=ha)
    c.text(cx + 7 * side, 85, r"$W_{hy}$", size=11, color=PARAM, ha=ha)
    return cell


def draw() -> Canvas:
    c = Canvas(820, 270)
    # Folded: one cell whose state feeds back into itself.
    cell = step(c, 70, "t", side=-1)
    c.path([cell.right, (140, 135), (140, 92), (88, 92), (88, 113)], color=STATE)
    c.text(146, 113, r"$h_t$", color=STATE, ha="left", size=12)
    c.text(116, 80, r"$W_{hh}$", size=11, color=PARAM)
    c.text(200, 135, "=", size=28)
    # Unrolled: one copy per step, chained by the hidden state.
    h0 = c.box(255, 135, 40, 30, r"$h_0$", kind="state")
    c1 = step(c, 345, "1")
    c2 = step(c, 480, "2")
    c3 = step(c, 615, "3")
    cT = step(c, 770, "T")
    for a, b, label in [(h0, c1, ""), (c1, c2, "1"), (c2, c3, "2")]:
        c.arrow(a.right, b.left, color=STATE)
        if label:
            mid = (a.right[0] + b.left[0]) / 2
            c.text(mid, 122, rf"$h_{label}$", color=STATE, size=12)
            c.text(mid, 149, r"$W_{hh}$", size=11, color=PARAM)
    c.path([c3.right, (672, 135)], color=STATE, arrow=False)
    c.text(688, 135, r"$\cdots$", size=18)
    c.arrow((703, 135), cT.left, color=STATE)
    c.text(714, 120, r"$h_{T-1}$", color=STATE, size=11)
    return c
