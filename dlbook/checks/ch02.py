"""Checkers for the exercises of chapter 2: MLPs and backpropagation (see dlbook.checks).

References are computed with PyTorch autograd wherever a gradient is involved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from dlbook.checks import (
    NOT_REGISTERED,
    CheckFailed,
    as_number,
    build_model,
    call,
    check_function,
    describe,
    ensure,
    exercise_rng,
    float_values,
    gradients_reach,
    name_mistake,
    no_autograd,
    one_thread,
    passed,
    relu,
    run_trained,
    same,
    torch_seed,
    trace,
)
from dlbook.setup import pick

# --- Exercises 2.1 and 2.2: backpropagation by hand ---------------------------------------

#: The worked example's numbers: w_ij joins node i to unit j of the next layer.
EXAMPLE = dict(w11=1.0, w12=0.5, w21=-0.5, w22=1.0, w31=0.5, w32=-2.0, w41=-1.0, w42=0.5,
               b1=-0.5, b2=-0.5, b3=1.0, b4=1.0)
X_IN, TARGETS, LR = (1.0, 2.0), (2.0, 4.0), 0.01


def _worked(variant: str = "") -> dict[str, Any]:
    """The example's outputs, MSE and updates; ``variant`` reproduces a mistake."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in EXAMPLE.items()}
    (x1, x2), t = X_IN, torch.tensor(TARGETS, dtype=torch.float64)
    h1 = torch.relu(x1 * p["w11"] + x2 * p["w21"] + p["b1"])
    h2 = torch.relu(x1 * p["w12"] + x2 * p["w22"] + p["b2"])
    z = torch.stack([h1 * p["w31"] + h2 * p["w41"] + p["b3"],
                     h1 * p["w32"] + h2 * p["w42"] + p["b4"]])
    y = z + (torch.relu(z) - z).detach() if variant == "straight" else torch.relu(z)
    squared = (y - t) ** 2
    (squared.sum() if variant == "sum" else squared.mean()).backward()
    step = {"ascent": -LR, "whole": 1.0}.get(variant, LR)
    out = dict(y=y.detach().numpy(), z=z.detach().numpy(), mse=squared.mean().item(),
               sse=squared.sum().item())
    out.update({f"{k}_new": EXAMPLE[k] - step * p[k].grad.item() for k in ("w31", "w42", "w22")})
    return out


def _worked_mistakes() -> list[tuple[dict, str]]:
    """Wrong answers of 2.1, one quantity off each; dropped where it equals the right one."""
    ref = _worked()
    table = [({"y": ref["z"]}, "y holds the inputs of the output ReLUs: apply the ReLU to get "
              "y1 and y2."),
             ({"mse": ref["sse"]}, "mse is the sum of the squared errors: the mean divides it "
              "by 2."),
             ({"mse": math.sqrt(ref["mse"])}, "mse is the root of the mean squared error: leave "
              "out the square root.")]
    for k in ("w31_new", "w42_new", "w22_new"):
        w, seen = k[:3], [ref[k]]
        for value, sentence in [
            (_worked("straight")[k], f"{k} lets the gradient pass back through y1's ReLU, "
             "whose input is negative: there the ReLU's derivative is 0."),
            (_worked("ascent")[k], f"{k} moves up the gradient: descent subtracts lr * dE/d{w}."),
            (_worked("whole")[k], f"{k} subtracts the whole gradient: multiply it by lr = {LR}."),
            (_worked("sum")[k], f"{k} uses the gradient of the sum of squared errors: E is their "
             "mean."),
            (EXAMPLE[w], f"{k} equals the old {w}: subtract lr * dE/d{w} from it."),
        ]:
            if not any(same(value, v) for v in seen):
                table.append(({k: value}, sentence))
                seen.append(value)
    return table


def check_worked_example(y: Any, mse: Any, w31_new: Any, w42_new: Any, w22_new: Any) -> None:
    """Check Exercise 2.1: outputs, MSE and three updated weights of the worked example."""
    ex, ref = "2.1", _worked()
    values = float_values(y) if isinstance(y, list | tuple | np.ndarray | torch.Tensor) else None
    ensure(ex, values is not None and values.size == 2, "y should hold the two outputs, "
           f"np.array([y1, y2]), but is {describe(y)}.")
    answers = dict(y=values.reshape(-1), mse=mse, w31_new=w31_new, w42_new=w42_new,
                   w22_new=w22_new)
    for name, answer in answers.items():
        got = answer if name == "y" else as_number(ex, name, answer)
        if not same(got, ref[name]):
            name_mistake(ex, got, [(w[name], s) for w, s in MISTAKES[ex] if name in w])
            raise CheckFailed(ex, f"{name} is not right: compute h1 and h2 first, then y1 and y2, "
                              "each with its ReLU; for an update, multiply the local "
                              "derivatives along every path from E back to the weight.")
    passed(ex, "Outputs, MSE and all three updates are right.")


def _net13(X: Any, p: Any, swap: bool = False) -> np.ndarray:
    """f = w1 sigmoid(w11 x1 + w21 x2 + w31 x3 + b1) + w2 tanh(w12 x1 + w32 x3 + b2)."""
    b1, b2, w11, w12, w21, w31, w32, w1, w2 = p
    z1 = torch.as_tensor(w11 * X[:, 0] + w21 * X[:, 1] + w31 * X[:, 2] + b1)
    z2 = torch.as_tensor(w12 * X[:, 0] + w32 * X[:, 2] + b2)  # x2 does not reach h2
    act1, act2 = (torch.tanh, torch.sigmoid) if swap else (torch.sigmoid, torch.tanh)
    return (w1 * act1(z1) + w2 * act2(z2)).numpy()


def _grad13(X: np.ndarray, y: np.ndarray, p: np.ndarray, variant: str = "") -> np.ndarray:
    """dL/dp for L = 1/2 sum (f - y)^2, by autograd; ``variant`` reproduces a mistake."""
    with torch.enable_grad():  # also when the check runs an answer with autograd off
        pt = torch.tensor(p, requires_grad=True)
        b1, b2, w11, w12, w21, w31, w32, w1, w2 = pt
        Xt = torch.from_numpy(X)
        z1 = w11 * Xt[:, 0] + w21 * Xt[:, 1] + w31 * Xt[:, 2] + b1
        z2 = w12 * Xt[:, 0] + w32 * Xt[:, 2] + b2
        a1, a2 = torch.sigmoid(z1), torch.tanh(z2)
        if variant == "dsigmoid":  # the derivative taken as sigmoid(z) itself
            a1 = a1.detach() + (z1 - z1.detach()) * a1.detach()
        if variant == "dtanh":  # the derivative taken as 1 - tanh(z)
            a2 = a2.detach() + (z2 - z2.detach()) * (1 - a2.detach())
        scale = {"mean": 0.5 / len(y), "double": 1.0, "sign": -0.5}.get(variant, 0.5)
        (scale * ((w1 * a1 + w2 * a2 - torch.from_numpy(y)) ** 2).sum()).backward()
    return pt.grad.numpy()


def check_sparse_network(forward: Any, gradient: Any) -> None:
    """Check Exercise 2.2: ``forward(X, p)`` and ``gradient(X, y, p)`` against autograd."""
    ex, rng = "2.2", exercise_rng("2.2")
    cases = [(rng.normal(size=(n, 3)), rng.normal(size=n), rng.normal(size=9)) for n in (1, 6)]
    check_function(ex, forward, _net13, [(X, p) for X, _, p in cases], MISTAKES["2.2 forward"],
                   name="forward", check_dtype=False)
    fn = no_autograd(ex, gradient, "gradient", "work the derivatives out by hand, with NumPy")
    check_function(ex, fn, _grad13, cases, MISTAKES[ex], name="gradient", check_dtype=False)
    passed(ex, "The forward pass and all nine partial derivatives agree with autograd.")


# --- Exercises 2.3 to 2.5: backward passes and a gradient check in NumPy ------------------


def _linear_grads(X: np.ndarray, W: np.ndarray, b: np.ndarray, dY: np.ndarray) -> tuple:
    """dX, dW, db of Y = X W^T + b, by autograd."""
    leaves = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
    ((leaves[0] @ leaves[1].T + leaves[2]) * torch.from_numpy(dY)).sum().backward()
    return tuple(leaf.grad.numpy() for leaf in leaves)


def check_linear_backward(linear_backward: Any) -> None:
    """Check Exercise 2.3: ``linear_backward(X, W, b, dY)`` against autograd."""
    ex, rng = "2.3", exercise_rng("2.3")
    cases = [tuple(rng.normal(size=s) for s in [(n, i), (o, i), (o,), (n, o)])
             for n, i, o in [(6, 4, 3), (1, 5, 2)]]
    check_function(ex, linear_backward, _linear_grads, cases, MISTAKES[ex],
                   name="linear_backward", parts=("dX", "dW", "db"))
    passed(ex, "dX, dW and db agree with autograd.")


def _softmax(Z: np.ndarray) -> np.ndarray:
    """Reference softmax of each row."""
    return torch.softmax(torch.from_numpy(Z), dim=1).numpy()


def _cross_entropy(Z: np.ndarray, y: np.ndarray, variant: str = "") -> tuple:
    """Mean cross-entropy of logits Z and labels y, and its gradient; or a mistake."""
    Zt = torch.tensor(Z, requires_grad=True)
    loss = F.cross_entropy(Zt, torch.from_numpy(y))
    loss.backward()
    loss, dZ, n = loss.item(), Zt.grad.numpy(), len(y)
    return {"sum": (n * loss, n * dZ), "dz_sum": (loss, n * dZ), "sign": (-loss, -dZ)}.get(
        variant, (loss, dZ))


def check_softmax_cross_entropy(softmax: Any, softmax_cross_entropy: Any) -> None:
    """Check Exercise 2.4: a stable softmax, the mean cross-entropy and its gradient."""
    ex, rng = "2.4", exercise_rng("2.4")
    offsets = np.array([0.0, 1000.0, -1000.0, 0.0, 0.0, 1.0])[:, None]
    cases = [(rng.normal(scale=3, size=(6, c)) + k * offsets, rng.integers(0, c, 6))
             for c, k in [(4, 0), (5, 1)]]
    check_function(ex, softmax, _softmax, [(Z,) for Z, _ in cases], MISTAKES["2.4 softmax"],
                   name="softmax", rtol=1e-6, atol=1e-12)
    check_function(ex, softmax_cross_entropy, _cross_entropy, cases, MISTAKES[ex],
                   name="softmax_cross_entropy", parts=("loss", "dZ"), rtol=1e-6, atol=1e-12)
    passed(ex, "softmax is stable for large logits, and the loss and dZ match autograd.")


def _numerical(f: Callable, x: np.ndarray, eps: float, one_sided: bool = False) -> np.ndarray:
    """Finite differences, central or one-sided."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e) - f(x if one_sided else x - e)) / (eps if one_sided else 2 * eps)
    return grad


def _f_sin(x: np.ndarray) -> float:
    """A smooth test function of an array."""
    return float(np.sum(np.sin(x) * x**2))


def _exact(f: Callable, x: np.ndarray, eps: float) -> np.ndarray:
    """The gradient of _f_sin, by autograd."""
    xt = torch.tensor(x, requires_grad=True)
    (torch.sin(xt) * xt**2).sum().backward()
    return xt.grad.numpy()


def check_numerical_gradient(numerical_gradient: Any) -> None:
    """Check Exercise 2.5: central differences agree with autograd, x left unchanged."""
    ex, rng = "2.5", exercise_rng("2.5")
    cases = [(_f_sin, rng.normal(size=(3, 4)), 1e-5), (_f_sin, rng.normal(size=5), 1e-5)]
    check_function(ex, numerical_gradient, _exact, cases, MISTAKES[ex], name="numerical_gradient",
                   rtol=1e-6, atol=1e-8)
    passed(ex, "Central differences agree with autograd to 1e-6.")


# --- Exercise 2.6: extending the batter-pitcher model ---------------------------------

SIZES = dict(n_batters=13, n_pitchers=11, n_innings=9, n_runners=4, embedding_dim=5,
             hidden_dim=7, n_outcomes=6)
NO_RELU = "there is no ReLU between the hidden layer and fc: without it the two layers "
NO_RELU += "collapse into one linear map."
SQUASHED = "forward squashes the scores of fc: return them as they are (logits), since "
SQUASHED += "nn.CrossEntropyLoss applies the softmax itself."
MIXED_UP = "an embedding looks up another argument than its own: batter_embed should look up "
MIXED_UP += "batter_idx, pitcher_embed pitcher_idx, and so on."
UNUSED = "forward leaves out one of the four embeddings: concatenate all four, then apply hidden."
CONCAT = "the input of hidden should be the four embeddings side by side, torch.cat([...], 1)."


def _is_concat(cat: Any, parts: list[torch.Tensor]) -> bool:
    """True if ``cat`` (B, k*D) holds the blocks ``parts`` (each (B, D)), in any order."""
    width = sum(p.shape[1] for p in parts)
    if not isinstance(cat, torch.Tensor) or cat.shape != (parts[0].shape[0], width):
        return False
    blocks = list(cat.split(parts[0].shape[1], dim=1))
    return all(any(torch.equal(b, p) for b in blocks) for p in parts)


def check_batter_pitcher_ext(BatterPitcher2VecExt: Any) -> None:
    """Check Exercise 2.6: what each layer the forward pass calls gets, the output, gradients."""
    ex = "2.6"
    model = build_model(ex, BatterPitcher2VecExt, "BatterPitcher2VecExt", 26, **SIZES)
    g = torch.Generator().manual_seed(26)
    inputs = [torch.randint(4, (32,), generator=g) for _ in range(4)]  # valid for every table
    out, calls = trace(ex, model, *inputs)
    embeds = [c for c in calls if isinstance(c.module, nn.Embedding)]
    used = [next((k for k, x in enumerate(inputs) if torch.equal(c.input, x)), -1) for c in embeds]
    ensure(ex, len(embeds) >= 4, UNUSED)
    rows = [SIZES[k] for k in ("n_batters", "n_pitchers", "n_innings", "n_runners")]
    ensure(ex, set(used) >= {0, 1, 2, 3} and all(
        c.module.num_embeddings == rows[k] for c, k in zip(embeds, used, strict=True)), MIXED_UP)
    linears = [c for c in calls if isinstance(c.module, nn.Linear)]
    ensure(ex, len(linears) == 2, f"forward applies {len(linears)} linear layers but should "
           "apply two: hidden, then fc.")
    hidden, fc = linears
    ensure(ex, all(c.module.embedding_dim == SIZES["embedding_dim"] for c in embeds)
           and hidden.module.out_features == SIZES["hidden_dim"]
           and fc.module.out_features == SIZES["n_outcomes"], "the layers should take their "
           "sizes from the arguments embedding_dim, hidden_dim and n_outcomes, which the check "
           "chooses itself.")
    ensure(ex, getattr(hidden.input, "shape", (0,))[-1] >= 4 * SIZES["embedding_dim"], UNUSED)
    ensure(ex, _is_concat(hidden.input, [c.output for c in embeds[:4]]), CONCAT)
    if not same(fc.input, relu(hidden.output)):
        ensure(ex, not same(fc.input, hidden.output), NO_RELU)
        raise CheckFailed(ex, "the input of fc should be the ReLU of hidden's output.")
    ensure(ex, not same(out, torch.softmax(fc.output, 1)), SQUASHED)
    ensure(ex, same(out, fc.output), f"forward should return fc's output but returns "
           f"{describe(out)}.")
    gradients_reach(ex, model, out)
    passed(ex, f"Four embeddings, a ReLU hidden layer, output of shape {tuple(out.shape)}.")


# --- Exercises 2.7 and 2.8: the training loop and a learning rate ----------------------

LOSS_TENSOR = "the losses are tensors: store loss.item(), a plain float, so that the list does "
LOSS_TENSOR += "not keep every batch's graph alive."


def _train_setup(device: torch.device) -> tuple:
    """A small task: a model with batch norm (so training mode matters), data, loss, SGD."""
    rng = exercise_rng("2.7")
    X = torch.from_numpy(rng.normal(size=(192, 8)).astype(np.float32))
    y = torch.from_numpy((X.numpy() @ rng.normal(size=(8, 3))).argmax(1))
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(27))
    with torch_seed(27):
        model = nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))
    model = model.to(device).eval()  # the loop must switch it to training mode
    return model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.3)


def _train_variant(variant: str = "") -> Callable:
    """The canonical training loop, or a wrong one reproducing one mistake."""

    def train(model: nn.Module, loader: DataLoader, loss_fn: Any, optimizer: Any,
              num_epochs: int) -> list:
        device = next(model.parameters()).device
        if variant != "no_train_mode":
            model.train()
        losses = []
        for _ in range(num_epochs):
            batch = []
            for X, y in loader:
                if variant not in ("no_zero_grad", "zero_grad_late"):
                    optimizer.zero_grad()
                loss = loss_fn(model(X.to(device)), y.to(device))
                loss.backward()
                if variant == "zero_grad_late":
                    optimizer.zero_grad()
                optimizer.step()
                batch.append(loss if variant == "tensors" else loss.item())
            mean = sum(batch) / len(batch)
            losses.append({"sum": sum(batch), "last": batch[-1]}.get(variant, mean))
        return losses

    return train


def _trained(train: Callable, device: torch.device, ex: str = "") -> tuple[Any, list]:
    """Run ``train`` on a fresh task; return its losses and the trained parameters."""
    model, *rest = _train_setup(device)
    losses = call(ex, train, model, *rest, 5, name="train") if ex else train(model, *rest, 5)
    return losses, [p.detach().cpu() for p in model.parameters()]


def check_train(train: Any, device: torch.device | str | None = None) -> None:
    """Check Exercise 2.7: ``train`` against the canonical loop on a small task."""
    ex, device = "2.7", torch.device(device or "cpu")
    with one_thread():
        losses, params = _trained(train, device, ex)
        ensure(ex, isinstance(losses, list | tuple), "train should return a list of losses but "
               f"returned {describe(losses)}.")
        ensure(ex, not any(isinstance(v, torch.Tensor) for v in losses), LOSS_TENSOR)
        want = _trained(_train_variant(), device)
        if not same((losses, params), want):
            name_mistake(ex, (losses, params),
                         [(lambda w=w: _trained(w, device), s) for w, s in MISTAKES[ex]])
    ensure(ex, same(params, want[1]), "after training, the parameters differ from those of the "
           "canonical loop: for each batch do zero_grad, forward, loss, backward, step, once each.")
    ensure(ex, len(losses) == 5, f"train returned {len(losses)} losses for num_epochs=5: return "
           "one per epoch.")
    ensure(ex, same(losses, want[0]), "the parameters are right but the losses are not each "
           "epoch's average batch loss.")
    passed(ex, f"The loss fell from {losses[0]:.3f} to {losses[-1]:.3f}, as in the canonical loop.")


#: Exercise 2.8: the test accuracy plain SGD must reach in two epochs.
LR_BAR = pick(full=0.85, quick=0.80)


def check_lr_experiment(lr: Any, model: Any) -> None:
    """Check Exercise 2.8: the model trained with ``lr`` for two epochs is accurate enough."""
    from dlbook.data import load_mnist_arrays

    ex, lr = "2.8", as_number("2.8", "lr", lr)
    images, labels = load_mnist_arrays(train=False)
    X = torch.from_numpy(images[:2000].reshape(2000, -1) / 255).float()
    y_hat = run_trained(ex, model, X).argmax(1).cpu()
    accuracy = (y_hat == torch.from_numpy(labels[:2000])).float().mean().item()
    finite = all(torch.isfinite(p).all() for p in model.parameters())
    ensure(ex, finite and accuracy > 0.3 or lr < 0.1, f"with lr = {lr:g} training blew up "
           f"(accuracy {accuracy:.0%}): the steps overshoot and the loss grows, so take a "
           "smaller learning rate.")
    ensure(ex, accuracy >= LR_BAR, f"with lr = {lr:g} the model reaches {accuracy:.1%} after two "
           f"epochs, below {LR_BAR:.0%}: its steps are too small to get far in so few updates, so "
           "take a larger learning rate.")
    passed(ex, f"With lr = {lr:g}, two epochs of plain SGD reach {accuracy:.1%} test accuracy.")


# --- Exercises 2.9 and 2.10: dropout, and the loss before training -----------------------

EVAL_CHANGES = "in evaluation mode, inverted dropout returns X unchanged: the scaling already "
EVAL_CHANGES += "happened during training."
KEEPS_P = "dropout keeps each element with probability p: p is the probability to drop it."
WHOLE_ROWS = "dropout drops whole rows: draw one random number per element, rng.random(X.shape)."
NOT_SCALED = "the kept elements are not scaled: divide them by 1 - p, so that the expected "
NOT_SCALED += "output equals X."
TIMES = "the kept elements are multiplied by 1 - p: divide them by 1 - p instead."
BY_P = "the kept elements are divided by p: divide them by 1 - p, the probability to keep."
SAME_MASK = "two calls dropped exactly the same elements: draw the mask from the rng passed in, "
SAME_MASK += "which gives a fresh one at every call."


def check_dropout(dropout: Any) -> None:
    """Check Exercise 2.9: inverted dropout in training and evaluation mode."""
    ex, p = "2.9", 0.3
    X = exercise_rng(ex).normal(size=(200, 500)) + 0.1  # (N, D), no exact zeros
    rng = np.random.default_rng(29)
    ensure(ex, same(call(ex, dropout, X, 0.5, False, rng), X, 1e-12, 0), EVAL_CHANGES)
    out = float_values(call(ex, dropout, X, p, True, rng))
    ensure(ex, out is not None and out.shape == X.shape, f"dropout(X, {p}, True, rng) should have "
           "the shape of X.")
    dropped = out == 0
    frac = float(dropped.mean())
    ensure(ex, abs(frac - (1 - p)) > 0.03, KEEPS_P)
    ensure(ex, abs(frac - p) < 0.03, f"dropout drops {frac:.0%} of the elements but should drop "
           "each with probability p.")
    ensure(ex, 0 < dropped.mean(1).min() and dropped.mean(1).max() < 1, WHOLE_ROWS)
    ratio = out[~dropped] / X[~dropped]
    if not same(ratio, np.full_like(ratio, 1 / (1 - p))):
        name_mistake(ex, ratio, [(np.full_like(ratio, r), s) for r, s in
                                 [(1.0, NOT_SCALED), (1 - p, TIMES), (1 / p, BY_P)]])
        raise CheckFailed(ex, "each kept element should equal X / (1 - p).")
    again = float_values(call(ex, dropout, X, p, True, rng))
    ensure(ex, again is not None and not np.array_equal(again == 0, dropped), SAME_MASK)
    ensure(ex, same(call(ex, dropout, X, 0.0, True, rng), X), "with p = 0, dropout should return "
           "X unchanged.")
    passed(ex, f"It drops {frac:.1%} of the elements for p = {p} and keeps the mean.")


def check_initial_loss(predicted_loss: Any) -> None:
    """Check Exercise 2.10: the predicted cross-entropy of an untrained 10-class MLP."""
    ex = "2.10"
    guess = as_number(ex, "predicted_loss", predicted_loss)
    with torch_seed(210), torch.no_grad():
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        measured = F.cross_entropy(model(torch.rand(512, 784)), torch.randint(10, (512,))).item()
    if abs(guess - measured) > 0.15:
        name_mistake(ex, guess, MISTAKES[ex], atol=0.02)
        raise CheckFailed(ex, f"{guess:g} is far from the loss: a network that knows nothing gives "
                          "each of the 10 classes about the same probability.")
    passed(ex, f"The untrained model's loss is {measured:.3f}, close to -ln(1/10) = "
           f"{math.log(10):.3f}.")


# --- the table of mistakes ---------------------------------------------------------------


def _dropout_variant(variant: str) -> Callable:
    """A wrong dropout reproducing one mistake."""

    def dropout(X: np.ndarray, p: float, training: bool, rng: np.random.Generator) -> np.ndarray:
        if not training:
            return X / (1 - p) if variant == "eval" else X
        draw = rng.random((len(X), 1)) if variant == "rows" else rng.random(X.shape)
        if variant == "same":
            draw = np.random.default_rng(0).random(X.shape)
        keep = draw < p if variant == "keeps_p" else draw >= p
        return X * keep * {"unscaled": 1.0, "times": 1 - p, "by_p": 1 / p}.get(variant, 1 / (1 - p))

    return dropout


def _ext_variant(variant: str) -> type:
    """A wrong BatterPitcher2VecExt reproducing one mistake."""

    class Ext(nn.Module):
        def __init__(self, n_batters, n_pitchers, n_innings, n_runners, embedding_dim, hidden_dim,
                     n_outcomes):
            super().__init__()
            sizes = (n_batters, n_pitchers, n_innings, n_runners)
            embeds = [nn.Embedding(n, embedding_dim) for n in sizes]
            self.embeds = embeds if variant == "list" else nn.ModuleList(embeds)
            self.hidden = nn.Linear((3 if variant == "unused" else 4) * embedding_dim, hidden_dim)
            self.fc = nn.Linear(hidden_dim, n_outcomes)

        def forward(self, *idx):
            idx = (idx[1], idx[0], *idx[2:]) if variant == "mixed" else idx
            parts = [e(i) for e, i in zip(self.embeds, idx, strict=True)]
            h = self.hidden(torch.cat(parts[:3] if variant == "unused" else parts, dim=1))
            out = self.fc(h if variant == "no_relu" else torch.relu(h))
            return out.softmax(1) if variant == "softmax" else out

    return Ext


def _softmax_global_max(Z: np.ndarray) -> np.ndarray:
    """Softmax shifted by the largest logit of the whole array."""
    e = np.exp(Z - Z.max())
    return e / e.sum(1, keepdims=True)


MISTAKES: dict[str, list[tuple[Any, str]]] = {
    "2.1": _worked_mistakes(),
    "2.2 forward": [(lambda X, p: _net13(X, p, swap=True),
                     "h1 should use the sigmoid and h2 the tanh, not the other way round.")],
    "2.2": [(lambda X, y, p: _grad13(X, y, p, "dsigmoid"),
             "the derivative of the sigmoid is sigmoid(z) * (1 - sigmoid(z)), not sigmoid(z)."),
            (lambda X, y, p: _grad13(X, y, p, "dtanh"),
             "the derivative of tanh is 1 - tanh(z)**2: the tanh is squared."),
            (lambda X, y, p: _grad13(X, y, p, "mean"),
             "L is half the sum over the samples, not the mean: do not divide by N."),
            (lambda X, y, p: _grad13(X, y, p, "double"),
             "the gradient is twice too large: the 1/2 in L cancels the 2 of the square."),
            (lambda X, y, p: _grad13(X, y, p, "sign"),
             "the gradient has the wrong sign: the residual is f - y, prediction minus target.")],
    "2.3": [(lambda X, W, b, dY: (dY @ W, X.T @ dY, dY.sum(0)),
             "dW has the shape of W transposed: a gradient has the shape of what it is the "
             "gradient of, so dW = dY.T @ X."),
            (lambda X, W, b, dY: (dY @ W, dY.T @ X, dY.mean(0)),
             "db is the average of the rows of dY but should be their sum: every sample adds "
             "its own contribution to the gradient of b."),
            (lambda X, W, b, dY: (dY @ W, dY.T @ X, dY.sum(1)),
             "db sums dY over the wrong axis: sum over the samples, axis 0.")],
    "2.4 softmax": [(lambda Z: np.exp(Z) / np.exp(Z).sum(1, keepdims=True),
                     "softmax gives nan or inf for logits as large as 1000: subtract each "
                     "row's maximum before np.exp (this does not change the result)."),
                    (_softmax_global_max,
                     "softmax subtracts one maximum for the whole array, so rows far below it "
                     "give 0 / 0: subtract each row's own maximum (axis=1, keepdims=True)."),
                    (lambda Z: np.exp(Z - Z.max(0)) / np.exp(Z - Z.max(0)).sum(0),
                     "softmax normalises each column: each row (one sample) should sum to 1 "
                     "over the classes, so sum along axis=1.")],
    "2.4": [(lambda Z, y: _cross_entropy(Z, y, "sum"),
             "the loss and dZ are sums over the batch: return the mean, divide both by N."),
            (lambda Z, y: _cross_entropy(Z, y, "dz_sum"),
             "dZ is N times too large: the loss is the mean over the batch, so divide "
             "softmax(Z) - one_hot(y) by N."),
            (lambda Z, y: _cross_entropy(Z, y, "sign"),
             "the loss has the wrong sign: the cross-entropy is minus the mean log-probability "
             "of the true classes.")],
    "2.5": [(lambda f, x, eps: _numerical(f, x, eps, one_sided=True),
             "numerical_gradient uses a one-sided difference: the central difference "
             "(f(x + eps) - f(x - eps)) / (2 * eps) is far more accurate."),
            (lambda f, x, eps: 2 * _numerical(f, x, eps),
             "numerical_gradient is twice too large: divide by 2 * eps, the distance between x "
             "- eps and x + eps.")],
    "2.6": [(_ext_variant(v), s) for v, s in [
        ("list", NOT_REGISTERED.format("Embedding")), ("unused", UNUSED), ("mixed", MIXED_UP),
        ("no_relu", NO_RELU), ("softmax", SQUASHED)]],
    "2.7": [(_train_variant("no_zero_grad"),
             "gradients pile up from batch to batch: call optimizer.zero_grad() before each "
             "loss.backward()."),
            (_train_variant("zero_grad_late"),
             "the parameters did not change: call optimizer.zero_grad() before "
             "loss.backward(), not between it and optimizer.step()."),
            (_train_variant("no_train_mode"),
             "the model trained in evaluation mode: call model.train() before the loop "
             "(batch norm and dropout behave differently in the two modes)."),
            (_train_variant("sum"),
             "each epoch's loss is the sum of its batch losses: return their average."),
            (_train_variant("last"),
             "each epoch's loss is that of its last batch only: return the average over all "
             "its batches."),
            (_train_variant("tensors"), LOSS_TENSOR)],
    "2.9": [(_dropout_variant(v), s) for v, s in [
        ("eval", EVAL_CHANGES), ("keeps_p", KEEPS_P), ("rows", WHOLE_ROWS),
        ("unscaled", NOT_SCALED), ("times", TIMES), ("by_p", BY_P), ("same", SAME_MASK)]],
    "2.10": [(0.1,
              "0.1 is the probability the model gives each class: the loss is minus its "
              "natural logarithm."),
             (1.0, "the cross-entropy uses the natural logarithm: -ln(1/10), not -log10(1/10)."),
             (0.0, "an untrained model is not right by chance: its loss is far from 0.")],
}
