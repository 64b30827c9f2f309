"""A convolutional layer: every filter spans all input channels and gives one map."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/03_cnn/01_convolution.ipynb"
AFTER = "### 2.1 Channels, filters and bias"
ALT = "An input of 3 channels, two filters of shape 3 by 3 by 3, and an output of two "
ALT += "activation maps; one 3 by 3 by 3 window of the input gives one output value"
CAPTION = (
    "**A convolutional layer with $C_\\text{in} = 3$ and $C_\\text{out} = 2$.** Each "
    "filter is as deep as its input: filter 1 holds one $3 \\times 3$ slice per input "
    "channel. Look at the outlined window: its 27 input values, multiplied by the 27 "
    "weights of filter 1 and summed, plus the bias $b_1$, give the one outlined value "
    "of activation map 1. Sliding the filter gives the whole map; each filter gives "
    "its own map, and the maps stacked together are the output volume, the next "
    "layer's input with $C_\\text{out}$ channels."
)

CHANNELS = ["#fecaca", "#bbf7d0", "#bfdbfe"]  # red, green, blue channel slices
OFF = 14


def stack(c: Canvas, x: float, y: float, n: int, cell: float, fills: list[str],
          edge: str = "#6b7280", frame: tuple[int, int, int] | None = None,
          colour: str = "#1f2937") -> None:
    """len(fills) slices of n x n cells, the first in front; optional k x k frame."""
    for k in reversed(range(len(fills))):
        sx, sy = x + k * OFF, y - k * OFF
        c.grid(sx, sy, n, n, cell, fills=[[fills[k]] * n for _ in range(n)], edge=edge,
               lw=0.8, z=2 + 2 * (len(fills) - k))
        if frame:
            i, j, size = frame
            c.frame(sx + j * cell, sy + i * cell, size * cell, size * cell, colour, lw=2,
                    z=3 + 2 * (len(fills) - k))


def window(c: Canvas, x: float, y: float, size: float, depth: float) -> None:
    """The wire frame of a window through all channels: front square to back square."""
    blue = KINDS["data"][1]
    back = [(x + depth, y - depth), (x + size + depth, y - depth),
            (x + size + depth, y + size - depth), (x + depth, y + size - depth)]
    front = [(x, y), (x + size, y), (x + size, y + size), (x, y + size)]
    c.path([*back, back[0]], color=blue, lw=1.2, arrow=False, dashed=True, z=20)
    for a, b in zip(front, back, strict=True):
        c.path([a, b], color=blue, lw=1.2, arrow=False, z=20)


def draw() -> Canvas:
    c = Canvas(760, 300)
    cell = 22
    stack(c, 40, 100, 6, cell, CHANNELS, frame=(1, 2, 3), colour=KINDS["data"][1])
    window(c, 40 + 2 * cell, 100 + cell, 3 * cell, 2 * OFF)
    c.text(40 + 3 * cell + OFF, 260, r"input $(C_\mathrm{in}, H, W) = (3, 6, 6)$", size=12)
    orange = KINDS["param"][0]
    filters = [(75, "filter 1, $b_1$", KINDS["data"][1]), (185, "filter 2, $b_2$", None)]
    for y, label, colour in filters:
        stack(c, 330, y, 3, 18, [orange] * 3, edge=KINDS["param"][1])
        c.text(330 + 27 + OFF, y + 66, label, size=12)
        if colour:
            c.frame(330, y, 54, 54, colour, lw=2, z=9)
            window(c, 330, y, 54, 2 * OFF)
    c.text(275, 150, r"$\star$", size=30)
    c.text(470, 150, "=", size=26)
    maps = [KINDS["state"][0], KINDS["op"][0]]
    stack(c, 530, 110, 4, cell, maps)
    c.frame(530 + 2 * cell, 110 + cell, cell, cell, KINDS["data"][1], lw=2.5, z=9)
    c.text(530 + 2 * cell + OFF / 2, 220, "map 1 (front), map 2 (behind)", size=11,
           color="#4b5563")
    c.text(530 + 2 * cell + OFF / 2, 260, r"output $(C_\mathrm{out}, H', W') = (2, 4, 4)$",
           size=12)
    return c
