"""The conditional VAE: the label joins the encoder's input and the decoder's input."""

from diagrams.draw import KINDS, MUTED, Canvas

NOTEBOOK = "chapters/06_vae/03_latent_space_and_cvae.ipynb"
AFTER = "## 2. One model for both: a VAE with an optional label"
ALT = "The conditional VAE: a one-hot label c is appended to the image x before the "
ALT += "encoder and to the code z before the decoder"
CAPTION = (
    "**The conditional VAE.** It is the VAE of notebook 6.2 plus the pink label $c$, "
    "a one-hot vector of 10 numbers, appended in two places: to the image before the "
    "encoder, giving $q_\\phi(z \\mid x, c)$, and to the code before the decoder, "
    "giving $p_\\theta(x \\mid z, c)$ ($d$ is the size of the code: 2 in section 4). "
    "Since the decoder is always told the digit, "
    "the code is free to describe everything else: slant, width, thickness. To draw a "
    "chosen digit, skip the encoder: take $z \\sim \\mathcal N(0, I)$ and decode it "
    "with that digit's $c$."
)

CY = 140
PINK = KINDS["label"]


def stacked(c: Canvas, x: float, h: float, label: str, kind: str):
    """A vector with the label c appended below it; returns (vector box, label box)."""
    v = c.box(x, CY, 34, h, label, kind=kind, size=15)
    lab = c.box(x, CY + h / 2 + 14, 34, 26, "$c$", kind="label", size=13, radius=3)
    return v, lab


def draw() -> Canvas:
    c = Canvas(760, 330)
    x, cx = stacked(c, 45, 160, "$x$", "data")
    e = c.trapezoid(90, 215, CY + 12, 186, 110, "encoder\n784 + 10\n→ 400", size=12)
    c.arrow((x.right[0], CY + 12), (e.left[0], CY + 12))
    q = c.box(265, CY + 12, 62, 70, "", kind="state")
    c.text(q.cx, q.cy - 14, r"$\mu$", size=14)
    c.text(q.cx, q.cy + 14, r"$\log\sigma^2$", size=12)
    c.arrow((e.right[0], q.cy), q.left)
    rep = c.box(385, CY + 12, 130, 44, r"$z = \mu + \sigma \odot \varepsilon$", size=13)
    c.arrow(q.right, rep.left)
    eps = c.box(385, 45, 110, 32, r"$\varepsilon \sim \mathcal{N}(0, I)$", kind="noise",
                size=12)
    c.arrow(eps.bottom, rep.top, color=MUTED)
    z, cz = stacked(c, 495, 54, "$z$", "state")
    c.arrow(rep.right, (z.left[0], rep.cy))
    d = c.trapezoid(535, 660, CY + 12, 110, 186, "decoder\n$d$ + 10\n→ 400 → 784",
                    size=12)
    c.arrow((z.right[0], CY + 12), (d.left[0], CY + 12))
    xhat = c.box(705, CY + 12, 34, 186, r"$\hat x$", kind="data", size=15)
    c.arrow((d.right[0], CY + 12), xhat.left)
    label = c.box(270, 295, 170, 30, "$c$: one-hot label, 10", kind="label", size=12)
    c.path([label.left, (cx.cx, label.cy), cx.bottom], color=PINK[1])
    c.path([label.right, (cz.cx, label.cy), cz.bottom], color=PINK[1])
    return c
