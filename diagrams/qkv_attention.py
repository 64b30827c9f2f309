"""Scaled dot-product attention as matrices: scores, weights, weighted sum."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/01_attention_from_scratch.ipynb"
AFTER = "## 3. Scaled dot-product attention"
ALT = "Q times K transposed gives a score matrix; a row-wise softmax gives weights; "
ALT += "the weights times V give the output. One query row is followed through"
CAPTION = (
    "**Queries, keys and values.** Follow the highlighted query (row 2 of $Q$). Its "
    "dot products with all four keys (the columns of $K^\\top$) give row 2 of the "
    "score matrix; divided by $\\sqrt{d_k}$ and passed through a softmax, they become "
    "four weights that sum to one (darker means larger). Row 2 of the output is the "
    "weighted sum of the rows of $V$, each value row tinted by its weight: the query "
    "decides where to look, the keys decide who matches, the values are what is "
    "passed on."
)

CELL = 22
WEIGHTS = [0.1, 0.6, 0.25, 0.05]  # an illustrative softmax row
Q_ROW = 1  # the highlighted query (second row)
PURPLE = KINDS["state"]


def blend(weight: float) -> str:
    """A purple whose strength grows with `weight` in [0, 1]."""
    low, high = (237, 233, 254), (109, 40, 217)
    rgb = [round(a + (b - a) * min(1.0, weight / 0.6)) for a, b in zip(low, high, strict=True)]
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def matrix(c: Canvas, x: float, y: float, rows: int, cols: int, fill, title: str,
           shape: str) -> None:
    """A grid with a title above and its shape below; fill(i, j) colours the cells."""
    c.grid(x, y, rows, cols, CELL, fills=[[fill(i, j) for j in range(cols)]
                                         for i in range(rows)], edge="#9ca3af")
    c.text(x + cols * CELL / 2, y - 14, title, size=14)
    c.text(x + cols * CELL / 2, y + rows * CELL + 14, shape, size=11, color="#4b5563")


def draw() -> Canvas:
    c = Canvas(790, 215)
    top, mid = 50, 50 + 2 * CELL
    blue, orange, green = KINDS["data"][0], KINDS["param"][0], KINDS["op"][0]
    edge = KINDS["data"][1]
    row_y = top + CELL / 2 + Q_ROW * CELL  # top of the highlighted row in 3-row grids

    def query_matrix(x: float, title: str, fill, shape: str) -> None:
        matrix(c, x, top + CELL / 2, 3, 4, fill, title, shape)
        c.frame(x, row_y, 4 * CELL, CELL, edge, lw=2)

    query_matrix(20, "$Q$", lambda i, _: blue if i == Q_ROW else "#ffffff", "$(T_q, d_k)$")
    c.text(121, mid, r"$\times$", size=18)
    matrix(c, 134, top, 4, 4, lambda *_: orange, r"$K^\top$", "$(d_k, T_k)$")
    c.arrow((232, mid), (262, mid))
    query_matrix(272, "scores", lambda i, _: "#f3f4f6" if i == Q_ROW else "#ffffff",
                 "$(T_q, T_k)$")
    c.arrow((372, mid), (447, mid))
    c.text(410, mid - 16, r"$\div \sqrt{d_k}$", size=12)
    c.text(410, mid + 22, "softmax\nof each row", size=11)
    query_matrix(457, r"weights $\alpha$",
                 lambda i, j: blend(WEIGHTS[j]) if i == Q_ROW else "#ffffff", "$(T_q, T_k)$")
    c.text(558, mid, r"$\times$", size=18)
    matrix(c, 571, top, 4, 4, lambda i, _: blend(WEIGHTS[i]), "$V$", "$(T_k, d_v)$")
    c.text(672, mid, "$=$", size=18)
    query_matrix(685, "output", lambda i, _: green if i == Q_ROW else "#ffffff",
                 "$(T_q, d_v)$")
    c.text(395, 192, r"$\mathrm{Attention}(Q, K, V) = "
           r"\mathrm{softmax}\left(Q K^\top / \sqrt{d_k}\right) V$", size=14)
    return c
