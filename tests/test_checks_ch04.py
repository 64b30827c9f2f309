"""Tests of the chapter 4 checkers: right answers pass, wrong ones are explained."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from checks_helpers import (
    COMMON_JUNK,
    WrongLayers,
    failure,
    raises_not_implemented,
    raises_value_error,
    returning,
)
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch04

# --- reference answers ----------------------------------------------------------------


def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """Reference RNN step: one row per sequence of the batch."""
    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh):
    """Reference RNN over a sequence, one step at a time."""
    h, states = h0, []
    for x_t in X:
        h = rnn_step(x_t, h, W_ih, W_hh, b_ih, b_hh)
        states.append(h)
    return np.stack(states), h


def rnn_param_count(kind, input_size, hidden_size, num_layers=1, bidirectional=False):
    """Reference parameter count of nn.RNN, nn.LSTM and nn.GRU."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        n_in = input_size if layer == 0 else directions * hidden_size
        total += directions * gates * hidden_size * (n_in + hidden_size + 2)
    return total


class LSTMClassifier(nn.Module):
    """Reference classifier: an LSTM read at its last step, then a linear layer."""

    def __init__(self, n_features=10, hidden_size=50, n_classes=7):
        super().__init__()
        self.lstm = nn.LSTM(n_features, hidden_size)
        self.fc = nn.Linear(hidden_size, n_classes)

    def forward(self, x):
        out, _ = self.lstm(x)  # (T, B, H)
        return self.fc(out[-1])


def clip_by_global_norm(grads, max_norm):
    """Reference clipping by global norm, as clip_grad_norm_."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    scale = min(1.0, max_norm / (total + 1e-6))
    return [g * scale for g in grads], total


def train_tbptt(model, X, Y, loss_fn, optimizer, k):
    """Reference truncated BPTT: one step per chunk, the state carried and detached."""
    h, losses = None, []
    for start in range(0, len(X), k):
        optimizer.zero_grad()
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward()
        optimizer.step()
        h = h.detach()
        losses.append(loss.item())
    return losses


def beam_search_step(beams, log_probs, k, eos=None):
    """Reference beam-search step with a stable sort."""
    candidates = []
    for i, (tokens, score) in enumerate(beams):
        if eos is not None and tokens and tokens[-1] == eos:
            candidates.append((tokens, score))
            continue
        for token, log_prob in enumerate(log_probs[i]):
            candidates.append((tokens + (token,), score + log_prob))
    return sorted(candidates, key=lambda c: -c[1])[:k]


def best_hypothesis(hypotheses):
    """Reference choice: the highest mean log-probability, the first on ties."""
    return max(hypotheses, key=lambda h: h[1] / len(h[0]))


# --- right answers pass ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "args"),
    [
        (ch04.check_rnn_numpy, (rnn_step, rnn_forward)),
        (ch04.check_rnn_param_count, (rnn_param_count,)),
        (ch04.check_lstm_classifier, (LSTMClassifier,)),
        (ch04.check_clip_by_global_norm, (clip_by_global_norm,)),
        (ch04.check_tbptt, (train_tbptt,)),
        (ch04.check_beam_search, (beam_search_step, best_hypothesis)),
    ],
)
def test_reference_answers_pass(checker, args, capsys):
    checker(*args)
    assert re.match(r"\N{CHECK MARK} Exercise 4\.\d passed\.", capsys.readouterr().out)


def rnn_forward_torch(X, h0, W_ih, W_hh, b_ih, b_hh):
    """Another right answer: torch's functional RNN cell, converted back."""
    h, states = torch.from_numpy(h0), []
    weights = [torch.from_numpy(w) for w in (W_ih, W_hh, b_ih, b_hh)]
    for x_t in torch.from_numpy(X):
        h = torch.rnn_tanh_cell(x_t, h, *weights)
        states.append(h)
    return torch.stack(states).numpy(), h.numpy()


def rnn_param_count_by_shapes(kind, input_size, hidden_size, num_layers, bidirectional):
    """Another right answer: the shapes of weight_ih and weight_hh, layer by layer."""
    rows = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * hidden_size
    n_dir = 1 + bidirectional
    count = 0
    for layer in range(num_layers):
        cols = input_size if layer == 0 else n_dir * hidden_size
        count += n_dir * (rows * cols + rows * hidden_size + 2 * rows)
    return np.int64(count)


class HiddenStateClassifier(nn.Module):
    """Another right answer: two stacked layers, ReLU on h_n[-1], dropout."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(input_size=10, hidden_size=50, num_layers=2, dropout=0.2)
        self.drop = nn.Dropout(0.3)
        self.lin = nn.Linear(50, 7)

    def forward(self, x):
        _, (hidden_state, _) = self.rnn(x)
        return self.lin(self.drop(F.relu(hidden_state[-1])))


class EveryStepClassifier(LSTMClassifier):
    """Another right answer: the linear layer on every step, the last row kept."""

    def forward(self, x):
        return self.fc(self.lstm(x)[0])[-1]


def clip_by_global_norm_torch(grads, max_norm):
    """Another right answer: one flat vector, no epsilon, a tuple and a tensor norm."""
    flat = torch.cat([torch.from_numpy(g).ravel() for g in grads])
    total = flat.norm()
    scale = float(min(1.0, max_norm / float(total)))
    return tuple(g * scale for g in grads), total


def train_tbptt_detach_in_place(model, X, Y, loss_fn, optimizer, k):
    """Another right answer: model.zero_grad after the step, detach_ in place."""
    model.train()
    h, losses = None, []
    for chunk_x, chunk_y in zip(X.split(k), Y.split(k), strict=True):
        y_hat, h = model(chunk_x, h=h)
        loss = loss_fn(y_hat, chunk_y)
        loss.backward()
        optimizer.step()
        model.zero_grad()
        h.detach_()
        losses.append(float(loss.detach()))
    return losses


def beam_search_step_numpy(beams, log_probs, k, eos=None):
    """Another right answer: a stable argsort over all candidates, lists of tokens."""
    tokens, scores = [], []
    for (prefix, score), row in zip(beams, log_probs, strict=True):
        if eos is not None and prefix and prefix[-1] == eos:
            tokens.append(list(prefix))
            scores.append(score)
        else:
            tokens += [[*prefix, t] for t in range(len(row))]
            scores += list(score + row)
    order = np.argsort(-np.array(scores), kind="stable")[:k]
    return [(tokens[j], scores[j]) for j in order]


def test_other_right_answers_pass():
    ch04.check_rnn_numpy(rnn_step, rnn_forward_torch)
    ch04.check_rnn_param_count(rnn_param_count_by_shapes)
    ch04.check_lstm_classifier(HiddenStateClassifier)
    ch04.check_lstm_classifier(EveryStepClassifier)
    ch04.check_clip_by_global_norm(clip_by_global_norm_torch)
    ch04.check_tbptt(train_tbptt_detach_in_place)
    ch04.check_beam_search(
        beam_search_step_numpy,
        lambda hs: hs[int(np.argmax([s / len(t) for t, s in hs]))],
    )


def test_checkers_leave_the_random_state_alone():
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()[1]
    threads = torch.get_num_threads()
    ch04.check_rnn_numpy(rnn_step, rnn_forward)
    ch04.check_lstm_classifier(LSTMClassifier)
    ch04.check_tbptt(train_tbptt)
    ch04.check_beam_search(beam_search_step, best_hypothesis)
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(numpy_state, np.random.get_state()[1])
    assert torch.get_num_threads() == threads


# --- Exercise 4.1 ---------------------------------------------------------------------


def step_with(activation=np.tanh, ih_bias=True, hh_bias=True, transpose_hh=True):
    """An RNN step like the reference, with one thing changed."""

    def step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        W = W_hh.T if transpose_hh else W_hh
        z = x_t @ W_ih.T + h_prev @ W
        return activation(z + (b_ih if ih_bias else 0) + (b_hh if hh_bias else 0))

    return step


def step_column_vectors(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """Wrong: the column-vector convention of the slides, W @ x."""
    return np.tanh(W_ih @ x_t + W_hh @ h_prev + b_ih + b_hh)


def step_in_place(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """Wrong: overwrites h_prev."""
    h_prev[...] = rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)
    return h_prev


def forward_from_zeros(X, h0, *weights):
    """Wrong: ignores h0."""
    return rnn_forward(X, np.zeros_like(h0), *weights)


def forward_shifted(X, h0, *weights):
    """Wrong: lists the state before each step."""
    states, h = rnn_forward(X, h0, *weights)
    return np.concatenate([h0[None], states[:-1]]), h


def forward_aliased(X, h0, *weights):
    """Wrong: writes each state into the same buffer and lists the buffer."""
    h = h0.copy()
    states = []
    for x_t in X:
        h[...] = rnn_step(x_t, h, *weights)
        states.append(h)
    return np.stack(states), h


@pytest.mark.parametrize(
    ("step", "phrase"),
    [
        (step_with(hh_bias=False), "leaves out b_hh: PyTorch adds two bias vectors"),
        (step_with(ih_bias=False), "leaves out b_ih"),
        (step_with(ih_bias=False, hh_bias=False), "leaves out both bias vectors"),
        (step_with(transpose_hh=False), "multiplies h_prev by W_hh instead of its"),
        (step_with(activation=lambda z: np.maximum(z, 0)), "uses ReLU"),
        (step_with(activation=lambda z: z), "applies no activation"),
        (step_with(activation=lambda z: 1 / (1 + np.exp(-z))), "uses a sigmoid"),
        (step_column_vectors, "multiply them by the transposed weights"),
        (step_in_place, "rnn_step changed an array passed to it"),
        (lambda *a: rnn_step(*a).astype(np.float32), "dtype float32"),
        (lambda *a: rnn_step(*a)[None], "has shape (1, 3, 5)"),
        (lambda *a: torch.from_numpy(rnn_step(*a)), "should be a NumPy array"),
    ],
)
def test_rnn_step_wrong(step, phrase):
    assert phrase in failure(ch04.check_rnn_numpy, step, rnn_forward)


@pytest.mark.parametrize(
    ("forward", "phrase"),
    [
        (forward_from_zeros, "starts from zeros: start the recurrence from the given"),
        (forward_shifted, "lists h0 and leaves out the last state"),
        (forward_aliased, "fills every time step with the last state"),
        (lambda *a: rnn_forward(*a)[0], "should return a pair (states, h_last)"),
        (lambda *a: (rnn_forward(*a)[0], rnn_forward(*a)[1][None]), "h_last has shape"),
        (lambda *a: (rnn_forward(*a)[0][:-1], rnn_forward(*a)[1]), "shape (5, 3, 5)"),
        (
            lambda *a: (rnn_forward(*a)[0], rnn_forward(*a)[0][-2]),
            "h_last[0, 0] is",
        ),
    ],
)
def test_rnn_forward_wrong(forward, phrase):
    assert phrase in failure(ch04.check_rnn_numpy, rnn_step, forward)


def test_rnn_forward_with_a_wrong_step_is_explained():
    def forward(X, h0, *weights):
        h, states = h0, []
        for x_t in X:
            h = step_with(hh_bias=False)(x_t, h, *weights)
            states.append(h)
        return np.stack(states), h

    message = failure(ch04.check_rnn_numpy, rnn_step, forward)
    assert "rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh) leaves out b_hh" in message


def test_rnn_stub():
    def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        raise NotImplementedError("Exercise 4.1: An RNN layer in NumPy")

    message = failure(ch04.check_rnn_numpy, rnn_step, rnn_forward)
    assert message == (
        "Exercise 4.1: rnn_step still raises NotImplementedError: replace the stub "
        "with your code."
    )


# --- Exercise 4.2: counts are never revealed ------------------------------------------


def count_with(gates=None, biases=2, upper=None, directions=None, layers=None):
    """A parameter count like the reference, with one thing changed."""

    def count(kind, D, H, L=1, bi=False):
        g = {"rnn": 1, "lstm": 4, "gru": 3}[kind] if gates is None else gates
        n_dir = (2 if bi else 1) if directions is None else directions
        total = 0
        for layer in range(L if layers is None else layers):
            n_in = D if layer == 0 else ((2 if bi else 1) * H if upper is None else 0)
            if layer and upper == "hidden":
                n_in = H
            if layer and upper == "input":
                n_in = D
            total += n_dir * g * H * (n_in + H + biases)
        return total

    return count


def assert_no_count(message: str) -> None:
    """The message names no right count of any case."""
    for case in ch04.COUNT_CASES:
        assert str(rnn_param_count(*case)) not in message, message


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (count_with(gates=1), "an LSTM stacks the weights of its gates: four"),
        (count_with(biases=1), "counts one bias vector per layer and direction"),
        (count_with(biases=0), "leaves out the biases"),
        (count_with(upper="input"), "only the first layer reads x_t"),
        (count_with(upper="hidden"), "they read both directions' states"),
        (count_with(directions=1), "counts one direction"),
        (count_with(layers=1), "counts only the first layer"),
        (
            lambda kind, D, H, L=1, bi=False: rnn_param_count(kind, D, H, L, bi) + 1,
            "rnn_param_count('rnn', 10, 20, num_layers=1, bidirectional=False) is 641",
        ),
        (lambda kind, D, H: 0, "raised TypeError"),
        (
            lambda kind, D, H, L=1, bi=False: sum(
                p.numel()
                for p in {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](
                    D, H, L, bidirectional=bi
                ).parameters()
            ),
            "calls torch (empty), so it builds tensors or a layer",
        ),
        (lambda *args: torch.tensor(860), "calls torch (tensor)"),
        (lambda *args: "860", "should be a number but is a str"),
        (lambda *args: 859.5, "is 859.5, but a number of parameters is a whole"),
        (lambda *args: None, "should be a number but is None"),
    ],
)
def test_rnn_param_count_wrong(fn, phrase):
    message = failure(ch04.check_rnn_param_count, fn)
    assert phrase in message
    assert_no_count(message)


def test_rnn_param_count_gru_gates():
    def count(kind, D, H, L=1, bi=False):
        return count_with(gates=4)(kind, D, H, L, bi)

    message = failure(ch04.check_rnn_param_count, count)
    assert "rnn_param_count('rnn', 10, 20" in message  # an RNN with four gates
    message = failure(
        ch04.check_rnn_param_count,
        lambda kind, *args: (count_with(gates=1) if kind == "gru" else rnn_param_count)(
            kind, *args
        ),
    )
    assert "rnn_param_count('gru', 8, 16" in message and "three for a GRU" in message


# --- Exercise 4.3 ---------------------------------------------------------------------


def classifier(forward=None, **layers):
    """A subclass of the reference classifier with its forward or layers replaced."""

    def init(self):
        LSTMClassifier.__init__(self)
        for name, make in layers.items():
            setattr(self, name, make())

    body = {"__init__": init}
    if forward is not None:
        body["forward"] = forward
    return type("Variant", (LSTMClassifier,), body)


class BatchFirst(LSTMClassifier):
    """Wrong: batch_first=True."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(10, 50, batch_first=True)

    def forward(self, x):
        return self.fc(self.lstm(x)[0][:, -1])


class GRUClassifier(LSTMClassifier):
    """Wrong: a GRU in place of the LSTM."""

    def __init__(self):
        super().__init__()
        del self.lstm
        self.gru = nn.GRU(10, 50)

    def forward(self, x):
        return self.fc(self.gru(x)[0][-1])


class TwoLSTMs(LSTMClassifier):
    """Wrong: two LSTM modules stacked by hand."""

    def __init__(self):
        super().__init__()
        self.lstm2 = nn.LSTM(50, 50)

    def forward(self, x):
        return self.fc(self.lstm2(self.lstm(x)[0])[0][-1])


class StepByStep(LSTMClassifier):
    """Wrong: runs the LSTM once per time step."""

    def forward(self, x):
        state = None
        for x_t in x:
            out, state = self.lstm(x_t[None], state)
        return self.fc(out[-1])


class MLPHead(LSTMClassifier):
    """Wrong: a hidden layer between the LSTM and the classification layer."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(50, 32)
        self.fc = nn.Linear(32, 7)

    def forward(self, x):
        return self.fc(torch.relu(self.hidden(self.lstm(x)[0][-1])))


class Frozen(LSTMClassifier):
    """Wrong: the LSTM's parameters do not require gradients."""

    def __init__(self):
        super().__init__()
        self.lstm.requires_grad_(False)


class ForwardStub(LSTMClassifier):
    def forward(self, x):
        raise NotImplementedError("Exercise 4.3: An LSTM classifier")


@pytest.mark.parametrize(
    ("cls", "phrase"),
    [
        (classifier(lstm=lambda: nn.LSTM(10, 64)), "has 64 hidden units but should"),
        (classifier(lstm=lambda: nn.LSTM(15, 50)), "takes 15 features per time step"),
        (BatchFirst, "has batch_first=True"),
        (classifier(lstm=lambda: nn.LSTM(10, 50, bidirectional=True)), "bidirection"),
        (classifier(lstm=lambda: nn.LSTM(10, 50, proj_size=20)), "proj_size"),
        (GRUClassifier, "the model uses nn.GRU where the exercise asks for an nn.LSTM"),
        (TwoLSTMs, "has 2 nn.LSTM layers but should have one"),
        (classifier(fc=lambda: nn.Identity()), "the model has no nn.Linear layer"),
        (classifier(fc=lambda: nn.Linear(50, 10)), "returned shape (1, 10)"),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0])),
            "returned shape (15, 1, 7) but should return (1, 7); it classifies every",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0][:, -1])),
            "returned shape (15, 7) but should return (1, 7); it classifies every",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[1][0])),
            "h_n has shape (num_layers, batch, hidden_size): take h_n[-1]",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0][-1]).squeeze()),
            "keep the batch axis even for one sequence",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0].mean(0))),
            "reads the average of the LSTM's outputs over time",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0][0])),
            "reads the LSTM's output at the first time step",
        ),
        (
            classifier(
                forward=lambda self, x: self.fc(torch.sigmoid(self.lstm(x)[0][-1]))
            ),
            "should read the LSTM's output at the last time step",
        ),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0][-1].detach())),
            "model.lstm.weight_ih_l0 gets no gradient",
        ),
        (
            classifier(forward=lambda self, x: self.lstm(x)[0][-1][:, :7]),
            "the forward pass never applies a linear layer",
        ),
        (StepByStep, "runs the LSTM 15 times: run it once on the whole sequence"),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[1][1][-1])),
            "reads the cell state c_n",
        ),
        (
            classifier(
                lstm=lambda: nn.LSTM(10, 50, num_layers=2),
                forward=lambda self, x: self.fc(self.lstm(x)[1][0][0]),
            ),
            "reads h_n[0], the final state of the first layer",
        ),
        (MLPHead, "the final linear layer takes 32 features"),
        (classifier(extra=lambda: nn.Linear(4, 4)), "model.extra.weight gets no grad"),
        (Frozen, "model.lstm.weight_ih_l0 does not require gradients"),
        (
            classifier(forward=lambda self, x: self.fc(self.lstm(x)[0][-1].T)),
            "raised RuntimeError: mat1 and mat2 shapes cannot be multiplied",
        ),
        (ForwardStub, "the model's forward still raises NotImplementedError"),
        (LSTMClassifier(), "pass the class LSTMClassifier itself"),
        (lambda: "model", "should build an nn.Module but gave a str"),
        (type("NoForward", (nn.Module,), {}), "the model has no forward method"),
    ],
)
def test_lstm_classifier_wrong(cls, phrase):
    assert phrase in failure(ch04.check_lstm_classifier, cls)


def test_lstm_classifier_stub():
    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            raise NotImplementedError("Exercise 4.3: An LSTM classifier")

    message = failure(ch04.check_lstm_classifier, LSTMClassifier)
    assert "LSTMClassifier still raises NotImplementedError" in message


# --- Exercise 4.4 ---------------------------------------------------------------------


def clip_each(grads, max_norm):
    """Wrong: each array by its own norm."""
    clipped = [g * min(1.0, max_norm / np.linalg.norm(g)) for g in grads]
    return clipped, np.sqrt(sum(np.sum(g**2) for g in grads))


def clip_values(grads, max_norm):
    """Wrong: clipping by value."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [np.clip(g, -max_norm, max_norm) for g in grads], total


def clip_always(grads, max_norm):
    """Wrong: rescales to max_norm even when the norm is below it."""
    total = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * max_norm / total for g in grads], total


def clip_in_place(grads, max_norm):
    """Wrong: scales the caller's arrays."""
    clipped, total = clip_by_global_norm(grads, max_norm)
    for g, c in zip(grads, clipped, strict=True):
        g[...] = c
    return grads, total


def with_total(total_of):
    """The right clipped arrays with a wrong total norm."""

    def clip(grads, max_norm):
        return clip_by_global_norm(grads, max_norm)[0], total_of(grads, max_norm)

    return clip


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (clip_each, "clips each array by its own norm"),
        (clip_values, "clips each value to [-max_norm, max_norm]"),
        (clip_always, "also scales gradients whose norm is below max_norm"),
        (clip_in_place, "changed the arrays passed to it"),
        (with_total(lambda gs, m: sum(np.sum(g**2) for g in gs)), "sum of squares"),
        (with_total(lambda gs, m: sum(np.linalg.norm(g) for g in gs)), "adds up"),
        (
            with_total(lambda gs, m: min(m, np.sqrt(sum(np.sum(g**2) for g in gs)))),
            "is the norm after clipping",
        ),
        (with_total(lambda gs, m: 1.0), "the total_norm of clip_by_global_norm"),
        (with_total(lambda gs, m: "1.0"), "total_norm should be a number but is a str"),
        (lambda gs, m: clip_by_global_norm(gs, m)[0], "should return a pair"),
        (lambda gs, m: ([], 1.0), "should be a list of 3 arrays"),
        (
            lambda gs, m: (
                [g.astype(np.float32) for g in clip_by_global_norm(gs, m)[0]],
                clip_by_global_norm(gs, m)[1],
            ),
            "dtype float32",
        ),
    ],
)
def test_clip_by_global_norm_wrong(fn, phrase):
    assert phrase in failure(ch04.check_clip_by_global_norm, fn)


# --- Exercise 4.5 ---------------------------------------------------------------------


def tbptt_with(detach=True, carry=True, zero_grad=True, drop_last=False, k_offset=0):
    """Truncated BPTT like the reference, with one thing changed."""

    def train(model, X, Y, loss_fn, optimizer, k):
        k += k_offset
        h, losses = None, []
        stop = len(X) - len(X) % k if drop_last else len(X)
        for start in range(0, stop, k):
            if zero_grad:
                optimizer.zero_grad()
            y_hat, h = model(X[start : start + k], h if carry else None)
            loss = loss_fn(y_hat, Y[start : start + k])
            loss.backward()
            optimizer.step()
            if detach:
                h = h.detach()
            losses.append(loss.item())
        return losses

    return train


def tbptt_retain_graph(model, X, Y, loss_fn, optimizer, k):
    """Wrong: keeps the graph instead of detaching."""
    h, losses = None, []
    for start in range(0, len(X), k):
        optimizer.zero_grad()
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward(retain_graph=True)
        optimizer.step()
        losses.append(loss.item())
    return losses


def tbptt_one_step(model, X, Y, loss_fn, optimizer, k):
    """Wrong: sums the chunks' losses and takes one step at the end."""
    h, losses, total = None, [], 0.0
    optimizer.zero_grad()
    for start in range(0, len(X), k):
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        total = total + loss
        h = h.detach()
        losses.append(loss.item())
    total.backward()
    optimizer.step()
    return losses


def tbptt_whole(model, X, Y, loss_fn, optimizer, k):
    """Wrong: full backpropagation through time."""
    optimizer.zero_grad()
    y_hat, _ = model(X)
    loss = loss_fn(y_hat, Y)
    loss.backward()
    optimizer.step()
    return [loss.item()]


def tbptt_returning(transform):
    """The reference loop with its returned losses changed."""

    def train(model, X, Y, loss_fn, optimizer, k):
        losses = []
        h = None
        for start in range(0, len(X), k):
            optimizer.zero_grad()
            y_hat, h = model(X[start : start + k], h)
            loss = loss_fn(y_hat, Y[start : start + k])
            loss.backward()
            optimizer.step()
            h = h.detach()
            losses.append(loss)
        return transform(losses)

    return train


def tbptt_random_start(model, X, Y, loss_fn, optimizer, k):
    """Wrong: starts the first chunk from a random state."""
    h, losses = torch.ones(1, X.shape[1], 8), []
    for start in range(0, len(X), k):
        optimizer.zero_grad()
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward()
        optimizer.step()
        h = h.detach()
        losses.append(loss.item())
    return losses


def tbptt_stale_state(model, X, Y, loss_fn, optimizer, k):
    """Wrong: passes on the state of the chunk before the previous one."""
    h, older, losses = None, None, []
    for start in range(0, len(X), k):
        optimizer.zero_grad()
        y_hat, h_new = model(X[start : start + k], older if start > k else h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward()
        optimizer.step()
        older, h = h, h_new.detach()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (tbptt_with(detach=False), "backpropagation runs into the previous chunks"),
        (tbptt_retain_graph, "detach the hidden state, h = h.detach()"),
        (tbptt_with(carry=False), "the hidden state is reset at every chunk"),
        (tbptt_with(zero_grad=False), "gradients pile up from chunk to chunk"),
        (tbptt_with(drop_last=True), "leaves out the last, shorter chunk"),
        (tbptt_with(k_offset=1), "received chunks of lengths [9, 9, 9, 9, 9, 5]"),
        (tbptt_with(k_offset=-7), "feeds the model one time step at a time"),
        (tbptt_one_step, "calls optimizer.step() 1 time but should take one step"),
        (tbptt_whole, "runs the model once on the whole sequence"),
        (tbptt_random_start, "the first chunk should start from h = None"),
        (tbptt_stale_state, "chunk 2 did not receive the hidden state that chunk 1"),
        (tbptt_returning(lambda losses: losses), "losses[0] is a tensor"),
        (
            tbptt_returning(lambda losses: [v.item() for v in losses][:-1]),
            "returned 6 losses but should return one per chunk, 7 here",
        ),
        (
            tbptt_returning(lambda losses: [2 * v.item() for v in losses]),
            "the returned losses are not the chunks' losses",
        ),
        (tbptt_returning(lambda losses: None), "returned None"),
        (lambda *args: None, "never calls the model"),
    ],
)
def test_tbptt_wrong(fn, phrase):
    assert phrase in failure(ch04.check_tbptt, fn)


# --- Exercise 4.6 ---------------------------------------------------------------------


def beam_with(order=None, score_of=None, per_beam=False, finished="carry", key=None):
    """A beam-search step like the reference, with one thing changed."""

    def step(beams, log_probs, k, eos=None):
        candidates, per = [], []
        for i, (tokens, score) in enumerate(beams):
            mine = []
            if (
                eos is not None
                and tokens
                and tokens[-1] == eos
                and finished != "extend"
            ):
                if finished == "carry":
                    candidates.append((tokens, score))
                continue
            for token, lp in enumerate(log_probs[i]):
                new = score + lp if score_of is None else score_of(score, lp)
                mine.append((tokens + (token,), new, lp))
            candidates += [(t, s) for t, s, _ in mine]
            per += sorted(mine, key=lambda c: -c[1])[:k]
        if per_beam:
            return [(t, s) for t, s, _ in per]
        ranked = sorted(candidates, key=key or (lambda c: -c[1]))
        return ranked[:k] if order is None else order(ranked, k)

    return step


def beam_unstable(beams, log_probs, k, eos=None):
    """Wrong: ties broken by the later beam first."""
    ranked = beam_search_step(beams[::-1], log_probs[::-1], len(beams) * 10, eos)
    return sorted(ranked, key=lambda c: -c[1])[:k]


def beam_by_token(beams, log_probs, k, eos=None):
    """Wrong: picks candidates by the new token's log-probability alone."""
    zeroed = [(t, 0.0) for t, _ in beams]
    picked = beam_search_step(zeroed, log_probs, k, eos)
    score = dict(beams)
    return [(t, score.get(t[:-1], 0.0) + s) for t, s in picked]


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (beam_with(finished="extend"), "extends a finished beam"),
        (beam_with(finished="drop"), "leaves out a finished beam"),
        (beam_with(per_beam=True), "the k best of each beam: keep the k best of all"),
        (beam_with(order=lambda r, k: r), "returns all 18 candidates"),
        (beam_with(order=lambda r, k: r[:k][::-1]), "puts the best beam last"),
        (beam_with(order=lambda r, k: r[::-1][:k]), "keeps the lowest-scoring"),
        (
            beam_with(score_of=lambda s, lp: lp),
            "scores each candidate by the new token",
        ),
        (beam_by_token, "picks the candidates by the new token's log-probability"),
        (beam_with(score_of=lambda s, lp: s * lp), "log-probabilities add up"),
        (
            beam_with(order=lambda r, k: r[:k][1:] + r[:1]),
            "does not sort the beams by score",
        ),
        (beam_unstable, "breaks ties in the wrong order"),
        (
            beam_with(order=lambda r, k: r[: k - 1]),
            "returns 2 beams but should return 3",
        ),
        (
            lambda *args: [((1, 2), -1.0)] * 3,
            "returns the tokens (1, 2), which do not extend any of the beams",
        ),
        (lambda *args: None, "should return a list of (tokens, score) pairs"),
        (
            lambda *args: [(1, 2, 3)],
            "should be a pair (tokens, score) but is a tuple of 3",
        ),
        (lambda *args: [("ab", 1.0)], "should be a tuple of ints but are a str"),
        (lambda *args: [((1.0,), 1.0)], "should be a tuple of ints but hold a float"),
        (lambda *args: [((1,), "x")], "should be a number but is a str"),
    ],
)
def test_beam_search_step_wrong(fn, phrase):
    assert phrase in failure(ch04.check_beam_search, fn, best_hypothesis)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda hs: max(hs, key=lambda h: h[1]), "picks the highest total log-prob"),
        (lambda hs: (max(hs, key=lambda h: h[1] / len(h[0]))[0], 0.0), "changes their"),
        (
            lambda hs: max(hs[::-1], key=lambda h: h[1] / len(h[0])),
            "on ties, return the first",
        ),
        (lambda hs: hs[-1], "another hypothesis has a higher mean"),
        (lambda hs: 0, "should be a pair (tokens, score) but is an int"),
        (raises_not_implemented, "still raises NotImplementedError"),
    ],
)
def test_best_hypothesis_wrong(fn, phrase):
    assert phrase in failure(ch04.check_beam_search, beam_search_step, fn)


# --- robustness: junk never crashes a checker -----------------------------------------


JUNK = [
    *COMMON_JUNK,
    True,
    float("inf"),
    np.zeros((3, 5)),
    np.zeros(2, dtype=object),
    np.full((6, 3, 5), np.nan),
    torch.zeros(2),
    torch.zeros(2, dtype=torch.float64, device="meta"),
    torch.zeros(3, 5, dtype=torch.bfloat16),
    torch.zeros(2, requires_grad=True),
    WrongLayers,
    WrongLayers(),
    nn.LSTM,
    nn.LSTM(10, 50),
]
FUNCTION_CHECKERS = [
    ch04.check_rnn_param_count,
    ch04.check_lstm_classifier,
    ch04.check_clip_by_global_norm,
    ch04.check_tbptt,
]


@pytest.mark.parametrize(
    "junk", JUNK, ids=lambda j: getattr(j, "__name__", type(j).__name__)
)
def test_junk_only_ever_raises_check_failed(junk):
    for checker in FUNCTION_CHECKERS:
        failure(checker, junk)
        failure(checker, returning(junk))
    for fns in [(junk, rnn_forward), (rnn_step, junk)]:
        failure(ch04.check_rnn_numpy, *fns)
    for fns in [(returning(junk), rnn_forward), (rnn_step, returning(junk))]:
        failure(ch04.check_rnn_numpy, *fns)
    failure(ch04.check_rnn_numpy, rnn_step, returning((junk, junk)))
    failure(ch04.check_clip_by_global_norm, returning((junk, 1.0)))
    failure(ch04.check_clip_by_global_norm, returning(([junk] * 3, 1.0)))
    failure(ch04.check_tbptt, returning([junk] * 7))
    for fns in [(junk, best_hypothesis), (beam_search_step, junk)]:
        failure(ch04.check_beam_search, *fns)
    for fns in [
        (returning(junk), best_hypothesis),
        (beam_search_step, returning(junk)),
    ]:
        failure(ch04.check_beam_search, *fns)
    failure(ch04.check_beam_search, returning([(junk, junk)]), best_hypothesis)
    failure(ch04.check_beam_search, returning([((1, junk), -1.0)]), best_hypothesis)
    failure(ch04.check_beam_search, beam_search_step, returning((junk, junk)))


def test_model_that_returns_junk():
    for junk in JUNK:
        cls = classifier(forward=lambda self, x, junk=junk: junk)
        failure(ch04.check_lstm_classifier, cls)


def test_stub_message_names_the_function():
    message = failure(ch04.check_rnn_param_count, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch04.check_tbptt, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
