"""Beam search with k = 2 over two steps, against greedy decoding."""

import math

from diagrams.draw import KINDS, MUTED, Canvas

NOTEBOOK = "chapters/04_rnn/03_seq2seq.ipynb"
AFTER = "## 5. Beam search"
ALT = "A search tree over tokens 3, 5 and 8: greedy decoding (blue) follows 3 then 8, beam "
ALT += "search with two beams keeps 5 as well and finds 5 then 3, which is more probable"
CAPTION = (
    "**Beam search with $k = 2$, on made-up probabilities.** Each node shows a token "
    "and the total log-probability of the sequence up to it; edges show the "
    "decoder's probability for the next token. Greedy decoding (blue) takes the best "
    "first token, 3, and ends with 3 8 (log-probability $-1.61$). Beam search also keeps the "
    "runner-up 5 (purple: kept, grey: dropped), and at the second step the six "
    "candidates are ranked together: 5 3 wins with $-1.02$, because the decoder is "
    "very sure of 3 after 5."
)

# Next-token probabilities after <sos>, and after each first token.
FIRST = {"3": 0.5, "5": 0.4, "8": 0.1}
SECOND = {"3": {"3": 0.3, "5": 0.3, "8": 0.4}, "5": {"3": 0.9, "5": 0.05, "8": 0.05}}
K = 2
GREEDY = KINDS["data"][1]


def node(c: Canvas, x: float, y: float, token: str, score: float, kept: bool):
    """A token with its cumulative log-probability beside it."""
    box = c.box(x, y, 40, 28, token, kind="state" if kept else "muted", size=13)
    c.text(x + 28, y, f"{score:.2f}".replace("-", "\u2212"), size=11, ha="left",
           color="#1f2937" if kept else MUTED)
    return box


def edge(c: Canvas, start: tuple[float, float], b, p: float, kept: bool,
         greedy: bool) -> None:
    """An edge labelled with the next-token probability; greedy ones in blue."""
    colour = GREEDY if greedy else "#374151" if kept else MUTED
    c.arrow(start, b.left, color=colour, lw=2 if greedy else 1.4 if kept else 1.0, head=7)
    mx, my = (start[0] + b.left[0]) / 2, (start[1] + b.cy) / 2
    c.text(mx, my - 10, f"{p:g}", size=10, color=colour, background="white")


def draw() -> Canvas:
    c = Canvas(760, 360)
    root = c.box(50, 175, 60, 30, "<sos>", kind="data", size=12)
    c.text(50, 205, "0", size=11)
    first = {t: math.log(p) for t, p in FIRST.items()}
    kept1 = sorted(first, key=first.get, reverse=True)[:K]
    second = {(a, b): first[a] + math.log(p) for a in kept1 for b, p in SECOND[a].items()}
    kept2 = sorted(second, key=second.get, reverse=True)[:K]
    greedy = max(FIRST, key=FIRST.get)
    greedy = (greedy, max(SECOND[greedy], key=SECOND[greedy].get))
    ys1 = {"3": 80, "5": 250, "8": 335}
    boxes1 = {}
    for t, y in ys1.items():
        boxes1[t] = node(c, 230, y, t, first[t], t in kept1)
        edge(c, root.right, boxes1[t], FIRST[t], t in kept1, t == greedy[0])
    for a in kept1:
        for k, b in enumerate(SECOND[a]):
            box = node(c, 450, ys1[a] - 55 + 55 * k, b, second[a, b], (a, b) in kept2)
            edge(c, (boxes1[a].right[0] + 44, boxes1[a].cy), box, SECOND[a][b],
                 (a, b) in kept2, (a, b) == greedy)
    best = max(kept2, key=second.get)
    c.text(560, 40, "beams after two steps:", size=12, ha="left", color="#4b5563")
    for k, (a, b) in enumerate(sorted(kept2, key=second.get, reverse=True)):
        label = f"{a} {b}   {second[a, b]:.2f}".replace("-", "\u2212")
        c.text(570, 70 + 26 * k, label + ("   best" if (a, b) == best else ""),
               size=13, ha="left", bold=(a, b) == best)
    c.text(560, 150, "greedy decoding:", size=12, ha="left", color=GREEDY)
    c.text(570, 178, f"{greedy[0]} {greedy[1]}   {second[greedy]:.2f}".replace("-", "\u2212"),
           size=13, ha="left", color=GREEDY)
    return c
