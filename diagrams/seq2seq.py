"""The encoder-decoder without attention: one vector between the two halves."""

from diagrams.draw import KINDS, MUTED, Canvas

NOTEBOOK = "chapters/04_rnn/03_seq2seq.ipynb"
AFTER = "## 2. The encoder-decoder"
ALT = "An encoder GRU reads 3 1 4; its final state starts a decoder GRU that reads "
ALT += "<sos> 4 1 3 and writes 4 1 3 <eos>"
CAPTION = (
    "**The encoder-decoder.** The encoder reads the input and keeps only its final "
    "state $h^{\\text{enc}}_T$, which becomes the decoder's first state $s_0$. Look "
    "at the single purple arrow in the middle: everything the decoder knows about the "
    "input must pass through that one fixed-size vector, however long the input. The "
    "decoder's input at each step is the previous output token: the correct one "
    "during training (teacher forcing), its own prediction at test time (dashed)."
)

STATE = KINDS["state"][1]
ROW = 130


def chain(c: Canvas, xs: list[float], tokens: list[str]):
    """GRU cells at xs, each reading the token below it; returns the cells."""
    cells = []
    for x, token in zip(xs, tokens, strict=True):
        cell = c.box(x, ROW, 56, 40, "GRU", kind="op", size=12)
        inp = c.box(x, 225, 52, 28, token, kind="data", size=12)
        c.arrow(inp.top, cell.bottom)
        cells.append(cell)
    for a, b in zip(cells, cells[1:], strict=False):
        c.arrow(a.right, b.left, color=STATE)
    return cells


def draw() -> Canvas:
    c = Canvas(780, 280)
    enc = chain(c, [70, 160, 250], ["3", "1", "4"])
    dec = chain(c, [460, 550, 640, 730], ["<sos>", "4", "1", "3"])
    h = c.box(355, ROW, 62, 36, r"$h^{\mathrm{enc}}_T$", kind="state", size=14)
    c.arrow(enc[-1].right, h.left, color=STATE, lw=2.5)
    c.arrow(h.right, dec[0].left, color=STATE, lw=2.5)
    c.text(408, ROW - 16, "$s_0$", color=STATE, size=12)
    outputs = ["4", "1", "3", "<eos>"]
    for k, (cell, token) in enumerate(zip(dec, outputs, strict=True)):
        out = c.box(cell.cx, 35, 52, 28, token, kind="data", size=12)
        c.arrow(cell.top, out.bottom)
        if k + 1 < len(dec):
            gap = (cell.right[0] + dec[k + 1].left[0]) / 2
            c.path([out.right, (gap, out.cy), (gap, 225), (dec[k + 1].cx - 26, 225)],
                   color=MUTED, dashed=True, lw=1.2, head=7)
    c.group(30, 90, 290, 250, "encoder", label_at="below left")
    c.group(420, 10, 765, 250, "decoder", label_at="below left")
    return c
