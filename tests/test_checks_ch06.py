"""Tests of the chapter 6 checkers: right answers pass, wrong ones are explained."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from checks_helpers import (
    COMMON_JUNK,
    WrongLayers,
    failure,
    raises_not_implemented,
    raises_value_error,
    returning,
)
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch06

# --- reference answers ----------------------------------------------------------------


def vae_param_count(input_dim, hidden_dim, latent_dim):
    """Reference: the five layers' weights and biases, by formula."""

    def linear(n_in, n_out):
        return n_in * n_out + n_out

    encoder = linear(input_dim, hidden_dim) + 2 * linear(hidden_dim, latent_dim)
    decoder = linear(latent_dim, hidden_dim) + linear(hidden_dim, input_dim)
    return encoder + decoder


def reparameterize(mu, logvar):
    """Reference: z = mu + std * eps with eps ~ N(0, I)."""
    std = torch.exp(0.5 * logvar)
    eps = torch.randn_like(std)
    return mu + eps * std


def kl_divergence(mu, logvar):
    """Reference: the analytic KL to N(0, I), summed over dimensions and batch."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def vae_loss(recon_x, x, mu, logvar):
    """Reference: BCE summed over pixels and images, plus the KL term."""
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    return bce + kl_divergence(mu, logvar)


def make_decoder(latent_dim, hidden_dim=400):
    """Reference: latent -> hidden -> 784 with a ReLU between and a sigmoid on top."""
    return nn.Sequential(
        nn.Linear(latent_dim, hidden_dim),
        nn.ReLU(),
        nn.Linear(hidden_dim, 784),
        nn.Sigmoid(),
    )


def generate(decoder, digit, n, latent_dim, num_classes=10):
    """Reference: decode [z, one_hot(digit)] for n draws z ~ N(0, I)."""
    device = next(decoder.parameters()).device
    with torch.no_grad():
        z = torch.randn(n, latent_dim, device=device)
        labels = torch.full((n,), digit, device=device)
        one_hot = F.one_hot(labels, num_classes).float()  # (n, num_classes)
        x = decoder(torch.cat([z, one_hot], dim=1))  # (n, 784)
    return x.view(n, 1, 28, 28)


# --- right answers pass ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "answer"),
    [
        (ch06.check_vae_param_count, vae_param_count),
        (ch06.check_reparameterize, reparameterize),
        (ch06.check_kl_divergence, kl_divergence),
        (ch06.check_vae_loss, vae_loss),
        (ch06.check_make_decoder, make_decoder),
        (ch06.check_generate, generate),
    ],
)
def test_reference_answers_pass(checker, answer, capsys):
    checker(answer)
    assert re.match(r"\N{CHECK MARK} Exercise 6\.\d passed\.", capsys.readouterr().out)


def count_by_modules(input_dim, hidden_dim, latent_dim):
    """Another right answer: build the layers and count, returned as a tensor."""
    layers = [
        nn.Linear(input_dim, hidden_dim),
        nn.Linear(hidden_dim, latent_dim),
        nn.Linear(hidden_dim, latent_dim),
        nn.Linear(latent_dim, hidden_dim),
        nn.Linear(hidden_dim, input_dim),
    ]
    return torch.tensor(sum(p.numel() for m in layers for p in m.parameters()))


def reparameterize_rsample(mu, logvar):
    """Another right answer: torch.distributions' reparameterised sample."""
    return torch.distributions.Normal(mu, torch.exp(logvar / 2)).rsample()


def kl_by_rows(mu, logvar):
    """Another right answer: per-row sums, then their sum."""
    var = logvar.exp()
    return (0.5 * (var + mu**2 - 1 - logvar)).sum(dim=1).sum()


def vae_loss_with_module(recon_x, x, mu, logvar):
    """Another right answer: nn.BCELoss and the reference KL."""
    bce = nn.BCELoss(reduction="sum")(recon_x, x.flatten(1))
    return bce + kl_divergence(mu, logvar)


class Decoder(nn.Module):
    """Another right answer: a class with named layers, as in the seed."""

    def __init__(self, latent_dim, hidden_dim=400):
        super().__init__()
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))


def generate_in_a_loop(decoder, digit, n, latent_dim, num_classes=10):
    """Another right answer: one image at a time, labels by indexing an identity."""
    decoder.eval()
    images = []
    with torch.no_grad():
        for _ in range(n):
            z = torch.randn(1, latent_dim)
            condition = torch.eye(num_classes)[[digit]]  # (1, num_classes)
            images.append(decoder(torch.cat([z, condition], dim=1)).view(1, 1, 28, 28))
    return torch.cat(images)


def generate_inference_mode(decoder, digit, n, latent_dim, num_classes=10):
    """Another right answer: inference mode, a one-hot row from an identity matrix."""
    with torch.inference_mode():
        one_hot = torch.eye(num_classes)[digit].repeat(n, 1)  # (n, num_classes)
        x = decoder(torch.cat([torch.randn(n, latent_dim), one_hot], dim=1))
    return x.reshape(-1, 1, 28, 28)


def make_tanh_decoder(latent_dim, hidden_dim=400):
    """Another right answer: a tanh between the layers, lazy first layer."""
    return nn.Sequential(
        nn.LazyLinear(hidden_dim), nn.Tanh(), nn.Linear(hidden_dim, 784), nn.Sigmoid()
    )


def test_other_right_answers_pass():
    ch06.check_vae_param_count(count_by_modules)
    ch06.check_vae_param_count(lambda i, h, d: float(vae_param_count(i, h, d)))
    ch06.check_reparameterize(reparameterize_rsample)
    ch06.check_kl_divergence(kl_by_rows)
    ch06.check_vae_loss(vae_loss_with_module)
    ch06.check_make_decoder(Decoder)
    ch06.check_make_decoder(make_tanh_decoder)
    ch06.check_generate(generate_in_a_loop)
    ch06.check_generate(generate_inference_mode)


def test_checkers_leave_the_random_state_alone():
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()[1]
    ch06.check_reparameterize(reparameterize)
    ch06.check_kl_divergence(kl_divergence)
    ch06.check_make_decoder(make_decoder)
    ch06.check_generate(generate)
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(numpy_state, np.random.get_state()[1])


# --- Exercise 6.1: the count is never revealed ----------------------------------------

SEED_COUNT = vae_param_count(784, 400, 20)


def weights_only(i, h, d):
    """Wrong: no biases."""
    return i * h + 2 * h * d + d * h + h * i


def one_head(i, h, d):
    """Wrong: forgets fc22, the log-variance head."""
    return vae_param_count(i, h, d) - (h * d + d)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (weights_only, "leaves out the biases: each layer also has one bias"),
        (one_head, "counts only one of the encoder's two heads"),
        (lambda i, h, d: weights_only(i, h, d) - h * d, "the encoder's second head"),
        (lambda i, h, d: weights_only(i, h, d) + i + 3 * h + d, "one bias per inp"),
        (lambda i, h, d: i * h + h + 2 * (h * d + d), "counts only the encoder"),
        (lambda i, h, d: d * h + h + h * i + i, "counts only the decoder"),
        (returning(SEED_COUNT), "gives the same count as for the seed's sizes"),
        (lambda i, h, d: vae_param_count(i, h, d) + 1, "which is not right"),
        (lambda i, h, d: vae_param_count(i, h, d) + 0.5, "is not a whole number"),
        (lambda i, h, d: str(SEED_COUNT), "should be a number but is a str"),
        (lambda i, h: 0, "raised TypeError"),
    ],
)
def test_vae_param_count_wrong(fn, phrase):
    message = failure(ch06.check_vae_param_count, fn)
    assert phrase in message
    for count in (
        SEED_COUNT,
        vae_param_count(784, 400, 2),
        vae_param_count(100, 32, 5),
    ):
        assert str(count) not in message.replace(",", "")


# --- Exercise 6.2 ---------------------------------------------------------------------


def reparameterize_with(std_of=None, noise=torch.randn_like):
    """A reparameterisation built like the reference, with one thing changed."""

    def fn(mu, logvar):
        std = torch.exp(0.5 * logvar) if std_of is None else std_of(logvar)
        return mu + std * noise(std)

    return fn


def reparameterize_normal(mu, logvar):
    """Wrong: samples directly, which gives zero gradients."""
    return torch.normal(mu, torch.exp(0.5 * logvar))


def reparameterize_sample(mu, logvar):
    """Wrong: a sample that autograd does not follow."""
    return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()


def reparameterize_one_eps(mu, logvar):
    """Wrong: one noise vector shared by every row."""
    return mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape[-1], dtype=mu.dtype)


def reparameterize_reseeded(mu, logvar):
    """Wrong: reseeds, so every call gives the same z."""
    torch.manual_seed(0)
    return reparameterize(mu, logvar)


def reparameterize_detached_std(mu, logvar):
    """Wrong: cuts the gradient to logvar."""
    return mu + torch.exp(0.5 * logvar).detach() * torch.randn_like(mu)


def reparameterize_detached(mu, logvar):
    """Wrong: cuts the whole graph."""
    return reparameterize(mu, logvar).detach()


def reparameterize_in_place(mu, logvar):
    """Wrong: changes logvar (once it does not track gradients)."""
    with torch.no_grad():
        logvar.mul_(0.5)
    return mu + logvar.exp() * torch.randn_like(mu)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda mu, logvar: mu, "returns mu only"),
        (lambda mu, logvar: mu * 1.0, "returns mu only"),
        (reparameterize_with(torch.exp), "by exp(logvar), the variance"),
        (reparameterize_with(lambda lv: torch.exp(-0.5 * lv)), "one over the stand"),
        (reparameterize_with(torch.ones_like), "ignores logvar"),
        (reparameterize_with(torch.abs), "uses logvar itself as the standard"),
        (reparameterize_with(noise=torch.rand_like), "z is never below mu"),
        (
            reparameterize_with(noise=lambda s: torch.rand_like(s) - 0.5),
            "draws uniform noise",
        ),
        (reparameterize_with(noise=lambda s: torch.randn_like(s) + 1), "has mean"),
        (
            reparameterize_with(noise=lambda s: 0.7 * torch.randn_like(s)),
            "of z has standard deviation",
        ),
        (reparameterize_normal, "mu gets a zero gradient, as when z is drawn direct"),
        (reparameterize_sample, "z does not track gradients"),
        (reparameterize_detached, "z does not track gradients"),
        (reparameterize_detached_std, "z does not depend on logvar through autograd"),
        (reparameterize_one_eps, "every row of z has the same noise"),
        (reparameterize_reseeded, "gives the same z on every call"),
        (reparameterize_in_place, "changed its argument logvar in place"),
        (lambda mu, logvar: reparameterize(mu, logvar).float(), "has dtype torch.f"),
        (lambda mu, logvar: reparameterize(mu, logvar)[0], "has shape (3,)"),
        (lambda mu, logvar: reparameterize(mu, logvar).tolist(), "should be a tensor"),
    ],
)
def test_reparameterize_wrong(fn, phrase):
    assert phrase in failure(ch06.check_reparameterize, fn)


def test_reparameterize_stub():
    def reparameterize(mu, logvar):
        raise NotImplementedError("Exercise 6.2: The reparameterisation trick")

    message = failure(ch06.check_reparameterize, reparameterize)
    assert message == (
        "Exercise 6.2: reparameterize still raises NotImplementedError: replace the "
        "stub with your code."
    )


# --- Exercise 6.3 ---------------------------------------------------------------------


def kl_in_place(mu, logvar):
    """Wrong: squares mu in place (on a copy that hides it from autograd)."""
    with torch.no_grad():
        mu.pow_(2)
    return -0.5 * torch.sum(1 + logvar - mu - logvar.exp())


def kl_detached_var(mu, logvar):
    """Wrong: the right value, but no gradient through exp(logvar)."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp().detach())


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda mu, lv: -kl_divergence(mu, lv), "has the wrong sign"),
        (lambda mu, lv: 2 * kl_divergence(mu, lv), "is twice the right value"),
        (lambda mu, lv: kl_divergence(mu, lv) / 2, "is half the right value"),
        (lambda mu, lv: kl_divergence(mu, lv) / len(mu), "averages over the batch"),
        (lambda mu, lv: kl_divergence(mu, lv) / mu.numel(), "mean over all entries"),
        (
            lambda mu, lv: -0.5 * torch.sum(lv - mu.pow(2) - lv.exp()),
            "leaves out the 1 inside the sum",
        ),
        (
            lambda mu, lv: -0.5 * torch.sum(1 + lv + mu.pow(2) - lv.exp()),
            "adds mu^2 inside the sum",
        ),
        (
            lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - (lv / 2).exp()),
            "uses exp(0.5 * logvar), the standard deviation",
        ),
        (
            lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=1),
            "one value per image: sum over the batch as well",
        ),
        (
            lambda mu, lv: -0.5 * (1 + lv - mu.pow(2) - lv.exp()),
            "one value per entry",
        ),
        (
            lambda mu, lv: -0.5 * torch.sum(1 + lv - mu.pow(2) - lv.exp(), dim=0),
            "one value per latent dimension",
        ),
        (lambda mu, lv: kl_divergence(mu, lv).item(), "should be a tensor but is a fl"),
        (lambda mu, lv: kl_divergence(mu, lv).detach(), "does not track gradients"),
        (lambda mu, lv: kl_divergence(mu, lv).float(), "has dtype torch.float32"),
        (lambda mu, lv: kl_divergence(mu, lv) + 1e-3, "this tensor has the right sh"),
        (kl_in_place, "changed its argument mu in place"),
        (kl_detached_var, "the gradient of kl_divergence(mu, logvar) for mu of shape"),
    ],
)
def test_kl_divergence_wrong(fn, phrase):
    assert phrase in failure(ch06.check_kl_divergence, fn)


# --- Exercise 6.4 ---------------------------------------------------------------------


def loss_with(bce=None, kl_factor=1.0, divide=1):
    """A VAE loss built like the reference, with one thing changed."""

    def fn(recon_x, x, mu, logvar):
        flat = x.view(-1, 784)
        rec = (
            F.binary_cross_entropy(recon_x, flat, reduction="sum")
            if bce is None
            else bce(recon_x, flat)
        )
        return (rec + kl_factor * kl_divergence(mu, logvar)) / divide

    return fn


def loss_unflattened(recon_x, x, mu, logvar):
    """Wrong: compares (N, 784) with (N, 1, 28, 28)."""
    return F.binary_cross_entropy(recon_x, x, reduction="sum") + kl_divergence(
        mu, logvar
    )


def loss_detached_kl(recon_x, x, mu, logvar):
    """Wrong: the right value, but the KL term does not train the encoder."""
    return (
        F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        + kl_divergence(mu, logvar).detach()
    )


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (loss_with(kl_factor=0.0), "leaves out the KL term"),
        (loss_with(kl_factor=-1.0), "subtracts the KL term"),
        (loss_with(kl_factor=2.0), "a KL term twice too large"),
        (loss_with(bce=lambda r, x: 0.0 * r.sum()), "leaves out the reconstruction"),
        (loss_with(bce=F.binary_cross_entropy), "averages the binary cross-entropy"),
        (loss_with(divide=4), "divides by the batch size"),
        (
            loss_with(bce=lambda r, x: F.binary_cross_entropy(x, r, reduction="sum")),
            "swaps the arguments",
        ),
        (
            loss_with(bce=lambda r, x: F.mse_loss(r, x, reduction="sum")),
            "uses the squared error",
        ),
        (
            loss_with(bce=lambda r, x: F.binary_cross_entropy(r, x, reduction="none")),
            "has shape (4, 784), one value per pixel",
        ),
        (loss_unflattened, "flatten x first, with x.view(-1, 784)"),
        (
            lambda r, x, mu, lv: (
                F.binary_cross_entropy(r, x.view(-1, 784), reduction="none").sum(1)
                + kl_divergence(mu, lv)
            ),
            "one loss per image",
        ),
        (lambda *args: vae_loss(*args).item(), "should be a tensor but is a float"),
        (lambda *args: vae_loss(*args).detach(), "does not track gradients"),
        (lambda *args: vae_loss(*args).double(), "has dtype torch.float64"),
        (lambda *args: vae_loss(*args) + 1.0, "this tensor has the right shape"),
        (loss_detached_kl, "does not depend on mu through autograd"),
    ],
)
def test_vae_loss_wrong(fn, phrase):
    assert phrase in failure(ch06.check_vae_loss, fn)


# --- Exercise 6.5 ---------------------------------------------------------------------


def decoder_with(layers_of):
    """make_decoder returning nn.Sequential of the layers that ``layers_of`` builds."""

    def fn(latent_dim, hidden_dim=400):
        return nn.Sequential(*layers_of(latent_dim, hidden_dim))

    return fn


class Unflattening(Decoder):
    """Wrong: returns images instead of flat vectors."""

    def forward(self, z):
        return super().forward(z).view(-1, 1, 28, 28)


class Detached(Decoder):
    """Wrong: cuts the graph between the layers."""

    def forward(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)).detach()))


class ForwardStub(Decoder):
    """A student who wrote __init__ but not yet forward."""

    def forward(self, z):
        raise NotImplementedError("Exercise 6.5: A decoder for a given latent size")


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (
            decoder_with(
                lambda d, h: [nn.Linear(d, h), nn.Linear(h, 784), nn.Sigmoid()]
            ),
            "has no non-linearity between its two linear layers",
        ),
        (
            decoder_with(lambda d, h: [nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 784)]),
            "end with a sigmoid",
        ),
        (
            decoder_with(
                lambda d, h: [nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 784), nn.ReLU()]
            ),
            "end with a sigmoid",
        ),
        (
            decoder_with(
                lambda d, h: [
                    nn.Linear(d, h),
                    nn.ReLU(),
                    nn.Linear(h, 784),
                    nn.Softmax(1),
                ]
            ),
            "as a softmax gives",
        ),
        (
            decoder_with(
                lambda d, h: [
                    nn.Linear(d, h),
                    nn.ReLU(),
                    nn.Linear(h, 784),
                    nn.Hardtanh(0.0, 1.0),
                ]
            ),
            "exactly 0 or 1",
        ),
        (
            decoder_with(
                lambda d, h: [
                    nn.Linear(20, h),
                    nn.ReLU(),
                    nn.Linear(h, 784),
                    nn.Sigmoid(),
                ]
            ),
            "make_decoder(2) takes 20 inputs but z has latent_dim = 2",
        ),
        (
            lambda d, hidden_dim=400: make_decoder(d),
            "has 400 units but should have hidden_dim = 64: use the argument",
        ),
        (
            decoder_with(lambda d, h: [nn.Linear(d, h), nn.ReLU(), nn.Linear(h, 28)]),
            "has 28 outputs but should have one per pixel, 784",
        ),
        (
            decoder_with(
                lambda d, h: [
                    nn.Linear(d, h),
                    nn.ReLU(),
                    nn.Linear(400, 784),
                    nn.Sigmoid(),
                ]
            ),
            "takes 400 inputs but the hidden layer has 64 units",
        ),
        (
            decoder_with(
                lambda d, h: [
                    nn.Linear(d, h),
                    nn.ReLU(),
                    nn.Linear(h, h),
                    nn.ReLU(),
                    nn.Linear(h, 784),
                ]
            ),
            "has 3 nn.Linear layers but should have two",
        ),
        (decoder_with(lambda d, h: [nn.ReLU()]), "has no nn.Linear layer"),
        (Unflattening, "returned images of shape (24, 1, 28, 28)"),
        (Detached, "the parameter fc3.weight of the decoder built by make_decoder(20)"),
        (ForwardStub, "forward still raises NotImplementedError"),
        (lambda d, hidden_dim=400: Decoder, "returned a class"),
        (
            lambda d, hidden_dim=400: "decoder",
            "should return an nn.Module but returned",
        ),
        (
            lambda d, hidden_dim=400: make_decoder(d).double(),
            "0.weight of make_decoder(20) has dtype",
        ),
        (lambda d: make_decoder(d), "got an unexpected keyword argument 'hidden_dim'"),
    ],
)
def test_make_decoder_wrong(fn, phrase):
    assert phrase in failure(ch06.check_make_decoder, fn)


# --- Exercise 6.6 ---------------------------------------------------------------------


def generate_with(z_of=None, condition_of=None, order="z first", reshape=None):
    """A generator built like the reference, with one thing changed."""

    def fn(decoder, digit, n, latent_dim, num_classes=10):
        with torch.no_grad():
            z = torch.randn(n, latent_dim) if z_of is None else z_of(n, latent_dim)
            one_hot = (
                F.one_hot(torch.full((n,), digit), num_classes).float()
                if condition_of is None
                else condition_of(digit, n, num_classes)
            )
            parts = [z, one_hot] if order == "z first" else [one_hot, z]
            x = decoder(torch.cat(parts, dim=1))
        return x.view(n, 1, 28, 28) if reshape is None else reshape(x, n)

    return fn


def generate_with_grad(decoder, digit, n, latent_dim, num_classes=10):
    """Wrong: decodes outside torch.no_grad()."""
    one_hot = F.one_hot(torch.full((n,), digit), num_classes).float()
    x = decoder(torch.cat([torch.randn(n, latent_dim), one_hot], dim=1))
    return x.view(n, 1, 28, 28)


def generate_two_args(decoder, digit, n, latent_dim, num_classes=10):
    """Wrong: passes z and the condition separately."""
    one_hot = F.one_hot(torch.full((n,), digit), num_classes).float()
    return decoder(torch.randn(n, latent_dim), one_hot).view(n, 1, 28, 28)


def generate_reseeded(decoder, digit, n, latent_dim, num_classes=10):
    """Wrong: reseeds, so every call gives the same z."""
    torch.manual_seed(0)
    return generate(decoder, digit, n, latent_dim, num_classes)


def generate_without_decoder(decoder, digit, n, latent_dim, num_classes=10):
    """Wrong: never decodes."""
    return torch.rand(n, 1, 28, 28)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (generate_with(order="one-hot first"), "puts the one-hot vector before z"),
        (
            generate_with(condition_of=lambda d, n, c: torch.full((n, 1), float(d))),
            "passes the digit to the decoder as one number",
        ),
        (
            generate_with(condition_of=lambda d, n, c: torch.zeros(n, 0)),
            "passes the decoder only z",
        ),
        (
            generate_with(
                condition_of=lambda d, n, c: F.one_hot(torch.full((n,), d), 10).float()
            ),
            "a one-hot vector of length 10: use the argument num_classes",
        ),
        (
            generate_with(
                condition_of=lambda d, n, c: F.one_hot(
                    torch.full((n,), c - 1), c
                ).float()
            ),
            "marks class 9 in every row, but it should mark the requested digit, 7",
        ),
        (
            generate_with(condition_of=lambda d, n, c: torch.full((n, c), 0.1)),
            "should be the one-hot vector of the digit (a 1 at index 7",
        ),
        (
            generate_with(
                condition_of=lambda d, n, c: F.one_hot(torch.full((n,), d), c).double()
            ),
            "dtype torch.float64 but its weights are float32",
        ),
        (generate_with(z_of=torch.zeros), "passes the decoder a z of zeros"),
        (generate_with(z_of=torch.rand), "is never negative: torch.rand draws"),
        (
            generate_with(z_of=lambda n, d: torch.randn(1, d).expand(n, d)),
            "gives every image the same z",
        ),
        (
            generate_with(z_of=lambda n, d: 3 * torch.randn(n, d)),
            "the prior N(0, I) has mean 0 and standard deviation 1",
        ),
        (
            generate_with(z_of=lambda n, d: torch.randn(n - 1, d)),
            "Sizes of tensors must match",
        ),
        (
            generate_with(reshape=lambda x, n: x),
            "returned flat vectors of shape (2000, 784)",
        ),
        (
            generate_with(reshape=lambda x, n: x.view(n, 28, 28)),
            "without the channel axis",
        ),
        (
            generate_with(
                reshape=lambda x, n: x.view(n, 28, 28).transpose(1, 2)[:, None]
            ),
            "are not the decoder's outputs reshaped",
        ),
        (
            generate_with(reshape=lambda x, n: torch.sigmoid(x).view(n, 1, 28, 28)),
            "are not the decoder's outputs reshaped",
        ),
        (generate_with_grad, "still track gradients: generate them under torch.no_g"),
        (generate_two_args, "calls the decoder with 2 arguments"),
        (generate_reseeded, "gives the same z on every call"),
        (generate_without_decoder, "never calls the decoder"),
    ],
)
def test_generate_wrong(fn, phrase):
    assert phrase in failure(ch06.check_generate, fn)


# --- robustness: junk never crashes a checker -----------------------------------------


JUNK = [
    *COMMON_JUNK,
    True,
    np.zeros((3, 3), dtype=object),
    np.full((4, 784), np.nan),
    torch.zeros(3, 3, dtype=torch.bfloat16),
    torch.zeros(3, 3, device="meta"),
    torch.full((1,), float("nan")),
    torch.full((2000, 1, 28, 28), float("nan")),
    torch.zeros(5, 3, dtype=torch.float64),
    WrongLayers,
    WrongLayers(),
    nn.Module,
    nn.Linear,
]


@pytest.mark.parametrize(
    "junk", JUNK, ids=lambda j: getattr(j, "__name__", type(j).__name__)
)
def test_junk_only_ever_raises_check_failed(junk):
    for checker in [
        ch06.check_vae_param_count,
        ch06.check_reparameterize,
        ch06.check_kl_divergence,
        ch06.check_vae_loss,
        ch06.check_make_decoder,
        ch06.check_generate,
    ]:
        failure(checker, junk)
        failure(checker, returning(junk))
    failure(ch06.check_make_decoder, decoder_with(lambda d, h: [junk]))
    failure(ch06.check_make_decoder, returning(nn.Sequential(nn.Linear(20, 400))))
    failure(ch06.check_generate, lambda decoder, *args, **kwargs: decoder(junk))
    failure(
        ch06.check_generate,
        lambda decoder, digit, n, *args, **kwargs: decoder(torch.zeros(n, 18), junk),
    )


def test_stub_message_names_the_function():
    message = failure(ch06.check_kl_divergence, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch06.check_vae_loss, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
