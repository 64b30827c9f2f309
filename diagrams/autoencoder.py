"""The autoencoder: encoder down to a 20-number code, decoder back up."""

from diagrams.draw import MUTED, Canvas

NOTEBOOK = "chapters/06_vae/01_autoencoder.ipynb"
AFTER = "## 2. An autoencoder"
ALT = "An image x of 784 pixels goes through an encoder to a code z of 20 numbers and "
ALT += "through a decoder back to 784 pixels; the loss compares the output with x"
CAPTION = (
    "**The autoencoder.** The encoder narrows 784 pixels to a code $z$ of 20 numbers, "
    "the decoder widens it back to 784. The only training signal is the comparison "
    "on the right, between the reconstruction $\\hat x$ and the input $x$ itself "
    "(dashed): no labels anywhere. The narrow waist is the point: the code cannot "
    "copy the image, so it has to keep what matters most for redrawing it."
)


def draw() -> Canvas:
    c = Canvas(760, 270)
    cy = 140
    x = c.box(50, cy, 34, 190, "$x$", kind="data", size=15)
    c.text(50, cy + 110, "784", size=11, color="#4b5563")
    enc = c.trapezoid(95, 265, cy, 190, 50, "encoder\n784 → 400 → 20", size=12)
    z = c.box(300, cy, 34, 50, "$z$", kind="state", size=15)
    c.text(300, cy + 40, "20", size=11, color="#4b5563")
    dec = c.trapezoid(335, 505, cy, 50, 190, "decoder\n20 → 400 → 784", size=12)
    xhat = c.box(550, cy, 34, 190, r"$\hat x$", kind="data", size=15)
    c.text(550, cy + 110, "784", size=11, color="#4b5563")
    loss = c.box(680, cy, 110, 50, r"$\|x - \hat x\|^2$", kind="loss", size=14)
    c.arrow(x.right, (enc.left[0], cy))
    c.arrow((enc.right[0], cy), z.left)
    c.arrow(z.right, (dec.left[0], cy))
    c.arrow((dec.right[0], cy), xhat.left)
    c.arrow(xhat.right, loss.left)
    c.path([x.top, (50, 22), (680, 22), loss.top], color=MUTED, dashed=True)
    return c
