"""Tests of the chapter 6 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from checks_helpers import chapter_tests
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch06, one_thread, torch_seed
from dlbook.data import load_mnist_arrays

# --- reference answers, as in the solutions, and correct answers in other styles -------


def count_expanded(D, H, Z):  # Multiplied out, as a NumPy integer.
    return np.int64(2 * D * H + 3 * H * Z + 2 * H + 2 * Z + D)


def reparameterize_sqrt(mu, logvar):
    """sqrt of the variance, eps drawn with randn and the shape of mu."""
    eps = torch.randn(mu.shape, dtype=mu.dtype, device=mu.device)
    return eps * logvar.exp().sqrt() + mu


def reparameterize_rsample(mu, logvar):
    """torch.distributions' rsample, which reparameterises itself."""
    return torch.distributions.Normal(mu, (logvar / 2).exp()).rsample()


def kl_per_image_summed(mu, logvar):  # Per image first, then over the batch; float32 inside.
    per_image = -0.5 * (1 + logvar - mu**2 - torch.exp(logvar)).float().sum(dim=1)
    return per_image.sum()


def kl_distributions(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum()


def vae_loss_by_hand(recon_x, x, mu, logvar):
    """The Bernoulli log-likelihood written out, x flattened with reshape."""
    x = x.reshape(x.shape[0], -1)
    log_p = x * torch.log(recon_x) + (1 - x) * torch.log1p(-recon_x)
    return -log_p.sum() + kl_per_image_summed(mu, logvar)


def vae_loss_module(recon_x, x, mu, logvar):  # nn.BCELoss as a module, x flattened with flatten(1).
    return nn.BCELoss(reduction="sum")(recon_x, x.flatten(1)) + kl_distributions(mu, logvar)


def make_decoder(latent_dim, hidden_dim=400, logits=False):
    layers = [nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 784)]
    return nn.Sequential(*layers, *([] if logits else [nn.Sigmoid()]))


class Decoder(nn.Module):
    """The output layer defined first, functions for the ReLU and the end."""

    def __init__(self, latent_dim, hidden_dim, between, end):
        super().__init__()
        self.out = nn.Linear(hidden_dim, 784)
        self.hidden = nn.Linear(latent_dim, hidden_dim)
        self.between, self.end = between, end

    def forward(self, z):
        return self.end(self.out(self.between(self.hidden(z))))


def maker(relu=F.relu, for_bce=torch.sigmoid, for_logits=lambda scores: scores):
    """A make_decoder of Decoders with ``relu`` between, ending in ``for_bce`` or ``for_logits``."""
    return lambda latent_dim, hidden_dim=400, logits=False: Decoder(
        latent_dim, hidden_dim, relu, for_logits if logits else for_bce)


class ClampDecoder(nn.Module):
    """clamp(min=0) for the ReLU, an if in forward, layers in a ModuleList."""

    def __init__(self, latent_dim, hidden_dim=400, logits=False):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(latent_dim, hidden_dim), nn.Linear(hidden_dim, 784)])
        self.logits = logits

    def forward(self, z):
        scores = self.layers[1](self.layers[0](z).clamp(min=0))
        return scores if self.logits else scores.sigmoid()


@torch.no_grad()
def generate_eye(decoder, digit, n, latent_dim, num_classes=10):
    """A row of the identity as one-hot, decoder.forward, reshape."""
    one_hot = torch.eye(num_classes)[digit].repeat(n, 1)
    z = torch.normal(0.0, 1.0, size=(n, latent_dim))
    return decoder.forward(torch.hstack([z, one_hot])).reshape(-1, 1, 28, 28)


def generate_scatter(decoder, digit, n, latent_dim, num_classes=10):
    """One-hot by indexing a zero tensor; detach instead of no_grad."""
    one_hot = torch.zeros(n, num_classes)
    one_hot[:, digit] = 1
    out = decoder(torch.cat((torch.randn(n, latent_dim), one_hot), -1))
    return out.detach().unflatten(1, (1, 28, 28))


class CopyingVAE(nn.Module):
    """A stand-in for a trained VAE: it returns its input, q equal to the prior."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        zeros = torch.zeros(len(x), 20)
        return x.view(-1, 784).clamp(0.001, 0.999), zeros, zeros


class SmallVAE(nn.Module):
    """A VAE with a linear encoder: 784 pixels to mu and logvar, 20 each."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Linear(784, 40)
        self.decoder = make_decoder(20)

    def forward(self, x):
        mu, logvar = self.encoder(x.view(-1, 784)).chunk(2, dim=1)
        return self.decoder(reparameterize_sqrt(mu, logvar)), mu, logvar


RIGHT = [
    (ch06.check_vae_param_count,
     lambda D, H, Z: (D + 1) * H + 2 * (H + 1) * Z + (Z + 1) * H + (H + 1) * D),
    (ch06.check_vae_param_count, count_expanded),
    (ch06.check_reparameterize, reparameterize_sqrt),
    (ch06.check_reparameterize, reparameterize_rsample),
    (ch06.check_kl_divergence, kl_per_image_summed),
    (ch06.check_kl_divergence, kl_distributions),
    (ch06.check_vae_loss, vae_loss_by_hand),
    (ch06.check_vae_loss, vae_loss_module),
    (ch06.check_make_decoder, make_decoder),
    (ch06.check_make_decoder, maker()),
    (ch06.check_make_decoder, ClampDecoder),
    (ch06.check_generate, generate_eye),
    (ch06.check_generate, generate_scatter),
    (ch06.check_know_nothing, 784 * math.log(2)),
    (ch06.check_know_nothing, torch.tensor(543.4)),
    (ch06.check_know_nothing, 543.4),
    (ch06.check_trained_vae, CopyingVAE()),
    (ch06.check_trained_vae, nn.Sequential(CopyingVAE())),  # inside a Sequential
]


CALLS = {
    "6.1": ch06.check_vae_param_count,
    "6.2": ch06.check_reparameterize,
    "6.3": ch06.check_kl_divergence,
    "6.4": ch06.check_vae_loss,
    "6.5": lambda between: ch06.check_make_decoder(maker(relu=between)),
    "6.5 end": lambda end: ch06.check_make_decoder(maker(for_bce=end)),
    "6.5 logits": lambda end: ch06.check_make_decoder(maker(for_logits=end)),
    "6.6": ch06.check_generate,
    "6.7": ch06.check_know_nothing,
}
JUNK_FOR = [*CALLS.values(), ch06.check_make_decoder, ch06.check_trained_vae]


@pytest.mark.parametrize("lr", [1e-2, 5e-3])
def test_vaes_trained_with_other_learning_rates_pass(lr, capsys):
    images, _ = load_mnist_arrays(train=True)
    with one_thread(), torch_seed(68):  # one pass over 8,000 images, as Exercise 6.8 trains
        vae = SmallVAE()
        optimizer = torch.optim.Adam(vae.parameters(), lr=lr)
        for x in torch.from_numpy(images[:8000]).float().div(255).split(100):
            recon_x, mu, logvar = vae(x)
            optimizer.zero_grad()
            vae_loss_module(recon_x, x, mu, logvar).backward()
            optimizer.step()
    ch06.check_trained_vae(vae)
    assert "passed" in capsys.readouterr().out


SECRETS = {"6.1": ["652,824", "652824"]}


def test_the_know_nothing_loss_is_what_the_cell_prints():
    x, recon_x = torch.rand(8, 1, 28, 28), torch.full((8, 784), 0.5)
    zeros = torch.zeros(8, 20)
    assert math.isclose(vae_loss_module(recon_x, x, zeros, zeros) / 8, ch06.KNOW_NOTHING,
                        rel_tol=1e-5)


def reseeding(mu, logvar):
    torch.manual_seed(0)
    return reparameterize_sqrt(mu, logvar)


def reseeding_generate(decoder, digit, n, latent_dim, num_classes=10):
    torch.manual_seed(0)
    return generate_eye(decoder, digit, n, latent_dim, num_classes)


def count_built(*sizes):
    """Builds a layer, which 6.1 asks not to do."""
    return sum(p.numel() for p in nn.Linear(sizes[0], sizes[1]).parameters())


def unflattened(latent, hidden_dim=400, logits=False):
    return nn.Sequential(make_decoder(latent, hidden_dim, logits), nn.Unflatten(1, (1, 28, 28)))


OTHERS = [
    (ch06.check_vae_param_count, (count_built,), "builds a layer"),
    (ch06.check_vae_param_count, (lambda *s: 1,), "is 1, which is too small"),
    (ch06.check_reparameterize, (lambda mu, lv: torch.normal(mu, (lv / 2).exp()),),
     "gets no gradient"),
    (ch06.check_reparameterize, (lambda mu, lv: reparameterize_sqrt(mu, lv).detach(),),
     "does not track"),
    (ch06.check_reparameterize, (reseeding,), "same z on every call"),
    (ch06.check_reparameterize, (lambda mu, lv: reparameterize_sqrt(mu, lv).float(),), "dtype"),
    (ch06.check_reparameterize, (lambda mu, lv: mu + 2 * torch.randn_like(mu),),
     "over 10,000 draws"),
    (ch06.check_kl_divergence, (lambda mu, lv: kl_distributions(mu, lv).item(),),
     "does not track"),
    (ch06.check_kl_divergence, (lambda mu, lv: kl_distributions(mu, lv.detach()),),
     "reach all its inputs"),
    (ch06.check_kl_divergence, (lambda mu, lv: mu.sum(),), "but should be"),
    (ch06.check_vae_loss, (lambda r, x, mu, lv: F.binary_cross_entropy(r, x, reduction="sum"),),
     "flatten x first"),
    (ch06.check_make_decoder, (lambda latent, hidden_dim=400, logits=False: make_decoder(
        latent, logits=logits),), "use the argument hidden_dim"),
    (ch06.check_make_decoder, (lambda *a, **k: nn.Sequential,), "should return a module"),
    (ch06.check_make_decoder, (unflattened,), "flat images"),
    (ch06.check_make_decoder, (maker(relu=torch.tanh),), "should come a ReLU"),
    (ch06.check_make_decoder, (lambda latent, hidden_dim=400: make_decoder(latent, hidden_dim),),
     "unexpected keyword argument 'logits'"),
    (ch06.check_generate, (lambda d, digit, n, latent, classes=10: None,),
     "should call the decoder"),
    (ch06.check_generate, (lambda *a, **k: generate_eye(*a, **k).view(-1, 784),),
     "(2000, 1, 28, 28)"),
    (ch06.check_generate, (reseeding_generate,), "same z on every call"),
    (ch06.check_know_nothing, (100,), "what does -log(1/2) cost"),
    (ch06.check_trained_vae, (SmallVAE(),), "how far should each step go"),
    (ch06.check_trained_vae, (nn.Linear(784, 2),), "raised RuntimeError"),
]
globals().update(chapter_tests(RIGHT, CALLS, ch06.MISTAKES, JUNK_FOR, OTHERS, SECRETS))
