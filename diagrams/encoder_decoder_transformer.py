"""The encoder-decoder transformer: where cross-attention joins the two stacks."""

from diagrams.draw import KINDS, Canvas

NOTEBOOK = "chapters/05_attention_transformers/05_encoder_decoder_transformer.ipynb"
AFTER = "## 2. The decoder block"
ALT = "Encoder: input characters, embedding and position, N pre-norm blocks of "
ALT += "self-attention with a padding mask and an MLP, LayerNorm, the memory. Decoder: "
ALT += "start symbol and shifted target, embedding and position, N pre-norm blocks of "
ALT += "causal self-attention, cross-attention fed by the memory, and an MLP, then "
ALT += "LayerNorm, a linear layer and the next character"
CAPTION = (
    "**The encoder-decoder transformer.** The encoder (left) turns the input "
    "characters into one vector per character, the *memory*, with pre-norm blocks of "
    "self-attention (padded positions masked) and an MLP. Each decoder block (right) "
    "has three sublayers, each with its residual connection (purple lines): causal "
    "self-attention over the characters written so far, cross-attention, and the "
    "MLP. Follow the line that leaves the memory: it enters the cross-attention of "
    "every decoder block as keys and values, while the queries come from the "
    "decoder's own positions; that is the only place where the two stacks meet. In "
    "training the decoder reads the start symbol and the target shifted right by one, "
    "and the causal mask keeps each position from seeing the character it must "
    "predict."
)

STATE = KINDS["state"][1]
LN_W, OP_W = 110, 200


def skip(c: Canvas, cx: float, y_from: float, plus, side: int) -> None:
    """A residual connection from (cx, y_from) around one side of a sublayer."""
    x = cx + side * 118
    end = plus.left if side < 0 else plus.right
    c.path([(cx, y_from), (x, y_from), (x, plus.cy), end], lw=2, color=STATE)


def sublayer(c: Canvas, cx: float, y: float, text: str, height: float = 40):
    """LayerNorm at y, the sublayer above it, then +; returns (sublayer box, +)."""
    ln = c.box(cx, y, LN_W, 26, "LayerNorm", kind="plain", size=11)
    op = c.box(cx, y - 33 - height / 2, OP_W, height, text, kind="op", size=11)
    add = c.circle(cx, op.cy - height / 2 - 31, 11, "+", size=13)
    c.arrow(ln.top, op.bottom)
    c.arrow(op.top, add.bottom)
    return op, add


def stack(c: Canvas, cx: float, sublayers: list[tuple[str, float]], side: int) -> list:
    """Pre-norm sublayers from y=600 up, each with its residual connection."""
    y, below, boxes = 600, None, []
    for text, height in sublayers:
        if below is not None:
            c.arrow(below.top, (cx, y + 13))
        op, add = sublayer(c, cx, y, text, height)
        skip(c, cx, y + 22 if below is None else below.cy - 21, add, side)
        boxes.append(op)
        below, y = add, add.cy - 44
    return boxes + [below]


def bottom(c: Canvas, cx: float, text: str):
    """The characters a stack reads and their embedding, up to the first LayerNorm."""
    chars = c.box(cx, 705, 270, 28, text, kind="data", size=11)
    emb = c.box(cx, 650, 200, 30, "embedding + position", kind="op", size=11)
    c.arrow(chars.top, emb.bottom)
    c.arrow(emb.top, (cx, 613))


def top(c: Canvas, cx: float, add, texts: list[tuple[str, str, float]]):
    """LayerNorm and what follows above the last +, bottom to top; returns the boxes."""
    below, boxes = add, []
    for text, kind, width in texts:
        h = 26 if text == "LayerNorm" else 30
        box = c.box(cx, below.top[1] - 20 - h / 2, width, h, text, kind=kind, size=11,
                    bold=text == "memory")
        c.arrow(below.top, box.bottom)
        below = box
        boxes.append(box)
    return boxes


def draw() -> Canvas:
    c = Canvas(820, 735)
    bottom(c, 200, "input characters (padded)")
    *_, add = stack(c, 200, [("self-attention\n(padding mask)", 40), ("MLP", 32)], -1)
    c.group(60, add.cy - 22, 320, 625, r"$\times N$", label_at="top right", size=13)
    _, memory = top(c, 200, add, [("LayerNorm", "plain", LN_W), ("memory", "state", 150)])
    bottom(c, 590, "start symbol ^ and the shifted target")
    _, cross, _, add = stack(c, 590, [("self-attention\n(causal mask)", 40),
                                      ("cross-attention\n(padding mask)", 40),
                                      ("MLP", 32)], +1)
    c.group(470, add.cy - 22, 730, 625, r"$\times N$", label_at="top right", size=13)
    *_, out = top(c, 590, add, [("LayerNorm", "plain", LN_W),
                                ("linear + softmax", "op", 160),
                                ("next character", "data", 200)])
    c.text(582, cross.bottom[1] + 10, "queries", size=10, color="#4b5563", ha="right")
    x_turn = (memory.right[0] + cross.left[0]) / 2
    c.path([memory.right, (x_turn, memory.cy), (x_turn, cross.cy), cross.left], lw=2.2,
           color=STATE)
    c.text(x_turn + 8, (memory.cy + cross.cy) / 2, "keys and\nvalues", size=10,
           color=STATE, ha="left")
    c.text(200, memory.cy - 45, "encoder", size=14, bold=True)
    c.text(590, out.cy - 45, "decoder", size=14, bold=True)
    return c
