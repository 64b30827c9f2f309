"""Max and average pooling with a 2x2 window and stride 2 on the worked example."""

from fractions import Fraction

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/03_cnn/01_convolution.ipynb"
AFTER = "On $Y$ from the worked example, each output value summarises"
ALT = "The 4 by 4 map Y split into four coloured 2 by 2 windows, their maxima "
ALT += "10, 8, 4, 11 and their means 21/4, 7/2, 5/4, 27/4"
CAPTION = (
    "**Pooling with a $2 \\times 2$ window and stride 2.** The four windows of $Y$ do "
    "not overlap; each becomes the number of the same colour on the right: its largest "
    "entry (outlined) for max pooling, its mean for average pooling. Each side halves, "
    "and there are no weights to learn."
)

Y = [[0, 5, 8, 0], [6, 10, 1, 5], [4, 0, 2, 11], [0, 1, 11, 3]]
TINTS = [[KINDS["data"], KINDS["param"]], [KINDS["op"], KINDS["state"]]]
CELL = 40


def quarter_colours(size: int) -> list[list[str]]:
    """Fill colours of a size x size grid split into four quarters."""
    half = size // 2
    return [[TINTS[i // half][j // half][0] for j in range(size)] for i in range(size)]


def pool(op) -> list[list[str]]:
    """Apply `op` to the four entries of each 2x2 window of Y."""
    return [[op([Y[2 * i + a][2 * j + b] for a in range(2) for b in range(2)])
             for j in range(2)] for i in range(2)]


def draw() -> Canvas:
    c = Canvas(600, 280)
    x0, y0 = 40, 60
    c.grid(x0, y0, 4, 4, CELL, values=[[str(v) for v in row] for row in Y],
           fills=quarter_colours(4), size=15)
    c.text(x0 + 2 * CELL, 32, r"$Y$ ($4 \times 4$)", size=14)
    for qi in range(2):
        for qj in range(2):
            block = [(Y[2 * qi + a][2 * qj + b], a, b) for a in range(2) for b in range(2)]
            _, a, b = max(block)
            c.frame(x0 + (2 * qj + b) * CELL + 3, y0 + (2 * qi + a) * CELL + 3,
                    CELL - 6, CELL - 6, TINTS[qi][qj][1], lw=2)
    results = [("max pooling", pool(lambda v: str(max(v))), 40),
               ("average pooling", pool(lambda v: str(Fraction(sum(v), 4))), 170)]
    for label, values, y in results:
        c.grid(330, y, 2, 2, CELL, values=values, fills=quarter_colours(2), size=15)
        c.text(430, y + CELL, label, size=13, ha="left")
        c.arrow((x0 + 4 * CELL + 15, y0 + 2 * CELL), (315, y + CELL),
                rad=0.15 if y < 100 else -0.15)
    return c
