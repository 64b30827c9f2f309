"""A plain layer beside a residual block, with the identity path for the gradient."""

from diagrams.draw import GRADIENT, KINDS, Canvas

NOTEBOOK = "chapters/02_mlp_backprop/04_activations_and_residuals.ipynb"
AFTER = "### 4.1 The idea"
ALT = "A plain layer computes h_{l+1} = F(h_l); a residual block adds h_l back through "
ALT += "a skip connection, h_{l+1} = h_l + F(h_l), and the gradient can take that path"
CAPTION = (
    "**A plain layer and a residual block.** Both compute the same branch "
    "$F_l(\\mathbf h) = W_l f(\\mathbf h) + \\mathbf b_l$ (activation first, then the "
    "layer). The residual block also carries $\\mathbf h_l$ around the branch (purple) "
    "and adds it to the result. Follow the red gradient backwards: in the plain "
    "layer it has to go through the branch, multiplied by "
    "$\\partial F_l / \\partial \\mathbf h_l$ at every layer; in the residual block "
    "it also takes the skip connection, where it is multiplied by the identity, so "
    "it reaches early layers however deep the stack."
)

SKIP = KINDS["state"][1]


def branch(c: Canvas, cx: float) -> tuple:
    """Input, activation, linear layer, bottom to top; returns (input, f, layer)."""
    h = c.box(cx, 300, 60, 32, r"$\mathbf{h}_l$", kind="state", size=14)
    f = c.box(cx, 235, 110, 34, "activation $f$", kind="op", size=12)
    w = c.box(cx, 170, 110, 34, r"$W_l \cdot + \mathbf{b}_l$", kind="param", size=13)
    c.arrow(h.top, f.bottom)
    c.arrow(f.top, w.bottom)
    return h, f, w


def draw() -> Canvas:
    c = Canvas(720, 350)
    # Plain layer.
    h, f, w = branch(c, 170)
    out = c.box(170, 50, 70, 32, r"$\mathbf{h}_{l+1}$", kind="state", size=14)
    c.arrow(w.top, out.bottom)
    c.path([(250, 50), (250, 300), h.right], color=GRADIENT, lw=1.6, head=8)
    c.text(258, 200, r"$\times\, \partial F_l / \partial \mathbf{h}_l$", size=12,
           color=GRADIENT, ha="left")
    c.text(170, 340, "plain layer", size=13, bold=True)
    # Residual block.
    h, f, w = branch(c, 500)
    plus = c.circle(500, 110, 14, "+", size=15)
    out = c.box(500, 50, 70, 32, r"$\mathbf{h}_{l+1}$", kind="state", size=14)
    c.arrow(w.top, plus.bottom)
    c.arrow(plus.top, out.bottom)
    c.path([(500, 272), (400, 272), (400, 110), plus.left], color=SKIP, lw=2.2)
    c.text(408, 190, "skip", size=12, color=SKIP, ha="left")
    c.path([(580, 50), (580, 300), h.right], color=GRADIENT, lw=1.6, head=8)
    c.text(588, 200, r"$\times\, \partial F_l / \partial \mathbf{h}_l$", size=12,
           color=GRADIENT, ha="left")
    c.path([(465, 50), (465, 84), (375, 84), (375, 300), h.left], color=GRADIENT, lw=1.6,
           head=8)
    c.text(367, 200, r"$\times\, I$", size=13, color=GRADIENT, ha="right")
    c.text(500, 340, "residual block", size=13, bold=True)
    return c
