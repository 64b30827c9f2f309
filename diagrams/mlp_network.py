"""The two-layer MLP for MNIST drawn as neurons and connections."""

from diagrams.draw import KINDS, MUTED, Canvas

NOTEBOOK = "chapters/02_mlp_backprop/01_backprop_from_scratch.ipynb"
AFTER = "### 1.4 The multilayer perceptron"
ALT = "A network with 784 inputs, one hidden layer of H ReLU units and 10 outputs "
ALT += "followed by a softmax"
CAPTION = (
    "**The two-layer MLP.** Every input pixel connects to every hidden unit (the "
    "weights $W^{[1]}$), and every hidden unit to every output (the weights $W^{[2]}$); "
    "the dots stand for the units not drawn. Look at what happens between the "
    "columns: an affine map, then a function that acts on each unit alone (ReLU in "
    "the hidden layer). The 10 output scores are not yet probabilities: the softmax "
    "turns them into 10 positive numbers that sum to one."
)


def column(c: Canvas, x: float, n: int, top: float, gap: float, kind: str,
           labels: list[str]) -> list[tuple[float, float]]:
    """A column of n neurons with a gap (dots) before the last one; returns centres."""
    ys = [top + i * gap for i in range(n - 1)] + [top + n * gap]
    for y, label in zip(ys, labels, strict=True):
        c.circle(x, y, 16, label, kind=kind, size=11, z=3)
    c.text(x, top + (n - 0.55) * gap, r"$\vdots$", size=16, background="white")
    return [(x, y) for y in ys]


def draw() -> Canvas:
    c = Canvas(760, 345)
    inputs = column(c, 90, 5, 60, 46, "data",
                    ["$x_1$", "$x_2$", "$x_3$", "$x_4$", "$x_{784}$"])
    hidden = column(c, 330, 4, 85, 50, "state", ["$a_1$", "$a_2$", "$a_3$", "$a_H$"])
    scores = column(c, 560, 3, 110, 50, "state", ["$z_0$", "$z_1$", "$z_9$"])
    for a, b in [(inputs, hidden), (hidden, scores)]:
        for p in a:
            for q in b:
                c.path([(p[0] + 16, p[1]), (q[0] - 16, q[1])], color=MUTED, lw=0.8,
                       arrow=False)
    soft = c.box(680, 185, 84, 190, "softmax", kind="op", size=13)
    for _, y in scores:
        c.arrow((576, y), (soft.left[0], y))
    c.arrow(soft.right, (745, 185))
    c.text(745, 165, r"$\mathbf{p}$", size=15, ha="right")
    c.text(680, 300, "probabilities", size=12, color="#4b5563")
    c.text(90, 20, "784 pixels", size=13)
    c.text(330, 20, "$H$ hidden ReLU units", size=13)
    c.text(560, 20, "10 scores", size=13)
    param = KINDS["param"][1]
    c.text(200, 322, r"$\mathbf{z}^{[1]} = W^{[1]}\mathbf{x} + \mathbf{b}^{[1]}$",
           size=13, color=param)
    c.text(330, 45, r"$\mathbf{a}^{[1]} = \mathrm{ReLU}(\mathbf{z}^{[1]})$", size=12)
    c.text(450, 322, r"$\mathbf{z}^{[2]} = W^{[2]}\mathbf{a}^{[1]} + \mathbf{b}^{[2]}$",
           size=13, color=param)
    return c
