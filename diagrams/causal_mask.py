"""The causal mask: scores above the diagonal become minus infinity, weights zero."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/01_attention_from_scratch.ipynb"
AFTER = "### 6.1 The causal mask"
ALT = "A 5 by 5 score matrix whose entries above the diagonal are minus infinity, and "
ALT += "the weight matrix after the softmax, zero above the diagonal, rows summing to one"
CAPTION = (
    "**The causal mask.** Row $i$ belongs to the query at position $i$, column $j$ to "
    "the key at position $j$. Before the softmax, every score with $j > i$ (a "
    "future token) is replaced by $-\\infty$; after it, those weights are exactly 0 "
    "and each row's remaining weights still sum to one. Read the weights row by row: "
    "the first token can only attend to itself, the last to the whole sequence. (The "
    "weights shown are made up.)"
)

TOKENS = ["the", "cat", "sat", "on", "it"]
WEIGHTS = [[1.0], [0.3, 0.7], [0.2, 0.5, 0.3], [0.1, 0.2, 0.3, 0.4],
           [0.1, 0.1, 0.2, 0.2, 0.4]]
CELL = 36
GREY = "#e5e7eb"


def axes(c: Canvas, x: float, y: float, title: str) -> None:
    """Token labels along the rows (queries) and columns (keys) of a grid."""
    n = len(TOKENS)
    for k, token in enumerate(TOKENS):
        c.text(x - 8, y + (k + 0.5) * CELL, token, size=11, ha="right")
        c.text(x + (k + 0.5) * CELL, y - 10, token, size=11, va="bottom")
    c.text(x + n * CELL / 2, y - 34, title, size=13, bold=True)
    c.text(x + n * CELL / 2, y + n * CELL + 14, "keys $j$", size=11, color="#4b5563")
    c.text(x - 52, y + n * CELL / 2, "queries $i$", size=11, color="#4b5563", rotation=90)


def draw() -> Canvas:
    c = Canvas(720, 300)
    n = len(TOKENS)
    x1, x2, y = 110, 480, 60
    purple = KINDS["state"][0]
    c.grid(x1, y, n, n, CELL,
           values=[["$s_{ij}$" if j <= i else r"$-\infty$" for j in range(n)]
                   for i in range(n)],
           fills=[["#ffffff" if j <= i else GREY for j in range(n)] for i in range(n)],
           size=11)
    axes(c, x1, y, "scores")
    c.arrow((x1 + n * CELL + 20, y + n * CELL / 2), (x2 - 70, y + n * CELL / 2))
    c.text((x1 + n * CELL + x2 - 50) / 2, y + n * CELL / 2 - 16, "softmax", size=12)
    c.text((x1 + n * CELL + x2 - 50) / 2, y + n * CELL / 2 + 16, "of each row", size=11)
    c.grid(x2, y, n, n, CELL,
           values=[[f"{WEIGHTS[i][j]:g}" if j <= i else "0" for j in range(n)]
                   for i in range(n)],
           fills=[[purple if j <= i else GREY for j in range(n)] for i in range(n)],
           size=11)
    axes(c, x2, y, "weights")
    return c
