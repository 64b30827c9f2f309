"""The GRU cell: reset and update gates, and the interpolated hidden state."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/01_rnn_from_scratch.ipynb"
AFTER = "## 5. The GRU cell"
ALT = "The GRU cell: the hidden state runs along the top; the update gate z mixes it "
ALT += "with the candidate n, and the reset gate r scales the hidden part of n"
CAPTION = (
    "**The GRU cell.** There is one state, $h$, along the top. The update gate $z_t$ "
    "mixes old and new: $h_{t-1}$ is multiplied by $z_t$, the candidate $n_t$ by "
    "$1 - z_t$, and the two are added, so with $z_t \\approx 1$ the state is copied "
    "unchanged, as along the LSTM's cell state. The reset gate $r_t$ scales the part "
    "of the candidate that comes from $h_{t-1}$ (in PyTorch, "
    "$W_{hn} h_{t-1} + b_{hn}$), so with $r_t \\approx 0$ the candidate ignores the "
    "past and reads only $x_t$."
)

STATE = KINDS["state"][1]
TOP, GATES, BUS = 60, 225, 295


def gate(c: Canvas, x: float, symbol: str, name: str):
    """A gate layer, its function above its name; returns the box."""
    box = c.box(x, GATES, 72, 48, kind="op")
    c.text(x, GATES - 8, symbol, size=14)
    c.text(x, GATES + 12, name, size=10, color="#4b5563")
    return box


def draw() -> Canvas:
    c = Canvas(760, 360)
    c.box(390, 180, 520, 290, kind="muted", radius=14, lw=1.0, fill="#fafafa", z=0)
    # The hidden state along the top: h_{t-1} -> (x z) -> (+ (1 - z) n) -> h_t.
    keep = c.circle(230, TOP, 14, r"$\times$")
    plus = c.circle(560, TOP, 14, "$+$")
    c.arrow((50, TOP), keep.left, color=STATE, lw=2.5)
    c.arrow(keep.right, plus.left, color=STATE, lw=2.5)
    c.arrow(plus.right, (720, TOP), color=STATE, lw=2.5)
    c.text(50, TOP - 18, r"$h_{t-1}$", color=STATE, ha="left", size=14)
    c.text(720, TOP - 18, r"$h_t$", color=STATE, ha="right", size=14)
    # Inputs: h_{t-1} drops down to the bus, x_t comes up from below.
    c.path([(90, TOP), (90, BUS), (560, BUS)], arrow=False, lw=2)
    c.arrow((160, 355), (160, BUS))
    c.text(170, 345, r"$x_t$", ha="left", size=14)
    z = gate(c, 230, r"$\sigma$", "update")
    r = gate(c, 350, r"$\sigma$", "reset")
    n = gate(c, 560, r"$\tanh$", "candidate")
    for box in (z, r):
        c.arrow((box.cx, BUS), box.bottom)
    c.text(98, BUS - 12, r"$h_{t-1}$", ha="left", size=12)
    # Update gate: z multiplies the old state, 1 - z the candidate.
    c.arrow(z.top, keep.bottom)
    c.text(236, 110, r"$z_t$", ha="left", size=13)
    one_minus = c.circle(320, 140, 17, "$1-$", size=11)
    c.path([(230, 140), one_minus.left])
    mix = c.circle(560, 140, 14, r"$\times$")
    c.arrow(one_minus.right, mix.left)
    c.text(440, 128, r"$1 - z_t$", size=13)
    c.arrow(n.top, mix.bottom)
    c.arrow(mix.top, plus.bottom)
    c.text(566, 180, r"$n_t$", ha="left", size=13)
    # Reset gate: r scales the hidden part of the candidate's input.
    reset = c.circle(460, GATES, 14, r"$\times$")
    c.arrow(r.right, reset.left)
    c.text(405, GATES - 12, r"$r_t$", size=13)
    c.arrow((460, BUS), reset.bottom)
    c.arrow(reset.right, n.left)
    c.arrow((560, BUS), n.bottom)
    return c
