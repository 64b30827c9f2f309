"""Checkers for the exercises of chapter 6: a variational autoencoder on MNIST.

Each ``check_*`` takes the student's answer (a function), computes its own reference
with PyTorch, and either prints a confirmation or raises :class:`CheckFailed` with one
sentence. Random parts (the reparameterisation, sampling from the prior) are judged by
their statistics over many draws and by their gradients, never by exact numbers. The
checkers seed their own generators, so running them leaves the notebook's random state
as it was, and the parameter count is never given away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlbook.checks import (
    CheckFailed,
    as_number,
    call,
    compare_arrays,
    compare_gradient,
    crashed,
    describe,
    ensure,
    ensure_like,
    exercise_rng,
    float_values,
    is_close,
    passed,
    torch_seed,
)

__all__ = [
    "check_generate",
    "check_kl_divergence",
    "check_make_decoder",
    "check_reparameterize",
    "check_vae_loss",
    "check_vae_param_count",
]

#: Pixels of one flattened MNIST image, 28 x 28.
N_PIXELS = 784


# --- private helpers ------------------------------------------------------------------


def _kl_reference(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)), summed over latent dimensions and batch."""
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def _unchanged(
    ex: str, fn_name: str, **pairs: tuple[torch.Tensor, torch.Tensor]
) -> None:
    """Fail when ``fn_name`` changed an input in place; ``pairs``: (given, original)."""
    for arg, (given, original) in pairs.items():
        ensure(
            ex,
            torch.equal(given.detach(), original),
            f"{fn_name} changed its argument {arg} in place: compute new tensors "
            "instead (for example x.exp(), not x.exp_()).",
        )


def _inputs(*tensors: torch.Tensor) -> list[torch.Tensor]:
    """Fresh leaf copies of ``tensors`` that track gradients, for one call."""
    return [t.detach().clone().requires_grad_(True) for t in tensors]


def _grads(ex: str, what: str, out: torch.Tensor, inputs: list[torch.Tensor]) -> tuple:
    """Gradients of ``out`` (summed) with respect to ``inputs``; None where unused."""
    try:
        # Summing first: grad_outputs would make autograd import sympy (seconds).
        return torch.autograd.grad(out.sum(), inputs, allow_unused=True)
    except Exception as error:  # e.g. an in-place change that autograd cannot undo
        raise crashed(ex, f"computing the gradients of {what}", error) from None


def _scalar_shape_hint(ex: str, name: str, answer: Any, batch: int, dim: int) -> None:
    """Name a missing sum from the shape of an answer that should be one number."""
    if not isinstance(answer, torch.Tensor):
        return
    shape = tuple(answer.shape)
    ensure(
        ex,
        shape != (batch, dim) or batch * dim == 1,
        f"{name} has shape {shape}, one value per entry: sum them all into one number.",
    )
    ensure(
        ex,
        shape != (batch,) or batch == 1,
        f"{name} has shape {shape}, one value per image: sum over the batch as well, "
        "into one number.",
    )
    ensure(
        ex,
        shape != (dim,) or dim == 1,
        f"{name} has shape {shape}, one value per latent dimension: sum over the "
        "latent dimensions as well, into one number.",
    )


def _named_mistake(
    ex: str,
    name: str,
    got: np.ndarray | None,
    expected: torch.Tensor,
    mistakes: list[tuple[Any, str]],
    tolerance: tuple[float, float] = (1e-5, 1e-6),
) -> None:
    """Fail with the message of the first known wrong value that ``got`` equals."""
    want = float_values(expected)
    if got is None or is_close(got, want, *tolerance):
        return
    for value, message in mistakes:
        value = float_values(value)
        if not is_close(value, want, *tolerance):  # a slip that changes nothing here
            ensure(ex, not is_close(got, value, *tolerance), f"{name} {message}.")


# --- Exercise 6.1: the parameters of the seed's VAE -----------------------------------


def _vae_layers(input_dim: int, hidden_dim: int, latent_dim: int) -> nn.ModuleDict:
    """The five fully connected layers of the seed's VAE, on the meta device."""
    sizes = {
        "fc1": (input_dim, hidden_dim),
        "fc21": (hidden_dim, latent_dim),
        "fc22": (hidden_dim, latent_dim),
        "fc3": (latent_dim, hidden_dim),
        "fc4": (hidden_dim, input_dim),
    }
    return nn.ModuleDict(
        {key: nn.Linear(*size, device="meta") for key, size in sizes.items()}
    )


def _numel(layers: nn.Module) -> int:
    """The number of parameters of a layer or of several."""
    return sum(p.numel() for p in layers.parameters())


def _count_mistakes(sizes: tuple[int, int, int]) -> list[tuple[int, str]]:
    """Counts that the usual slips give, each with its explanation."""
    layers = _vae_layers(*sizes)
    weights = {key: layer.weight.numel() for key, layer in layers.items()}
    biases = {key: layer.out_features for key, layer in layers.items()}
    inputs = {key: layer.in_features for key, layer in layers.items()}
    one_head = [key for key in layers if key != "fc22"]
    encoder, decoder = ["fc1", "fc21", "fc22"], ["fc3", "fc4"]
    return [
        (
            sum(weights.values()),
            "leaves out the biases: each layer also has one bias per output",
        ),
        (
            sum(weights[k] + biases[k] for k in one_head),
            "counts only one of the encoder's two heads: fc21 (the mean) and fc22 "
            "(the log-variance) are separate layers of the same size",
        ),
        (
            sum(weights[k] for k in one_head),
            "leaves out the biases and the encoder's second head (fc22, the "
            "log-variance)",
        ),
        (
            sum(weights[k] + inputs[k] for k in layers),
            "counts one bias per input of each layer, but there is one per output "
            "(out_features of them)",
        ),
        (
            sum(_numel(layers[k]) for k in encoder),
            "counts only the encoder (fc1, fc21, fc22): add the decoder's fc3 and fc4",
        ),
        (
            sum(_numel(layers[k]) for k in decoder),
            "counts only the decoder (fc3, fc4): add the encoder's fc1, fc21 and fc22",
        ),
    ]


#: (input_dim, hidden_dim, latent_dim): the seed's VAE first, then other sizes.
COUNT_CASES = [(784, 400, 20), (784, 400, 2), (100, 32, 5), (64, 16, 16)]


def check_vae_param_count(vae_param_count: Any) -> None:
    """Check Exercise 6.1: the five layers' parameter count, against sum(p.numel())."""
    ex = "6.1"
    first = _numel(_vae_layers(*COUNT_CASES[0]))
    first_answer = None
    for sizes in COUNT_CASES:
        name = f"vae_param_count{sizes}"
        value = as_number(ex, name, call(ex, vae_param_count, *sizes))
        ensure(
            ex,
            float(value).is_integer(),
            f"{name} is not a whole number, but a number of parameters is.",
        )
        answer = int(value)
        if first_answer is None:
            first_answer = answer
        expected = _numel(_vae_layers(*sizes))
        if answer == expected:
            continue
        for count, message in _count_mistakes(sizes):
            ensure(ex, answer != count, f"{name} {message}.")
        ensure(
            ex,
            sizes == COUNT_CASES[0] or answer != first_answer,
            f"{name} gives the same count as for the seed's sizes: compute it from "
            "input_dim, hidden_dim and latent_dim, not from fixed numbers.",
        )
        raise CheckFailed(
            ex,
            f"{name} is {answer:,}, which is not right: add in_features * "
            "out_features + out_features over the five layers fc1, fc21, fc22, fc3 "
            "and fc4.",
        )
    passed(
        ex,
        f"It agrees with sum(p.numel() for p in model.parameters()) for the seed's "
        f"784-400-20 VAE ({first:,} parameters) and for other sizes.",
    )


# --- Exercise 6.2: the reparameterisation trick ---------------------------------------

#: One column per latent dimension for the statistics: its mean and its log-variance.
DRAW_MU = (-1.0, 0.5, 2.0, 0.0)
DRAW_LOGVAR = (-2.0, 0.0, 1.0, 1.5)
N_DRAWS = 10_000
#: A sample standard deviation counts as right within this relative error.
STD_RTOL = 0.05


def _std_mistake(observed: np.ndarray, logvar: np.ndarray) -> str | None:
    """Name the standard deviation that ``observed`` matches, if it is a known slip."""
    std = np.exp(0.5 * logvar)
    candidates = [
        (
            np.exp(logvar),
            "multiplies eps by exp(logvar), the variance: the standard "
            "deviation is its square root, exp(0.5 * logvar)",
        ),
        (
            np.exp(-0.5 * logvar),
            "multiplies eps by exp(-0.5 * logvar), one over the "
            "standard deviation: use exp(0.5 * logvar)",
        ),
        (
            np.ones_like(logvar),
            "ignores logvar, so z always has standard deviation "
            "1: multiply eps by std = exp(0.5 * logvar)",
        ),
        (
            np.abs(logvar),
            "uses logvar itself as the standard deviation: it is the "
            "log of the variance, so std = exp(0.5 * logvar)",
        ),
        (
            std / np.sqrt(12.0),
            "draws uniform noise: eps must come from the standard "
            "normal distribution, torch.randn_like(std), not torch.rand",
        ),
    ]
    for value, message in candidates:
        if np.allclose(observed, value, rtol=STD_RTOL, atol=1e-3):
            return message
    return None


def _check_draws(ex: str, reparameterize: Callable) -> None:
    """Judge many draws for fixed mu and logvar: spread, mean and standard deviation."""
    mu = torch.tensor(DRAW_MU).expand(N_DRAWS, -1).contiguous()  # (N_DRAWS, 4)
    logvar = torch.tensor(DRAW_LOGVAR).expand(N_DRAWS, -1).contiguous()
    name = f"reparameterize(mu, logvar) with {N_DRAWS:,} rows"
    with torch_seed(62):
        z = call(ex, reparameterize, mu.clone(), logvar.clone())
    ensure_like(ex, name, z.detach() if isinstance(z, torch.Tensor) else z, mu)
    z = float_values(z)
    ensure(
        ex,
        z is not None and bool(np.all(np.isfinite(z))),
        f"{name} holds nan or inf (or values that cannot be read).",
    )
    mu_np, logvar_np = np.array(DRAW_MU), np.array(DRAW_LOGVAR)
    ensure(
        ex,
        not np.allclose(z, mu_np, rtol=0, atol=1e-7),
        "reparameterize returns mu only: add the noise, z = mu + std * eps.",
    )
    ensure(
        ex,
        not np.allclose(z, z[:1], rtol=0, atol=1e-7),
        "every row of z has the same noise: draw eps with the shape of mu "
        "(torch.randn_like(std)), one independent number per entry.",
    )
    ensure(
        ex,
        not np.all(z >= mu_np - 1e-7),
        "z is never below mu: torch.rand draws from [0, 1), but eps must come from "
        "the standard normal distribution, torch.randn_like(std).",
    )
    observed_std = z.std(axis=0)
    mean_error = np.abs(z.mean(axis=0) - mu_np)
    tolerance = 5 * observed_std / np.sqrt(N_DRAWS) + 1e-6
    bad = np.flatnonzero(mean_error > tolerance)
    if bad.size:
        j = int(bad[0])
        raise CheckFailed(
            ex,
            f"over {N_DRAWS:,} draws, column {j} of z has mean "
            f"{z[:, j].mean():.3f} but mu is {mu_np[j]:.3f} there: the noise eps "
            "should have mean 0, so that z is centred on mu.",
        )
    std = np.exp(0.5 * logvar_np)
    if not np.allclose(observed_std, std, rtol=STD_RTOL, atol=0):
        message = _std_mistake(observed_std, logvar_np)
        ensure(ex, message is None, f"reparameterize {message}.")
        j = int(np.argmax(np.abs(observed_std / std - 1)))
        raise CheckFailed(
            ex,
            f"over {N_DRAWS:,} draws, column {j} of z has standard deviation "
            f"{observed_std[j]:.3f} but exp(0.5 * logvar) is {std[j]:.3f} there: "
            "multiply standard normal noise by std = exp(0.5 * logvar).",
        )


def check_reparameterize(reparameterize: Any) -> None:
    """Check Exercise 6.2: shape, statistics over many draws, gradients, fresh noise."""
    ex = "6.2"
    rng = exercise_rng(ex)
    mu0 = torch.from_numpy(rng.normal(size=(5, 3)))  # (N, latent_dim), float64
    logvar0 = torch.from_numpy(rng.uniform(-2.0, 1.0, size=(5, 3)))
    mu, logvar = _inputs(mu0, logvar0)
    name = "reparameterize(mu, logvar)"
    with torch_seed(62):
        z = call(ex, reparameterize, mu, logvar)
    _unchanged(ex, "reparameterize", mu=(mu, mu0), logvar=(logvar, logvar0))
    ensure_like(ex, name, z.detach() if isinstance(z, torch.Tensor) else z, mu0)
    ensure(
        ex,
        z.device == mu.device,
        f"z is on the {z.device.type} device but mu on the {mu.device.type} device: "
        "create eps with torch.randn_like(std), which follows std's device.",
    )
    ensure(
        ex,
        z.requires_grad,
        "z does not track gradients, so training could not reach the encoder: do "
        "not detach, and do not sample under torch.no_grad() or with .sample().",
    )
    _check_draws(ex, reparameterize)

    grad_mu, grad_logvar = _grads(ex, "z", z, [mu, logvar])
    blocked = (
        "as when z is drawn directly with torch.normal(mu, std): write z = mu + std "
        "* eps, so that only eps is random"
    )
    ensure(
        ex,
        grad_mu is not None,
        "z does not depend on mu through autograd: do not detach mu.",
    )
    ensure(
        ex,
        bool(torch.any(grad_mu != 0)),
        f"mu gets a zero gradient, {blocked}.",
    )
    compare_gradient(
        ex,
        "the gradient of z with respect to mu",
        grad_mu,
        torch.ones_like(mu0),
        sign_hint="z = mu + std * eps adds mu",
        factor_hint="z = mu + std * eps adds mu once, so dz/dmu = 1",
    )
    ensure(
        ex,
        grad_logvar is not None,
        "z does not depend on logvar through autograd: compute std = "
        "torch.exp(0.5 * logvar) without detaching it.",
    )
    ensure(
        ex,
        bool(torch.any(grad_logvar != 0)),
        f"logvar gets a zero gradient, {blocked}.",
    )
    # With eps fixed, dz/dlogvar = 0.5 * exp(0.5 * logvar) * eps = 0.5 * (z - mu).
    compare_gradient(
        ex,
        "the gradient of z with respect to logvar",
        grad_logvar,
        0.5 * (z - mu).detach(),
        factor_hint="std = exp(0.5 * logvar), so dz/dlogvar = 0.5 * std * eps",
    )
    with torch_seed(62):
        again = call(ex, reparameterize, mu0.clone(), logvar0.clone())
        other = call(ex, reparameterize, mu0.clone(), logvar0.clone())
    ensure(
        ex,
        not is_close(float_values(again), float_values(other), 0, 0),
        "reparameterize gives the same z on every call: draw new noise each time, and "
        "do not reseed inside the function.",
    )
    passed(
        ex,
        f"Over {N_DRAWS:,} draws z has mean mu and standard deviation "
        "exp(0.5 * logvar), and gradients reach mu and logvar.",
    )


# --- Exercise 6.3: the KL divergence to the prior -------------------------------------

#: (N, latent_dim) of the random inputs; the first has several rows and columns.
KL_CASES = [(5, 3), (1, 20), (64, 2)]


def _kl_mistakes(mu: torch.Tensor, logvar: torch.Tensor) -> list[tuple[Any, str]]:
    """Values that the usual slips give, each with its explanation."""
    ref = _kl_reference(mu, logvar)
    n, d = mu.shape
    inner = 1 + logvar - mu.pow(2) - logvar.exp()  # (N, latent_dim)
    return [
        (
            -ref,
            "has the wrong sign: a KL divergence is never negative, and the "
            "formula is -0.5 * sum(1 + logvar - mu^2 - exp(logvar))",
        ),
        (
            -torch.sum(inner),
            "is twice the right value: the sum is multiplied by -0.5, not by -1",
        ),
        (
            -0.25 * torch.sum(inner),
            "is half the right value: the sum is multiplied by -0.5",
        ),
        (
            ref / n,
            "averages over the batch: sum over the batch as well, as the "
            "seed's loss does",
        ),
        (
            ref / (n * d),
            "takes the mean over all entries: sum over the latent "
            "dimensions and the batch",
        ),
        (ref + 0.5 * n * d, "leaves out the 1 inside the sum"),
        (ref - torch.sum(mu.pow(2)), "adds mu^2 inside the sum, but it is subtracted"),
        (
            -0.5 * torch.sum(1 + logvar - mu.pow(2) - (0.5 * logvar).exp()),
            "uses exp(0.5 * logvar), the standard deviation, where the variance "
            "exp(logvar) belongs",
        ),
    ]


def _monte_carlo_kl(mu: torch.Tensor, logvar: torch.Tensor, draws: int) -> tuple:
    """Estimate KL(q || p) as the mean of log q(z) - log p(z) over draws z ~ q."""
    std = torch.exp(0.5 * logvar)
    with torch_seed(63):
        z = mu + std * torch.randn(draws, *mu.shape[1:], dtype=mu.dtype)  # (draws, d)
    log_q = torch.distributions.Normal(mu, std).log_prob(z).sum(dim=1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(dim=1)
    terms = log_q - log_p  # (draws,)
    return terms.mean().item(), terms.std().item() / np.sqrt(draws)


def check_kl_divergence(kl_divergence: Any) -> None:
    """Check Exercise 6.3: the analytic KL term against the formula and Monte Carlo."""
    ex = "6.3"
    rng = exercise_rng(ex)
    for n, d in KL_CASES:
        mu0 = torch.from_numpy(rng.normal(scale=1.5, size=(n, d)))
        logvar0 = torch.from_numpy(rng.uniform(-3.0, 2.0, size=(n, d)))
        mu, logvar = _inputs(mu0, logvar0)
        name = f"kl_divergence(mu, logvar) for mu of shape ({n}, {d})"
        answer = call(ex, kl_divergence, mu, logvar)
        _unchanged(ex, "kl_divergence", mu=(mu, mu0), logvar=(logvar, logvar0))
        expected = _kl_reference(mu0, logvar0)
        ensure(
            ex,
            isinstance(answer, torch.Tensor),
            f"{name} should be a tensor but is {describe(answer)}: keep the "
            "computation in torch (no .item() or NumPy), so that it can be "
            "backpropagated.",
        )
        _scalar_shape_hint(ex, name, answer, n, d)
        ensure_like(ex, name, answer.detach(), expected)
        ensure(
            ex,
            answer.requires_grad,
            f"{name} does not track gradients: compute it with torch operations on "
            "mu and logvar, without detaching them.",
        )
        mistakes = _kl_mistakes(mu0, logvar0)
        _named_mistake(ex, name, float_values(answer), expected, mistakes)
        compare_arrays(ex, name, answer.detach(), expected)
        grad_mu, grad_logvar = _grads(ex, "the KL term", answer, [mu, logvar])
        for arg, grad, want in [
            ("mu", grad_mu, mu0),  # d KL / d mu = mu
            ("logvar", grad_logvar, 0.5 * (logvar0.exp() - 1)),
        ]:
            ensure(
                ex,
                grad is not None,
                f"{name} does not depend on {arg} through autograd: do not detach it.",
            )
            compare_gradient(
                ex, f"the gradient of {name} with respect to {arg}", grad, want
            )
    mu0 = torch.tensor([[0.5, -1.0, 0.0]], dtype=torch.float64)
    logvar0 = torch.tensor([[-1.0, 0.5, 0.0]], dtype=torch.float64)
    exact = as_number(ex, "kl_divergence", call(ex, kl_divergence, mu0, logvar0))
    estimate, error = _monte_carlo_kl(mu0, logvar0, 20_000)
    ensure(
        ex,
        abs(exact - estimate) < 5 * error,
        f"kl_divergence gives {exact:.3f} on a small example, but a Monte Carlo "
        f"estimate of E_q[log q(z) - log p(z)] gives {estimate:.3f} +- {error:.3f}.",
    )
    passed(
        ex,
        "It matches -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) and its gradients; on "
        f"a small example it gives {exact:.3f}, and a Monte Carlo estimate over "
        f"20,000 draws gives {estimate:.3f} +- {error:.3f}.",
    )


# --- Exercise 6.4: the VAE loss -------------------------------------------------------


def _bce_sum(recon_x: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy summed over pixels and images; x is (N, 1, 28, 28)."""
    return F.binary_cross_entropy(recon_x, x.view(-1, N_PIXELS), reduction="sum")


def _loss_mistakes(
    recon_x: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor
) -> list[tuple[Any, str]]:
    """Values that the usual slips give, each with its explanation."""
    bce, kl = _bce_sum(recon_x, x), _kl_reference(mu, logvar)
    flat = x.view(-1, N_PIXELS)
    mean_bce = F.binary_cross_entropy(recon_x, flat)
    swapped = F.binary_cross_entropy(flat, recon_x, reduction="sum")
    return [
        (bce, "leaves out the KL term: add kl_divergence(mu, logvar)"),
        (
            bce - kl,
            "subtracts the KL term: the loss to minimise, the negative ELBO, "
            "is BCE + KL",
        ),
        (kl, "leaves out the reconstruction term, the binary cross-entropy"),
        (
            mean_bce + kl,
            "averages the binary cross-entropy over pixels "
            "(reduction='mean'): sum it, with reduction='sum', as the seed does",
        ),
        (
            (bce + kl) / len(x),
            "divides by the batch size: return the sum over the "
            "batch, and divide by N only to report a loss per image",
        ),
        (bce + 2 * kl, "has a KL term twice too large: it is -0.5 * sum(...)"),
        (
            swapped + kl,
            "swaps the arguments of the binary cross-entropy: the "
            "decoder's output recon_x comes first, the target x second",
        ),
        (
            F.mse_loss(recon_x, flat, reduction="sum") + kl,
            "uses the squared error: a sigmoid decoder of Bernoulli pixels calls "
            "for the binary cross-entropy",
        ),
    ]


def check_vae_loss(vae_loss: Any) -> None:
    """Check Exercise 6.4: BCE summed over pixels and images plus the KL term."""
    ex = "6.4"
    rng = exercise_rng(ex)
    n, d = 4, 20
    pixels = rng.random(size=(n, 1, 28, 28))
    pixels[pixels < 0.5] = 0.0  # like MNIST: mostly black, some pure white
    pixels[pixels > 0.9] = 1.0
    x = torch.from_numpy(pixels).float()  # (N, 1, 28, 28)
    recon0 = torch.sigmoid(torch.from_numpy(rng.normal(size=(n, N_PIXELS)))).float()
    mu0 = torch.from_numpy(rng.normal(scale=1.5, size=(n, d))).float()
    logvar0 = torch.from_numpy(rng.uniform(-3.0, 1.0, size=(n, d))).float()
    recon_x, mu, logvar = _inputs(recon0, mu0, logvar0)
    x_given = x.clone()
    name = "vae_loss(recon_x, x, mu, logvar)"
    try:
        answer = call(ex, vae_loss, recon_x, x_given, mu, logvar)
    except CheckFailed as failure:
        if "target size" not in failure.message:
            raise
        raise CheckFailed(
            ex,
            "vae_loss compares recon_x of shape (N, 784) with x of shape "
            "(N, 1, 28, 28): flatten x first, with x.view(-1, 784).",
        ) from None
    _unchanged(
        ex,
        "vae_loss",
        recon_x=(recon_x, recon0),
        x=(x_given, x),
        mu=(mu, mu0),
        logvar=(logvar, logvar0),
    )
    expected = _bce_sum(recon0, x) + _kl_reference(mu0, logvar0)
    ensure(
        ex,
        isinstance(answer, torch.Tensor),
        f"{name} should be a tensor but is {describe(answer)}: keep the "
        "computation in torch (no .item()), so that loss.backward() works.",
    )
    ensure(
        ex,
        tuple(answer.shape) != (n, N_PIXELS),
        f"{name} has shape {tuple(answer.shape)}, one value per pixel: sum the "
        "binary cross-entropy over pixels and images, with reduction='sum'.",
    )
    ensure(
        ex,
        tuple(answer.shape) != (n,),
        f"{name} has shape {tuple(answer.shape)}, one loss per image: sum over the "
        "batch as well, into one number.",
    )
    ensure_like(ex, name, answer.detach(), expected)
    ensure(
        ex,
        answer.requires_grad,
        f"{name} does not track gradients, so loss.backward() could not train the "
        "model: do not detach or convert to NumPy.",
    )
    mistakes = _loss_mistakes(recon0, x, mu0, logvar0)
    _named_mistake(ex, name, float_values(answer), expected, mistakes, (1e-4, 1e-3))
    compare_arrays(ex, name, answer.detach(), expected, rtol=1e-4, atol=1e-3)
    ref_inputs = _inputs(recon0, mu0, logvar0)
    reference = _bce_sum(ref_inputs[0], x) + _kl_reference(*ref_inputs[1:])
    wants = torch.autograd.grad(reference, ref_inputs)
    grads = _grads(ex, "the loss", answer, [recon_x, mu, logvar])
    for arg, grad, want in zip(("recon_x", "mu", "logvar"), grads, wants, strict=True):
        ensure(
            ex,
            grad is not None,
            f"{name} does not depend on {arg} through autograd: do not detach it.",
        )
        compare_gradient(
            ex,
            f"the gradient of the loss with respect to {arg}",
            grad,
            want,
            rtol=1e-4,
            atol=1e-5,
        )
    passed(
        ex,
        "It is the binary cross-entropy summed over pixels and images plus the KL "
        "term, and its gradients reach recon_x, mu and logvar.",
    )


# --- Exercise 6.5: a decoder for a given latent size ----------------------------------

#: (latent_dim, hidden_dim); None leaves hidden_dim at its default, 400.
DECODER_CASES = [(20, None), (2, None), (5, 64)]
DEFAULT_HIDDEN = 400


def _check_decoder_layers(
    ex: str, name: str, decoder: nn.Module, latent: int, hidden: int, asked: int | None
) -> None:
    """Check the decoder's two nn.Linear layers: latent -> hidden -> 784."""
    linears = [m for m in decoder.modules() if isinstance(m, nn.Linear)]
    ensure(
        ex,
        len(linears) > 0,
        f"{name} has no nn.Linear layer: build latent_dim -> hidden_dim -> 784 from "
        "two of them.",
    )
    ensure(
        ex,
        len(linears) == 2,
        f"{name} has {len(linears)} nn.Linear layer{'s' * (len(linears) > 1)} but "
        "should have two: latent_dim -> hidden_dim and hidden_dim -> 784.",
    )
    first, second = linears

    def lazy(layer: nn.Module) -> bool:
        return isinstance(layer, nn.modules.lazy.LazyModuleMixin)

    ensure(
        ex,
        lazy(first) or first.in_features == latent,
        f"the first linear layer of {name} takes {first.in_features} inputs but z "
        f"has latent_dim = {latent} entries.",
    )
    ignored = asked is not None and first.out_features == DEFAULT_HIDDEN
    ensure(
        ex,
        first.out_features == hidden,
        f"the hidden layer of {name} has {first.out_features} units but should have "
        f"hidden_dim = {hidden}"
        + (": use the argument hidden_dim" if ignored else "")
        + ".",
    )
    ensure(
        ex,
        lazy(second) or second.in_features == hidden,
        f"the second linear layer of {name} takes {second.in_features} inputs but the "
        f"hidden layer has {hidden} units.",
    )
    for key, param in decoder.named_parameters():
        ensure(
            ex,
            param.dtype == torch.float32,
            f"the parameter {key} of {name} has dtype {param.dtype} but should have "
            "torch.float32, PyTorch's default, like the images.",
        )
    ensure(
        ex,
        second.out_features == N_PIXELS,
        f"the last linear layer of {name} has {second.out_features} outputs but should "
        f"have one per pixel, {N_PIXELS} (28 x 28).",
    )


def _run_decoder(ex: str, name: str, decoder: nn.Module, z: torch.Tensor) -> Any:
    """Run the decoder on ``z``; explain a crash in one sentence."""
    try:
        return decoder(z)
    except NotImplementedError:
        raise CheckFailed(
            ex,
            f"{name}'s forward still raises NotImplementedError: replace the stub "
            "with your code.",
        ) from None
    except Exception as error:  # any student bug becomes one sentence
        raise crashed(ex, f"the decoder built by {name}", error) from None


def _check_decoder_output(ex: str, name: str, out: Any, rows: int) -> np.ndarray:
    """Check the output's kind, shape and range; return its values."""
    given = f"on z of shape ({rows}, latent_dim), the decoder built by {name}"
    ensure(
        ex,
        isinstance(out, torch.Tensor),
        f"{given} returned {describe(out)} but should return a tensor of shape "
        f"({rows}, {N_PIXELS}).",
    )
    shape = tuple(out.shape)
    ensure(
        ex,
        shape not in ((rows, 1, 28, 28), (rows, 28, 28)),
        f"{given} returned images of shape {shape}: return flat vectors of shape "
        f"({rows}, {N_PIXELS}) as the seed's decode does, and reshape only to show "
        "them.",
    )
    ensure_like(ex, f"{given}'s output", out.detach(), torch.empty(rows, N_PIXELS))
    values = float_values(out)
    ensure(
        ex,
        values is not None and bool(np.all(np.isfinite(values))),
        f"{given} returned nan or inf (or values that cannot be read).",
    )
    ensure(
        ex,
        values.min() >= 0 and values.max() <= 1,
        f"{given} returned values from {values.min():.3g} to {values.max():.3g}: "
        "end with a sigmoid, so that each output is a pixel's probability in (0, 1).",
    )
    ensure(
        ex,
        values.min() > 0 and values.max() < 1,
        f"{given} returned values of exactly 0 or 1: use a sigmoid, which stays "
        "strictly between them (the binary cross-entropy needs log(p) and "
        "log(1 - p)).",
    )
    ensure(
        ex,
        not np.allclose(values.sum(axis=1), 1.0, rtol=1e-4),
        f"{given} returned outputs that sum to 1 over each image, as a softmax "
        "gives: use a sigmoid, one independent probability per pixel.",
    )
    return values


def check_make_decoder(make_decoder: Any) -> None:
    """Check Exercise 6.5: layers, output shape and range, non-linearity, gradients."""
    ex = "6.5"
    for latent, asked in DECODER_CASES:
        hidden = DEFAULT_HIDDEN if asked is None else asked
        kwargs = {} if asked is None else {"hidden_dim": asked}
        name = f"make_decoder({latent}" + (
            ")" if asked is None else f", hidden_dim={asked})"
        )
        with torch_seed(65):
            decoder = call(ex, make_decoder, latent, **kwargs)
        ensure(
            ex,
            not (isinstance(decoder, type) and issubclass(decoder, nn.Module)),
            f"{name} returned a class: return a module built from it, for example "
            "nn.Sequential(...).",
        )
        ensure(
            ex,
            isinstance(decoder, nn.Module),
            f"{name} should return an nn.Module but returned {describe(decoder)}.",
        )
        _check_decoder_layers(ex, name, decoder, latent, hidden, asked)
        with torch_seed(65):
            a, b = torch.randn(2, 6, latent) * 2  # two batches (6, latent_dim)
        z = torch.cat([a, b, a + b, torch.zeros_like(a)])  # (24, latent_dim)
        out = _run_decoder(ex, name, decoder, z)
        values = _check_decoder_output(ex, name, out, len(z))
        # A decoder without a non-linearity before the sigmoid has affine logits:
        # logit(a) + logit(b) == logit(a + b) + logit(0).
        logits = np.log(values) - np.log1p(-values)  # (24, 784)
        parts = logits.reshape(4, 6, N_PIXELS)
        residual = np.abs(parts[0] + parts[1] - parts[2] - parts[3]).max()
        ensure(
            ex,
            residual > 1e-3,
            f"the decoder built by {name} has no non-linearity between its two "
            "linear layers, so together they act as one: put a ReLU between them.",
        )
        params = dict(decoder.named_parameters())
        ensure(
            ex,
            out.requires_grad,
            f"the output of the decoder built by {name} does not track gradients: "
            "do not detach or use torch.no_grad() in it.",
        )
        grads = _grads(ex, "the decoder's output", out, list(params.values()))
        for key, grad in zip(params, grads, strict=True):
            ensure(
                ex,
                grad is not None,
                f"the parameter {key} of the decoder built by {name} gets no "
                "gradient: use every layer, and detach nothing.",
            )
    passed(
        ex,
        "make_decoder builds latent_dim -> hidden_dim -> 784 decoders with a "
        "non-linearity between and outputs in (0, 1), for latent sizes 20, 2 and 5.",
    )


# --- Exercise 6.6: generating a requested digit ---------------------------------------


class _RecordingDecoder(nn.Module):
    """A stand-in decoder, a fixed linear layer and a sigmoid, that notes its inputs."""

    def __init__(self, in_features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(in_features, N_PIXELS)
        self.calls: list[list[Any]] = []  # the arguments of each call
        self.outputs: list[torch.Tensor] = []

    def forward(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        """Note the arguments; decode a well-formed input, else return grey images."""
        given = [*args, *kwargs.values()]
        self.calls.append(
            [a.detach().clone() if isinstance(a, torch.Tensor) else a for a in given]
        )
        x = given[0] if given else None
        weight = self.linear.weight
        if (
            len(given) == 1
            and isinstance(x, torch.Tensor)
            and x.dim() == 2
            and x.shape[1] == weight.shape[1]
            and x.dtype == weight.dtype
        ):
            out = torch.sigmoid(self.linear(x))
        else:
            rows = x.shape[0] if isinstance(x, torch.Tensor) and x.dim() > 0 else 1
            out = torch.full((rows, N_PIXELS), 0.5)
        self.outputs.append(out.detach().clone())
        return out


#: (digit, n, latent_dim, num_classes); None leaves num_classes at its default, 10.
GENERATE_CASES = [(7, 2_000, 8, None), (0, 3, 2, 4), (3, 1, 5, None)]
DEFAULT_CLASSES = 10


def _decoder_input(
    ex: str,
    name: str,
    decoder: _RecordingDecoder,
    n: int,
    latent: int,
    classes: int,
    asked: int | None,
) -> torch.Tensor:
    """Check what the decoder received and return it as one (n, width) tensor."""
    ensure(ex, len(decoder.calls) > 0, f"{name} never calls the decoder.")
    parts = []
    for given in decoder.calls:
        ensure(
            ex,
            len(given) == 1,
            f"{name} calls the decoder with {len(given)} arguments: pass it one "
            "tensor, torch.cat([z, one_hot], dim=1).",
        )
        (x,) = given
        ensure(
            ex,
            isinstance(x, torch.Tensor) and x.dim() == 2,
            f"{name} passes the decoder {describe(x)} but it expects a tensor of "
            "shape (n, latent_dim + num_classes).",
        )
        parts.append(x)
    widths = {x.shape[1] for x in parts}
    ensure(
        ex,
        len(widths) == 1,
        f"{name} passes the decoder tensors of different widths, {sorted(widths)}.",
    )
    width, want = parts[0].shape[1], latent + classes
    ensure(
        ex,
        width != latent,
        f"{name} passes the decoder only z: append the one-hot vector of the digit, "
        "torch.cat([z, one_hot], dim=1).",
    )
    ensure(
        ex,
        width != latent + 1,
        f"{name} passes the digit to the decoder as one number: encode it as a "
        "one-hot vector of length num_classes, with F.one_hot.",
    )
    ensure(
        ex,
        asked is None or width != latent + DEFAULT_CLASSES,
        f"{name} passes the decoder a one-hot vector of length {DEFAULT_CLASSES}: "
        "use the argument num_classes.",
    )
    ensure(
        ex,
        width == want,
        f"{name} passes the decoder inputs with {width} columns but it expects "
        f"latent_dim + num_classes = {want}.",
    )
    inputs = torch.cat(parts)  # (rows, width)
    ensure(
        ex,
        len(inputs) == n,
        f"{name} passes the decoder {len(inputs)} rows in all but should pass one per "
        f"image, n = {n}.",
    )
    ensure(
        ex,
        inputs.dtype == torch.float32,
        f"{name} passes the decoder a tensor of dtype {inputs.dtype} but its weights "
        "are float32: build z with torch.randn and the one-hot vector with "
        "F.one_hot(...).float().",
    )
    return inputs


def _check_condition(
    ex: str, name: str, inputs: torch.Tensor, digit: int, latent: int, classes: int
) -> None:
    """Check that each row ends with the one-hot vector of ``digit``."""
    one_hot = F.one_hot(torch.tensor(digit), classes).float()  # (classes,)
    tail, head = inputs[:, latent:], inputs[:, :classes]
    if torch.equal(tail, one_hot.expand_as(tail)):
        return
    ensure(
        ex,
        latent == classes or not torch.equal(head, one_hot.expand_as(head)),
        f"{name} puts the one-hot vector before z: the order is "
        "torch.cat([z, one_hot], dim=1).",
    )
    is_one_hot = bool(((tail == 0) | (tail == 1)).all() and (tail.sum(1) == 1).all())
    marked = tail.argmax(dim=1).unique().tolist() if is_one_hot else []
    ensure(
        ex,
        len(marked) != 1,
        f"{name} passes the decoder a one-hot vector that marks class "
        f"{marked[0] if marked else ''} in every row, but it should mark the "
        f"requested digit, {digit}.",
    )
    raise CheckFailed(
        ex,
        f"the last num_classes = {classes} columns of what {name} passes the decoder "
        f"should be the one-hot vector of the digit (a 1 at index {digit}, 0 "
        "elsewhere) in every row.",
    )


def _check_prior_draws(ex: str, name: str, z: torch.Tensor) -> None:
    """Check that the rows of z look like independent draws from N(0, I)."""
    values = z.double().numpy()
    ensure(
        ex,
        bool(np.all(np.isfinite(values))),
        f"{name} passes the decoder a z that holds nan or inf.",
    )
    ensure(
        ex,
        bool(np.any(values != 0)),
        f"{name} passes the decoder a z of zeros: sample it from the prior, "
        "torch.randn(n, latent_dim).",
    )
    ensure(
        ex,
        not np.allclose(values, values[:1], rtol=0, atol=1e-7),
        f"{name} gives every image the same z: draw a tensor of shape "
        "(n, latent_dim), one row per image.",
    )
    ensure(
        ex,
        not np.all(values >= 0),
        f"z in {name} is never negative: torch.rand draws from [0, 1), but the prior "
        "is the standard normal distribution, torch.randn.",
    )
    mean, std = values.mean(), values.std()
    tolerance = 5 / np.sqrt(values.size)
    ensure(
        ex,
        abs(mean) < tolerance and abs(std - 1) < 2 * tolerance + 0.01,
        f"over {values.size:,} numbers, z in {name} has mean {mean:.3f} and standard "
        f"deviation {std:.3f}, but the prior N(0, I) has mean 0 and standard "
        "deviation 1: sample z with torch.randn.",
    )


def _check_images(
    ex: str, name: str, images: Any, decoder: _RecordingDecoder, n: int
) -> None:
    """Check the returned images: shape, values of the decoder reshaped, no graph."""
    ensure(
        ex,
        isinstance(images, torch.Tensor),
        f"{name} returned {describe(images)} but should return a tensor of shape "
        f"({n}, 1, 28, 28).",
    )
    shape = tuple(images.shape)
    ensure(
        ex,
        shape != (n, N_PIXELS),
        f"{name} returned flat vectors of shape {shape}: reshape them to images, "
        f"({n}, 1, 28, 28).",
    )
    ensure(
        ex,
        shape != (n, 28, 28),
        f"{name} returned shape {shape}, without the channel axis: reshape to "
        f"({n}, 1, 28, 28).",
    )
    expected = torch.cat(decoder.outputs).view(-1, 1, 28, 28)  # (n, 1, 28, 28)
    ensure_like(ex, name, images.detach(), expected)
    ensure(
        ex,
        not images.requires_grad,
        f"the images from {name} still track gradients: generate them under "
        "torch.no_grad(), as nothing is trained here.",
    )
    ensure(
        ex,
        is_close(float_values(images), expected.numpy(), 1e-6, 1e-7),
        f"the images from {name} are not the decoder's outputs reshaped: return "
        "decoder(...).view(n, 1, 28, 28), with no further change.",
    )


def check_generate(generate: Any) -> None:
    """Check Exercise 6.6: decoder input [z, one_hot], z ~ N(0, I), images out."""
    ex = "6.6"
    for index, (digit, n, latent, asked) in enumerate(GENERATE_CASES):
        classes = DEFAULT_CLASSES if asked is None else asked
        kwargs = {} if asked is None else {"num_classes": asked}
        name = f"generate(decoder, digit={digit}, n={n}, latent_dim={latent}" + (
            ")" if asked is None else f", num_classes={asked})"
        )
        with torch_seed(66):
            decoder = _RecordingDecoder(latent + classes)
            images = call(ex, generate, decoder, digit, n, latent, **kwargs)
            if index == 0:  # a second call in the same stream should draw anew
                second = _RecordingDecoder(latent + classes)
                call(ex, generate, second, digit, n, latent, **kwargs)
        inputs = _decoder_input(ex, name, decoder, n, latent, classes, asked)
        _check_condition(ex, name, inputs, digit, latent, classes)
        z = inputs[:, :latent]
        if n > 1:
            _check_prior_draws(ex, name, z)
        _check_images(ex, name, images, decoder, n)
        if index == 0:
            again = _decoder_input(ex, name, second, n, latent, classes, asked)
            ensure(
                ex,
                not torch.equal(again[:, :latent], z),
                f"{name} gives the same z on every call: draw new noise each time, "
                "and do not reseed inside the function.",
            )
    passed(
        ex,
        "The decoder gets [z, one_hot] with z ~ N(0, I) and the requested digit, and "
        "its outputs come back as (n, 1, 28, 28) images.",
    )
