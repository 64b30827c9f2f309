"""Why the reparameterisation trick: the gradient cannot pass a sampling step."""

from diagrams.draw import GRADIENT, MUTED, Canvas

NOTEBOOK = "chapters/06_vae/02_vae.ipynb"
AFTER = "### 5.5 Why do we need the reparameterisation?"
ALT = "Left: z sampled from N(mu, sigma squared) blocks the gradient from reaching mu "
ALT += "and sigma. Right: z = mu + sigma times epsilon lets it flow to mu and sigma"
CAPTION = (
    "**The reparameterisation trick.** Forward passes are dark, gradients red. Left: "
    "when $z$ is drawn from $\\mathcal N(\\mu, \\sigma^2)$ by a sampling operation, "
    "the gradient of the loss reaches $z$ but stops there; $\\mu$ and $\\sigma$, and "
    "so the encoder, learn nothing. Right: the same distribution written as "
    "$z = \\mu + \\sigma \\odot \\varepsilon$ is an ordinary sum and product, so the "
    "gradient flows on to $\\mu$ and $\\sigma$ "
    "($\\partial z / \\partial \\mu = 1$, $\\partial z / \\partial \\sigma = "
    "\\varepsilon$); the randomness $\\varepsilon$ is an input that needs no "
    "gradient."
)


def panel(c: Canvas, cx: float, reparameterised: bool) -> None:
    """One computation: mu and sigma at the bottom, z in the middle, f(z) on top."""
    loss = c.box(cx, 40, 90, 34, "$f(z)$", kind="loss", size=14)
    mu = c.box(cx - 80, 250, 50, 32, r"$\mu$", kind="state", size=14)
    sigma = c.box(cx + (0 if reparameterised else 80), 250, 50, 32, r"$\sigma$",
                  kind="state", size=14)
    if reparameterised:
        z = c.box(cx, 145, 130, 40, r"$z = \mu + \sigma \odot \varepsilon$", size=13)
        eps = c.box(cx + 90, 250, 80, 32, r"$\varepsilon \sim \mathcal{N}(0, I)$",
                    kind="noise", size=11)
        c.arrow(eps.top, z.at(0.7, 1), color=MUTED)
    else:
        z = c.box(cx, 145, 130, 40, r"$z \sim \mathcal{N}(\mu, \sigma^2)$", kind="noise",
                  size=13, dashed=True)
    for p, dx in [(mu, -0.6), (sigma, 0.0 if reparameterised else 0.6)]:
        c.arrow((p.cx - 8, p.top[1]), (z.at(dx, 1)[0] - 8, z.bottom[1]))
        if reparameterised:
            c.arrow((z.at(dx, 1)[0] + 8, z.bottom[1]), (p.cx + 8, p.top[1]), color=GRADIENT)
    if not reparameterised:
        c.text(cx, 205, "×", size=26, color=GRADIENT)
        c.text(cx, 300, "no gradient reaches $\\mu$ or $\\sigma$", size=12, color=GRADIENT)
    else:
        c.text(cx, 300, "gradients reach $\\mu$ and $\\sigma$", size=12, color=GRADIENT)
    c.arrow((cx - 8, z.top[1]), (cx - 8, loss.bottom[1]))
    c.arrow((cx + 8, loss.bottom[1]), (cx + 8, z.top[1]), color=GRADIENT)


def draw() -> Canvas:
    c = Canvas(760, 320)
    panel(c, 190, reparameterised=False)
    panel(c, 560, reparameterised=True)
    c.path([(380, 20), (380, 300)], color="#e5e7eb", lw=1.2, arrow=False)
    return c
