"""Tests of the chapter 1 checkers: right answers pass, wrong ones are explained."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
from checks_helpers import (
    COMMON_JUNK,
    failure,
    raises_not_implemented,
    raises_value_error,
    returning,
)

from dlbook.checks import ch01

# --- reference answers ----------------------------------------------------------------


def nested_lists() -> list[list[int]]:
    """Build M with M[i][j] == 5 * i + j, 7 rows of 5."""
    M = []
    for i in range(7):
        M.append([5 * i + j for j in range(5)])
    return M


def one_hot(idx, n_classes):
    """Reference one-hot encoding."""
    out = np.zeros((len(idx), n_classes))
    out[np.arange(len(idx)), idx] = 1.0
    return out


def standardize(X):
    """Reference column standardisation."""
    return (X - X.mean(axis=0)) / X.std(axis=0)


def pairwise(X, Y):
    """Reference squared distances by broadcasting."""
    return ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)


def to_tensor(array, device):
    """Reference conversion: share memory when possible."""
    return torch.from_numpy(array).to(torch.float32).to(device)


def mse_grad(X, y, w):
    """Reference gradient of the mean squared error."""
    return 2 / len(y) * X.T @ (X @ w - y)


def mse_grad_autograd(X, y, w):
    """Reference gradient by autograd on a fresh copy of w."""
    leaf = w.detach().clone().requires_grad_(True)
    ((X @ leaf - y) ** 2).mean().backward()
    return leaf.grad


FC = {"shape_numpy": (50, 32), "shape_torch": (32, 50)}
EMB = {"shape_batter": (9, 32), "shape_cat": (32, 18), "shape_broadcast": (8, 7, 6)}
SIZES = {size for shape in [*FC.values(), *EMB.values()] for size in shape}


# --- right answers pass ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "args"),
    [
        (ch01.check_nested_lists, (nested_lists(),)),
        (ch01.check_fc_shapes, tuple(FC.values())),
        (ch01.check_embedding_shapes, tuple(EMB.values())),
        (ch01.check_one_hot, (one_hot,)),
        (ch01.check_standardize, (standardize,)),
        (ch01.check_pairwise_sq_distances, (pairwise,)),
        (ch01.check_to_tensor, (to_tensor,)),
        (ch01.check_mse_grad, (mse_grad,)),
        (ch01.check_mse_grad_autograd, (mse_grad_autograd,)),
    ],
)
def test_reference_answers_pass(checker, args, capsys):
    checker(*args)
    assert re.match(r"\N{CHECK MARK} Exercise 1\.\d passed\.", capsys.readouterr().out)


def test_other_right_answers_pass():
    ch01.check_nested_lists([[5 * i + j for j in range(5)] for i in range(7)])
    ch01.check_fc_shapes(torch.Size([50, 32]), (np.int64(32), np.int64(50)))
    ch01.check_one_hot(lambda idx, n: np.eye(n)[idx])
    ch01.check_pairwise_sq_distances(
        lambda X, Y: (X**2).sum(1)[:, None] + (Y**2).sum(1)[None, :] - 2 * X @ Y.T
    )
    ch01.check_to_tensor(
        lambda a, device: torch.as_tensor(a, dtype=torch.float32, device=device)
    )
    ch01.check_mse_grad(mse_grad_autograd)  # autograd is allowed to agree with itself


# --- Exercise 1.1 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("M", "phrase"),
    [
        (np.arange(35).reshape(7, 5), "should be a list of lists"),
        (nested_lists()[:6], "has 6 inner lists but should have 7"),
        ([row[:4] for row in nested_lists()], "M[0] has 4 elements but should have 5"),
        (nested_lists()[:3] + [list(range(15, 21))] + nested_lists()[4:], "M[3] has 6"),
        (
            [tuple(row) for row in nested_lists()],
            "M[0] should be a list but is a tuple",
        ),
        ([list(range(5))] * 7, "same list object"),
        (
            [[5 * j + i for j in range(5)] for i in range(7)],
            "M[0][1] is 5 but should be",
        ),
        ([[float(5 * i + j) for j in range(5)] for i in range(7)], "should be an int"),
    ],
)
def test_nested_lists_wrong(M, phrase):
    assert phrase in failure(ch01.check_nested_lists, M)


# --- Exercises 1.2 and 1.3: shapes are never revealed ---------------------------------


def assert_not_revealed(message: str) -> None:
    """The message names no right shape and none of its sizes."""
    for shape in [*FC.values(), *EMB.values()]:
        assert str(shape) not in message and str(shape)[1:-1] not in message
    for size in SIZES:
        assert not re.search(rf"\b{size}\b", message), (size, message)


@pytest.mark.parametrize(
    ("answers", "phrase"),
    [
        ({"shape_numpy": (32, 50)}, "in shape_numpy, dimensions 0 and 1 are wrong"),
        ({"shape_numpy": (50, 100)}, "in shape_numpy, dimension 1 is wrong"),
        ({"shape_numpy": [50, 32]}, "written with parentheses"),
        ({"shape_numpy": (50, 32, 1)}, "has 3 dimensions but the output has 2"),
        ({"shape_torch": (50, 32)}, "shape_torch"),
        ({"shape_torch": (32.0, 50.0)}, "should hold only integers"),
        ({"shape_torch": "32, 50"}, "should be a tuple of integers"),
    ],
)
def test_fc_shapes_wrong(answers, phrase):
    message = failure(ch01.check_fc_shapes, **{**FC, **answers})
    assert phrase in message
    assert_not_revealed(message)


@pytest.mark.parametrize(
    ("answers", "phrase"),
    [
        ({"shape_batter": (32, 9)}, "in shape_batter, dimensions 0 and 1 are wrong"),
        ({"shape_batter": (9, 100)}, "dimension 1 is wrong"),
        ({"shape_cat": (32, 9)}, "in shape_cat, dimension 1 is wrong"),
        ({"shape_cat": (64, 9)}, "torch.cat"),
        ({"shape_broadcast": (8, 1, 6)}, "in shape_broadcast, dimension 1 is wrong"),
        ({"shape_broadcast": (8, 7)}, "has 2 dimensions but the output has 3"),
        ({"shape_broadcast": None}, "should be a tuple of integers"),
    ],
)
def test_embedding_shapes_wrong(answers, phrase):
    message = failure(ch01.check_embedding_shapes, **{**EMB, **answers})
    assert phrase in message
    assert_not_revealed(message)


def test_shape_checks_leave_the_random_state_alone():
    state = torch.random.get_rng_state()
    ch01.check_fc_shapes(*FC.values())
    ch01.check_embedding_shapes(*EMB.values())
    assert torch.equal(state, torch.random.get_rng_state())


# --- Exercise 1.4 ---------------------------------------------------------------------


def one_hot_every_column(idx, n_classes):
    """Wrong: sets whole columns instead of one element per row."""
    out = np.zeros((len(idx), n_classes))
    out[:, idx] = 1.0
    return out


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda idx, n: one_hot(idx, n).T, "has shape (5, 6)"),
        (lambda idx, n: np.eye(idx.max() + 1)[idx], "has shape (6, 4)"),
        (lambda idx, n: one_hot(idx, n).astype(int), "has dtype int64"),
        (one_hot_every_column, "is 1.0 but should be 0.0"),
        (lambda idx, n: one_hot(idx, n).tolist(), "should be a NumPy array"),
    ],
)
def test_one_hot_wrong(fn, phrase):
    assert phrase in failure(ch01.check_one_hot, fn)


# --- Exercise 1.5 ---------------------------------------------------------------------


def standardize_in_place(X):
    """Wrong: overwrites the caller's array."""
    X -= X.mean(axis=0)
    X /= X.std(axis=0)
    return X


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (
            lambda X: (X - X.mean(1, keepdims=True)) / X.std(1, keepdims=True),
            "do not have mean 0",
        ),
        (lambda X: (X - X.mean(0)) / X.std(0, ddof=1), "ddof=1"),
        (lambda X: X - X.mean(0), "do not have standard deviation 1"),
        (lambda X: (X - X.mean(0)) / X.var(0), "do not have standard deviation 1"),
        (lambda X: (X - X.mean(1)) / X.std(1), "raised ValueError"),
        (standardize_in_place, "changed the array X"),
        (lambda X: standardize(X).astype(np.float32), "dtype float32"),
        (lambda X: torch.from_numpy(standardize(X)), "should be a NumPy array"),
    ],
)
def test_standardize_wrong(fn, phrase):
    assert phrase in failure(ch01.check_standardize, fn)


# --- Exercise 1.6 ---------------------------------------------------------------------


def pairwise_double_loop(X, Y):
    """Wrong: the slow loop itself."""
    dist = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            dist[i, j] = np.sum((X[i] - Y[j]) ** 2)
    return dist


def pairwise_rows(X, Y):
    """Wrong: one comprehension over the rows of X."""
    return np.stack([((x - Y) ** 2).sum(axis=1) for x in X])


def pairwise_while(X, Y):
    """Wrong: a while loop over the rows of X."""
    rows, i = [], 0
    while i < len(X):
        rows.append(((X[i] - Y) ** 2).sum(axis=1))
        i += 1
    return np.stack(rows)


def pairwise_slow(X, Y):
    """Wrong: no loop in sight, but far too slow on a large input."""
    if len(X) > 100:
        time.sleep(2.0)  # far over any budget, even on a loaded machine
    return pairwise(X, Y)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (pairwise_double_loop, "still uses a for loop"),
        (pairwise_rows, "still uses a comprehension"),
        (pairwise_while, "still uses a while loop"),
        (pairwise_slow, "remove the Python loops"),
        (lambda X, Y: np.sqrt(pairwise(X, Y)), "not squared distances"),
        (
            lambda X, Y: pairwise(X, Y).T,
            "has shape (7, 5) but should have shape (5, 7)",
        ),
        (lambda X, Y: ((X[:, None] - Y[None]) ** 2).sum(axis=1), "has shape (5, 3)"),
        (
            lambda X, Y: (X[:, None] - Y[None]).sum(-1) ** 2,
            "pairwise_sq_distances(X, Y)[",
        ),
    ],
)
def test_pairwise_wrong(fn, phrase):
    assert phrase in failure(ch01.check_pairwise_sq_distances, fn)


LOOP_SOURCE = """
def loop(X, Y):
    dist = np.zeros((len(X), len(Y)))
    for i in range(len(X)):
        for j in range(len(Y)):
            dist[i, j] = np.sum((X[i] - Y[j]) ** 2)
    return dist
"""


def test_pairwise_loop_without_source_is_caught_by_timing():
    namespace = {"np": np}
    exec(compile(LOOP_SOURCE, "<no file>", "exec"), namespace)  # no source to inspect
    message = failure(ch01.check_pairwise_sq_distances, namespace["loop"])
    assert "took" in message and "remove the Python loops" in message


# --- Exercise 1.7 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda a, d: torch.tensor(a, dtype=torch.float32, device=d), "made a copy"),
        (lambda a, d: torch.from_numpy(a).to(d), "has dtype torch.float64"),
        (lambda a, d: a.astype(np.float32), "should be a tensor"),
        (lambda a, d: to_tensor(a, d).T, "has shape (4, 3)"),
        (lambda a, d: to_tensor(a, d).flatten(), "has shape (12,)"),
        (lambda a, d: to_tensor(a + 1, d), "to_tensor(array, 'cpu')[0, 0] is"),
    ],
)
def test_to_tensor_wrong(fn, phrase):
    assert phrase in failure(ch01.check_to_tensor, fn)


def test_to_tensor_wrong_device():
    # The meta device stands in for a GPU: it exists on every machine.
    def cpu_only(array, device):
        return torch.from_numpy(array).float()

    message = failure(ch01.check_to_tensor, cpu_only, "meta")
    assert "is on the cpu device but should be on meta" in message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_to_tensor_on_cuda():
    ch01.check_to_tensor(to_tensor, torch.device("cuda"))
    message = failure(ch01.check_to_tensor, lambda a, d: to_tensor(a, "cpu"), "cuda")
    assert "should be on cuda" in message


# --- Exercises 1.8 and 1.9 ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda X, y, w: X.T @ (X @ w - y) / len(y), "constant factor of 0.5"),
        (lambda X, y, w: 2 * X.T @ (X @ w - y), "constant factor of 6"),
        (lambda X, y, w: 2 / 6 * X.T @ (X @ w - y), "constant factor of 1.67"),
        (lambda X, y, w: 2 / len(y) * X.T @ (y - X @ w), "wrong sign"),
        (lambda X, y, w: mse_grad(X, y, w).numpy(), "should be a tensor"),
        (lambda X, y, w: mse_grad(X, y, w).float(), "has dtype torch.float32"),
        (lambda X, y, w: mse_grad(X, y, w)[:, None], "has shape (3, 1)"),
        (lambda X, y, w: 2 / len(y) * X @ (X @ w - y), "raised RuntimeError"),
        (lambda X, y, w: 2 / len(y) * X.T @ (X @ w), "mse_grad(X, y, w)["),
    ],
)
def test_mse_grad_wrong(fn, phrase):
    assert phrase in failure(ch01.check_mse_grad, fn)


def grad_in_place(X, y, w):
    """Wrong: differentiates the caller's w itself."""
    w.requires_grad_(True)
    ((X @ w - y) ** 2).mean().backward()
    return w.grad


def make_accumulating():
    """Wrong: keeps one leaf across calls, so gradients add up."""
    store = {}

    def grad(X, y, w):
        if "leaf" not in store:
            store["leaf"] = w.detach().clone().requires_grad_(True)
        ((X @ store["leaf"] - y) ** 2).mean().backward()
        return store["leaf"].grad.clone()

    return grad


def grad_with_history(X, y, w):
    """Wrong: returns a tensor that still tracks gradients."""
    leaf = w.detach().clone().requires_grad_(True)
    return 2 / len(y) * X.T @ (X @ leaf - y)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (grad_in_place, "changed the w passed to it"),
        (make_accumulating(), "a second call with the same inputs gave another result"),
        (grad_with_history, "should not track gradients"),
        (lambda X, y, w: ((X @ w - y) ** 2).mean(), "has shape () but should have"),
        (lambda X, y, w: 2 * X.T @ (X @ w - y), "constant factor of 8"),
    ],
)
def test_mse_grad_autograd_wrong(fn, phrase):
    assert phrase in failure(ch01.check_mse_grad_autograd, fn)


# --- robustness: junk never crashes a checker -----------------------------------------


JUNK = [
    *COMMON_JUNK,
    np.zeros((2, 2)),
    np.full((5, 5), np.nan),
    np.zeros((5, 7), dtype=object),
    torch.zeros(3),
    torch.zeros(3, dtype=torch.float64, device="meta"),
    torch.zeros(3, dtype=torch.bfloat16),
    torch.full((3,), float("nan"), dtype=torch.float64),
]
FUNCTION_CHECKERS = [
    ch01.check_one_hot,
    ch01.check_standardize,
    ch01.check_pairwise_sq_distances,
    ch01.check_to_tensor,
    ch01.check_mse_grad,
    ch01.check_mse_grad_autograd,
]


@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__)
def test_junk_only_ever_raises_check_failed(junk):
    failure(ch01.check_nested_lists, junk)
    failure(ch01.check_nested_lists, [junk] * 7)
    failure(ch01.check_nested_lists, [[junk] * 5 for _ in range(7)])
    for name in FC:
        failure(ch01.check_fc_shapes, **{**FC, name: junk})
    for name in EMB:
        failure(ch01.check_embedding_shapes, **{**EMB, name: junk})
    for checker in FUNCTION_CHECKERS:
        failure(checker, junk)
        failure(checker, returning(junk))


def test_stub_message_names_the_function():
    message = failure(ch01.check_standardize, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch01.check_one_hot, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
