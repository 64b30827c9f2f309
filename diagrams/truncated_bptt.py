"""Truncated BPTT: the state crosses chunk boundaries, the gradient does not."""

from diagrams.draw import GRADIENT, KINDS, Canvas

NOTEBOOK = "chapters/04_rnn/02_sequence_classification.ipynb"
AFTER = "### 2.4 Training with truncated BPTT"
ALT = "A text read in three chunks of three characters; the hidden state flows across "
ALT += "the chunk boundaries, while the red gradient arrows stop at each boundary"
CAPTION = (
    "**Truncated backpropagation through time.** The text is read in chunks (here of "
    "4 characters; 64 in the notebook). The purple hidden state flows across every "
    "boundary, so the model keeps remembering the text before the chunk. The red "
    "gradients stay inside their chunk: at each boundary `detach()` keeps the state's "
    "value but cuts the graph behind it (dashed), so each chunk's `backward()` stops "
    "there and costs the same, however long the text."
)

STATE = KINDS["state"][1]
TEXT = "a cat sat"
GAP, CHUNK = 66, 3
X0, ROW = 75, 135


def draw() -> Canvas:
    c = Canvas(760, 270)
    xs = [X0 + k * GAP + (k // CHUNK) * 44 for k in range(len(TEXT))]
    cells = []
    for k, (cx, char) in enumerate(zip(xs, TEXT, strict=True)):
        cell = c.box(cx, ROW, 36, 34, kind="op")
        shown = "␣" if char == " " else char
        x = c.box(cx, 215, 26, 26, shown, kind="data", size=13)
        c.arrow(x.top, cell.bottom, lw=1.2, head=7)
        loss = c.box(cx, 60, 30, 24, "$L$", kind="loss", radius=4, size=11)
        c.arrow((cx - 5, cell.top[1]), (cx - 5, loss.bottom[1]), lw=1.2, head=7)
        c.arrow((cx + 5, loss.bottom[1]), (cx + 5, cell.top[1]), lw=1.2, head=7,
                color=GRADIENT)
        cells.append(cell)
        if k % CHUNK == 0:
            left = cx - 34
            right = xs[k + CHUNK - 1] + 34
            c.group(left, 28, right, 245, f"chunk {k // CHUNK + 1}: one backward()",
                    size=10, label_at="top left")
    c.text(X0 - 45, ROW - 22, r"$h_0$", color=STATE, size=12)
    c.arrow((X0 - 55, ROW - 8), (cells[0].left[0], ROW - 8), color=STATE, lw=1.3, head=7)
    for k, (a, b) in enumerate(zip(cells, cells[1:], strict=False)):
        boundary = (k + 1) % CHUNK == 0
        c.arrow((a.right[0], ROW - 8), (b.left[0], ROW - 8), color=STATE, lw=1.3,
                head=7, dashed=boundary)
        if boundary:
            mid = (a.right[0] + b.left[0]) / 2
            c.text(mid, ROW - 48, "detach()", size=10, color="#6b7280", rotation=90)
            c.path([(b.left[0], ROW + 8), (mid + 6, ROW + 8)], color=GRADIENT, lw=1.3,
                   arrow=False)
            c.path([(mid + 6, ROW + 1), (mid + 6, ROW + 15)], color=GRADIENT, lw=2.5,
                   arrow=False)
        else:
            c.arrow((b.left[0], ROW + 8), (a.right[0], ROW + 8), color=GRADIENT, lw=1.3,
                    head=7)
    return c
