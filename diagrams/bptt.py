"""Backpropagation through time on the unrolled RNN."""

from diagrams.draw import GRADIENT, KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/01_rnn_from_scratch.ipynb"
AFTER = "## 6. Backpropagation through time, and why gradients vanish"
ALT = "The unrolled RNN with a loss at every step; red arrows carry gradients from "
ALT += "each loss down into its step and backwards along the chain of hidden states"
CAPTION = (
    "**Backpropagation through time.** The forward pass (dark and purple) runs left to "
    "right and produces a loss $L_t$ at every step. The gradients (red) run back: from "
    "each $L_t$ into its step, and from step to step along the chain of hidden "
    "states. Each red step back along the chain multiplies by one Jacobian "
    "$\\partial h_t / \\partial h_{t-1}$, so the gradient that $L_T$ sends to $h_1$ "
    "is a product of $T - 1$ of them: that product is what vanishes or explodes. All "
    "the copies share $W_{hh}$, so its gradient is the sum of the contributions of "
    "every step."
)

STATE = KINDS["state"][1]
ROW = 150


def draw() -> Canvas:
    c = Canvas(780, 330)
    h0 = c.box(50, ROW, 40, 30, r"$h_0$", kind="state")
    xs, labels = [150, 290, 430, 640], ["1", "2", "3", "T"]
    cells = []
    for cx, t in zip(xs, labels, strict=True):
        cell = c.box(cx, ROW, 80, 48, r"$\tanh$", kind="op")
        x = c.box(cx, 255, 44, 30, rf"$x_{t}$", kind="data")
        loss = c.box(cx, 40, 48, 32, rf"$L_{t}$", kind="loss")
        c.arrow(x.top, cell.bottom)
        c.arrow((cx - 10, cell.top[1]), (cx - 10, loss.bottom[1]))
        c.arrow((cx + 10, loss.bottom[1]), (cx + 10, cell.top[1]), color=GRADIENT)
        cells.append(cell)
    # Forward along the chain (above) and backward (below), except across the dots.
    chain = [h0, *cells]
    for k, (a, b) in enumerate(zip(chain, chain[1:], strict=False)):
        up, down = ROW - 10, ROW + 12
        if k == 3:
            c.path([(a.right[0], up), (a.right[0] + 35, up)], color=STATE, arrow=False)
            c.text(535, ROW, r"$\cdots$", size=20)
            c.arrow((b.left[0] - 45, up), (b.left[0], up), color=STATE)
            c.path([(b.left[0], down), (b.left[0] - 45, down)], color=GRADIENT, arrow=False)
            c.arrow((a.right[0] + 35, down), (a.right[0], down), color=GRADIENT)
            continue
        c.arrow((a.right[0], up), (b.left[0], up), color=STATE)
        if k > 0:
            c.arrow((b.left[0], down), (a.right[0], down), color=GRADIENT)
    c.text(360, 183, r"$\partial h_3 / \partial h_2$", size=12, color=GRADIENT, va="top")
    c.text(220, 183, r"$\partial h_2 / \partial h_1$", size=12, color=GRADIENT, va="top")
    c.text(700, 40, r"$L = \sum_t L_t$", size=14, ha="left")
    c.text(390, 305, r"$\partial h_t / \partial h_{t-1} = "
           r"\mathrm{diag}(1 - h_t^2)\, W_{hh}$ at every step back", size=13,
           color=GRADIENT)
    return c
