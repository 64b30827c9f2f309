"""Checkers for the exercises of chapter 2: MLPs and backpropagation.

Each ``check_*`` takes the student's answer (values, a function or a class), computes
its own reference (with PyTorch autograd wherever a gradient is involved), and either
prints a confirmation or raises :class:`CheckFailed` with one sentence. Checkers seed
their own generators, so running them leaves the notebook's random state as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from dlbook.checks import (
    CheckFailed,
    as_number,
    build_model,
    call,
    compare_arrays,
    compare_gradient,
    constant_ratio,
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
    "check_batter_pitcher_ext",
    "check_dropout",
    "check_linear_backward",
    "check_numerical_gradient",
    "check_softmax_cross_entropy",
    "check_train",
    "check_worked_example",
]


# --- Exercise 2.1: the worked backpropagation example ---------------------------------

#: The given numbers of the worked example (course notes, Example 1.4). The weight
#: w_ij joins node i to the j-th unit of the next layer; the hidden units h1, h2 are
#: nodes 3 and 4 as seen from the output layer.
EXAMPLE_INPUTS = (1.0, 2.0)
EXAMPLE_TARGETS = (2.0, 4.0)
EXAMPLE_PARAMS = {
    "w11": 1.0,
    "w12": 0.5,
    "w21": -0.5,
    "w22": 1.0,
    "w31": 0.5,
    "w32": -2.0,
    "w41": -1.0,
    "w42": 0.5,
    "b1": -0.5,
    "b2": -0.5,
    "b3": 1.0,
    "b4": 1.0,
}
EXAMPLE_LR = 0.01
EXAMPLE_UPDATED = ("w31", "w42", "w22")


def _worked_example(variant: str = "") -> dict[str, Any]:
    """Forward and backward pass of the worked example with autograd, in float64.

    ``variant`` reproduces a classic mistake: "sum" differentiates the sum of squared
    errors, "straight" lets gradients pass the output ReLUs as if they were linear.
    """
    p = {
        k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
        for k, v in EXAMPLE_PARAMS.items()
    }
    x1, x2 = EXAMPLE_INPUTS
    t = torch.tensor(EXAMPLE_TARGETS, dtype=torch.float64)

    def out_act(z: torch.Tensor) -> torch.Tensor:
        if variant == "straight":  # the ReLU's value, the identity's gradient
            return z + (torch.relu(z) - z).detach()
        return torch.relu(z)

    h1 = torch.relu(x1 * p["w11"] + x2 * p["w21"] + p["b1"])
    h2 = torch.relu(x1 * p["w12"] + x2 * p["w22"] + p["b2"])
    z_out = torch.stack(
        [
            h1 * p["w31"] + h2 * p["w41"] + p["b3"],
            h1 * p["w32"] + h2 * p["w42"] + p["b4"],
        ]
    )
    y = out_act(z_out)
    squared = (y - t) ** 2
    loss = squared.sum() if variant == "sum" else squared.mean()
    loss.backward()
    return {
        "y": y.detach().numpy(),
        "z": z_out.detach().numpy(),
        "mse": squared.mean().item(),
        "sse": squared.sum().item(),
        "grad": {k: p[k].grad.item() for k in EXAMPLE_UPDATED},
    }


def _check_update(ex: str, name: str, answer: float) -> None:
    """Check one gradient-descent update of the worked example; explain a mistake."""
    old, lr = EXAMPLE_PARAMS[name], EXAMPLE_LR
    grad = _worked_example()["grad"][name]
    new = f"{name}_new"
    if is_close(answer, old - lr * grad):
        return
    # Each classic mistake: the value it gives and what it does wrong.
    mistakes = [
        (old, f"equals the old {name} (subtract lr * dE/d{name} from it)"),
        (old + lr * grad, f"moves up the gradient (descent subtracts lr * dE/d{name})"),
        (
            old - grad,
            f"subtracts the whole gradient (multiply it by the learning rate lr = {lr})",
        ),
        (
            old - lr * _worked_example("sum")["grad"][name],
            "uses the gradient of the sum of squared errors (differentiate the mean, "
            "E = ((y1 - t1)**2 + (y2 - t2)**2) / 2)",
        ),
        (
            old - lr * _worked_example("straight")["grad"][name],
            "lets the gradient flow back through an output whose ReLU is inactive "
            "(its input is negative, so the ReLU's derivative there is 0)",
        ),
    ]
    found = [
        what for value, what in mistakes if grad != 0.0 and is_close(answer, value)
    ]
    if len(found) == 1:
        raise CheckFailed(ex, f"{new} {found[0]}.")
    if found:
        raise CheckFailed(
            ex, f"{new} is {answer:g}: it either {', or '.join(found[:2])}."
        )
    raise CheckFailed(
        ex,
        f"{new} is {answer:g}, which is not right: multiply the local derivatives along "
        f"every path from E back to {name} (chain rule).",
    )


def check_worked_example(
    y: Any, mse: Any, w31_new: Any, w42_new: Any, w22_new: Any
) -> None:
    """Check Exercise 2.1: outputs, MSE and three updated weights of the worked example."""
    ex = "2.1"
    ref = _worked_example()
    values = None
    if isinstance(y, list | tuple | np.ndarray | torch.Tensor):
        values = float_values(y)
        if values is not None and values.dtype != np.float64:
            values = None
    ensure(
        ex,
        values is not None,
        f"y should hold the two outputs, e.g. np.array([y1, y2]), but is {describe(y)}.",
    )
    values = values.reshape(-1)
    ensure(
        ex,
        values.size == 2,
        f"y holds {values.size} numbers but should hold the two outputs y1 and y2.",
    )
    ensure(ex, bool(np.all(np.isfinite(values))), "y holds values that are not finite.")
    for k in range(2):
        if is_close(values[k], ref["y"][k]):
            continue
        ensure(
            ex,
            not is_close(values[k], ref["z"][k]),
            f"y[{k}] is the input of the output unit's ReLU: apply the ReLU to get "
            f"y{k + 1}.",
        )
        raise CheckFailed(
            ex,
            f"y[{k}] (that is y{k + 1}) is {values[k]:g}, which is not right: compute "
            f"h1 and h2 first, then y{k + 1} from them, each with its ReLU.",
        )
    mse = as_number(ex, "mse", mse)
    if not is_close(mse, ref["mse"]):
        ensure(
            ex,
            not is_close(mse, ref["sse"]),
            "mse is the sum of the squared errors: the mean divides it by the number "
            "of outputs, 2.",
        )
        ensure(
            ex,
            not is_close(mse**2, ref["mse"]),
            "mse is the root of the mean squared error: do not take the square root.",
        )
        raise CheckFailed(
            ex,
            f"mse is {mse:g}, which is not right: average the squared differences "
            "between the outputs y and the targets t.",
        )
    answers = {"w31": w31_new, "w42": w42_new, "w22": w22_new}
    for name, answer in answers.items():
        _check_update(ex, name, as_number(ex, f"{name}_new", answer))
    passed(ex, "Outputs, MSE and all three updates are right.")


# --- Exercise 2.2: the backward pass of a linear layer --------------------------------


def _transposed(ex: str, name: str, answer: Any, expected: np.ndarray, of: str) -> None:
    """Fail with a hint when a gradient has its parameter's shape transposed."""
    shape = getattr(answer, "shape", None)
    if expected.ndim == 2 and expected.shape[0] != expected.shape[1]:
        ensure(
            ex,
            shape is None or tuple(shape) != expected.shape[::-1],
            f"{name} has shape {tuple(expected.shape[::-1])}, the shape of {of} "
            "transposed: a gradient always has the shape of what it is the gradient of.",
        )


def _tuple_of(ex: str, fn_name: str, result: Any, names: tuple[str, ...]) -> tuple:
    """Check that a function returned a tuple of ``len(names)`` values."""
    what = ", ".join(names)
    ensure(
        ex,
        isinstance(result, tuple | list) and len(result) == len(names),
        f"{fn_name} should return a tuple ({what}) but returned {describe(result)}"
        + (f" of length {len(result)}." if isinstance(result, tuple | list) else "."),
    )
    return tuple(result)


def check_linear_backward(linear_backward: Callable[..., Any]) -> None:
    """Check Exercise 2.2: ``linear_backward(X, W, b, dY)`` against autograd."""
    ex = "2.2"
    rng = exercise_rng(ex)
    for n, d_in, d_out in [(6, 4, 3), (1, 5, 2)]:
        X = rng.normal(size=(n, d_in))
        W = rng.normal(size=(d_out, d_in))
        b = rng.normal(size=d_out)
        dY = rng.normal(size=(n, d_out))
        leaves = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
        Xt, Wt, bt = leaves
        # Summing Y * dY gives the same gradients and skips a slow first-call import.
        ((Xt @ Wt.T + bt) * torch.from_numpy(dY)).sum().backward()  # Y = X W^T + b
        dX_ref, dW_ref, db_ref = (leaf.grad.numpy() for leaf in leaves)
        result = call(ex, linear_backward, X.copy(), W.copy(), b.copy(), dY.copy())
        dX, dW, db = _tuple_of(ex, "linear_backward", result, ("dX", "dW", "db"))
        _transposed(ex, "dX", dX, dX_ref, "X")
        compare_gradient(ex, "dX", dX, dX_ref, rtol=1e-6, atol=1e-9)
        _transposed(ex, "dW", dW, dW_ref, "W")
        compare_gradient(ex, "dW", dW, dW_ref, rtol=1e-6, atol=1e-9)
        factors = {}
        if n > 1:
            factors[1 / n] = (
                "db is the average of the rows of dY but should be their sum: every "
                "sample adds its own contribution to the gradient of b."
            )
        compare_gradient(ex, "db", db, db_ref, factors=factors, rtol=1e-6, atol=1e-9)
    passed(ex, "dX, dW and db agree with autograd.")


# --- Exercise 2.3: softmax and the gradient of the cross-entropy ----------------------


def _softmax_ref(Z: np.ndarray, dim: int = 1) -> np.ndarray:
    """Reference softmax over ``dim``, computed by PyTorch."""
    return torch.softmax(torch.from_numpy(Z), dim=dim).numpy()


def _logits(rng: np.random.Generator, n: int, c: int, scale: float) -> np.ndarray:
    """Logits (n, c): three rows around +1000, -1000 and 0 when ``scale`` is large."""
    offsets = np.array([scale, -scale, 0.0] * n)[:n, None]  # (n, 1)
    return rng.normal(scale=3.0, size=(n, c)) + offsets


def _check_softmax(ex: str, softmax: Callable[..., Any], Z: np.ndarray) -> None:
    """Check ``softmax(Z)`` on one array of logits."""
    name = "softmax(Z)"
    given = Z.copy()
    with np.errstate(all="ignore"):
        answer = call(ex, softmax, given)
    ensure(
        ex,
        np.array_equal(given, Z),
        "softmax changed the array Z passed to it: write Z = Z - ..., not Z -= ..., "
        "to leave the caller's array alone.",
    )
    expected = _softmax_ref(Z)
    ensure_like(ex, name, answer, expected)
    values = float_values(answer)
    if values is not None and not is_close(values, expected, 1e-6, 1e-12):
        big = float(np.abs(Z).max())
        ensure(
            ex,
            bool(np.all(np.isfinite(values))),
            f"{name} holds nan or inf for logits as large as {big:.0f}: subtract each "
            "row's maximum before np.exp (this does not change the result).",
        )
        ensure(
            ex,
            not is_close(values, _softmax_ref(Z, dim=0)),
            f"{name} normalises each column: each row (one sample) should sum to 1 "
            "over the classes, so sum along axis=1.",
        )
        ensure(
            ex,
            np.allclose(values.sum(axis=1), 1.0),
            f"the rows of {name} do not sum to 1: divide each row of exponentials by "
            "its own sum (keepdims=True keeps the shape (N, 1) for broadcasting).",
        )
    compare_arrays(ex, name, answer, expected, rtol=1e-6, atol=1e-12)


def check_softmax_cross_entropy(
    softmax: Callable[..., Any], softmax_cross_entropy: Callable[..., Any]
) -> None:
    """Check Exercise 2.3: a stable softmax, the mean cross-entropy and its gradient."""
    ex = "2.3"
    rng = exercise_rng(ex)
    cases = [(6, 4, 0.0), (6, 5, 1000.0)]
    for n, c, scale in cases:
        _check_softmax(ex, softmax, _logits(rng, n, c, scale))
    for n, c, scale in cases:
        Z = _logits(rng, n, c, scale)
        y = rng.integers(0, c, size=n)
        Zt = torch.tensor(Z, requires_grad=True)
        loss_ref = F.cross_entropy(Zt, torch.from_numpy(y))  # mean over the batch
        loss_ref.backward()
        with np.errstate(all="ignore"):
            result = call(ex, softmax_cross_entropy, Z.copy(), y.copy())
        loss, dZ = _tuple_of(ex, "softmax_cross_entropy", result, ("loss", "dZ"))
        ensure(
            ex,
            not isinstance(loss, float | np.floating) or np.isfinite(loss),
            f"the loss is {loss} for logits as large as {np.abs(Z).max():.0f}: compute "
            "log-probabilities from shifted logits, Z - max - log(sum(exp(Z - max))).",
        )
        loss = as_number(ex, "the loss", loss)
        if not is_close(loss, loss_ref.item()):
            ensure(
                ex,
                not is_close(loss, n * loss_ref.item()),
                "the loss is the sum over the batch: return the mean, divide by N.",
            )
            ensure(
                ex,
                not is_close(loss, -loss_ref.item()),
                "the loss has the wrong sign: the cross-entropy is minus the mean "
                "log-probability of the true classes.",
            )
            raise CheckFailed(
                ex,
                f"the loss is {loss:g}, which is not right: average -log p[n, y[n]], "
                "the log-probability of each sample's true class.",
            )
        compare_gradient(
            ex,
            "dZ",
            dZ,
            Zt.grad.numpy(),
            factors={
                n: "dZ is N times too large: the loss is the mean over the batch, so "
                "divide softmax(Z) - one_hot(y) by N."
            },
            rtol=1e-6,
            atol=1e-12,
        )
    passed(
        ex, "softmax is stable for large logits, and the loss and dZ match autograd."
    )


# --- Exercise 2.4: a gradient check by finite differences -----------------------------


def _f_sin(x: Any) -> float:
    """A smooth test function of an array: sum(sin(x) * x**2)."""
    return float(np.sum(np.sin(x) * x**2))


def _f_lse(x: Any) -> float:
    """A second test function: the log-sum-exp of the array plus a cubic term."""
    return float(np.log(np.sum(np.exp(x))) + np.sum(x**3) / 3)


def _autograd_of(f_name: str, x: np.ndarray) -> np.ndarray:
    """The exact gradient of one of the two test functions at ``x``, by autograd."""
    xt = torch.tensor(x, requires_grad=True)
    if f_name == "sin":
        value = (torch.sin(xt) * xt**2).sum()
    else:
        value = torch.logsumexp(xt.reshape(-1), dim=0) + (xt**3).sum() / 3
    value.backward()
    return xt.grad.numpy()


def _forward_difference(f: Callable, x: np.ndarray, eps: float) -> np.ndarray:
    """The one-sided estimate (f(x + eps e_i) - f(x)) / eps, element by element."""
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[i] += eps
        grad[i] = (f(shifted) - base) / eps
    return grad


def check_numerical_gradient(numerical_gradient: Callable[..., Any]) -> None:
    """Check Exercise 2.4: central differences agree with autograd, x left unchanged."""
    ex = "2.4"
    rng = exercise_rng(ex)
    eps = 1e-5
    cases = [
        ("sin", _f_sin, rng.normal(size=(3, 4))),
        ("lse", _f_lse, rng.normal(size=5)),
    ]
    for f_name, f, x in cases:
        name = "numerical_gradient(f, x)"
        given = x.copy()
        with np.errstate(all="ignore"):
            answer = call(ex, numerical_gradient, f, given, eps)
        ensure(
            ex,
            given.shape == x.shape and np.allclose(given, x, rtol=1e-12, atol=1e-14),
            "numerical_gradient left x changed: put each element back after "
            "perturbing it.",
        )
        expected = _autograd_of(f_name, x)
        ensure_like(ex, name, answer, expected)
        values = float_values(answer)
        if values is not None and not is_close(values, expected, 1e-6, 1e-8):
            ensure(
                ex,
                not is_close(values, _forward_difference(f, x, eps), 1e-6, 1e-8),
                f"{name} uses a one-sided difference: the central difference "
                "(f(x + eps) - f(x - eps)) / (2 * eps) is far more accurate.",
            )
            ratio = constant_ratio(values, expected)
            ensure(
                ex,
                ratio is None or not np.isclose(ratio, 2.0, rtol=1e-4),
                f"{name} is twice too large: divide by 2 * eps, the distance between "
                "x - eps and x + eps.",
            )
        compare_arrays(ex, name, answer, expected, rtol=1e-6, atol=1e-8)
    passed(ex, "Central differences agree with autograd to 1e-6.")


# --- Exercise 2.5: extending the batter-pitcher model ---------------------------------

#: Sizes the check builds the model with: all different, so a swap shows.
EXT_SIZES = {
    "n_batters": 13,
    "n_pitchers": 11,
    "n_innings": 9,
    "n_runners": 4,
    "embedding_dim": 5,
    "hidden_dim": 7,
    "n_outcomes": 6,
}
#: Each embedding, the size argument giving its number of rows, the input it looks up.
EXT_EMBEDDINGS = {
    "batter_embed": ("n_batters", "batter_idx"),
    "pitcher_embed": ("n_pitchers", "pitcher_idx"),
    "inning_embed": ("n_innings", "inning_idx"),
    "runners_embed": ("n_runners", "runners_idx"),
}


def _layer(ex: str, model: nn.Module, name: str, kind: type, how: str) -> Any:
    """Return ``model.<name>`` after checking it exists and is a ``kind`` layer."""
    layer = getattr(model, name, None)
    ensure(
        ex,
        layer is not None,
        f"the model has no attribute {name}: create it in __init__ as "
        f"self.{name} = {how}.",
    )
    ensure(
        ex,
        isinstance(layer, kind),
        f"model.{name} should be an nn.{kind.__name__} but is {describe(layer)}.",
    )
    return layer


def _check_ext_layers(ex: str, model: nn.Module) -> dict[str, nn.Module]:
    """Check the four embeddings and two linear layers and their sizes."""
    s = EXT_SIZES
    layers = {}
    for name, (rows, _) in EXT_EMBEDDINGS.items():
        emb = _layer(
            ex, model, name, nn.Embedding, f"nn.Embedding({rows}, embedding_dim)"
        )
        ensure(
            ex,
            (emb.num_embeddings, emb.embedding_dim) == (s[rows], s["embedding_dim"]),
            f"model.{name} is nn.Embedding({emb.num_embeddings}, {emb.embedding_dim}) "
            f"but should have {rows} rows of embedding_dim numbers.",
        )
        layers[name] = emb
    hidden = _layer(
        ex, model, "hidden", nn.Linear, "nn.Linear(4 * embedding_dim, hidden_dim)"
    )
    ensure(
        ex,
        hidden.in_features == 4 * s["embedding_dim"],
        f"model.hidden takes {hidden.in_features} inputs but should take the four "
        "embeddings side by side, 4 * embedding_dim.",
    )
    ensure(
        ex,
        hidden.out_features == s["hidden_dim"],
        f"model.hidden has {hidden.out_features} outputs but should have hidden_dim.",
    )
    fc = _layer(ex, model, "fc", nn.Linear, "nn.Linear(hidden_dim, n_outcomes)")
    ensure(
        ex,
        (fc.in_features, fc.out_features) == (s["hidden_dim"], s["n_outcomes"]),
        f"model.fc is nn.Linear({fc.in_features}, {fc.out_features}) but should map "
        "hidden_dim hidden units to n_outcomes scores.",
    )
    layers.update(hidden=hidden, fc=fc)
    return layers


def _record_calls(layers: dict[str, nn.Module]) -> tuple[dict[str, list], list]:
    """Hook every layer to record [input, output] copies of each call.

    The input is recorded before the layer runs, so it is there even when the layer
    then fails (an index out of range, say); the output stays None in that case.
    """
    seen: dict[str, list] = {name: [] for name in layers}
    handles = []

    def copy_of(value: Any) -> Any:
        return value.detach().clone() if isinstance(value, torch.Tensor) else value

    for name, layer in layers.items():

        def before(module, inputs, name=name):
            seen[name].append([copy_of(inputs[0]) if inputs else None, None])

        def after(module, inputs, output, name=name):
            seen[name][-1][1] = copy_of(output)

        handles.append(layer.register_forward_pre_hook(before))
        handles.append(layer.register_forward_hook(after))
    return seen, handles


def _out_of_range(ex: str, seen: dict[str, list], layers: dict[str, Any]) -> None:
    """Explain an embedding given indices beyond its rows, if that is what happened."""
    for name, (_, idx) in EXT_EMBEDDINGS.items():
        for looked_up, _ in seen[name]:
            if isinstance(looked_up, torch.Tensor) and looked_up.numel() > 0:
                top, rows = int(looked_up.max()), layers[name].num_embeddings
                ensure(
                    ex,
                    top < rows,
                    f"model.{name} was given the index {top} but has only {rows} "
                    f"rows: it should look up {idx}.",
                )


def _is_concat_of(cat: torch.Tensor, parts: list[torch.Tensor]) -> bool:
    """True if ``cat`` (B, k*D) is the blocks ``parts`` (each (B, D)) in some order."""
    dim = parts[0].shape[1]
    if cat.shape != (parts[0].shape[0], dim * len(parts)):
        return False
    blocks = list(cat.split(dim, dim=1))
    unused = list(range(len(parts)))
    for block in blocks:
        match = next((j for j in unused if torch.allclose(block, parts[j])), None)
        if match is None:
            return False
        unused.remove(match)
    return True


def check_batter_pitcher_ext(BatterPitcher2VecExt: Any) -> None:
    """Check Exercise 2.5: the layers, forward pass and gradients of the model."""
    ex = "2.5"
    model = build_model(
        ex, BatterPitcher2VecExt, "BatterPitcher2VecExt", 25, **EXT_SIZES
    )
    layers = _check_ext_layers(ex, model)
    batch_size = 32
    g = torch.Generator().manual_seed(25)
    inputs = {
        idx: torch.randint(EXT_SIZES[rows], (batch_size,), generator=g)
        for rows, idx in EXT_EMBEDDINGS.values()
    }
    seen, handles = _record_calls(layers)

    def forward(*args: torch.Tensor) -> Any:
        return model(*args)

    forward.__name__ = "the model's forward"
    try:
        with torch_seed(25):
            out = call(ex, forward, *inputs.values())
    except CheckFailed:
        _out_of_range(ex, seen, layers)
        raise
    finally:
        for handle in handles:
            handle.remove()
    shape = (batch_size, EXT_SIZES["n_outcomes"])
    ensure(
        ex,
        isinstance(out, torch.Tensor),
        f"the model's forward should return a tensor but returned {describe(out)}.",
    )
    ensure(
        ex,
        tuple(out.shape) == shape,
        f"the output has shape {tuple(out.shape)} but should have shape "
        f"(batch_size, n_outcomes) = {shape}.",
    )
    ensure(
        ex,
        out.dtype == torch.float32,
        f"the output has dtype {out.dtype} but should have torch.float32.",
    )
    for name, (_, idx) in EXT_EMBEDDINGS.items():
        ensure(ex, len(seen[name]) > 0, f"forward never uses model.{name}.")
        looked_up = seen[name][0][0]
        ensure(
            ex,
            isinstance(looked_up, torch.Tensor)
            and looked_up.shape == inputs[idx].shape
            and torch.equal(looked_up.to(inputs[idx].dtype), inputs[idx]),
            f"model.{name} should look up {idx}, the matching argument of forward.",
        )
    ensure(ex, len(seen["hidden"]) > 0, "forward never uses model.hidden.")
    ensure(ex, len(seen["fc"]) > 0, "forward never uses model.fc.")
    cat = seen["hidden"][0][0]
    embeddings = [seen[name][0][1] for name in EXT_EMBEDDINGS]
    ensure(
        ex,
        isinstance(cat, torch.Tensor) and _is_concat_of(cat, embeddings),
        "the input of model.hidden should be the four embeddings concatenated along "
        "dim=1, as torch.cat([...], dim=1) does.",
    )
    hidden_out = seen["hidden"][0][1]
    fc_in, fc_out = seen["fc"][0]
    if not (isinstance(fc_in, torch.Tensor) and fc_in.shape == hidden_out.shape):
        raise CheckFailed(ex, "model.fc should take the activations of model.hidden.")
    if not torch.allclose(fc_in, torch.relu(hidden_out)):
        ensure(
            ex,
            not torch.allclose(fc_in, hidden_out),
            "there is no ReLU between model.hidden and model.fc: without it the two "
            "layers collapse into one linear map.",
        )
        raise CheckFailed(
            ex,
            "the input of model.fc should be the ReLU of model.hidden's output "
            "(torch.relu or nn.ReLU), nothing else.",
        )
    if not (isinstance(fc_out, torch.Tensor) and torch.allclose(out.detach(), fc_out)):
        ensure(
            ex,
            not (
                isinstance(fc_out, torch.Tensor)
                and (
                    torch.allclose(out.detach(), torch.sigmoid(fc_out))
                    or torch.allclose(out.detach(), torch.softmax(fc_out, dim=1))
                )
            ),
            "forward squashes the scores of model.fc: return them as they are "
            "(logits), since nn.CrossEntropyLoss applies the softmax itself.",
        )
        raise CheckFailed(ex, "forward should return the output of model.fc unchanged.")
    ensure(
        ex,
        out.requires_grad,
        "the output does not track gradients: do not detach it or compute it under "
        "torch.no_grad().",
    )
    model.zero_grad(set_to_none=True)
    target = torch.randint(EXT_SIZES["n_outcomes"], (batch_size,), generator=g)
    F.cross_entropy(out, target).backward()
    for name, param in model.named_parameters():
        ensure(
            ex,
            param.grad is not None and bool(param.grad.abs().sum() > 0),
            f"model.{name} gets no gradient from the loss: every parameter must be "
            "used in forward, without .detach() in between.",
        )
    model.zero_grad(set_to_none=True)
    passed(ex, f"Four embeddings, a ReLU hidden layer, output of shape {shape}.")


# --- Exercise 2.6: a training loop ----------------------------------------------------

TRAIN_EPOCHS = 5
TRAIN_BATCH = 32


def _train_setup(device: torch.device) -> tuple[nn.Module, DataLoader, nn.Module, Any]:
    """A fixed small classification task: model, loader, loss and optimiser."""
    rng = exercise_rng("2.6")
    X = rng.normal(size=(192, 8)).astype(np.float32)  # (N, D)
    teacher = rng.normal(size=(8, 3))
    y = (X @ teacher).argmax(axis=1)  # (N,) classes 0..2
    data = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
    loader = DataLoader(
        data,
        batch_size=TRAIN_BATCH,
        shuffle=True,
        generator=torch.Generator().manual_seed(26),
    )
    with torch_seed(26):
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    model = model.to(device).eval()  # the loop must switch it to training mode
    loss_fn = nn.CrossEntropyLoss().to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    return model, loader, loss_fn, optimizer


def _reference_train(
    device: torch.device, num_epochs: int, variant: str = ""
) -> tuple[nn.Module, list[float], list[list[float]]]:
    """The canonical loop; ``variant`` "no_zero_grad" reproduces that mistake."""
    model, loader, loss_fn, optimizer = _train_setup(device)
    model.train()
    losses, batches = [], []
    for _ in range(num_epochs):
        batch_losses = []
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            if variant != "no_zero_grad":
                optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            batch_losses.append(loss.item())
        losses.append(float(np.mean(batch_losses)))
        batches.append(batch_losses)
    return model, losses, batches


def _same_parameters(a: nn.Module, b: nn.Module) -> bool:
    """True when two models of the same architecture hold the same parameter values."""
    return all(
        torch.allclose(p.detach().cpu(), q.detach().cpu(), rtol=1e-5, atol=1e-6)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def check_train(
    train: Callable[..., Any], device: torch.device | str | None = None
) -> None:
    """Check Exercise 2.6: ``train`` against the canonical loop on a small task."""
    ex = "2.6"
    device = torch.device("cpu") if device is None else torch.device(device)
    model, loader, loss_fn, optimizer = _train_setup(device)
    initial = copy.deepcopy(model)
    log = {"train": 0, "eval": 0, "wrong_device": None}

    def model_hook(module: nn.Module, args: tuple) -> None:
        if torch.is_grad_enabled():
            log["train" if module.training else "eval"] += 1
        for arg in args:
            if isinstance(arg, torch.Tensor) and arg.device.type != device.type:
                log["wrong_device"] = arg.device.type

    def loss_hook(module: nn.Module, args: tuple) -> None:
        for arg in args:
            if isinstance(arg, torch.Tensor) and arg.device.type != device.type:
                log["wrong_device"] = arg.device.type

    handles = [
        model.register_forward_pre_hook(model_hook),
        loss_fn.register_forward_pre_hook(loss_hook),
    ]
    try:
        with torch_seed(26):
            losses = call(ex, train, model, loader, loss_fn, optimizer, TRAIN_EPOCHS)
    except CheckFailed:
        if log["wrong_device"] is not None:
            raise CheckFailed(
                ex,
                f"the model is on {device.type} but a batch reached it on "
                f"{log['wrong_device']}: move X and y with .to(device), where device "
                "is that of the model's parameters.",
            ) from None
        raise
    finally:
        for handle in handles:
            handle.remove()
    ensure(
        ex,
        log["wrong_device"] is None,
        f"the model is on {device.type} but a batch reached it on "
        f"{log['wrong_device']}: move X and y to the model's device with .to(device).",
    )
    ensure(
        ex,
        losses is not None,
        "train returned None: return the list of the epochs' average losses.",
    )
    ensure(
        ex,
        isinstance(losses, list | tuple),
        f"train should return a list of losses but returned {describe(losses)}.",
    )
    ensure(
        ex,
        len(losses) == TRAIN_EPOCHS,
        f"train returned {len(losses)} losses for num_epochs={TRAIN_EPOCHS}: return "
        "one average loss per epoch.",
    )
    for i, value in enumerate(losses):
        ensure(
            ex,
            not isinstance(value, torch.Tensor),
            f"losses[{i}] is a tensor: store loss.item(), a plain float, so that the "
            "list does not keep every batch's graph alive.",
        )
        as_number(ex, f"losses[{i}]", value)
    n_batches = len(loader)
    ensure(
        ex,
        log["train"] + log["eval"] > 0,
        "the model was never called with gradients on: compute the predictions with "
        "model(X) inside the loop.",
    )
    ensure(
        ex,
        log["eval"] == 0,
        "the model ran in evaluation mode during training: call model.train() before "
        "the loop (dropout and batch norm behave differently in the two modes).",
    )
    ensure(
        ex,
        log["train"] == TRAIN_EPOCHS * n_batches,
        f"the model was called {log['train']} times but {TRAIN_EPOCHS} epochs of "
        f"{n_batches} batches need {TRAIN_EPOCHS * n_batches} calls, one per batch.",
    )
    ensure(
        ex,
        not _same_parameters(model, initial),
        "the parameters did not change: after loss.backward() call optimizer.step(), "
        "and call optimizer.zero_grad() before the backward, not between it and step.",
    )
    reference, ref_losses, ref_batches = _reference_train(device, TRAIN_EPOCHS)
    if not _same_parameters(model, reference):
        accumulated, _, _ = _reference_train(device, TRAIN_EPOCHS, "no_zero_grad")
        ensure(
            ex,
            not _same_parameters(model, accumulated),
            "gradients pile up from batch to batch: call optimizer.zero_grad() before "
            "each loss.backward().",
        )
        raise CheckFailed(
            ex,
            "after training, the parameters differ from those of the canonical loop: "
            "for each batch do zero_grad, forward, loss, backward, step, once each.",
        )
    values = [float(v) for v in losses]
    if not is_close(values, ref_losses, 1e-5, 1e-7):
        ensure(
            ex,
            not is_close(values, [sum(b) for b in ref_batches], 1e-5, 1e-7),
            "each epoch's loss is the sum of its batch losses: return their average.",
        )
        ensure(
            ex,
            not is_close(values, [b[-1] for b in ref_batches], 1e-5, 1e-7),
            "each epoch's loss is that of its last batch only: return the average "
            "over all its batches.",
        )
        raise CheckFailed(
            ex,
            "the parameters are trained right but the returned losses are not the "
            "averages of each epoch's batch losses.",
        )
    ensure(
        ex,
        values[-1] < 0.5 * values[0],
        "the loss did not decrease clearly over the epochs.",
    )
    passed(
        ex,
        f"The loss fell from {values[0]:.3f} to {values[-1]:.3f} on {device.type}, "
        "exactly as with the canonical loop.",
    )


# --- Exercise 2.7: inverted dropout ---------------------------------------------------


def _check_dropout_eval(ex: str, dropout: Callable[..., Any], X: np.ndarray) -> None:
    """In evaluation mode, dropout returns X unchanged."""
    answer = call(ex, dropout, X.copy(), 0.5, False, np.random.default_rng(27))
    name = "dropout(X, 0.5, training=False, rng)"
    ensure_like(ex, name, answer, X)
    values = float_values(answer)
    if values is not None and not is_close(values, X, 1e-12, 0.0):
        ensure(
            ex,
            bool(np.all(values != 0)),
            f"{name} drops elements: in evaluation mode dropout does nothing.",
        )
        raise CheckFailed(
            ex,
            f"{name} changes X: in evaluation mode inverted dropout returns X as it "
            "is, since the scaling already happened during training.",
        )


def check_dropout(dropout: Callable[..., Any]) -> None:
    """Check Exercise 2.7: inverted dropout in training and evaluation mode."""
    ex = "2.7"
    rng = exercise_rng(ex)
    X = rng.normal(size=(200, 500)) + 0.1  # (N, D), no exact zeros
    _check_dropout_eval(ex, dropout, X)
    p = 0.3
    name = f"dropout(X, {p}, training=True, rng)"
    gen = np.random.default_rng(270)
    given = X.copy()
    answer = call(ex, dropout, given, p, True, gen)
    ensure(
        ex,
        np.array_equal(given, X),
        "dropout changed the array X passed to it: return a new array instead.",
    )
    ensure_like(ex, name, answer, X)
    values = float_values(answer)
    ensure(ex, values is not None, f"{name} holds values that are not numbers.")
    dropped = values == 0  # (N, D)
    frac = float(dropped.mean())
    ensure(
        ex,
        abs(frac - (1 - p)) > 0.02,
        f"{name} drops {frac:.0%} of the elements: p is the probability to drop an "
        "element, not to keep it.",
    )
    ensure(
        ex,
        abs(frac - p) < 0.02,
        f"{name} drops {frac:.0%} of the elements but should drop each one with "
        f"probability p = {p}.",
    )
    for axis, what in [(1, "row"), (0, "column")]:
        share = dropped.mean(axis=axis)
        ensure(
            ex,
            not np.all((share == 0) | (share == 1)),
            f"{name} drops whole {what}s: draw one random number per element, "
            "rng.random(X.shape).",
        )
    kept = ~dropped
    ratio = values[kept] / X[kept]
    if not np.allclose(ratio, 1 / (1 - p)):
        mistakes = {
            1.0: "are not scaled: divide them by 1 - p, so that the expected output "
            "equals X",
            1 - p: "are multiplied by 1 - p: divide by it instead",
            1 / p: "are divided by p: divide by 1 - p, the probability to keep",
        }
        for factor, message in mistakes.items():
            ensure(
                ex,
                not np.allclose(ratio, factor),
                f"in {name}, the kept elements {message}.",
            )
        raise CheckFailed(ex, f"in {name}, each kept element should equal X / (1 - p).")
    again = float_values(call(ex, dropout, X.copy(), p, True, gen))
    ensure(
        ex,
        again is not None
        and again.shape == X.shape
        and not np.array_equal(again == 0, dropped),
        "two calls dropped exactly the same elements: draw a fresh mask from the rng "
        "passed in at every call.",
    )
    answer = float_values(call(ex, dropout, X.copy(), 0.0, True, gen))
    ensure(
        ex,
        answer is not None and is_close(answer, X, 1e-12, 0.0),
        "with p = 0, dropout in training mode should return X unchanged.",
    )
    passed(ex, f"It drops {frac:.1%} of the elements for p = {p} and keeps the mean.")
