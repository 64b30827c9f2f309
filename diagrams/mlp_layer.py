"""A fully connected layer applied to a batch, as one matrix product."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/02_mlp_backprop/01_backprop_from_scratch.ipynb"
AFTER = "### 1.3 A layer of neurons, applied to a batch"
ALT = "The matrix product X times W transposed plus b gives Z, with one row, one column "
ALT += "and their product entry highlighted"
CAPTION = (
    "**A layer is one matrix product.** Each row of $X$ is one input of the batch; "
    "each column of $W^\\top$ holds the weights of one neuron. Look at the highlighted "
    "entry of $Z$: it is the dot product of row $n$ of $X$ with column $j$ of "
    "$W^\\top$, plus the bias $b_j$. The bias row is added to every row of the batch "
    "(broadcasting), and $\\sigma$ then acts on every entry of $Z$ separately."
)

CELL = 24
BLUE, ORANGE, PURPLE = KINDS["data"], KINDS["param"], KINDS["state"]


def matrix(c: Canvas, x: float, y: float, rows: int, cols: int, tint, name: str,
           shape: str) -> None:
    """A grid of empty cells; `tint(i, j)` gives each cell's fill colour."""
    fills = [[tint(i, j) for j in range(cols)] for i in range(rows)]
    c.grid(x, y, rows, cols, CELL, fills=fills, edge="#9ca3af")
    c.text(x + cols * CELL / 2, y - 16, name, size=15)
    c.text(x + cols * CELL / 2, y + rows * CELL + 16, shape, size=12, color="#4b5563")


def draw() -> Canvas:
    c = Canvas(760, 250)
    n, j = 2, 1  # the highlighted row of X and column of W^T
    top = 60
    matrix(c, 30, top, 4, 6, lambda i, _: BLUE[0] if i == n else "#ffffff",
           "$X$", "(B, D)")
    c.frame(30, top + n * CELL, 6 * CELL, CELL, BLUE[1])
    c.text(30 - 8, top + (n + 0.5) * CELL, "$n$", size=13, ha="right", color=BLUE[1])
    c.text(200, top + 2 * CELL, r"$\times$", size=22)
    matrix(c, 225, 36, 6, 3, lambda _, k: ORANGE[0] if k == j else "#ffffff",
           r"$W^\top$", "(D, H)")
    c.frame(225 + j * CELL, 36, CELL, 6 * CELL, ORANGE[1])
    c.text(225 + (j + 0.5) * CELL, 36 + 6 * CELL + 32, "$j$", size=13, color=ORANGE[1])
    c.text(330, top + 2 * CELL, "$+$", size=22)
    matrix(c, 355, top + 1.5 * CELL, 1, 3, lambda _, k: ORANGE[0] if k == j else "#ffffff",
           r"$\mathbf{b}$", "(H,)")
    c.frame(355 + j * CELL, top + 1.5 * CELL, CELL, CELL, ORANGE[1])
    c.text(460, top + 2 * CELL, "$=$", size=22)
    matrix(c, 495, top, 4, 3, lambda i, k: PURPLE[0] if (i, k) == (n, j) else "#ffffff",
           "$Z$", "(B, H)")
    c.frame(495 + j * CELL, top + n * CELL, CELL, CELL, PURPLE[1])
    c.arrow((575, top + 2 * CELL), (630, top + 2 * CELL))
    c.text(602, top + 2 * CELL - 14, r"$\sigma$", size=15)
    matrix(c, 645, top, 4, 3, lambda *_: "#ffffff", "$A$", "(B, H)")
    c.text(380, 232, r"$Z_{nj} = \sum_d X_{nd}\, W_{jd} + b_j$", size=14)
    return c
