"""Tests of the chapter 2 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from checks_helpers import chapter_tests, failure
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch02, one_thread, torch_seed
from dlbook.data import load_mnist_arrays

WORKED = dict(y=np.array([0.0, 2.0]), mse=4.0, w31_new=0.5, w42_new=0.54, w22_new=1.02)
SIG = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731


def forward13(X, p):
    b1, b2, w11, w12, w21, w31, w32, w1, w2 = p
    return w1 * SIG(X @ [w11, w21, w31] + b1) + w2 * np.tanh(X @ [w12, 0, w32] + b2)


def gradient13(X, y, p):
    """By hand: the residual times the local derivatives, summed over the samples."""
    b1, b2, w11, w12, w21, w31, w32, w1, w2 = p
    a1, a2 = SIG(X @ [w11, w21, w31] + b1), np.tanh(X @ [w12, 0, w32] + b2)
    r = w1 * a1 + w2 * a2 - y  # (N,)
    d1, d2 = r * w1 * a1 * (1 - a1), r * w2 * (1 - a2**2)
    x1, x2, x3 = X.T
    parts = [d1, d2, d1 * x1, d2 * x1, d1 * x2, d1 * x3, d2 * x3, r * a1, r * a2]
    return np.array([part.sum() for part in parts])


def gradient13_loop(X, y, p):
    """Sample by sample, in float32 and a dict-free loop."""
    total = np.zeros(9, dtype=np.float32)
    for x, t in zip(X, y, strict=True):
        total += gradient13(x[None], np.array([t]), p).astype(np.float32)
    return total


def gradient13_jacobian(X, y, p):
    """The Jacobian of f for every sample (N, 9), then one product with the residuals."""
    b1, b2, w11, w12, w21, w31, w32, w1, w2 = p
    a1, a2 = SIG(X @ [w11, w21, w31] + b1), np.tanh(X @ [w12, 0, w32] + b2)
    g1, g2 = (w1 * a1 * (1 - a1))[:, None], (w2 * (1 - a2**2))[:, None]
    ones = np.ones((len(X), 1))
    J = np.hstack([g1, g2, g1 * X[:, :1], g2 * X[:, :1], g1 * X[:, 1:2], g1 * X[:, 2:],
                   g2 * X[:, 2:], a1[:, None], a2[:, None]]) * ones
    return (forward13(X, p) - y) @ J


def softmax_log_sum_exp(Z):
    """exp(Z - logsumexp(Z)) with the log-sum-exp written out."""
    m = Z.max(axis=1, keepdims=True)
    return np.exp(Z - m - np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))


def ce_one_hot(Z, y):
    """The log-sum-exp of each row, the labels as one-hot rows of np.eye."""
    m = Z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True))  # (N, 1)
    Y = np.eye(Z.shape[1])[y]  # (N, C)
    return float(np.mean(lse[:, 0] - (Y * Z).sum(1))), (np.exp(Z - lse) - Y) / len(y)


def ce_loop(Z, y):
    """Sample by sample, from each row's probabilities."""
    loss, dZ = 0.0, np.zeros_like(Z)
    for n, label in enumerate(y):
        p = np.exp(Z[n] - Z[n].max())
        dZ[n] = p / p.sum()
        loss -= np.log(dZ[n, label]) / len(y)
        dZ[n, label] -= 1
    return loss, dZ / len(y)


def numerical_gradient_copies(f, x, eps=1e-6):
    flat = x.reshape(-1)
    grad = [(f((flat + e).reshape(x.shape)) - f((flat - e).reshape(x.shape))) / (2 * eps)
            for e in eps * np.eye(flat.size)]
    return np.array(grad).reshape(x.shape)


def numerical_gradient_shifted_copies(f, x, eps=1e-6):
    """np.ndindex, with a shifted copy of x on each side instead of shifting x itself."""
    grad = np.empty(x.shape)
    for i in np.ndindex(x.shape):
        plus, minus = x.copy(), x.copy()
        plus[i] += eps
        minus[i] -= eps
        grad[i] = (f(plus) - f(minus)) / (2 * eps)
    return grad


class ExtOtherStyle(nn.Module):
    """Defined in another order: a Sequential head first, then a ModuleDict of tables."""

    def __init__(
        self, n_batters, n_pitchers, n_innings, n_runners, embedding_dim, hidden_dim, n_outcomes
    ):
        super().__init__()
        self.head = nn.Sequential(
            nn.Linear(4 * embedding_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, n_outcomes)
        )
        sizes = dict(runners=n_runners, inning=n_innings, pitcher=n_pitchers, batter=n_batters)
        self.tables = nn.ModuleDict({k: nn.Embedding(n, embedding_dim) for k, n in sizes.items()})

    def forward(self, b, p, i, r):
        parts = [self.tables["runners"](r), self.tables["inning"](i), self.tables["pitcher"](p),
                 self.tables["batter"](b)]
        return self.head(torch.cat(parts, dim=-1))


Ext = ch02._ext_variant("")  # a right answer: the tables in a ModuleList


class ExtClamp(Ext):
    """The lookups in a comprehension, clamp as the ReLU."""

    def forward(self, *idx):
        cat = torch.cat([e(i) for e, i in zip(self.embeds, idx, strict=True)], 1)
        return self.fc(self.hidden(cat).clamp(min=0))


class ExtFixedHidden(Ext):
    def __init__(self, **sizes):
        super().__init__(**{**sizes, "hidden_dim": 32})


def train(model, loader, loss_fn, optimizer, num_epochs):
    device = next(model.parameters()).device
    model.train()
    losses = []
    for _ in range(num_epochs):
        total = 0.0
        for X, y in loader:
            X, y = X.to(device), y.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        losses.append(total / len(loader))
    return losses


def train_other_style(model, loader, loss_fn, optimizer, num_epochs):
    """model.forward, zero_grad after step, a list of batch losses, numpy means."""
    model.train()
    epoch_losses = []
    for _epoch in range(num_epochs):
        batch_losses = []
        for batch in loader:
            inputs, targets = batch
            out = model.forward(inputs)
            loss = loss_fn(out, targets)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            batch_losses.append(float(loss.detach()))
            with torch.no_grad():
                model(inputs)  # an extra look at the batch changes no parameter
        epoch_losses.append(np.mean(batch_losses))
    return epoch_losses


def train_detached(model, loader, loss_fn, optimizer, num_epochs):
    """Batch losses kept as detached tensors, averaged per epoch with torch.stack."""
    device = next(model.parameters()).device
    history = []
    for _ in range(num_epochs):
        model.train()
        batch = []
        for X, y in loader:
            optimizer.zero_grad(set_to_none=False)
            loss = loss_fn(model(X.to(device)), y.to(device))
            loss.backward()
            optimizer.step()
            batch.append(loss.detach())
        history.append(torch.stack(batch).mean().item())
    return history


def dropout_binomial(X, p, training, rng):
    """Another way to draw the mask, and a copy in evaluation mode."""
    if not training or p == 0:
        return X.copy()
    return np.where(rng.binomial(1, 1 - p, size=X.shape) == 1, X / (1 - p), 0.0)


@functools.cache
def trained(lr):
    """A 784-128-10 MLP trained as Exercise 2.8 asks, with learning rate lr."""
    images, labels = load_mnist_arrays(train=True)
    X = torch.from_numpy(images[:3000].reshape(3000, -1) / 255).float()
    data = torch.utils.data.TensorDataset(X, torch.from_numpy(labels[:3000]))
    loader = torch.utils.data.DataLoader(
        data, 64, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    with one_thread(), torch_seed(1):
        model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        train(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr), 2)
    return model


@pytest.mark.parametrize(
    ("lr", "phrase"), [(0.3, ""), (0.5, ""), (1, ""), (0.01, "a larger"), (3.0, "a smaller")]
)
def test_lr_experiment_judges_the_students_own_run(lr, phrase, monkeypatch, capsys):
    monkeypatch.setattr(ch02, "LR_BAR", 0.8)  # the quick-mode bar, whatever the mode
    if phrase:
        assert f"take {phrase} learning rate" in failure(ch02.check_lr_experiment, lr, trained(lr))
    else:
        ch02.check_lr_experiment(lr, trained(lr))
        assert "passed" in capsys.readouterr().out


RIGHT = [
    (ch02.check_worked_example, *WORKED.values()),
    (ch02.check_worked_example, [0, 2], np.float64(4), torch.tensor(0.5), 0.54, np.float32(1.02)),
    (ch02.check_worked_example, torch.tensor([0.0, 2.0]), 4, 0.5, 0.54 + 1e-9, 1.02),
    (ch02.check_sparse_network, forward13, gradient13),
    (ch02.check_sparse_network, lambda X, p: forward13(X, p).astype(np.float32), gradient13_loop),
    (ch02.check_sparse_network, forward13, gradient13_jacobian),
    (ch02.check_linear_backward, lambda X, W, b, dY: (dY @ W, dY.T @ X, dY.sum(0))),
    (ch02.check_linear_backward, lambda X, W, b, dY: [np.einsum("nk,ki->ni", dY, W),
     np.einsum("nk,ni->ki", dY, X), dY.sum(0)]),
    (ch02.check_linear_backward,
     lambda X, W, b, dY: (np.matmul(dY, W), (X.T @ dY).T, np.ones(len(X)) @ dY)),
    (ch02.check_softmax_cross_entropy, lambda Z: (np.exp(Z - Z.max(1, keepdims=True))
     / np.exp(Z - Z.max(1, keepdims=True)).sum(1, keepdims=True)), ce_loop),
    (ch02.check_softmax_cross_entropy, lambda Z: F.softmax(torch.from_numpy(Z), 1).numpy(),
     lambda Z, y: (F.cross_entropy(torch.from_numpy(Z), torch.from_numpy(y)).item(),
     ce_one_hot(Z, y)[1])),
    (ch02.check_softmax_cross_entropy, softmax_log_sum_exp, ce_one_hot),
    (ch02.check_numerical_gradient, numerical_gradient_copies),
    (ch02.check_numerical_gradient, numerical_gradient_shifted_copies),
    (ch02.check_batter_pitcher_ext, ExtOtherStyle),
    (ch02.check_batter_pitcher_ext, ExtClamp),
    (ch02.check_train, train),
    (ch02.check_train, train_other_style),
    (ch02.check_train, train_detached),
    (ch02.check_dropout, dropout_binomial),
    (ch02.check_dropout,
     lambda X, p, training, rng: X * (rng.uniform(size=X.shape) > p) / (1 - p) if training else X),
    (ch02.check_initial_loss, 2.3),
    (ch02.check_initial_loss, np.log(10)),
    (ch02.check_initial_loss, torch.tensor(2.4)),
]


def worked(wrong):
    return ch02.check_worked_example(**{**WORKED, **wrong})


CALLS = {"2.1": worked, "2.2 forward": lambda wrong: ch02.check_sparse_network(wrong, gradient13),
         "2.2": lambda wrong: ch02.check_sparse_network(forward13, wrong),
         "2.3": ch02.check_linear_backward,
         "2.4 softmax": lambda wrong: ch02.check_softmax_cross_entropy(wrong, ce_one_hot),
         "2.4": lambda wrong: ch02.check_softmax_cross_entropy(softmax_log_sum_exp, wrong),
         "2.5": ch02.check_numerical_gradient, "2.6": ch02.check_batter_pitcher_ext,
         "2.7": ch02.check_train, "2.9": ch02.check_dropout, "2.10": ch02.check_initial_loss}


JUNK_FOR = [c for k, c in CALLS.items() if k != "2.1"]


def gradient13_autograd(X, y, p):
    """With autograd, which 2.2 asks not to use."""
    pt = torch.tensor(p, requires_grad=True)
    b1, b2, w11, w12, w21, w31, w32, w1, w2 = pt
    Xt = torch.from_numpy(X)
    f = w1 * torch.sigmoid(Xt @ torch.stack([w11, w21, w31]) + b1) + w2 * torch.tanh(
        Xt[:, 0] * w12 + Xt[:, 2] * w32 + b2)
    (0.5 * ((f - torch.from_numpy(y)) ** 2).sum()).backward()
    return pt.grad.numpy()


def train_constant(model, loader, loss_fn, optimizer, num_epochs):
    return [0.0] * num_epochs


def train_four_losses(model, loader, loss_fn, optimizer, num_epochs):
    return train(model, loader, loss_fn, optimizer, num_epochs)[:4]


def train_swapped(model, loader, loss_fn, optimizer, num_epochs):
    model.train()
    for X, y in loader:
        loss_fn(y, model(X)).backward()


OTHERS = [
    (worked, (dict(y=3.0),), "y should hold the two outputs"),
    (worked, (dict(w22_new=7.0),), "w22_new is not right"),
    (worked, (dict(mse="4"),), "mse should be a number"),
    (ch02.check_sparse_network, (forward13, gradient13_autograd), "the derivatives out by hand"),
    (ch02.check_linear_backward, (lambda X, W, b, dY: (dY @ W, dY.T @ X),), "tuple (dX, dW, db)"),
    (ch02.check_numerical_gradient, (lambda f, x, eps: x.__iadd__(eps),), "changed its input x"),
    (ch02.check_batter_pitcher_ext, (Ext(**ch02.SIZES),), "pass the class"),
    (ch02.check_batter_pitcher_ext, (ExtFixedHidden,), "sizes from the arguments"),
    (ch02.check_train, (train_constant,), "parameters differ"),
    (ch02.check_train, (train_four_losses,), "returned 4 losses"),
    (ch02.check_train, (train_swapped,), "predictions first and the targets second"),
    (ch02.check_initial_loss, (5.0,), "is far from the loss"),
]
globals().update(chapter_tests(RIGHT, CALLS, ch02.MISTAKES, JUNK_FOR, OTHERS))
