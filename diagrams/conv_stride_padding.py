"""A 3x3 kernel sliding with stride 2 over a 5x5 input with zero padding 1."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/03_cnn/01_convolution.ipynb"
AFTER = "### 2.2 The output size"
ALT = "A 5 by 5 input padded with zeros to 7 by 7, three positions of a 3 by 3 kernel "
ALT += "two cells apart, and the 3 by 3 output with the matching cells coloured"
CAPTION = (
    "**Padding and stride.** A $5 \\times 5$ input (blue) gets one ring of zeros "
    "($p = 1$), and a $3 \\times 3$ kernel visits every second position ($s = 2$). "
    "Three of the nine positions are outlined; each gives the output cell of the "
    "same colour. Count the positions along one axis: the window starts at 0, 2 and 4 "
    "of the 7 padded cells and then runs out of room, so "
    "$n_\\text{out} = \\lfloor (5 + 2 - 3)/2 \\rfloor + 1 = 3$."
)

CELL = 30
COLOURS = [KINDS["data"], KINDS["param"], KINDS["op"]]
WINDOWS = [(0, 0), (0, 1), (1, 0)]  # output positions (i, j) that we outline


def draw() -> Canvas:
    c = Canvas(760, 320)
    x0, y0, n = 50, 70, 7
    fills = [["#f3f4f6" if min(i, j) == 0 or max(i, j) == n - 1 else KINDS["data"][0]
              for j in range(n)] for i in range(n)]
    values = [["0" if min(i, j) == 0 or max(i, j) == n - 1 else "" for j in range(n)]
              for i in range(n)]
    c.grid(x0, y0, n, n, CELL, values=values, fills=fills, size=11, edge="#9ca3af")
    for k, (i, j) in enumerate(WINDOWS):
        inset = 2
        c.frame(x0 + 2 * j * CELL + inset, y0 + 2 * i * CELL + inset,
                3 * CELL - 2 * inset, 3 * CELL - 2 * inset, COLOURS[k][1], lw=2.5)
    c.text(x0 + n * CELL / 2, 22, r"input $5 \times 5$, padding $p = 1$", size=13)
    # Stride: the distance between neighbouring window positions.
    c.arrow((x0, y0 - 14), (x0 + 2 * CELL, y0 - 14), both=True, head=7, lw=1.2)
    c.text(x0 + CELL, y0 - 26, "$s = 2$", size=11)
    c.arrow((x0 - 14, y0), (x0 - 14, y0 + 2 * CELL), both=True, head=7, lw=1.2)
    c.text(x0 - 26, y0 + CELL, "$s = 2$", size=11, rotation=90)

    kx, ky = 335, 125
    c.grid(kx, ky, 3, 3, CELL, fills=[[KINDS["param"][0]] * 3] * 3, edge=KINDS["param"][1])
    c.text(kx + 1.5 * CELL, ky - 20, r"kernel $3 \times 3$", size=13)
    c.text(kx - 45, ky + 1.5 * CELL, r"$\star$", size=34)
    c.text(kx + 3 * CELL + 45, ky + 1.5 * CELL, "=", size=24)

    ox, oy, out = 545, 110, 40
    fills = [["#ffffff"] * 3 for _ in range(3)]
    for k, (i, j) in enumerate(WINDOWS):
        fills[i][j] = COLOURS[k][0]
    c.grid(ox, oy, 3, 3, out, fills=fills, edge="#6b7280")
    for k, (i, j) in enumerate(WINDOWS):
        c.frame(ox + j * out + 2, oy + i * out + 2, out - 4, out - 4, COLOURS[k][1], lw=2.5)
    c.text(ox + 1.5 * out, oy - 20, r"output $3 \times 3$", size=13)
    c.text(ox + 1.5 * out, oy + 3 * out + 40,
           r"$\lfloor (n + 2p - k)/s \rfloor + 1$", size=13)
    c.text(ox + 1.5 * out, oy + 3 * out + 66,
           r"$= \lfloor (5 + 2 - 3)/2 \rfloor + 1 = 3$", size=13)
    return c
