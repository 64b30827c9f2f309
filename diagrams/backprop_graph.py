"""The computational graph of the two-layer MLP, forward and backward."""

from diagrams.draw import GRADIENT, Canvas

NOTEBOOK = "chapters/02_mlp_backprop/01_backprop_from_scratch.ipynb"
AFTER = "## 4. Backpropagation for a two-layer MLP"
ALT = "The forward chain x, affine, z1, ReLU, a1, affine, z2, softmax and cross-entropy, "
ALT += "loss, with the backward chain of gradients below it in red"
CAPTION = (
    "**Backpropagation on the graph of the two-layer MLP.** The top row is the forward "
    "pass of section 4.1, from the input $\\mathbf{x}$ to the loss $\\ell$. The red row "
    "below runs the other way: it starts from $\\partial\\ell/\\partial\\ell = 1$ and "
    "turns the gradient with respect to each node's output into the gradient with "
    "respect to its input; the red label under each arrow is the rule of sections 4.2 "
    "to 4.4 that does it. Look where the parameter gradients at the bottom come from: "
    "the red $\\delta$ of a layer times a value from the forward pass "
    "($\\mathbf{x}$ or $\\mathbf{a}_1$), which is why the forward pass keeps them."
)

XS = {"x": 40, "aff1": 125, "z1": 212, "relu": 292, "a1": 372, "aff2": 457,
      "z2": 544, "ce": 632, "loss": 718}
FWD, BWD, PAR, PGRAD = 125, 215, 40, 305


def draw() -> Canvas:
    c = Canvas(760, 345)
    var = {}
    for key, label, kind in [("x", r"$\mathbf{x}$", "data"),
                             ("z1", r"$\mathbf{z}_1$", "state"),
                             ("a1", r"$\mathbf{a}_1$", "state"),
                             ("z2", r"$\mathbf{z}_2$", "state"),
                             ("loss", r"$\ell$", "loss")]:
        var[key] = c.box(XS[key], FWD, 46, 34, label, kind=kind, size=15)
    ops = {}
    for key, label, w in [("aff1", "affine", 74), ("relu", "ReLU", 64),
                          ("aff2", "affine", 74), ("ce", "softmax\n+ CE", 84)]:
        ops[key] = c.box(XS[key], FWD, w, 44, label, kind="op", size=12)
    order = ["x", "aff1", "z1", "relu", "a1", "aff2", "z2", "ce", "loss"]
    nodes = {**var, **ops}
    for a, b in zip(order, order[1:], strict=False):
        c.arrow(nodes[a].right, nodes[b].left)
    for key, label in [("aff1", r"$W_1, \mathbf{b}_1$"), ("aff2", r"$W_2, \mathbf{b}_2$")]:
        p = c.box(XS[key], PAR, 74, 32, label, kind="param", size=13)
        c.arrow(p.bottom, ops[key].top)
    y = c.box(XS["ce"], PAR, 40, 32, "$y$", kind="data", size=14)
    c.arrow(y.bottom, ops["ce"].top)
    c.text(20, FWD - 40, "forward", size=12, color="#4b5563", ha="left", italic=True)
    c.text(20, BWD + 40, "backward", size=12, color=GRADIENT, ha="left", italic=True)

    # Backward: one gradient per variable, from the loss back to z1.
    grad = {}
    for key, label in [("loss", "$1$"), ("z2", r"$\delta_2$"),
                       ("a1", r"$\partial\ell / \partial\mathbf{a}_1$"),
                       ("z1", r"$\delta_1$")]:
        w = 80 if key == "a1" else 46
        grad[key] = c.box(XS[key], BWD, w, 34, label, kind="plain", edge=GRADIENT,
                          size=14)
    for a, b, op, label in [("loss", "z2", "ce", r"$\mathbf{p} - \mathbf{e}_y$"),
                            ("z2", "a1", "aff2", r"$W_2^\top\, \cdot$"),
                            ("a1", "z1", "relu", r"$\mathbb{1}[\mathbf{z}_1 > 0] \odot \cdot$")]:
        c.arrow(grad[a].left, grad[b].right, color=GRADIENT)
        c.text(XS[op], BWD + 16, label, size=12, color=GRADIENT, va="top")
    # Parameter gradients: the red gradient times the cached forward value.
    for op, source, label in [
        ("aff2", "z2", r"$\partial\ell/\partial W_2 = \delta_2 \mathbf{a}_1^\top,\ "
                       r"\partial\ell/\partial \mathbf{b}_2 = \delta_2$"),
        ("aff1", "z1", r"$\partial\ell/\partial W_1 = \delta_1 \mathbf{x}^\top,\ "
                       r"\partial\ell/\partial \mathbf{b}_1 = \delta_1$"),
    ]:
        box = c.box(XS[op] + 20, PGRAD, 236, 34, label, kind="plain", edge=GRADIENT,
                    size=12)
        start = grad[source].bottom
        c.path([start, (start[0], PGRAD - 30), (box.cx + 60, PGRAD - 30),
                (box.cx + 60, box.top[1])], color=GRADIENT)
    return c
