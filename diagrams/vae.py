"""The VAE: Gaussian encoder, reparameterised sample, decoder, two loss terms."""

from diagrams.draw import MUTED, Canvas

NOTEBOOK = "chapters/06_vae/02_vae.ipynb"
AFTER = "## 5. The model"
ALT = "The VAE: x goes through the encoder to mu and log sigma squared; z = mu + sigma "
ALT += "times epsilon with epsilon from N(0, I); the decoder maps z to x hat; the loss "
ALT += "adds a reconstruction term and a KL term"
CAPTION = (
    "**The variational autoencoder.** Unlike the autoencoder, the encoder outputs a "
    "distribution, the mean $\\mu$ and log-variance $\\log\\sigma^2$ of "
    "$q_\\phi(z \\mid x)$, and the code is a sample from it, "
    "$z = \\mu + \\sigma \\odot \\varepsilon$, with the randomness $\\varepsilon$ "
    "coming in from outside (grey). Look at the two loss terms on top: the "
    "reconstruction term compares the decoder's pixel probabilities with $x$, and "
    "the KL term pulls each $q_\\phi(z \\mid x)$ towards the prior "
    "$\\mathcal N(0, I)$. Their sum is the negative ELBO."
)

CY = 200


def body(c: Canvas, x0: float = 40, label: str = "$x$",
         enc: str = "encoder\n784 → 400", dec: str = "decoder\n20 → 400 → 784") -> dict:
    """The encoder, the sample and the decoder; returns the main boxes by name."""
    x = c.box(x0, CY, 34, 180, label, kind="data", size=15)
    e = c.trapezoid(x0 + 40, x0 + 165, CY, 180, 110, enc, size=12)
    q = c.box(x0 + 215, CY, 62, 70, "", kind="state")
    c.text(q.cx, CY - 14, r"$\mu$", size=14)
    c.text(q.cx, CY + 14, r"$\log\sigma^2$", size=12)
    c.arrow(x.right, (e.left[0], CY))
    c.arrow((e.right[0], CY), q.left)
    rep = c.box(x0 + 335, CY, 130, 44, r"$z = \mu + \sigma \odot \varepsilon$", size=13)
    c.arrow(q.right, rep.left)
    eps = c.box(x0 + 335, CY + 85, 110, 32, r"$\varepsilon \sim \mathcal{N}(0, I)$",
                kind="noise", size=12)
    c.arrow(eps.top, rep.bottom, color=MUTED)
    z = c.box(x0 + 445, CY, 34, 54, "$z$", kind="state", size=15)
    c.arrow(rep.right, z.left)
    d = c.trapezoid(x0 + 480, x0 + 610, CY, 110, 180, dec, size=12)
    c.arrow(z.right, (d.left[0], CY))
    xhat = c.box(x0 + 650, CY, 34, 180, r"$\hat x$", kind="data", size=15)
    c.arrow((d.right[0], CY), xhat.left)
    return {"x": x, "q": q, "z": z, "xhat": xhat, "eps": eps}


def losses(c: Canvas, parts: dict) -> None:
    """The reconstruction and KL terms above the model."""
    kl = c.box(parts["q"].cx, 45, 190, 36,
               r"KL$(q_\phi(z \mid x)\, \|\, \mathcal{N}(0, I))$", kind="loss", size=12)
    c.arrow(parts["q"].top, kl.bottom)
    recon = c.box(parts["xhat"].cx - 40, 45, 190, 36, r"reconstruction: BCE$(\hat x, x)$",
                  kind="loss", size=12)
    c.arrow(parts["xhat"].top, (parts["xhat"].cx, recon.bottom[1]))
    c.text((kl.right[0] + recon.left[0]) / 2, 45, "$+$", size=20)
    x = parts["x"]
    c.path([x.top, (x.cx, 12), (recon.cx - 30, 12), (recon.cx - 30, recon.top[1])],
           color=MUTED, dashed=True)


def draw() -> Canvas:
    c = Canvas(760, 335)
    losses(c, body(c))
    return c
