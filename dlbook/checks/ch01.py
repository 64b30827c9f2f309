"""Checkers for the exercises of chapter 1: Python, NumPy and tensors.

Each ``check_*`` takes the student's answer (a value or a function), computes its own
reference, and either prints a confirmation or raises :class:`CheckFailed` with one
sentence. The shape questions never give the right shape away.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbook.checks import (
    call,
    compare_arrays,
    compare_gradient,
    compare_shape,
    describe,
    ensure,
    ensure_like,
    exercise_rng,
    float_values,
    passed,
    source_uses,
)

__all__ = [
    "check_embedding_shapes",
    "check_fc_shapes",
    "check_mse_grad",
    "check_mse_grad_autograd",
    "check_nested_lists",
    "check_one_hot",
    "check_pairwise_sq_distances",
    "check_standardize",
    "check_to_tensor",
]


# --- Exercise 1.1: nested lists -------------------------------------------------------


def check_nested_lists(M: Any) -> None:
    """Check Exercise 1.1: ``M`` is 7 lists of 5 ints with ``M[i][j] == 5 * i + j``."""
    ex, n_rows, n_cols = "1.1", 7, 5
    expected = [[5 * i + j for j in range(n_cols)] for i in range(n_rows)]
    ensure(
        ex, isinstance(M, list), f"M should be a list of lists but is {describe(M)}."
    )
    ensure(
        ex,
        len(M) == n_rows,
        f"M has {len(M)} inner lists but should have {n_rows}, one per i in "
        f"range({n_rows}).",
    )
    for i, row in enumerate(M):
        ensure(
            ex,
            isinstance(row, list),
            f"M[{i}] should be a list but is {describe(row)}.",
        )
        ensure(
            ex,
            len(row) == n_cols,
            f"M[{i}] has {len(row)} elements but should have {n_cols}, one per j in "
            f"range({n_cols}).",
        )
    ensure(
        ex,
        len({id(row) for row in M}) == n_rows,
        "some rows of M are the same list object: create a new inner list for every i.",
    )
    for i, row in enumerate(M):
        for j, value in enumerate(row):
            ensure(
                ex,
                isinstance(value, int | np.integer) and not isinstance(value, bool),
                f"M[{i}][{j}] should be an int but is {describe(value)}.",
            )
            ensure(
                ex,
                value == expected[i][j],
                f"M[{i}][{j}] is {int(value)} but should be 5 * {i} + {j} = "
                f"{expected[i][j]}.",
            )
    passed(ex, f"M has {n_rows} rows of {n_cols} numbers each.")


# --- Exercises 1.2 and 1.3: what is the shape of the output? --------------------------


def check_fc_shapes(shape_numpy: Any, shape_torch: Any) -> None:
    """Check Exercise 1.2: the output shapes of a fully connected layer."""
    ex = "1.2"
    batch_size, features, hidden_nodes = 32, 100, 50
    X = np.zeros((batch_size, features))
    W = np.zeros((hidden_nodes, features))
    b = np.zeros((hidden_nodes, 1))
    # On the meta device layers compute shapes only and leave the random state alone.
    fc = nn.Linear(features, hidden_nodes, device="meta")
    out_torch = fc(torch.zeros(batch_size, features, device="meta"))
    compare_shape(
        ex,
        "shape_numpy",
        shape_numpy,
        (W @ X.T + b).shape,
        reveal=False,
        hint="recall that (m, n) @ (n, k) gives (m, k), that .T swaps the axes of X "
        "and that adding b only broadcasts",
    )
    compare_shape(
        ex,
        "shape_torch",
        shape_torch,
        tuple(out_torch.shape),
        reveal=False,
        hint="nn.Linear keeps the batch dimension first and replaces the feature "
        "dimension by out_features",
    )
    passed(ex, "Both shapes are right: nn.Linear returns the transpose of W @ X.T + b.")


def check_embedding_shapes(
    shape_batter: Any, shape_cat: Any, shape_broadcast: Any
) -> None:
    """Check Exercise 1.3: the shapes of an embedding lookup, a concat, a broadcast."""
    ex = "1.3"
    batch_size, n_batters, n_pitchers, embedding_dim = 32, 100, 100, 9
    batter_idx = np.arange(batch_size) % n_batters
    batter_one_hots = np.zeros((batch_size, n_batters))
    batter_one_hots[np.arange(batch_size), batter_idx] = 1
    W_b = np.zeros((embedding_dim, n_batters))
    # On the meta device layers compute shapes only and leave the random state alone.
    batter_embed = nn.Embedding(n_batters, embedding_dim, device="meta")
    pitcher_embed = nn.Embedding(n_pitchers, embedding_dim, device="meta")
    idx = torch.zeros(batch_size, dtype=torch.long, device="meta")
    cat = torch.cat([batter_embed(idx), pitcher_embed(idx)], dim=1)
    compare_shape(
        ex,
        "shape_batter",
        shape_batter,
        (W_b @ batter_one_hots.T).shape,
        reveal=False,
        hint="W_b has one row per embedding dimension, and (m, n) @ (n, k) gives "
        "(m, k)",
    )
    compare_shape(
        ex,
        "shape_cat",
        shape_cat,
        tuple(cat.shape),
        reveal=False,
        hint="an nn.Embedding turns each index into a row of embedding_dim numbers, "
        "and torch.cat(..., dim=1) adds up the sizes of dimension 1 only",
    )
    compare_shape(
        ex,
        "shape_broadcast",
        shape_broadcast,
        np.broadcast_shapes((8, 1, 6), (7, 1)),
        reveal=False,
        hint="line the shapes up from the right: a size of 1 stretches to match, and "
        "a missing dimension counts as 1",
    )
    passed(ex, "All three shapes are right.")


# --- Exercise 1.4: one-hot encoding ---------------------------------------------------


def check_one_hot(one_hot: Callable[[np.ndarray, int], Any]) -> None:
    """Check Exercise 1.4: ``one_hot(idx, n_classes)`` against a reference encoding."""
    ex = "1.4"
    cases = [
        (np.array([2, 0, 3, 3, 1, 0]), 5),
        (exercise_rng(ex).integers(0, 10, size=32), 10),
    ]
    for idx, n_classes in cases:
        expected = np.zeros((len(idx), n_classes))  # (N, n_classes)
        expected[np.arange(len(idx)), idx] = 1.0
        answer = call(ex, one_hot, idx.copy(), n_classes)
        compare_arrays(ex, f"one_hot(idx, {n_classes})", answer, expected)
    passed(ex, "Each row holds a single 1, in the column given by idx.")


# --- Exercise 1.5: standardising columns with broadcasting ----------------------------


def check_standardize(standardize: Callable[[np.ndarray], Any]) -> None:
    """Check Exercise 1.5: ``standardize(X)`` gives every column mean 0 and std 1."""
    ex = "1.5"
    n_samples = 20
    means, scales = np.array([5.0, -2.0, 0.0, 100.0]), np.array([1.0, 0.1, 3.0, 20.0])
    X = exercise_rng(ex).normal(means, scales, size=(n_samples, len(means)))  # (N, D)
    expected = (X - X.mean(axis=0)) / X.std(axis=0)
    given = X.copy()
    answer = call(ex, standardize, given)
    ensure(
        ex,
        np.array_equal(given, X),
        "standardize changed the array X passed to it: return a new array instead.",
    )
    name = "standardize(X)"
    ensure_like(ex, name, answer, expected)
    if not np.allclose(answer, expected):
        std = answer.std(axis=0)
        ensure(
            ex,
            np.allclose(answer.mean(axis=0), 0.0),
            f"the columns of {name} do not have mean 0: subtract each column's "
            "mean, X.mean(axis=0).",
        )
        ensure(
            ex,
            not np.allclose(std, np.sqrt((n_samples - 1) / n_samples)),
            "you divided by the sample standard deviation (ddof=1): use X.std(axis=0), "
            "which divides by N.",
        )
        ensure(
            ex,
            np.allclose(std, 1.0),
            f"the columns of {name} do not have standard deviation 1: divide each "
            "column by its standard deviation, X.std(axis=0).",
        )
    compare_arrays(ex, name, answer, expected)
    passed(ex, "Every column now has mean 0 and standard deviation 1.")


# --- Exercise 1.6: vectorising a loop -------------------------------------------------


def _pairwise_loop(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Squared distances between the rows of X and Y, one pair at a time."""
    D = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            D[i, j] = np.sum((X[i] - Y[j]) ** 2)
    return D


def _pairwise_broadcast(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Squared distances between the rows of X and Y, all pairs at once."""
    diff = X[:, None, :] - Y[None, :, :]  # (N, M, D)
    return (diff**2).sum(axis=-1)  # (N, M)


def _seconds(fn: Callable, *args: Any) -> float:
    """Return the wall-clock time of one call of ``fn``."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def check_pairwise_sq_distances(
    pairwise_sq_distances: Callable[[np.ndarray, np.ndarray], Any],
) -> None:
    """Check Exercise 1.6: loop-free distances that match the loop and run fast."""
    ex, fn = "1.6", pairwise_sq_distances
    name = "pairwise_sq_distances(X, Y)"
    rng = exercise_rng(ex)
    for n, m, d in [(5, 7, 3), (1, 4, 2)]:
        X, Y = rng.normal(size=(n, d)), rng.normal(size=(m, d))
        expected = _pairwise_loop(X, Y)  # (n, m)
        answer = call(ex, fn, X, Y)
        ensure_like(ex, name, answer, expected)
        ensure(
            ex,
            np.allclose(answer, expected) or not np.allclose(answer**2, expected),
            f"{name} gives distances, not squared distances: drop the square root.",
        )
        compare_arrays(ex, name, answer, expected)
    loop = source_uses(fn)
    ensure(
        ex,
        loop is None,
        f"pairwise_sq_distances still uses {loop}: compute all pairs at once with "
        "broadcasting.",
    )
    X, Y = rng.normal(size=(300, 8)), rng.normal(size=(300, 8))
    _pairwise_broadcast(X, Y)  # warm up
    budget = max(10 * min(_seconds(_pairwise_broadcast, X, Y) for _ in range(3)), 0.1)
    fastest = float("inf")
    for _ in range(3):  # a run a little too slow may be bad luck: try again
        start = time.perf_counter()
        answer = call(ex, fn, X, Y)
        fastest = min(fastest, time.perf_counter() - start)
        if fastest <= budget or fastest > 3 * budget:
            break
    ensure(
        ex,
        fastest <= budget,
        f"{name} took {fastest:.2f} s for 300 x 300 points, more than the "
        f"{budget:.2f} s a loop-free version needs: remove the Python loops.",
    )
    compare_arrays(ex, f"{name} on 300 x 300 points", answer, _pairwise_broadcast(X, Y))
    passed(ex, f"It agrees with the loop and took {1000 * fastest:.1f} ms.")


# --- Exercise 1.7: from NumPy to PyTorch ----------------------------------------------


def _check_tensor(
    ex: str, name: str, answer: Any, values: np.ndarray, device: torch.device
) -> None:
    """Check a float32 tensor on ``device`` holding ``values``."""
    ensure(
        ex,
        isinstance(answer, torch.Tensor),
        f"{name} should be a tensor but is {describe(answer)}.",
    )
    ensure(
        ex,
        answer.device.type == device.type,
        f"{name} is on the {answer.device.type} device but should be on {device.type}.",
    )
    expected = torch.from_numpy(values.astype(np.float32))
    compare_arrays(ex, name, answer.detach().cpu(), expected)


def check_to_tensor(
    to_tensor: Callable[[np.ndarray, torch.device], Any],
    device: torch.device | str | None = None,
) -> None:
    """Check Exercise 1.7: float32 tensors on ``device``, sharing memory if possible."""
    ex = "1.7"
    cpu = torch.device("cpu")
    device = cpu if device is None else torch.device(device)
    rng = exercise_rng(ex)
    array = rng.normal(size=(3, 4)).astype(np.float32)
    values = array.copy()
    answer = call(ex, to_tensor, array, cpu)
    _check_tensor(ex, "to_tensor(array, 'cpu')", answer, values, cpu)
    before = float(answer[0, 0])
    array[0, 0] += 1.0
    ensure(
        ex,
        float(answer[0, 0]) != before,
        "for a float32 array and the CPU, to_tensor made a copy but the tensor should "
        "share its memory with the array (torch.from_numpy does not copy).",
    )
    for array in (rng.normal(size=(2, 3)), rng.integers(-5, 5, size=(4,))):
        name = f"to_tensor(array of {array.dtype}, {str(device)!r})"
        answer = call(ex, to_tensor, array, device)
        _check_tensor(ex, name, answer, array, device)
    passed(ex, f"float32 tensors on {device.type}, sharing memory where possible.")


# --- Exercises 1.8 and 1.9: a gradient by hand and with autograd ----------------------


def _regression_data(
    ex: str, n_samples: int, n_features: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return float64 tensors X (N, D), y (N,) and w (D,) for a linear model."""
    rng = exercise_rng(ex)
    X = torch.from_numpy(rng.normal(size=(n_samples, n_features)))
    y = torch.from_numpy(rng.normal(size=n_samples))
    w = torch.from_numpy(rng.normal(size=n_features))
    return X, y, w


#: What to check when a gradient of the MSE is off by -1, or by another constant factor.
MSE_SIGN_HINT = "check the sign of the residual X @ w - y"
MSE_FACTOR_HINT = (
    "check the 2 that comes from the square and the 1 / N that comes from the mean"
)


def check_mse_grad(mse_grad: Callable[..., Any]) -> None:
    """Check Exercise 1.8: the hand-written gradient of the MSE agrees with autograd."""
    ex = "1.8"
    for n_samples, n_features in [(6, 3), (10, 4)]:
        X, y, w = _regression_data(ex, n_samples, n_features)
        leaf = w.clone().requires_grad_(True)
        ((X @ leaf - y) ** 2).mean().backward()
        answer = call(ex, mse_grad, X.clone(), y.clone(), w.clone())
        compare_gradient(
            ex,
            "mse_grad(X, y, w)",
            answer,
            leaf.grad,
            sign_hint=MSE_SIGN_HINT,
            factor_hint=MSE_FACTOR_HINT,
        )
    passed(ex, "Your formula agrees with autograd.")


def check_mse_grad_autograd(mse_grad_autograd: Callable[..., Any]) -> None:
    """Check Exercise 1.9: the autograd gradient matches the formula, every call."""
    ex, fn = "1.9", mse_grad_autograd
    name = "mse_grad_autograd(X, y, w)"
    X, y, w = _regression_data(ex, 8, 3)
    expected = 2 / len(y) * X.T @ (X @ w - y)  # (D,)
    first = call(ex, fn, X.clone(), y.clone(), w)
    compare_gradient(
        ex,
        name,
        first,
        expected,
        sign_hint=MSE_SIGN_HINT,
        factor_hint=MSE_FACTOR_HINT,
    )
    ensure(
        ex,
        not w.requires_grad and w.grad is None,
        "mse_grad_autograd changed the w passed to it (it now tracks gradients): "
        "work on a copy, w.detach().clone().requires_grad_(True).",
    )
    second = call(ex, fn, X.clone(), y.clone(), w)
    ensure_like(ex, name, second, expected)
    values = float_values(second)
    ensure(
        ex,
        values is not None and np.allclose(values, expected.numpy()),
        "a second call with the same inputs gave another result: gradients add up "
        "in .grad, so start from a fresh copy of w on every call.",
    )
    passed(ex, "Autograd agrees with the formula of Exercise 1.8.")
