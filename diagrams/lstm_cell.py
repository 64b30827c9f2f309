"""The LSTM cell: cell state along the top, four gates below."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/01_rnn_from_scratch.ipynb"
AFTER = "## 4. The LSTM cell, gate by gate"
ALT = "The LSTM cell: the cell state runs along the top through a product with the "
ALT += "forget gate and a sum with the gated candidate; the output gate reads tanh of "
ALT += "the new cell state"
CAPTION = (
    "**The LSTM cell.** $h_{t-1}$ and $x_t$ enter at the bottom and feed four layers: "
    "the forget, input and output gates (sigmoids, values in $(0, 1)$) and the "
    "candidate $g_t$ (tanh). Follow the purple cell state along the top: it is only "
    "multiplied by $f_t$ and added to $i_t \\odot g_t$, never passed through a weight "
    "matrix or a squashing function, which is what lets information and gradients "
    "travel many steps. The output gate decides how much of $\\tanh(c_t)$ becomes "
    "$h_t$."
)

STATE = KINDS["state"][1]
BELT, GATES, BUS = 70, 215, 275


def gate(c: Canvas, x: float, symbol: str, name: str):
    """A gate layer, its function above its name; returns the box."""
    box = c.box(x, GATES, 72, 48, kind="op")
    c.text(x, GATES - 8, symbol, size=14)
    c.text(x, GATES + 12, name, size=10, color="#4b5563")
    return box


def draw() -> Canvas:
    c = Canvas(760, 350)
    c.box(395, 170, 520, 280, kind="muted", radius=14, lw=1.0, fill="#fafafa", z=0)
    # The cell state: c_{t-1} -> (x f) -> (+ i*g) -> c_t.
    forget = c.circle(230, BELT, 14, r"$\times$")
    plus = c.circle(400, BELT, 14, "$+$")
    c.arrow((60, BELT), forget.left, color=STATE, lw=2.5)
    c.arrow(forget.right, plus.left, color=STATE, lw=2.5)
    c.arrow(plus.right, (720, BELT), color=STATE, lw=2.5)
    c.text(60, BELT - 18, r"$c_{t-1}$", color=STATE, ha="left", size=14)
    c.text(720, BELT - 18, r"$c_t$", color=STATE, ha="right", size=14)
    # The four layers, all reading [h_{t-1}, x_t].
    f = gate(c, 230, r"$\sigma$", "forget")
    i = gate(c, 320, r"$\sigma$", "input")
    g = gate(c, 400, r"$\tanh$", "candidate")
    o = gate(c, 490, r"$\sigma$", "output")
    c.path([(60, BUS), (490, BUS)], arrow=False, lw=2)
    c.text(60, BUS + 18, r"$h_{t-1}$", ha="left", size=14)
    c.arrow((170, 340), (170, BUS))
    c.text(180, 330, r"$x_t$", ha="left", size=14)
    for box in (f, i, g, o):
        c.arrow((box.cx, BUS), box.bottom)
    # Forget: f multiplies the old cell state.
    c.arrow(f.top, forget.bottom)
    c.text(236, 130, r"$f_t$", ha="left", size=13)
    # Input: i * g is added to the cell state.
    ig = c.circle(400, 145, 14, r"$\times$")
    c.path([i.top, (320, 145), ig.left])
    c.arrow(g.top, ig.bottom)
    c.arrow(ig.top, plus.bottom)
    c.text(326, 170, r"$i_t$", ha="left", size=13)
    c.text(409, 178, r"$g_t$", ha="left", size=13)
    # Output: h_t = o * tanh(c_t).
    squash = c.box(590, 140, 56, 30, r"$\tanh$", kind="op", size=13)
    c.arrow((590, BELT), squash.top)
    out = c.circle(590, GATES, 14, r"$\times$")
    c.arrow(squash.bottom, out.top)
    c.arrow(o.right, out.left)
    c.text(550, GATES - 13, r"$o_t$", size=13)
    c.path([out.right, (645, GATES), (645, BUS), (720, BUS)], lw=2)
    c.text(720, BUS + 18, r"$h_t$", ha="right", size=14)
    return c
