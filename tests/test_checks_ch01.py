"""Tests of the chapter 1 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import numpy as np
import torch
from checks_helpers import chapter_tests, failure

from dlbook.checks import ch01


def accumulate_rows(idx, n_classes):
    """One-hot by comparing with a range: no loop."""
    return (idx[:, None] == np.arange(n_classes)).astype(np.float32)


def one_hot_loop(idx, n_classes):
    """A loop over the samples, which 1.4 forbids."""
    out = np.zeros((len(idx), n_classes))
    for k, i in enumerate(idx):
        out[k, i] = 1
    return out


def standardize_loop(X):
    """Column by column, which 1.5 forbids."""
    return np.stack([(column - column.mean()) / column.std() for column in X.T], axis=1)


def pairwise_expanded(X, Y):
    """|x|^2 + |y|^2 - 2 x.y, with einsum."""
    return np.einsum("nd,nd->n", X, X)[:, None] + (Y**2).sum(1) - 2 * X @ Y.T


def pairwise_loop(X, Y):
    """The loop 1.6 replaces."""
    return np.array([[((x - y) ** 2).sum() for y in Y] for x in X])


def mse_grad_autograd(X, y, w):
    """The 1.9 reference."""
    leaf = w.detach().clone().requires_grad_(True)
    ((X @ leaf - y) ** 2).mean().backward()
    return leaf.grad


def mse_grad_mse_loss(X, y, w):
    """F.mse_loss on a fresh leaf made with torch.tensor."""
    leaf = torch.tensor(w.numpy(), requires_grad=True)
    torch.nn.functional.mse_loss(X @ leaf, y).backward()
    return leaf.grad


def gd_losses(lr):
    """The cell of 1.11."""
    X, y = ch01.lr_experiment_data()
    w, losses = torch.zeros(2, dtype=torch.float64), []
    for _ in range(ch01.STEPS):
        losses.append(((X @ w - y) ** 2).mean().item())
        w = w - lr * 2 / len(y) * X.T @ (X @ w - y)
    return losses + [((X @ w - y) ** 2).mean().item()]


M_LOOPS = []
for i in range(7):
    M_LOOPS.append([])
    for j in range(5):
        M_LOOPS[-1].append(5 * i + j)

RIGHT = [
    (ch01.check_nested_lists, M_LOOPS),
    (ch01.check_nested_lists, [[5 * i + j for j in range(5)] for i in range(7)]),
    (ch01.check_nested_lists, [list(range(5 * i, 5 * i + 5)) for i in range(7)]),
    (ch01.check_fc_shapes, (50, 32), (32, 50)),
    (ch01.check_fc_shapes, torch.Size([50, 32]), (np.int64(32), 50)),
    (ch01.check_fc_shapes, tuple(np.array([50, 32])),
     torch.nn.Linear(100, 50)(torch.ones(32, 100)).shape),
    (ch01.check_embedding_shapes, (9, 32), (32, 18), (8, 7, 6)),
    (ch01.check_embedding_shapes, np.zeros((9, 32)).shape, torch.Size([32, 18]), (8, 7, 6)),
    (ch01.check_embedding_shapes, (np.int32(9), 32), (32, 2 * 9),
     np.broadcast_shapes((8, 1, 6), (7, 1))),
    (ch01.check_one_hot, lambda idx, n: np.eye(n)[idx]),
    (ch01.check_one_hot, accumulate_rows),
    (ch01.check_one_hot,
     lambda idx, n: torch.nn.functional.one_hot(torch.from_numpy(idx), n).numpy()),
    (ch01.check_standardize, lambda X: (X - X.mean(0)) / X.std(0)),
    (ch01.check_standardize, lambda X: (X - np.mean(X, axis=0, keepdims=True)) / np.sqrt(X.var(0))),
    (ch01.check_standardize, lambda X: ((X - X.mean(0)) / X.std(0)).astype(np.float32)),
    (ch01.check_pairwise_sq_distances, lambda X, Y: ((X[:, None] - Y[None]) ** 2).sum(-1)),
    (ch01.check_pairwise_sq_distances, pairwise_expanded),
    (ch01.check_pairwise_sq_distances,
     lambda X, Y: torch.cdist(torch.from_numpy(X), torch.from_numpy(Y)).numpy() ** 2),
    (ch01.check_to_tensor, lambda a, d: torch.from_numpy(a).to(torch.float32).to(d)),
    (ch01.check_to_tensor, lambda a, d: torch.as_tensor(a, dtype=torch.float32, device=d)),
    (ch01.check_to_tensor, lambda a, d: torch.from_numpy(a).float().to(device=d)),
    (ch01.check_mse_grad, lambda X, y, w: 2 / len(y) * X.T @ (X @ w - y)),
    (ch01.check_mse_grad, lambda X, y, w: 2 * torch.einsum("n,nd->d", X @ w - y, X) / X.shape[0]),
    (ch01.check_mse_grad, lambda X, y, w: (2 * (X @ w - y)[:, None] * X).mean(0).float()),
    (ch01.check_mse_grad_autograd, mse_grad_autograd),
    (ch01.check_mse_grad_autograd, lambda X, y, w: torch.autograd.grad(
     ((X @ (v := w.clone().requires_grad_()) - y) ** 2).mean(), v)[0]),
    (ch01.check_mse_grad_autograd, mse_grad_mse_loss),
    (ch01.check_grad_prediction, 8.0),
    (ch01.check_grad_prediction, torch.tensor(8)),
    (ch01.check_grad_prediction, 2 * 3 + 2),
    (ch01.check_learning_rate, 0.1, gd_losses(0.1)),
    (ch01.check_learning_rate, 0.08, gd_losses(0.08)),
    (ch01.check_learning_rate, np.float32(0.11), gd_losses(np.float32(0.11))),
]


CHECKERS = {"1.1": ch01.check_nested_lists, "1.4": ch01.check_one_hot,
            "1.5": ch01.check_standardize, "1.6": ch01.check_pairwise_sq_distances,
            "1.7": ch01.check_to_tensor, "1.8": ch01.check_mse_grad,
            "1.9": ch01.check_mse_grad_autograd, "1.10": ch01.check_grad_prediction}


JUNK_FOR = CHECKERS.values()


def grad_on_callers_w(X, y, w):
    """Differentiates with respect to the caller's own w."""
    ((X @ w.requires_grad_() - y) ** 2).mean().backward()
    return w.grad


OTHERS = [
    (ch01.check_nested_lists, ([tuple(r) for r in M_LOOPS],), "M[0] should be a list"),
    (ch01.check_fc_shapes, ((32, 50), (32, 50)), "in shape_numpy, dimensions 0 and 1"),
    (ch01.check_fc_shapes, ([50, 32], (32, 50)), "written with parentheses"),
    (ch01.check_embedding_shapes, ((9, 32), (64, 9), (8, 7, 6)), "torch.cat"),
    (ch01.check_embedding_shapes, ((9, 32), (32, 18), (8, 7)), "has 2 dimensions"),
    (ch01.check_one_hot, (one_hot_loop,), "one_hot uses a Python loop"),
    (ch01.check_pairwise_sq_distances, (pairwise_loop,), "uses a Python loop"),
    (ch01.check_standardize, (lambda X: X.__isub__(X.mean(0)),), "changed its input X"),
    (ch01.check_standardize, (standardize_loop,), "standardize uses a Python loop"),
    (ch01.check_to_tensor, (lambda a, d: torch.zeros(3),), "has shape (3,) but"),
    (ch01.check_mse_grad, (mse_grad_autograd,), "mse_grad raised RuntimeError: element 0"),
    (ch01.check_mse_grad_autograd, (grad_on_callers_w,), "(it now tracks gradients)"),
    (ch01.check_grad_prediction, (7,), "x.grad is not 7"),
    (ch01.check_learning_rate, (0.01, gd_losses(0.01)), "take a larger learning rate"),
    (ch01.check_learning_rate, (0.2, gd_losses(0.2)), "take a smaller learning rate"),
    (ch01.check_learning_rate, (0.1, gd_losses(0.05)), "run the cell again"),
    (ch01.check_learning_rate, (-1, []), "must be positive")]
globals().update(chapter_tests(RIGHT, CHECKERS, ch01.MISTAKES, JUNK_FOR, OTHERS))


def test_shape_messages_never_reveal_the_answer():
    for wrong in [(32, 50), (50, 100), (1,)]:
        message = failure(ch01.check_fc_shapes, wrong, (32, 50))
        assert "50" not in message.replace("shape_numpy", "") and "32" not in message
