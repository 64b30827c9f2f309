"""One decoder step with attention over the encoder states."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/02_seq2seq_attention.ipynb"
AFTER = "### 2.2 Decoder with multiplicative attention"
ALT = "A bidirectional encoder over the characters of a date; the decoder state s_t "
ALT += "scores every encoder state, the weights form a context vector, and s_t with "
ALT += "the context predicts the next character"
CAPTION = (
    "**One decoder step with attention.** The encoder (bottom) gives one state "
    "$\\mathbf h_j$ per input character, each knowing its neighbours on both sides. "
    "At output step $t$ the decoder state $\\mathbf s_t$ scores every "
    "$\\mathbf h_j$, the softmax turns the scores into weights $\\alpha_{tj}$ (the "
    "thickness of the lines: while writing the year, the decoder looks mostly at the "
    "last two characters), and the context "
    "$\\mathbf c_t = \\sum_j \\alpha_{tj} \\mathbf h_j$ joins "
    "$\\mathbf s_t$ to predict the next character. Compare with the encoder-decoder "
    "of notebook 4.3: instead of one final vector, the decoder reads all the encoder "
    "states again at every step."
)

STATE = KINDS["state"][1]
CHARS = ["1", "4", "/", "0", "3", "/", "1", "9"]
ALPHA = [0.02, 0.02, 0.01, 0.03, 0.02, 0.05, 0.45, 0.40]  # illustrative weights


def draw() -> Canvas:
    c = Canvas(790, 400)
    xs = [50 + 60 * k for k in range(len(CHARS))]
    hs = []
    for k, (x, char) in enumerate(zip(xs, CHARS, strict=True)):
        inp = c.box(x, 345, 32, 28, char, kind="data", size=13)
        h = c.box(x, 265, 40, 34, rf"$\mathbf{{h}}_{{{k + 1}}}$", kind="state", size=13)
        c.arrow(inp.top, h.bottom)
        hs.append(h)
    for a, b in zip(hs, hs[1:], strict=False):
        c.arrow(a.right, b.left, color=STATE, both=True, head=5, lw=1.2)
    c.group(15, 235, 485, 372, "bidirectional GRU encoder", label_at="below left")
    ctx = c.circle(470, 110, 20, r"$\Sigma$", size=15)
    for h, alpha in zip(hs, ALPHA, strict=True):
        c.path([h.top, ctx.bottom], color=KINDS["op"][1], lw=0.6 + 9 * alpha, arrow=False)
    c.text(30, 115, r"$\alpha_{tj} = \mathrm{softmax}_j"
           r"(\mathbf{s}_t^\top W_a \mathbf{h}_j)$", size=13, ha="left")
    c.text(30, 142, "line width: weight", size=11, ha="left", color="#4b5563")
    cat = c.box(660, 110, 110, 36, r"$[\mathbf{s}_t; \mathbf{c}_t]$", kind="state",
                size=13)
    c.arrow(ctx.right, cat.left)
    c.text(550, 96, r"context $\mathbf{c}_t$", size=12)
    s = c.box(660, 210, 56, 36, r"$\mathbf{s}_t$", kind="state", size=14)
    c.arrow(s.top, cat.bottom, color=STATE)
    c.path([s.left, ctx.at(0.75, 0.75)], color=STATE, dashed=True, lw=1.3)
    c.text(555, 185, "query", size=11, color=STATE)
    prev = c.box(660, 320, 70, 28, r"$y_{t-1}$", kind="data", size=12)
    c.arrow(prev.top, s.bottom)
    c.text(672, 268, "decoder GRU", size=11, color="#4b5563", ha="left")
    out = c.box(660, 30, 130, 32, r"next character $y_t$", kind="data", size=12)
    c.arrow(cat.top, out.bottom)
    c.text(672, 70, "linear + softmax", size=11, color="#4b5563", ha="left")
    return c
