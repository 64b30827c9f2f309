"""The padding mask: padded keys are hidden from every query."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/01_attention_from_scratch.ipynb"
AFTER = "### 6.2 The padding mask"
ALT = "A batch of three sequences of lengths 7, 4 and 2 padded to 7, and the attention "
ALT += "mask of the second one, whose last three key columns are hidden"
CAPTION = (
    "**The padding mask.** Left: a batch of sequences of lengths 7, 4 and 2, padded to "
    "the longest. Right: the mask of the second sequence. It hides *columns*: no "
    "query may attend to a padded key, so padding never leaks into the outputs of "
    "real tokens. The rows of the padded queries still produce outputs, but nothing "
    "downstream uses them, and a loss must ignore them too."
)

LENGTHS = [7, 4, 2]
T = 7
CELL = 28
GREY = "#e5e7eb"


def draw() -> Canvas:
    c = Canvas(720, 300)
    x0, y0 = 30, 95
    c.text(x0 + T * CELL / 2, 40, "a padded batch", size=13, bold=True)
    for b, length in enumerate(LENGTHS):
        fills = [[KINDS["data"][0] if t < length else GREY for t in range(T)]]
        values = [[f"$x_{t + 1}$" if t < length else "pad" for t in range(T)]]
        c.grid(x0, y0 + b * 44, 1, T, CELL, values=values, fills=fills, size=10)
        c.text(x0 + T * CELL + 10, y0 + b * 44 + CELL / 2, f"length {length}", size=11,
               ha="left", color="#4b5563")
    c.frame(x0 - 4, y0 + 44 - 4, T * CELL + 8, CELL + 8, KINDS["state"][1], lw=2)
    c.arrow((330, y0 + 44 + CELL / 2), (420, y0 + 44 + CELL / 2))
    x1, y1 = 460, 60
    length = LENGTHS[1]
    c.grid(x1, y1, T, T, CELL,
           values=[["" if j < length else "×" for j in range(T)] for _ in range(T)],
           fills=[[KINDS["state"][0] if j < length else GREY for j in range(T)]
                  for _ in range(T)],
           size=12)
    c.text(x1 + T * CELL / 2, y1 - 30, "mask of sequence 2", size=13, bold=True)
    c.text(x1 + T * CELL / 2, y1 - 10, "keys", size=11, color="#4b5563", va="bottom")
    c.text(x1 - 12, y1 + T * CELL / 2, "queries", size=11, color="#4b5563", rotation=90)
    c.text(x1 + (length + 1.5) * CELL, y1 + T * CELL + 16, "padded keys: hidden",
           size=11, color="#4b5563")
    return c
