"""Tests of the chapter 2 checkers: right answers pass, wrong ones are explained."""

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
from torch import nn

from dlbook.checks import ch02

# --- reference answers ----------------------------------------------------------------

WORKED = {"y": np.array([0.0, 2.0]), "mse": 4.0, "w31": 0.5, "w42": 0.54, "w22": 1.02}


def worked(**changes):
    """The right answers of Exercise 2.1 as checker arguments, with some replaced."""
    values = {**WORKED, **changes}
    return (values["y"], values["mse"], values["w31"], values["w42"], values["w22"])


def linear_backward(X, W, b, dY):
    """Reference backward pass of Y = X @ W.T + b."""
    return dY @ W, dY.T @ X, dY.sum(axis=0)


def softmax(Z):
    """Reference stable softmax over the rows."""
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    return E / E.sum(axis=1, keepdims=True)


def softmax_cross_entropy(Z, y):
    """Reference mean cross-entropy and its gradient with respect to the logits."""
    n = len(y)
    shifted = Z - Z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dZ = np.exp(log_p)
    dZ[np.arange(n), y] -= 1
    return -log_p[np.arange(n), y].mean(), dZ / n


def numerical_gradient(f, x, eps=1e-6):
    """Reference central differences, restoring every element."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


class Ext(nn.Module):
    """Reference BatterPitcher2VecExt."""

    def __init__(
        self,
        n_batters,
        n_pitchers,
        n_innings,
        n_runners,
        embedding_dim,
        hidden_dim,
        n_outcomes,
    ):
        super().__init__()
        self.batter_embed = nn.Embedding(n_batters, embedding_dim)
        self.pitcher_embed = nn.Embedding(n_pitchers, embedding_dim)
        self.inning_embed = nn.Embedding(n_innings, embedding_dim)
        self.runners_embed = nn.Embedding(n_runners, embedding_dim)
        self.hidden = nn.Linear(4 * embedding_dim, hidden_dim)
        self.fc = nn.Linear(hidden_dim, n_outcomes)

    def embed(self, batter_idx, pitcher_idx, inning_idx, runners_idx):
        """The four embeddings side by side, (B, 4 * embedding_dim)."""
        return torch.cat(
            [
                self.batter_embed(batter_idx),
                self.pitcher_embed(pitcher_idx),
                self.inning_embed(inning_idx),
                self.runners_embed(runners_idx),
            ],
            dim=1,
        )

    def forward(self, batter_idx, pitcher_idx, inning_idx, runners_idx):
        """Return logits (B, n_outcomes)."""
        cat = self.embed(batter_idx, pitcher_idx, inning_idx, runners_idx)
        return self.fc(torch.relu(self.hidden(cat)))


def train(model, loader, loss_fn, optimizer, num_epochs):
    """Reference training loop returning the average loss of each epoch."""
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


def dropout(X, p, training, rng):
    """Reference inverted dropout."""
    if not training:
        return X
    keep = rng.random(X.shape) >= p  # (N, D)
    return X * keep / (1 - p)


# --- right answers pass, quickly, and leave the random state alone --------------------

# Creating the first optimiser imports torch._dynamo (seconds, once per process): do it
# here, so that the timings below measure the checkers alone.
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)

CHECKS = [
    (ch02.check_worked_example, worked()),
    (ch02.check_linear_backward, (linear_backward,)),
    (ch02.check_softmax_cross_entropy, (softmax, softmax_cross_entropy)),
    (ch02.check_numerical_gradient, (numerical_gradient,)),
    (ch02.check_batter_pitcher_ext, (Ext,)),
    (ch02.check_train, (train,)),
    (ch02.check_dropout, (dropout,)),
]


@pytest.mark.parametrize(
    ("checker", "args"), CHECKS, ids=lambda c: getattr(c, "__name__", "")
)
def test_reference_answers_pass(checker, args, capsys):
    torch.manual_seed(123)
    np.random.seed(123)
    state, np_state = torch.get_rng_state(), np.random.get_state()
    start = time.perf_counter()
    checker(*args)
    assert time.perf_counter() - start < 30.0  # a loaded machine is slow, a hang is not
    assert re.match(r"\N{CHECK MARK} Exercise 2\.\d passed\.", capsys.readouterr().out)
    assert torch.equal(torch.get_rng_state(), state)
    assert np.random.get_state()[1].tolist() == np_state[1].tolist()


def test_other_right_answers_pass():
    ch02.check_worked_example([0, 2], np.float64(4.0), 0.5, torch.tensor(0.54), 1.02)
    ch02.check_worked_example(torch.tensor([0.0, 2.0]), 4, 0.5, 0.54, np.array(1.02))
    ch02.check_linear_backward(lambda X, W, b, dY: [dY @ W, dY.T @ X, dY.sum(0)])
    ch02.check_numerical_gradient(
        lambda f, x, eps=1e-6: np.array(
            [
                (f(x + eps * e) - f(x - eps * e)) / (2 * eps)
                for e in np.eye(x.size).reshape(-1, *x.shape)
            ]
        ).reshape(x.shape)
    )
    ch02.check_train(train, "cpu")
    ch02.check_train(train, torch.device("cpu"))

    class SequentialFirst(Ext):
        """Concatenates the embeddings in another order, with nn.ReLU(inplace=True)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.act = nn.ReLU(inplace=True)

        def forward(self, batter_idx, pitcher_idx, inning_idx, runners_idx):
            cat = torch.cat(
                [
                    self.runners_embed(runners_idx),
                    self.inning_embed(inning_idx),
                    self.pitcher_embed(pitcher_idx),
                    self.batter_embed(batter_idx),
                ],
                dim=1,
            )
            return self.fc(self.act(self.hidden(cat)))

    ch02.check_batter_pitcher_ext(SequentialFirst)
    ch02.check_batter_pitcher_ext(lambda **sizes: Ext(**sizes))  # a factory is fine

    def dropout_binomial(X, p, training, rng):
        if not training:
            return X.copy()
        return X * rng.binomial(1, 1 - p, size=X.shape) / (1 - p)

    ch02.check_dropout(dropout_binomial)


# --- Exercise 2.1 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (worked(y=None), "y should hold the two outputs"),
        (worked(y=[0.0, 2.0, 1.0]), "y holds 3 numbers"),
        (
            worked(y=np.array([-1.0, 2.0])),
            "y[0] is the input of the output unit's ReLU",
        ),
        (worked(y=np.array([0.0, 3.0])), "y[1] (that is y2) is 3, which is not right"),
        (worked(mse=8.0), "mse is the sum of the squared errors"),
        (worked(mse=2.0), "root of the mean squared error"),
        (worked(mse=5.0), "mse is 5, which is not right"),
        (worked(mse="4"), "mse should be a number but is a str"),
        (worked(w42=0.46), "w42_new moves up the gradient"),
        (worked(w42=4.5), "multiply it by the learning rate"),
        (worked(w42=0.5), "w42_new equals the old w42"),
        (worked(w42=0.58), "w42_new uses the gradient of the sum of squared errors"),
        (worked(w22=0.98), "or lets the gradient flow back through an output whose"),
        (worked(w22=1.04), "w22_new uses the gradient of the sum"),
        (worked(w22=1.5), "w22_new is 1.5, which is not right"),
        (worked(w31=0.6), "w31_new is 0.6, which is not right"),
        (worked(w31=float("nan")), "w31_new is nan, not a finite number"),
    ],
)
def test_worked_example_wrong(args, phrase):
    assert phrase in failure(ch02.check_worked_example, *args)


def test_worked_example_messages_do_not_give_the_answer_away():
    for args in [worked(y=np.array([0.0, 3.0])), worked(mse=5.0), worked(w22=1.5)]:
        message = failure(ch02.check_worked_example, *args)
        for secret in ["1.02", "0.54", "should be 4", "should be 2"]:
            assert secret not in message


# --- Exercise 2.2 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda X, W, b, dY: (dY @ W, X.T @ dY, dY.sum(0)), "dW has shape (4, 3), the"),
        (lambda X, W, b, dY: (dY @ W, dY.T @ X, dY.mean(0)), "db is the average"),
        (
            lambda X, W, b, dY: (dY @ W, dY.T @ X, dY.sum(0, keepdims=True)),
            "db has shape",
        ),
        (lambda X, W, b, dY: (-(dY @ W), dY.T @ X, dY.sum(0)), "dX has the wrong sign"),
        (lambda X, W, b, dY: (dY @ W, dY.T @ X / len(X), dY.sum(0)), "dW[0, 0] is"),
        (lambda X, W, b, dY: (dY @ W, dY.T @ X), "should return a tuple (dX, dW, db)"),
        (
            lambda X, W, b, dY: tuple(
                torch.from_numpy(a) for a in linear_backward(X, W, b, dY)
            ),
            "dX should be a NumPy array but is a tensor",
        ),
        (
            lambda X, W, b, dY: tuple(
                a.astype(np.float32) for a in linear_backward(X, W, b, dY)
            ),
            "dtype float32 but should have float64",
        ),
        (lambda X, W, b, dY: (dY @ W.T, dY.T @ X, dY.sum(0)), "raised ValueError"),
    ],
)
def test_linear_backward_wrong(fn, phrase):
    assert phrase in failure(ch02.check_linear_backward, fn)


# --- Exercise 2.3 ---------------------------------------------------------------------


def naive_softmax(Z):
    """Softmax without the shift: overflows for large logits."""
    E = np.exp(Z)
    return E / E.sum(axis=1, keepdims=True)


def softmax_in_place(Z):
    """Softmax that shifts the caller's array."""
    Z -= Z.max(axis=1, keepdims=True)
    return naive_softmax(Z)


def ce_summed(Z, y):
    """Loss and gradient summed over the batch instead of averaged."""
    loss, dZ = softmax_cross_entropy(Z, y)
    return loss * len(y), dZ * len(y)


def ce_grad_not_averaged(Z, y):
    """Right loss, gradient not divided by N."""
    loss, dZ = softmax_cross_entropy(Z, y)
    return loss, dZ * len(y)


def ce_naive(Z, y):
    """Loss from the naive softmax: nan for large logits."""
    p = naive_softmax(Z)
    n = len(y)
    dZ = p.copy()
    dZ[np.arange(n), y] -= 1
    return -np.log(p[np.arange(n), y]).mean(), dZ / n


@pytest.mark.parametrize(
    ("fns", "phrase"),
    [
        ((naive_softmax, softmax_cross_entropy), "nan or inf for logits as large as"),
        ((softmax_in_place, softmax_cross_entropy), "softmax changed the array Z"),
        (
            (lambda Z: np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True), None),
            "normalises each column",
        ),
        ((lambda Z: np.exp(Z - Z.max()), None), "do not sum to 1"),
        ((lambda Z: softmax(Z).astype(np.float32), None), "dtype float32"),
        ((softmax, ce_summed), "the loss is the sum over the batch"),
        ((softmax, ce_grad_not_averaged), "dZ is N times too large"),
        ((softmax, lambda Z, y: (-ce_naive(Z, y)[0], ce_naive(Z, y)[1])), "wrong sign"),
        (
            (softmax, lambda Z, y: softmax_cross_entropy(Z, y)[1]),
            "should return a tuple",
        ),
        ((softmax, ce_naive), "the loss is nan for logits as large as"),
        (
            (
                softmax,
                lambda Z, y: (
                    softmax_cross_entropy(Z, y)[0],
                    -softmax_cross_entropy(Z, y)[1],
                ),
            ),
            "dZ has the wrong sign",
        ),
    ],
)
def test_softmax_cross_entropy_wrong(fns, phrase):
    fns = (fns[0], fns[1] or softmax_cross_entropy)
    assert phrase in failure(ch02.check_softmax_cross_entropy, *fns)


# --- Exercise 2.4 ---------------------------------------------------------------------


def forward_difference(f, x, eps=1e-6):
    """One-sided differences."""
    grad = np.zeros_like(x)
    base = f(x)
    for i in np.ndindex(x.shape):
        shifted = x.copy()
        shifted[i] += eps
        grad[i] = (f(shifted) - base) / eps
    return grad


def not_restoring(f, x, eps=1e-6):
    """Central differences that leave x shifted by eps."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        grad[i] = (f_plus - f(x)) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (forward_difference, "uses a one-sided difference"),
        (lambda f, x, eps=1e-6: 2 * numerical_gradient(f, x, eps), "twice too large"),
        (not_restoring, "left x changed"),
        (
            lambda f, x, eps=1e-6: numerical_gradient(f, x, eps).ravel(),
            "has shape (12,)",
        ),
        (
            lambda f, x, eps=1e-6: numerical_gradient(f, x, 1.0),
            "numerical_gradient(f, x)[0, 0] is 1.94",
        ),
        (
            lambda f, x, eps=1e-6: list(numerical_gradient(f, x, eps)),
            "should be a NumPy",
        ),
    ],
)
def test_numerical_gradient_wrong(fn, phrase):
    assert phrase in failure(ch02.check_numerical_gradient, fn)


# --- Exercise 2.5 ---------------------------------------------------------------------


def variant(**overrides):
    """A subclass of the reference model with some methods or layers replaced."""
    return type("Variant", (Ext,), overrides)


def no_relu(self, *idx):
    """Forward without the ReLU."""
    return self.fc(self.hidden(self.embed(*idx)))


def sigmoid_out(self, *idx):
    """Forward squashing the logits."""
    return torch.sigmoid(self.fc(torch.relu(self.hidden(self.embed(*idx)))))


def detached(self, *idx):
    """Forward that cuts the graph below the hidden layer."""
    return self.fc(torch.relu(self.hidden(self.embed(*idx).detach())))


def swapped(self, b, p, i, r):
    """Forward that feeds the innings to the runners' embedding and back."""
    return Ext.forward(self, b, p, r, i)


def pitcher_twice(self, b, p, i, r):
    """Forward that looks up the pitchers in both player embeddings."""
    return Ext.forward(self, p, p, i, r)


def sigmoid_hidden(self, *idx):
    """Forward with a sigmoid in place of the ReLU."""
    return self.fc(torch.sigmoid(self.hidden(self.embed(*idx))))


def unused_extra_init(self, *args, **kwargs):
    """Init with a leftover layer that forward never uses."""
    Ext.__init__(self, *args, **kwargs)
    self.extra = nn.Linear(2, 2)


def small_inning_init(self, *args, **kwargs):
    """Init with a wrong number of innings."""
    Ext.__init__(self, *args, **kwargs)
    self.inning_embed = nn.Embedding(4, kwargs["embedding_dim"])


def missing_runners_init(self, *args, **kwargs):
    """Init without the runners' embedding."""
    Ext.__init__(self, *args, **kwargs)
    del self.runners_embed


def linear_inning_init(self, *args, **kwargs):
    """Init with a linear layer in place of an embedding."""
    Ext.__init__(self, *args, **kwargs)
    self.inning_embed = nn.Linear(1, kwargs["embedding_dim"])


def three_inputs_init(self, *args, **kwargs):
    """Init of a hidden layer sized for three embeddings."""
    Ext.__init__(self, *args, **kwargs)
    self.hidden = nn.Linear(3 * kwargs["embedding_dim"], kwargs["hidden_dim"])


def old_signature(n_batters, n_pitchers, embedding_dim, n_outcomes):
    """The base model's constructor."""
    raise AssertionError("never reached: the keywords do not match")


@pytest.mark.parametrize(
    ("cls", "phrase"),
    [
        (
            variant(forward=no_relu),
            "there is no ReLU between model.hidden and model.fc",
        ),
        (
            variant(forward=sigmoid_hidden),
            "should be the ReLU of model.hidden's output",
        ),
        (variant(forward=sigmoid_out), "forward squashes the scores of model.fc"),
        (variant(forward=detached), "model.batter_embed.weight gets no gradient"),
        (
            variant(forward=swapped),
            "model.runners_embed was given the index 8 but has only 4 rows",
        ),
        (
            variant(forward=pitcher_twice),
            "model.batter_embed should look up batter_idx",
        ),
        (variant(__init__=unused_extra_init), "model.extra.weight gets no gradient"),
        (
            variant(__init__=small_inning_init),
            "model.inning_embed is nn.Embedding(4, 5)",
        ),
        (variant(__init__=missing_runners_init), "no attribute runners_embed"),
        (
            variant(__init__=linear_inning_init),
            "should be an nn.Embedding but is a Linear",
        ),
        (variant(__init__=three_inputs_init), "model.hidden takes 15 inputs"),
        (old_signature, "raised TypeError: old_signature() got an unexpected keyword"),
        (Ext(13, 11, 9, 4, 5, 7, 6), "not a model built from it"),
        (lambda **sizes: None, "should build an nn.Module but gave None"),
    ],
)
def test_batter_pitcher_ext_wrong(cls, phrase):
    assert phrase in failure(ch02.check_batter_pitcher_ext, cls)


def test_batter_pitcher_ext_wrong_output_shape():
    def forward(self, *idx):
        return Ext.forward(self, *idx)[:, :3]

    message = failure(ch02.check_batter_pitcher_ext, variant(forward=forward))
    assert "the output has shape (32, 3) but should have shape" in message


def test_batter_pitcher_ext_forward_raising():
    def forward(self, *idx):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied\n(8x20 and 15x7)")

    message = failure(ch02.check_batter_pitcher_ext, variant(forward=forward))
    assert message.endswith(
        "the model's forward raised RuntimeError: mat1 and mat2 "
        "shapes cannot be multiplied."
    )


# --- Exercise 2.6 ---------------------------------------------------------------------


def make_train(
    no_zero_grad=False,
    no_train_mode=False,
    epoch_loss="mean",
    step=True,
    zero_between=False,
    item=True,
    ret=True,
    epochs_delta=0,
):
    """A training loop with one of the classic mistakes switched on."""

    def loop(model, loader, loss_fn, optimizer, num_epochs):
        device = next(model.parameters()).device
        if not no_train_mode:
            model.train()
        losses = []
        for _ in range(num_epochs + epochs_delta):
            batch_losses = []
            for X, y in loader:
                X, y = X.to(device), y.to(device)
                if not no_zero_grad and not zero_between:
                    optimizer.zero_grad()
                loss = loss_fn(model(X), y)
                loss.backward()
                if zero_between:
                    optimizer.zero_grad()
                if step:
                    optimizer.step()
                batch_losses.append(loss.item() if item else loss)
            if not item:
                losses.append(batch_losses[0])
            elif epoch_loss == "mean":
                losses.append(sum(batch_losses) / len(batch_losses))
            elif epoch_loss == "sum":
                losses.append(sum(batch_losses))
            else:
                losses.append(batch_losses[-1])
        return losses if ret else None

    return loop


def model_forward_loop(model, loader, loss_fn, optimizer, num_epochs):
    """Calls model.forward, bypassing hooks: looks like the model was never called."""
    model.train()
    for _ in range(num_epochs):
        for X, y in loader:
            optimizer.zero_grad()
            loss_fn(model.forward(X), y).backward()
            optimizer.step()
    return [1.0] * num_epochs


def extra_optimizer_loop(model, loader, loss_fn, optimizer, num_epochs):
    """Makes its own optimiser with another learning rate."""
    return train(
        model, loader, loss_fn, torch.optim.SGD(model.parameters(), lr=0.01), num_epochs
    )


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (make_train(no_zero_grad=True), "gradients pile up from batch to batch"),
        (make_train(no_train_mode=True), "call model.train() before the loop"),
        (make_train(epoch_loss="sum"), "the sum of its batch losses"),
        (make_train(epoch_loss="last"), "that of its last batch only"),
        (make_train(step=False), "the parameters did not change"),
        (make_train(zero_between=True), "not between it and step"),
        (make_train(item=False), "losses[0] is a tensor: store loss.item()"),
        (make_train(ret=False), "train returned None"),
        (make_train(epochs_delta=1), "train returned 6 losses for num_epochs=5"),
        (model_forward_loop, "the model was never called"),
        (
            extra_optimizer_loop,
            "the parameters differ from those of the canonical loop",
        ),
    ],
)
def test_train_wrong(fn, phrase):
    assert phrase in failure(ch02.check_train, fn)


def test_train_evaluation_under_no_grad_is_allowed():
    def with_eval(model, loader, loss_fn, optimizer, num_epochs):
        losses = train(model, loader, loss_fn, optimizer, num_epochs)
        model.eval()
        with torch.no_grad():
            for X, _ in loader:
                model(X)
        return losses

    ch02.check_train(with_eval)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_train_on_the_gpu():
    ch02.check_train(train, "cuda")

    def stays_on_cpu(model, loader, loss_fn, optimizer, num_epochs):
        model.train()
        for X, y in loader:
            loss_fn(model(X), y).backward()
        return [0.0] * num_epochs

    assert "move X and y" in failure(ch02.check_train, stays_on_cpu, "cuda")


# --- Exercise 2.7 ---------------------------------------------------------------------


def make_dropout(
    keep_scale=None,
    drop_prob=None,
    eval_scale=1.0,
    per_row=False,
    fixed_mask=False,
    in_place=False,
):
    """An inverted dropout with one mistake switched on."""

    def fn(X, p, training, rng):
        if not training:
            return X * eval_scale
        q = p if drop_prob is None else drop_prob(p)
        if fixed_mask:
            rng = np.random.default_rng(0)
        shape = (X.shape[0], 1) if per_row else X.shape
        keep = rng.random(shape) >= q
        scale = 1 / (1 - p) if keep_scale is None else keep_scale(p)
        if in_place:
            X *= keep * scale
            return X
        return X * keep * scale

    return fn


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (make_dropout(keep_scale=lambda p: 1.0), "the kept elements are not scaled"),
        (make_dropout(keep_scale=lambda p: 1 - p), "are multiplied by 1 - p"),
        (make_dropout(keep_scale=lambda p: 1 / p), "are divided by p"),
        (make_dropout(drop_prob=lambda p: 1 - p), "not to keep it"),
        (make_dropout(drop_prob=lambda p: p / 2), "drops 15% of the elements but"),
        (make_dropout(eval_scale=0.5), "in evaluation mode inverted dropout returns X"),
        (make_dropout(per_row=True), "drops whole rows"),
        (make_dropout(fixed_mask=True), "two calls dropped exactly the same elements"),
        (make_dropout(in_place=True), "dropout changed the array X"),
        (
            lambda X, p, training, rng: X * (rng.random(X.shape) >= p) / (1 - p),
            "drops elements",
        ),
        (lambda X, p, training, rng: X.astype(np.float32), "dtype float32"),
    ],
)
def test_dropout_wrong(fn, phrase):
    assert phrase in failure(ch02.check_dropout, fn)


# --- robustness: junk never crashes a checker -----------------------------------------


class WrongLayers(nn.Module):
    """A module with the wrong layers."""

    def __init__(self, *args, **kwargs):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, *args):
        return self.fc(args[0])


JUNK = [
    *COMMON_JUNK,
    True,
    float("inf"),
    np.zeros((2, 2)),
    np.zeros(2, dtype=object),
    np.full((6, 3), np.nan),
    torch.zeros(2),
    torch.zeros(2, dtype=torch.float64, device="meta"),
    torch.zeros(2, dtype=torch.bfloat16),
    torch.zeros(2, requires_grad=True),
    WrongLayers,
    WrongLayers(),
    nn.Linear(2, 2),
]
FUNCTION_CHECKERS = [
    ch02.check_linear_backward,
    ch02.check_numerical_gradient,
    ch02.check_batter_pitcher_ext,
    ch02.check_train,
    ch02.check_dropout,
]


@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__)
def test_junk_only_ever_raises_check_failed(junk):
    for i in range(5):
        args = list(worked())
        args[i] = junk
        failure(ch02.check_worked_example, *args)
    failure(ch02.check_worked_example, *worked(y=[junk, 2.0]))
    for checker in FUNCTION_CHECKERS:
        failure(checker, junk)
        failure(checker, returning(junk))
    for fns in [(junk, softmax_cross_entropy), (softmax, junk)]:
        failure(ch02.check_softmax_cross_entropy, *fns)
    for fns in [(returning(junk), softmax_cross_entropy), (softmax, returning(junk))]:
        failure(ch02.check_softmax_cross_entropy, *fns)
    failure(ch02.check_softmax_cross_entropy, softmax, returning((junk, junk)))
    failure(ch02.check_linear_backward, returning((junk, junk, junk)))
    failure(ch02.check_train, returning([junk] * 5))


def test_stub_message_names_the_function():
    message = failure(ch02.check_linear_backward, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch02.check_dropout, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
    message = failure(ch02.check_batter_pitcher_ext, raises_not_implemented)
    assert "still raises NotImplementedError" in message
