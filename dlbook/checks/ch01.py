"""Checkers for the exercises of chapter 1: Python, NumPy and tensors (see dlbook.checks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbook.checks import (
    CheckFailed,
    as_number,
    call,
    check_function,
    compare_arrays,
    compare_shape,
    describe,
    ensure,
    exercise_rng,
    name_mistake,
    no_autograd,
    passed,
    same,
    uses_python_loop,
)

NO_LOOP = "uses a Python loop over the data: let NumPy handle all of it at once"
COPIES = "for a float32 array and the CPU, to_tensor made a copy, but the tensor should share "
COPIES += "its memory with the array: torch.from_numpy does not copy."
PILES_UP = "a second call with the same inputs gave another result: gradients add up in .grad, "
PILES_UP += "so start from a fresh copy of w on every call."


def _mse_numpy(X: Any, y: Any, w: Any) -> Any:
    """The gradient of mean((X @ w - y) ** 2) for w."""
    return 2 / len(y) * X.T @ (X @ w - y)


def _accumulating() -> Callable:
    """A wrong 1.9: one leaf shared by every call, so gradients pile up in .grad."""
    leaf: list[torch.Tensor] = []

    def mse_grad_autograd(X: Any, y: Any, w: Any) -> Any:
        leaf[:] = leaf or [w.detach().clone().requires_grad_(True)]
        ((X @ leaf[0] - y) ** 2).mean().backward()
        return leaf[0].grad.clone()

    return mse_grad_autograd


MISTAKES = {
    "1.1": [([[5 * i + j for i in range(7)] for j in range(5)],
             "M has 5 rows of 7: build one row per i in range(7), with one number per j."),
            ([[5 * j + i for j in range(5)] for i in range(7)],
             "M[i][j] should be 5 * i + j: multiply the row index i by 5, not j."),
            ([[30 + j for j in range(5)]] * 7,
             "every row of M holds the last row's numbers: one list object was appended 7 "
             "times, so create a new inner list for every i."),
            (list(range(35)),
             "M is one flat list of 35 numbers: append each row to M as a list of its own.")],
    "1.4": [(lambda idx, n: np.eye(n)[idx].T,
             "one_hot returns the transpose: one row per sample, one column per class."),
            (lambda idx, n: np.eye(idx.max() + 1)[idx],
             "one_hot takes the number of classes from idx.max() + 1: use n_classes, since a "
             "batch need not contain the largest class."),
            (lambda idx, n: np.isin(np.arange(n), idx)[None].repeat(len(idx), 0) * 1.0,
             "one_hot sets whole columns to 1: index rows and columns together, "
             "out[np.arange(N), idx] = 1.")],
    "1.5": [(lambda X: (X - X.mean(0)) / X.std(0, ddof=1),
             "you divided by the sample standard deviation (ddof=1): use X.std(axis=0), which "
             "divides by N."),
            (lambda X: (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True),
             "standardize works on each row: take the mean and std of each column (axis=0)."),
            (lambda X: (X - X.mean()) / X.std(),
             "standardize uses the mean and std of the whole array: take them per column."),
            (lambda X: X - X.mean(0),
             "the columns have mean 0 but not standard deviation 1: divide by X.std(axis=0)."),
            (lambda X: (X - X.mean(0)) / X.var(0),
             "standardize divides by the variance: divide by its square root, the std.")],
    "1.6": [(lambda X, Y: np.sqrt(((X[:, None] - Y[None]) ** 2).sum(-1)),
             "pairwise_sq_distances gives distances, not squared ones: drop the square root."),
            (lambda X, Y: (X**2).sum(1)[:, None] + (Y**2).sum(1) - X @ Y.T,
             "the cross term misses its 2: |x - y|^2 = |x|^2 + |y|^2 - 2 x.y."),
            (lambda X, Y: ((X[:, None] - Y[None]) ** 2).sum(1),
             "the squares are summed over the wrong axis: sum over the features, the last.")],
    "1.7": [(lambda a, device: torch.tensor(a, dtype=torch.float32, device=device), COPIES),
            (lambda a, device: torch.from_numpy(a).to(device),
             "to_tensor keeps the array's dtype: convert it to torch.float32.")],
    "1.8": [(lambda X, y, w: -_mse_numpy(X, y, w),
             "mse_grad has the wrong sign: the residual is X @ w - y, prediction minus target."),
            (lambda X, y, w: _mse_numpy(X, y, w) / 2,
             "mse_grad is half the gradient: the square gives a factor 2."),
            (lambda X, y, w: _mse_numpy(X, y, w) * len(y),
             "mse_grad is N times too large: the loss is a mean, so divide by N."),
            (lambda X, y, w: 2 * (X @ w - y).mean() * X.mean(0),
             "mse_grad averages the residuals and the inputs separately: average their "
             "products, X.T @ residual / N.")],
    "1.9": [(_accumulating(), PILES_UP)],
    "1.10": [(2.0, "2 is the gradient of the second backward alone: backward adds to .grad."),
             (6.0, "6 is the gradient of the first backward alone: the second one adds to it."),
             (9.0, "9 is the value of x ** 2, not a gradient: the derivative of x ** 2 is 2x.")],
}


def check_nested_lists(M: Any) -> None:
    """Check Exercise 1.1: ``M`` is 7 lists of 5 ints with ``M[i][j] == 5 * i + j``."""
    ex, want = "1.1", [[5 * i + j for j in range(5)] for i in range(7)]
    ensure(ex, isinstance(M, list), f"M should be a list of lists but is {describe(M)}.")
    if not same(M, want):
        name_mistake(ex, M, MISTAKES[ex])
    ensure(ex, len(M) == 7, f"M has {len(M)} inner lists but should have 7, one per i.")
    for i, row in enumerate(M):
        ensure(ex, isinstance(row, list), f"M[{i}] should be a list but is {describe(row)}.")
        ensure(ex, len(row) == 5, f"M[{i}] has {len(row)} elements but should have 5.")
        for j, value in enumerate(row):
            ensure(ex, isinstance(value, int) and value == want[i][j],
                   f"M[{i}][{j}] is {value!r} but should be the int 5 * {i} + {j}.")
    passed(ex, "M has 7 rows of 5 numbers each.")


def _check_shapes(ex: str, answers: dict, want: dict, hints: dict) -> None:
    """Compare predicted shapes, never revealing the right sizes."""
    for name, shape in want.items():
        compare_shape(ex, name, answers[name], shape, reveal=False, hint=hints[name])
    passed(ex, "All shapes are right.")


def check_fc_shapes(shape_numpy: Any, shape_torch: Any) -> None:
    """Check Exercise 1.2: the output shapes of a fully connected layer."""
    W, X, b = np.zeros((50, 100)), np.zeros((32, 100)), np.zeros((50, 1))
    out = nn.Linear(100, 50, device="meta")(torch.zeros(32, 100, device="meta"))
    _check_shapes("1.2", dict(shape_numpy=shape_numpy, shape_torch=shape_torch),
                  dict(shape_numpy=(W @ X.T + b).shape, shape_torch=tuple(out.shape)),
                  dict(shape_numpy="(m, n) @ (n, k) gives (m, k), .T swaps the axes of X and "
                       "adding b only broadcasts",
                       shape_torch="nn.Linear keeps the batch dimension first and replaces the "
                       "features by out_features"))


def check_embedding_shapes(shape_batter: Any, shape_cat: Any, shape_broadcast: Any) -> None:
    """Check Exercise 1.3: the shapes of an embedding lookup, a concat, a broadcast."""
    one_hots, W_b = np.zeros((32, 100)), np.zeros((9, 100))
    vectors = nn.Embedding(100, 9, device="meta")(torch.zeros(32, dtype=torch.long, device="meta"))
    _check_shapes(
        "1.3",
        dict(shape_batter=shape_batter, shape_cat=shape_cat, shape_broadcast=shape_broadcast),
        dict(shape_batter=(W_b @ one_hots.T).shape,
             shape_cat=tuple(torch.cat([vectors, vectors], dim=1).shape),
             shape_broadcast=np.broadcast_shapes((8, 1, 6), (7, 1))),
        dict(shape_batter="W_b has one row per embedding dimension, and (m, n) @ (n, k) gives "
             "(m, k)",
             shape_cat="an nn.Embedding turns each index into a row of embedding_dim numbers, "
             "and torch.cat(..., dim=1) adds up the sizes of dimension 1 only",
             shape_broadcast="line the shapes up from the right: a size of 1 stretches to "
             "match, and a missing dimension counts as 1"))


def check_one_hot(one_hot: Any) -> None:
    """Check Exercise 1.4: ``one_hot(idx, n_classes)`` without a Python loop."""
    ex = "1.4"
    cases = [(np.array([2, 0, 3, 3, 1, 0]), 5), (exercise_rng(ex).integers(0, 10, size=32), 10)]
    reference = lambda idx, n: np.eye(n)[idx]  # noqa: E731
    check_function(ex, one_hot, reference, cases, MISTAKES[ex], check_dtype=False)
    small, large = (np.arange(4) % 3, 3), (np.arange(64) % 3, 3)
    ensure(ex, not uses_python_loop(one_hot, small, large), f"one_hot {NO_LOOP}.")
    passed(ex, "Each row holds a single 1, in the column given by idx.")


def check_standardize(standardize: Any) -> None:
    """Check Exercise 1.5: ``standardize(X)`` gives every column mean 0 and std 1."""
    ex = "1.5"
    X = exercise_rng(ex).normal([5, -2, 0, 100], [1, 0.1, 3, 20], size=(20, 4))
    reference = lambda X: (X - X.mean(axis=0)) / X.std(axis=0)  # noqa: E731
    check_function(ex, standardize, reference, [(X,)], MISTAKES[ex], check_dtype=False)
    small, large = (X[:3, :2],), (np.tile(X, (3, 5)),)  # a loop over rows or columns grows
    ensure(ex, not uses_python_loop(standardize, small, large), f"standardize {NO_LOOP}.")
    passed(ex, "Every column now has mean 0 and standard deviation 1.")


def check_pairwise_sq_distances(pairwise_sq_distances: Any) -> None:
    """Check Exercise 1.6: squared distances by broadcasting, without a Python loop."""
    ex, fn, rng = "1.6", pairwise_sq_distances, exercise_rng("1.6")
    cases = [(rng.normal(size=(n, d)), rng.normal(size=(m, d)))
             for n, m, d in [(5, 7, 3), (1, 4, 2)]]
    reference = lambda X, Y: ((X[:, None] - Y[None]) ** 2).sum(-1)  # noqa: E731
    check_function(ex, fn, reference, cases, MISTAKES[ex], check_dtype=False)
    small, large = (np.ones((3, 2)), np.ones((4, 2))), (np.ones((30, 2)), np.ones((40, 2)))
    ensure(ex, not uses_python_loop(fn, small, large), f"pairwise_sq_distances {NO_LOOP}.")
    passed(ex, "It agrees with the double loop, with no Python loop of its own.")


def check_to_tensor(to_tensor: Any, device: torch.device | str | None = None) -> None:
    """Check Exercise 1.7: float32 tensors on ``device``, sharing memory if possible."""
    ex, device, rng = "1.7", torch.device(device or "cpu"), exercise_rng("1.7")
    arrays = [rng.normal(size=(3, 4)).astype(np.float32), rng.normal(size=(2, 3)),
              rng.integers(-5, 5, size=(4,))]
    for k, array in enumerate(arrays):
        where = torch.device("cpu") if k == 0 else device
        got = call(ex, to_tensor, array, where)
        if not isinstance(got, torch.Tensor) or got.dtype != torch.float32:
            name_mistake(ex, got, MISTAKES[ex][1:], array, where)
        name = f"to_tensor(array of {array.dtype}, {str(where)!r})"
        ensure(ex, not isinstance(got, torch.Tensor) or got.device.type == where.type,
               f"{name} is on the {getattr(got, 'device', '?')} device but should be on {where}.")
        compare_arrays(ex, name, got, torch.from_numpy(array.astype(np.float32)).to(where))
        if k == 0:
            array[0, 0] += 1.0  # a tensor sharing the memory sees the change
            ensure(ex, float(got[0, 0]) == float(array[0, 0]), COPIES)
    passed(ex, f"float32 tensors on {device.type}, sharing memory where possible.")


def _regression(ex: str, n: int, d: int) -> tuple[torch.Tensor, ...]:
    """Float64 tensors X (n, d), y (n,) and w (d,) for a linear model."""
    rng = exercise_rng(ex)
    return tuple(torch.from_numpy(rng.normal(size=s)) for s in [(n, d), (n,), (d,)])


def check_mse_grad(mse_grad: Any) -> None:
    """Check Exercise 1.8: the gradient of the MSE by hand, computed without autograd."""
    ex = "1.8"
    fn = no_autograd(ex, mse_grad, "mse_grad", "work the gradient out by hand here, autograd "
                     "comes in Exercise 1.9")
    cases = [_regression(ex, 6, 3), _regression(ex, 10, 4)]
    check_function(ex, fn, _mse_numpy, cases, MISTAKES[ex], name="mse_grad", check_dtype=False)
    passed(ex, "Your formula agrees with autograd.")


def check_mse_grad_autograd(mse_grad_autograd: Any) -> None:
    """Check Exercise 1.9: the autograd gradient matches the formula, call after call."""
    ex, fn = "1.9", mse_grad_autograd
    X, y, w = _regression(ex, 8, 3)
    first = call(ex, fn, X, y, w)
    compare_arrays(ex, "mse_grad_autograd(X, y, w)", first, _mse_numpy(X, y, w), check_dtype=False)
    ensure(ex, same(call(ex, fn, X, y, w), first), PILES_UP)
    passed(ex, "Autograd agrees with the formula of Exercise 1.8, call after call.")


def check_grad_prediction(predicted_grad: Any) -> None:
    """Check Exercise 1.10: the prediction of x.grad after two backward passes."""
    ex = "1.10"
    x = torch.tensor(3.0, requires_grad=True)
    (x**2).backward()
    (2 * x).backward()
    guess = as_number(ex, "predicted_grad", predicted_grad)
    if guess != x.grad.item():
        name_mistake(ex, guess, MISTAKES[ex])
        raise CheckFailed(ex, f"x.grad is not {guess:g}: add up what both backward passes give.")
    passed(ex, f"x.grad is {x.grad.item():g}: 2 * x = 6 from the first backward, plus 2.")


#: Exercise 1.11: the loss after STEPS steps must fall below GOOD_LOSS.
STEPS, GOOD_LOSS = 20, 0.02


def lr_experiment_data() -> tuple[torch.Tensor, torch.Tensor]:
    """The data of Exercise 1.11: X (100, 2) with columns of scale 1 and 3, y (100,)."""
    rng = np.random.default_rng(111)
    X = rng.normal(size=(100, 2)) * np.array([1.0, 3.0])
    y = X @ np.array([2.0, -1.0]) + 0.1 * rng.normal(size=100)
    return torch.from_numpy(X), torch.from_numpy(y)


def check_learning_rate(lr: Any, losses: Any) -> None:
    """Check Exercise 1.11: ``losses`` of gradient descent with ``lr`` end below GOOD_LOSS."""
    ex = "1.11"
    lr = as_number(ex, "lr", lr)
    ensure(ex, lr > 0, f"lr is {lr:g}: a learning rate must be positive.")
    (X, y), w, want = lr_experiment_data(), torch.zeros(2, dtype=torch.float64), []
    for _ in range(STEPS):
        want.append(((X @ w - y) ** 2).mean().item())
        w = w - lr * _mse_numpy(X, y, w)
    want.append(final := ((X @ w - y) ** 2).mean().item())
    ensure(ex, isinstance(losses, list) and same(losses, want, 1e-4), f"losses should be the "
           f"{STEPS + 1} losses the cell records for lr = {lr:g}: run the cell again after "
           "changing lr.")
    ensure(ex, np.isfinite(final) and final < want[0], f"with lr = {lr:g} the loss grows: each "
           "step overshoots the minimum along the steep direction (the column of scale 3), so "
           "take a smaller learning rate.")
    ensure(ex, final < GOOD_LOSS, f"with lr = {lr:g} the loss is still {final:.3g} after {STEPS} "
           f"steps, above {GOOD_LOSS}: the steps are too cautious along the flat direction, so "
           "take a larger learning rate.")
    passed(ex, f"With lr = {lr:g} the loss reaches {final:.4f} in {STEPS} steps.")
