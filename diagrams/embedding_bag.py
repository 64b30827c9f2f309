"""nn.EmbeddingBag: one flat tensor of tokens plus offsets, one mean per text."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/04_text_classification.ipynb"
AFTER = "### 3.1 Offsets instead of padding"
ALT = "Three texts of lengths 3, 2 and 4 are concatenated into one tensor of 9 token "
ALT += "indices with offsets 0, 3 and 5; EmbeddingBag averages each text's embeddings"
CAPTION = (
    "**A batch for `nn.EmbeddingBag`.** The three texts (one colour each) are put one "
    "after another in a single tensor of 9 token indices, with no padding. The "
    "offsets 0, 3 and 5 point at the position where each text starts; each text ends "
    "where the next begins. `EmbeddingBag` looks up the embedding of every token and "
    "averages those of each text, giving one row of $D$ numbers per text, which a "
    "linear layer turns into class scores."
)

TEXTS = [[5, 6, 7], [8, 9], [2, 3, 4, 5]]
COLOURS = [KINDS["data"], KINDS["param"], KINDS["op"]]
CELL = 30


def draw() -> Canvas:
    c = Canvas(760, 320)
    for b, (text, (fill, edge)) in enumerate(zip(TEXTS, COLOURS, strict=True)):
        y = 30 + b * 42
        c.text(22, y + CELL / 2, f"text {b + 1}", size=12, ha="left")
        c.grid(90, y, 1, len(text), CELL, values=[[str(t) for t in text]],
               fills=[[fill] * len(text)], edge=edge, size=13)
    flat = [t for text in TEXTS for t in text]
    owner = [b for b, text in enumerate(TEXTS) for _ in text]
    x0, y0 = 30, 215
    c.arrow((150, 152), (150, y0 - 24))
    c.text(160, 172, "concatenate", size=11, ha="left", color="#4b5563")
    c.grid(x0, y0, 1, len(flat), CELL, values=[[str(t) for t in flat]],
           fills=[[COLOURS[b][0] for b in owner]], size=13)
    starts = [0, 3, 5]
    for s in starts:
        x = x0 + (s + 0.5) * CELL
        c.arrow((x, y0 + CELL + 32), (x, y0 + CELL + 4), head=7, lw=1.3)
    c.text(x0, y0 + CELL + 46, "offsets = [0, 3, 5]", size=12, ha="left")
    c.text(x0 + len(flat) * CELL, y0 - 8, "tokens, shape $(N,)$", size=11, ha="right",
           color="#4b5563")
    bag = c.box(440, y0 + CELL / 2, 130, 50, "EmbeddingBag\nmode=\"mean\"", kind="op",
                size=12)
    c.arrow((x0 + len(flat) * CELL + 8, y0 + CELL / 2), bag.left)
    gx, gy = 540, y0 + CELL / 2 - 1.5 * 26
    c.grid(gx, gy, 3, 4, 26, fills=[[COLOURS[b][0]] * 4 for b in range(3)])
    c.arrow(bag.right, (gx - 6, bag.cy))
    c.text(gx + 52, gy - 14, "$(B, D)$", size=12)
    c.text(gx + 52, gy + 3 * 26 + 16, "one mean per text", size=11, color="#4b5563")
    c.arrow((gx + 110, bag.cy), (gx + 150, bag.cy))
    c.text(gx + 158, bag.cy, "linear,\nscores", size=12, ha="left")
    return c
