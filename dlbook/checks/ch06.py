"""Checkers for the exercises of chapter 6: a variational autoencoder (see dlbook.checks).

Random answers (the reparameterisation, sampling from the prior) are judged by their
statistics over many draws and by their gradients; a mistake is named when, from the
same random numbers, it gives the same values. The parameter count is never given away.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlbook.checks import (
    CheckFailed,
    as_number,
    call,
    check_count,
    compare_arrays,
    describe,
    ensure,
    exercise_rng,
    gradients,
    gradients_reach,
    name_mistake,
    passed,
    relu,
    run_trained,
    same,
    torch_seed,
    trace,
)

N_PIXELS = 784  # one flattened MNIST image, 28 x 28


def _count(D: int, H: int, Z: int, layers: str = "12345", bias: str = "out") -> int:
    """Parameters of the layers fc1, fc21, fc22, fc3, fc4 (named 1 to 5) by formula."""
    sizes = dict(zip("12345", [(D, H), (H, Z), (H, Z), (Z, H), (H, D)], strict=True))
    extra = {"out": lambda n_in, n_out: n_out, "in": lambda n_in, n_out: n_in}
    return sum(n_in * n_out + extra.get(bias, lambda *_: 0)(n_in, n_out)
               for n_in, n_out in (sizes[key] for key in layers))


def _kl(mu: torch.Tensor, logvar: torch.Tensor, dims: tuple | None = (0, 1)) -> Any:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over ``dims`` (None: per entry)."""
    terms = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return terms if dims is None else terms.sum(dim=dims)


def _reparameterized(scale: Callable, noise: Callable = torch.randn_like) -> Callable:
    """z = mu + eps * scale(logvar), eps drawn by ``noise``: the usual mistakes."""
    return lambda mu, logvar: mu + noise(mu) * scale(logvar)


def _loss(recon_x, x, mu, logvar, kl=1.0, recon="bce", per_image=False):
    """The VAE loss; the keywords reproduce the usual mistakes."""
    flat = x.reshape(len(x), -1)
    terms = {
        "bce": lambda: F.binary_cross_entropy(recon_x, flat, reduction="none"),
        "swapped": lambda: F.binary_cross_entropy(flat, recon_x, reduction="none"),
        "mse": lambda: (recon_x - flat) ** 2,
        "none": lambda: torch.zeros_like(recon_x),
    }[recon]()
    if per_image:
        return terms.sum(1) + kl * _kl(mu, logvar, dims=(1,))
    return terms.sum() + kl * _kl(mu, logvar)


class StandInDecoder(nn.Module):
    """A fixed linear layer and a sigmoid that note what each call receives."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, N_PIXELS)
        self.received: list[Any] = []

    def forward(self, *args: Any) -> torch.Tensor:
        """Note the arguments; decode a well-formed input, else return grey images."""
        self.received.append([a.detach().clone() if torch.is_tensor(a) else a for a in args])
        x = args[0] if args else None
        ok = torch.is_tensor(x) and x.dim() == 2 and x.shape[1] == self.linear.in_features
        if ok and len(args) == 1 and x.dtype == torch.float32:
            return torch.sigmoid(self.linear(x))
        return torch.full((len(x) if torch.is_tensor(x) and x.dim() else 1, N_PIXELS), 0.5)


def _generating(z_of=torch.randn, code="one-hot", first="z", classes=None):
    """generate; the keywords reproduce the usual mistakes."""

    def generate(decoder, digit, n, latent_dim, num_classes=10):
        with torch.no_grad():
            z = z_of(n, latent_dim)
            labels = torch.full((n,), digit)
            one_hot = F.one_hot(labels, classes or num_classes).float()
            condition = {"one-hot": one_hot, "number": labels[:, None].float()}
            parts = [z] if code == "none" else [z, condition[code]]
            return decoder(torch.cat(parts[::-1] if first == "c" else parts, 1)).view(n, 1, 28, 28)

    return generate


#: Exercise 6.7: the loss per image of a decoder that gives every pixel 1/2.
KNOW_NOTHING = N_PIXELS * math.log(2)
#: Exercise 6.8: the negative ELBO per test image to get below, in nats.
GOOD_NATS = 180.0

MISTAKES = {
    "6.1": [(partial(_count, bias="none"),
             "the count leaves out the biases: each layer also has one per output."),
            (partial(_count, layers="1245"),
             "the count has only one of the encoder's two heads: fc21 (the mean) and fc22 "
             "(the log-variance) are separate layers of the same size."),
            (partial(_count, bias="in"),
             "the count has one bias per input of each layer, but there is one per output."),
            (partial(_count, layers="123"),
             "the count has only the encoder (fc1, fc21, fc22): add the decoder's fc3 and fc4."),
            (partial(_count, layers="45"),
             "the count has only the decoder (fc3, fc4): add the encoder's fc1, fc21 and fc22."),
            (lambda *sizes: _count(784, 400, 20),
             "the count is the same for every size: compute it from input_dim, hidden_dim and "
             "latent_dim, not from fixed numbers.")],
    "6.2": [(lambda mu, logvar: mu, "z is mu: add the noise, z = mu + std * eps."),
            (_reparameterized(torch.exp),
             "eps is multiplied by exp(logvar), the variance: the standard deviation is its "
             "square root, exp(0.5 * logvar)."),
            (_reparameterized(lambda logvar: torch.exp(-0.5 * logvar)),
             "eps is multiplied by exp(-0.5 * logvar), one over the standard deviation: use "
             "exp(0.5 * logvar)."),
            (_reparameterized(lambda logvar: 1),
             "z ignores logvar, so it always has standard deviation 1: multiply eps by std = "
             "exp(0.5 * logvar)."),
            (_reparameterized(lambda logvar: logvar),
             "eps is multiplied by logvar itself, the log of the variance: use std = "
             "exp(0.5 * logvar)."),
            (_reparameterized(lambda logvar: torch.exp(0.5 * logvar), torch.rand_like),
             "the noise is uniform: eps must come from the standard normal distribution, "
             "torch.randn_like(std), not torch.rand_like."),
            (_reparameterized(lambda logvar: torch.exp(0.5 * logvar),
                              lambda mu: torch.randn(mu.shape[1], dtype=mu.dtype)),
             "every row of z has the same noise: draw eps with the shape of mu "
             "(torch.randn_like(std)), one independent number per entry.")],
    "6.3": [(lambda mu, logvar: -_kl(mu, logvar),
             "the KL divergence has the wrong sign: it is never negative, -0.5 * "
             "sum(1 + logvar - mu^2 - exp(logvar))."),
            (lambda mu, logvar: 2 * _kl(mu, logvar),
             "the KL divergence is twice the right value: the sum is multiplied by -0.5, not "
             "by -1."),
            (lambda mu, logvar: _kl(mu, logvar) / len(mu),
             "the KL divergence is averaged over the batch: sum over the batch as well."),
            (lambda mu, logvar: _kl(mu, logvar) / mu.numel(),
             "the KL divergence is the mean over all entries: sum over the latent dimensions "
             "and the batch."),
            (lambda mu, logvar: _kl(mu, logvar) + 0.5 * mu.numel(),
             "the KL divergence leaves out the 1 inside the sum."),
            (lambda mu, logvar: _kl(mu, logvar) - torch.sum(mu**2),
             "the KL divergence adds mu^2 inside the sum, but it is subtracted."),
            (lambda mu, lv: _kl(mu, lv) - 0.5 * torch.sum(lv.exp() - (0.5 * lv).exp()),
             "the KL divergence uses exp(0.5 * logvar), the standard deviation, where the "
             "variance exp(logvar) belongs."),
            (lambda mu, logvar: _kl(mu, logvar, dims=None),
             "the KL divergence has one value per entry: sum them all into one number."),
            (lambda mu, logvar: _kl(mu, logvar, dims=(1,)),
             "the KL divergence has one value per image: sum over the batch as well.")],
    "6.4": [(partial(_loss, kl=0),
             "the loss leaves out the KL term: add kl_divergence(mu, logvar)."),
            (partial(_loss, kl=-1),
             "the loss subtracts the KL term: the loss to minimise, the negative ELBO, is BCE "
             "+ KL."),
            (partial(_loss, recon="none"),
             "the loss leaves out the reconstruction term, the binary cross-entropy."),
            (lambda r, x, mu, lv: F.binary_cross_entropy(r, x.reshape(len(x), -1)) + _kl(mu, lv),
             "the binary cross-entropy is averaged over pixels (reduction='mean'): sum it, "
             "with reduction='sum'."),
            (lambda *a: _loss(*a) / len(a[1]),
             "the loss is divided by the batch size: return the sum over the batch, and divide "
             "by N only to report a loss per image."),
            (partial(_loss, kl=2), "the KL term is twice too large: it is -0.5 * sum(...)."),
            (partial(_loss, recon="swapped"),
             "the arguments of the binary cross-entropy are swapped: the decoder's output "
             "recon_x comes first, the target x second."),
            (partial(_loss, recon="mse"),
             "the loss uses the squared error: a sigmoid decoder of Bernoulli pixels calls for "
             "the binary cross-entropy."),
            (partial(_loss, per_image=True),
             "the loss has one value per image: sum over the batch as well, into one number.")],
    # 6.5: what comes between the two linear layers, from the first one's output
    "6.5": [(lambda h: h,
             "the decoder has no non-linearity between its two linear layers, so together they "
             "act as one: put a ReLU between them.")],
    # 6.5 end: what a decoder for F.binary_cross_entropy returns, from the logits
    "6.5 end": [(lambda logits: logits,
                 "make_decoder(..., logits=False) returns the last linear layer's outputs, "
                 "which are not probabilities, as F.binary_cross_entropy wants: end with a "
                 "sigmoid.")],
    # 6.5 logits: what a decoder for F.binary_cross_entropy_with_logits returns
    "6.5 logits": [(torch.sigmoid,
                    "make_decoder(..., logits=True) ends with a sigmoid, but "
                    "F.binary_cross_entropy_with_logits applies one itself: return the last "
                    "linear layer's outputs as they are.")],
    "6.6": [(_generating(code="none"),
             "generate passes the decoder only z: append the one-hot vector of the digit, "
             "torch.cat([z, one_hot], dim=1)."),
            (_generating(code="number"),
             "generate passes the digit to the decoder as one number: encode it as a one-hot "
             "vector of length num_classes, with F.one_hot."),
            (_generating(first="c"),
             "generate puts the one-hot vector before z: the order is "
             "torch.cat([z, one_hot], dim=1)."),
            (_generating(classes=10),
             "generate makes one-hot vectors of length 10: use the argument num_classes."),
            (_generating(z_of=torch.rand),
             "z comes from torch.rand, uniform on [0, 1): the prior is the standard normal "
             "distribution, torch.randn."),
            (_generating(z_of=lambda n, d: torch.randn(1, d).expand(n, d)),
             "every image gets the same z: draw a tensor of shape (n, latent_dim), one row per "
             "image."),
            (_generating(z_of=torch.zeros),
             "z is all zeros: sample it from the prior, torch.randn(n, latent_dim).")],
    "6.7": [(N_PIXELS,
             "784 would be the loss in bits: the binary cross-entropy uses the natural "
             "logarithm, so one pixel costs ln 2 = 0.693 nats."),
            (math.log(2),
             "ln 2 is what one pixel costs: the loss sums over the pixels of an image."),
            (8 * KNOW_NOTHING,
             "that is the loss of the whole batch: the cell divides it by the 8 images."),
            (0.0,
             "a decoder that gives every pixel the probability 1/2 does pay for it: -log(1/2) "
             "= ln 2 per pixel, whatever the pixel's value.")],
}


def _vae_layers(D: int, H: int, Z: int) -> nn.Module:
    """The VAE's layers fc1, fc21, fc22, fc3 and fc4 on the meta device."""
    sizes = [(D, H), (H, Z), (H, Z), (Z, H), (H, D)]
    return nn.Sequential(*(nn.Linear(*size, device="meta") for size in sizes))


def check_vae_param_count(vae_param_count: Any) -> None:
    """Check Exercise 6.1: the five layers' parameter count, against sum(p.numel())."""
    cases = [(784, 400, 20), (784, 400, 2), (100, 32, 5), (64, 16, 16)]
    check_count("6.1", vae_param_count, cases, _vae_layers, MISTAKES["6.1"], "add in_features "
                "* out_features + out_features over the five layers fc1, fc21, fc22, fc3 and fc4")
    passed("6.1", "It agrees with sum(p.numel() for p in model.parameters()) for the "
           f"784-400-20 VAE ({_count(784, 400, 20):,} parameters) and for other sizes.")


def _seeded(fn: Callable, seed: int) -> Callable:
    """``fn`` run from a fixed state of torch's generator, for comparing draws."""

    def run(*args: Any) -> Any:
        with torch_seed(seed):
            return fn(*args)

    return run


def check_reparameterize(reparameterize: Any) -> None:
    """Check Exercise 6.2: statistics over many draws, gradients, fresh noise."""
    ex = "6.2"
    rng = exercise_rng(ex)
    mu0 = torch.from_numpy(rng.normal(size=(5, 3)))  # (N, latent_dim), float64
    logvar0 = torch.from_numpy(rng.uniform(-2.0, 1.0, size=(5, 3)))
    mu, logvar = (t.clone().requires_grad_() for t in (mu0, logvar0))
    z = _seeded(partial(call, ex, reparameterize), 62)(mu, logvar)
    ensure(ex, torch.is_tensor(z) and z.shape == mu.shape and z.dtype == mu.dtype,
           f"reparameterize(mu, logvar) for mu of shape (5, 3) and dtype float64 returned "
           f"{describe(z)}: z should have the shape, dtype and device of mu.")
    # Statistics over many draws of one row of mu and logvar.
    n = 10_000
    mus, logvars = (torch.tensor(v).expand(n, -1).contiguous()
                    for v in ((-1.0, 0.5, 2.0, 0.0), (-2.0, 0.0, 1.0, 1.5)))
    draws = _seeded(partial(call, ex, reparameterize), 62)(mus, logvars)
    values = draws.detach().double().numpy() if torch.is_tensor(draws) else None
    ensure(ex, values is not None and values.shape == (n, 4), f"reparameterize "
           f"returned {describe(draws)} for mu of shape ({n}, 4).")
    means, stds = values.mean(0), values.std(0)
    want_std = np.exp(0.5 * logvars[0].numpy())
    bad = np.abs(means - mus[0].numpy()) > 5 * stds / np.sqrt(n) + 1e-6
    bad |= ~np.isclose(stds, want_std, rtol=0.05)
    if bad.any():
        table = [(_seeded(w, 62), s) for w, s in MISTAKES[ex]]
        name_mistake(ex, z.detach(), table, mu0, logvar0)
        j = int(np.argmax(bad))
        raise CheckFailed(ex, f"over {n:,} draws, column {j} of z has mean {means[j]:.3f} and "
                          f"standard deviation {stds[j]:.3f}, but mu is {mus[0, j]:.3f} there "
                          f"and exp(0.5 * logvar) {want_std[j]:.3f}: z = mu + std * eps, with "
                          "eps from the standard normal distribution.")
    ensure(ex, z.requires_grad,
           "z does not track gradients, so training could not reach the encoder: do not "
           "detach, and do not sample under torch.no_grad() or with .sample().")
    grads = gradients(ex, z, [mu, logvar])
    for arg, grad, want in [("mu", grads[0], torch.ones_like(mu0)),  # dz/dmu = 1
                            ("logvar", grads[1], 0.5 * (z - mu).detach())]:  # std * eps / 2
        ensure(ex, grad is not None and bool(grad.any()),
               f"{arg} gets no gradient, as when z is drawn directly with "
               "torch.normal(mu, std): write z = mu + std * eps, so that only eps is "
               "random and the gradient reaches mu and logvar.")
        compare_arrays(ex, f"the gradient of z with respect to {arg}", grad, want)
    with torch_seed(62):
        again, other = (call(ex, reparameterize, mu0, logvar0) for _ in range(2))
    ensure(ex, not same(again, other, 0, 0),
           "reparameterize gives the same z on every call: draw new noise each time, and "
           "do not reseed inside the function.")
    passed(ex, f"Over {n:,} draws z has mean mu and standard deviation exp(0.5 * logvar), and "
           "gradients reach mu and logvar.")


def _random_latents(ex: str, n: int, d: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random float64 mu and logvar of shape (n, d)."""
    rng = exercise_rng(ex)
    mu = torch.from_numpy(rng.normal(scale=1.5, size=(n, d)))
    return mu, torch.from_numpy(rng.uniform(-3.0, 1.5, size=(n, d)))


def _check_loss(ex: str, fn: Callable, args: tuple, want: torch.Tensor, hints=()) -> None:
    """Compare a loss in value, then check that gradients reach every input."""
    got = call(ex, fn, *args, hints=hints)
    name = f"{getattr(fn, '__name__', 'your function')}(...)"
    if not same(got, want, 1e-5, 1e-5):
        name_mistake(ex, got, MISTAKES[ex], *args, rtol=1e-5, atol=1e-5)
        compare_arrays(ex, name, got, want, rtol=1e-5, atol=1e-5, check_dtype=False)
    given = [a.clone().requires_grad_() if a.dim() == 2 else a for a in args]
    got = call(ex, fn, *given, hints=hints)
    ensure(ex, torch.is_tensor(got) and got.requires_grad,
           f"{name} does not track gradients, so loss.backward() could not train the "
           "model: keep the computation in torch, without .item(), NumPy or detach().")
    grads = gradients(ex, got, [g for g in given if g.requires_grad])
    ensure(ex, all(g is not None for g in grads),
           f"{name} does not reach all its inputs through autograd: detach nothing.")


def check_kl_divergence(kl_divergence: Any) -> None:
    """Check Exercise 6.3: the analytic KL term against the formula, with gradients."""
    ex = "6.3"
    for n, d in [(5, 3), (1, 20), (64, 2)]:
        mu, logvar = _random_latents(ex, n, d)
        _check_loss(ex, kl_divergence, (mu, logvar), _kl(mu, logvar))
    passed(ex, "It matches -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), gradients too.")


#: Crashes of Exercise 6.4 and what they most likely mean.
LOSS_HINTS = [
    ("target size", "flatten x first, with x.view(-1, 784)"),
    (
        "is not implemented",
        "the decoder's output recon_x comes first, the target x second",
    ),
]


def check_vae_loss(vae_loss: Any) -> None:
    """Check Exercise 6.4: BCE summed over pixels and images plus the KL term."""
    ex = "6.4"
    rng = exercise_rng(ex)
    pixels = rng.random(size=(4, 1, 28, 28))
    pixels[pixels < 0.5], pixels[pixels > 0.9] = 0.0, 1.0  # mostly black, some white
    x = torch.from_numpy(pixels).float()  # (N, 1, 28, 28)
    recon_x = torch.sigmoid(torch.from_numpy(rng.normal(size=(4, N_PIXELS)))).float()
    mu, logvar = (t.float() for t in _random_latents(ex, 4, 20))
    args = (recon_x, x, mu, logvar)
    _check_loss(ex, vae_loss, args, _loss(*args), LOSS_HINTS)
    passed(ex, "It is the binary cross-entropy summed over pixels and images plus the KL "
           "term, and its gradients reach recon_x, mu and logvar.")


def check_make_decoder(make_decoder: Any) -> None:
    """Check Exercise 6.5: the layers each decoder calls, and an output that suits its loss."""
    ex = "6.5"
    for latent, hidden, logits in [(20, 0, False), (2, 0, True), (5, 64, False), (3, 8, True)]:
        kwargs = {k: v for k, v in [("hidden_dim", hidden), ("logits", logits)] if v}
        name = f"make_decoder({', '.join([str(latent)] + [f'{k}={v}' for k, v in kwargs.items()])})"
        with torch_seed(65):
            decoder = call(ex, make_decoder, latent, **kwargs)
            z = torch.randn(24, latent)
        ensure(ex, isinstance(decoder, nn.Module), f"{name} should return a module, such as "
               f"nn.Sequential(...), but returned {describe(decoder)}.")
        out, calls = trace(ex, decoder, z)
        linears = [c for c in calls if isinstance(c.module, nn.Linear)]
        sizes = [(c.module.in_features, c.module.out_features) for c in linears]
        want = [(latent, hidden or 400), (hidden or 400, N_PIXELS)]
        ensure(ex, sizes == want, f"the decoder built by {name} runs nn.Linear layers of sizes "
               f"{sizes} (in, out), but it should run two: latent_dim -> hidden_dim ({want[0]}) "
               f"and hidden_dim -> 784" + (": use the argument hidden_dim." if hidden else "."))
        first, second = linears
        if not same(second.input, relu(first.output), 1e-5, 1e-6):
            name_mistake(ex, second.input, MISTAKES[ex], first.output, atol=1e-6)
            raise CheckFailed(ex, "between the two linear layers should come a ReLU.")
        ensure(ex, torch.is_tensor(out) and out.shape == (24, N_PIXELS), f"on z of shape (24, "
               f"{latent}) the decoder returned {describe(out)}, but it should return flat "
               "images of shape (24, 784), as the loss expects; reshape them only to show them.")
        if not same(out, second.output if logits else torch.sigmoid(second.output), 1e-5, 1e-6):
            table = MISTAKES[f"{ex} logits" if logits else f"{ex} end"]
            name_mistake(ex, out, table, second.output, atol=1e-6)
            raise CheckFailed(ex, f"{name} should return the last linear layer's outputs"
                              + ("." if logits else ", squashed by a sigmoid."))
        gradients_reach(ex, decoder, out)
    passed(ex, "make_decoder builds latent_dim -> hidden_dim -> 784 decoders with a ReLU "
           "between, and ends with a sigmoid only for F.binary_cross_entropy.")


def _generated(ex: str, fn: Callable, case: tuple, student: bool = True) -> tuple:
    """Run ``fn`` on a stand-in decoder: the images and the decoder."""
    digit, n, latent, classes = case
    with torch_seed(66):
        decoder = StandInDecoder(latent + (classes or 10))
        kwargs = {} if classes is None else {"num_classes": classes}
        args = (decoder, digit, n, latent)
        images = call(ex, fn, *args, **kwargs) if student else fn(*args, **kwargs)
    return images, decoder


def check_generate(generate: Any) -> None:
    """Check Exercise 6.6: decoder input [z, one_hot], z ~ N(0, I), images out."""
    ex = "6.6"
    for case in [(7, 2_000, 8, None), (0, 3, 2, 4), (3, 1, 5, None)]:
        digit, n, latent, classes = case
        name = f"generate(decoder, digit={digit}, n={n}, latent_dim={latent}"
        name += f", num_classes={classes})" if classes else ")"
        images, decoder = _generated(ex, generate, case)
        received = decoder.received
        ensure(ex, bool(received) and all(len(r) == 1 and torch.is_tensor(r[0]) and r[0].dim() == 2
                                          for r in received),
               f"{name} should call the decoder on one tensor, torch.cat([z, one_hot], "
               "dim=1), of shape (n, latent_dim + num_classes).")
        inputs = torch.cat([r[0] for r in received])
        one_hot = F.one_hot(torch.tensor(digit), classes or 10).float()
        ok = inputs.shape == (n, latent + (classes or 10))
        ok = ok and same(inputs[:, latent:], one_hot.expand(n, -1))
        if ok and n > 1:  # n independent draws from N(0, I)
            z = inputs[:, :latent].double().numpy()
            tolerance = 5 / math.sqrt(z.size)
            ok = abs(z.mean()) < tolerance and abs(z.std() - 1) < 2 * tolerance + 0.01
            ok = ok and not np.allclose(z, z[:1])
        if not ok:
            table = [(_generated(ex, w, case, False)[1].received, s) for w, s in MISTAKES[ex]]
            name_mistake(ex, received, table)
            raise CheckFailed(ex, f"{name} should pass the decoder z of shape (n, latent_dim), "
                              "drawn with torch.randn, followed by the one-hot vectors of the "
                              "digit: torch.cat([z, one_hot], dim=1).")
        ensure(ex, inputs.dtype == torch.float32,
               f"{name} passes the decoder a tensor of dtype {inputs.dtype}, but its "
               "weights are float32: F.one_hot(...) gives integers, so add .float().")
        with torch.no_grad():
            want = torch.sigmoid(decoder.linear(inputs)).view(n, 1, 28, 28)
        ensure(ex, torch.is_tensor(images) and images.shape == want.shape,
               f"{name} returned {describe(images)} but should return the decoder's "
               f"output as images of shape ({n}, 1, 28, 28).")
        ensure(ex, not images.requires_grad,
               f"the images from {name} still track gradients: generate them under "
               "torch.no_grad(), as nothing is trained here.")
        compare_arrays(ex, f"the images from {name}", images, want)
    with torch_seed(66):
        decoders = [StandInDecoder(18) for _ in range(2)]
        for decoder in decoders:
            call(ex, generate, decoder, 7, 5, 8)
    ensure(ex, not same(decoders[0].received, decoders[1].received, 0, 0),
           "generate gives the same z on every call: draw new noise each time, and do not "
           "reseed inside the function.")
    passed(ex, "The decoder gets [z, one_hot] with z ~ N(0, I) and the requested digit, and "
           "its outputs come back as (n, 1, 28, 28) images.")


def check_know_nothing(prediction: Any) -> None:
    """Check Exercise 6.7: the predicted loss per image of a decoder that knows nothing."""
    ex = "6.7"
    value = as_number(ex, "prediction", prediction)
    if abs(value - KNOW_NOTHING) > 1:
        name_mistake(ex, value, MISTAKES[ex], rtol=0.002, atol=0.01)
        raise CheckFailed(ex, f"the loss per image is not {value:g}: what does -log(1/2) cost "
                          "per pixel, and how many pixels does an image have?")
    passed(ex, f"{N_PIXELS} pixels at ln 2 nats each, whatever the image: run the cell.")


def check_trained_vae(model: Any) -> None:
    """Check Exercise 6.8: the trained VAE's negative ELBO per test image."""
    ex = "6.8"
    from dlbook.data import load_mnist_arrays

    images, _ = load_mnist_arrays(train=False)
    x = torch.from_numpy(images[:2000]).float().div(255).view(-1, 1, 28, 28)
    with torch_seed(68):
        out = run_trained(ex, model, x)
    ensure(ex, isinstance(out, tuple | list) and len(out) == 3,
           f"the model should return (recon_x, mu, logvar) but returned {describe(out)}.")
    recon_x, mu, logvar = (t.float().cpu() for t in out)
    nats = float(_loss(recon_x.clamp(1e-6, 1 - 1e-6), x, mu, logvar)) / len(x)
    ensure(ex, nats < GOOD_NATS,
           f"on 2,000 test images the model's loss is {nats:.1f} nats per image, not "
           f"below {GOOD_NATS:.0f}: with one pass over the data, how far should each step "
           "go?")
    passed(ex, f"The loss on 2,000 test images is {nats:.1f} nats per image.")
