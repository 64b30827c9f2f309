"""Tests of the chapter 4 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from checks_helpers import chapter_tests, failure
from torch import nn

from dlbook.checks import ch04, one_thread, torch_seed

# --- reference answers, as in the solutions, and correct answers in other styles -------


def rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def rnn_step_einsum(x, h, W_ih, W_hh, b_ih, b_hh):  # einsum, the biases summed first, float32 out.
    z = np.einsum("bd,hd->bh", x, W_ih) + np.einsum("bk,hk->bh", h, W_hh)
    return np.tanh(z + (b_ih + b_hh)).astype(np.float32)


def rnn_step_stacked(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):  # One product: [x_t, h] @ [W_ih, W_hh].T
    return np.tanh(np.hstack([x_t, h_prev]) @ np.hstack([W_ih, W_hh]).T + b_ih + b_hh)


def rnn_forward_preallocated(X, h0, *weights):
    """An index loop into a preallocated array, column vectors transposed back."""
    W_ih, W_hh, b_ih, b_hh = weights
    states = np.empty((len(X), *h0.shape))
    for t in range(len(X)):
        previous = h0 if t == 0 else states[t - 1]
        states[t] = np.tanh((W_ih @ X[t].T + W_hh @ previous.T).T + b_ih + b_hh)
    return states, states[-1]


def rnn_forward_torch(X, h0, W_ih, W_hh, b_ih, b_hh):
    """torch's functional RNN cell, converted back."""
    h, states = torch.from_numpy(h0), []
    weights = [torch.from_numpy(w) for w in (W_ih, W_hh, b_ih, b_hh)]
    for x_t in torch.from_numpy(X):
        h = torch.rnn_tanh_cell(x_t, h, *weights)
        states.append(h)
    return torch.stack(states).numpy(), h.numpy()


def count_closed_form(kind, D, H, num_layers=1, bidirectional=False):
    """No loop: the first layer, then num_layers - 1 identical ones; a NumPy int."""
    g, n = {"rnn": 1, "lstm": 4, "gru": 3}[kind], 1 + int(bidirectional)
    first = n * g * H * (D + H + 2)
    return np.int64(first + (num_layers - 1) * n * g * H * (n * H + H + 2))


def count_by_shapes(kind, D, H, num_layers=1, bidirectional=False):  # every parameter's shape
    rows, directions, shapes = {"rnn": 1, "lstm": 4, "gru": 3}[kind] * H, 1 + bidirectional, []
    for layer in range(num_layers):
        n_in = D if layer == 0 else directions * H
        shapes += [(rows, n_in), (rows, H), (rows,), (rows,)] * directions
    return sum(math.prod(shape) for shape in shapes)


def clip_torch(grads, max_norm):  # One flat tensor, no epsilon, a tuple and a tensor norm.
    total = torch.cat([torch.from_numpy(g).ravel() for g in grads]).norm()
    scale = float(min(1.0, max_norm / float(total)))
    return tuple(g * scale for g in grads), total


def clip_if(grads, max_norm):  # An if instead of min, np.linalg.norm of the concatenation.
    total = np.linalg.norm(np.concatenate([g.ravel() for g in grads]))
    if total <= max_norm:
        return [g.copy() for g in grads], total
    return [g * (max_norm / total) for g in grads], total


def tbptt_split(model, X, Y, loss_fn, optimizer, k):
    """split, model.forward with a keyword, zero_grad after the step, detach_."""
    h, losses = None, []
    for x, y in zip(X.split(k), Y.split(k), strict=True):
        y_hat, h = model.forward(x, h=h)
        loss = loss_fn(y_hat, y)
        loss.backward()
        optimizer.step()
        model.zero_grad()
        h.detach_()
        losses.append(float(loss.detach()))
    return losses


def tbptt_while(model, X, Y, loss_fn, optimizer, k):
    """A while loop from a zero state, a tuple of NumPy floats."""
    h, start, losses = torch.zeros(1, X.shape[1], model.rnn.hidden_size), 0, []
    while start < len(X):
        optimizer.zero_grad(set_to_none=False)
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward()
        optimizer.step()
        h, start = h.detach(), start + k
        losses.append(np.float64(loss.item()))
    return tuple(losses)


def beam_argsort(beams, log_probs, k, eos=None):
    """A stable argsort over all candidates, tokens as lists."""
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


def beam_heapq(beams, log_probs, k, eos=None):
    """heapq.nlargest, which keeps the first of equal items."""
    import heapq

    def candidates():
        for (tokens, score), row in zip(beams, log_probs, strict=True):
            if eos is not None and len(tokens) > 0 and tokens[-1] == eos:
                yield tokens, score
            else:
                yield from ((tokens + (v,), score + lp) for v, lp in enumerate(row))

    return heapq.nlargest(k, candidates(), key=lambda c: c[1])


def best_by_argmax(hypotheses):
    return hypotheses[int(np.argmax([s / len(t) for t, s in hypotheses]))]


class PerfectEcho(nn.Module):
    """A stand-in for a trained model: the input, DELAY steps late."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x, h=None):
        y = torch.zeros_like(x)
        y[ch04.DELAY :] = x[: -ch04.DELAY]
        return y, h


def bilstm(read, **options):
    """A BiLSTMClassifier whose linear layer reads ``read(out, h_n, c_n)``; options for its LSTM."""

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(10, 50, **{"bidirectional": True, **options})
            with torch.no_grad():  # the width of what the linear layer reads
                out, (h_n, c_n) = self.lstm(torch.zeros(3, 2, 10))
            self.fc = nn.Linear(read(out, h_n, c_n).shape[-1], 7)

        def forward(self, x):
            out, (h_n, c_n) = self.lstm(x)
            return self.fc(read(out, h_n, c_n))

    return Classifier


def both_states(out, h_n, c_n):
    """What the reference classifier reads: each direction's final state, side by side."""
    return torch.cat([h_n[0], h_n[1]], dim=1)


class BatchFirstClassifier(nn.Module):
    """The head defined first, batch_first=True with a permute, the directions swapped."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(100, 7)
        self.rnn = nn.LSTM(input_size=10, hidden_size=50, batch_first=True, bidirectional=True)

    def forward(self, x):
        _, (h, _) = self.rnn.forward(x.permute(1, 0, 2))
        return self.head(torch.cat((h[1], h[0]), dim=-1))


SHAPES = {"out": (3, 7, 10), "h_n": (4, 3, 5), "c_n": (4, 3, 5)}

RIGHT = [
    (ch04.check_rnn_numpy, rnn_step_einsum, rnn_forward_preallocated),
    (ch04.check_rnn_numpy, rnn_step, rnn_forward_torch),
    (ch04.check_rnn_numpy, rnn_step_stacked, rnn_forward_preallocated),
    (ch04.check_rnn_param_count, count_closed_form),
    (ch04.check_rnn_param_count, count_by_shapes),
    (ch04.check_bilstm_classifier, bilstm(both_states)),
    (ch04.check_bilstm_classifier, BatchFirstClassifier),
    (ch04.check_bilstm_classifier,  # two layers, dropout, the halves of out at either end
     bilstm(lambda out, h, c: torch.cat([out[-1, :, :50], out[0, :, 50:]], 1), num_layers=2,
            dropout=0.2)),
    (ch04.check_bilstm_classifier, bilstm(lambda out, h_n, c: h_n.transpose(0, 1).flatten(1))),
    (ch04.check_clip_by_global_norm, clip_torch),
    (ch04.check_clip_by_global_norm, clip_if),
    (ch04.check_tbptt, tbptt_split),
    (ch04.check_tbptt, tbptt_while),
    (ch04.check_beam_search, beam_argsort, best_by_argmax),
    (ch04.check_beam_search, beam_heapq, lambda hs: max(hs, key=lambda h: h[1] / len(h[0]))),
    (ch04.check_beam_search, beam_argsort,  # a stable sort, best first
     lambda hs: sorted(hs, key=lambda h: -h[1] / len(h[0]))[0]),
    (ch04.check_lstm_shapes, SHAPES),
    (ch04.check_lstm_shapes, {k: torch.Size(v) for k, v in SHAPES.items()}),
    (ch04.check_lstm_shapes, dict(c_n=(2 * 2, 3, 5), h_n=(np.int64(4), 3, 5), out=(3, 7, 2 * 5))),
]


@pytest.mark.parametrize("k", [np.int64(6), 10])
def test_echo_models_trained_with_other_chunk_lengths_pass(k, capsys):
    with one_thread(), torch_seed(48):  # trained as the cell of Exercise 4.8 trains
        model = ch04.EchoRNN(hidden_size=32)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
        for X in torch.randn(10, 200, 64, 1):  # 10 passes over 64 new sequences
            Y = torch.cat([torch.zeros(ch04.DELAY, 64, 1), X[: -ch04.DELAY]])
            tbptt_while(model, X, Y, nn.MSELoss(), optimizer, k)
    ch04.check_echo(model, k)
    assert "passed" in capsys.readouterr().out


CALLS = {
    "4.1": lambda wrong: ch04.check_rnn_numpy(wrong, rnn_forward_torch),
    "4.1 forward": lambda wrong: ch04.check_rnn_numpy(rnn_step_einsum, wrong),
    "4.2": ch04.check_rnn_param_count,
    "4.3": lambda read: ch04.check_bilstm_classifier(bilstm(read)),
    "4.4": ch04.check_clip_by_global_norm,
    "4.5": ch04.check_tbptt,
    "4.6": lambda wrong: ch04.check_beam_search(wrong, best_by_argmax),
    "4.6 best": lambda wrong: ch04.check_beam_search(beam_argsort, wrong),
    "4.7": ch04.check_lstm_shapes,
}
JUNK_FOR = [ch04.check_bilstm_classifier, *CALLS.values(), lambda junk: ch04.check_echo(junk, junk)]
SECRETS = {"4.2": [f" {count_closed_form(*case)}" for case in ch04.COUNT_CASES]}


def test_a_forward_built_on_a_wrong_step_is_named():
    wrong_step, sentence = ch04.MISTAKES["4.1"][0]
    assert failure(ch04.check_rnn_numpy, rnn_step, ch04._forward(wrong_step)).endswith(sentence)


def test_the_predicted_lstm_shapes_are_right():
    lstm = nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
    out, (h_n, c_n) = lstm(torch.zeros(3, 7, 3))
    assert {"out": out.shape, "h_n": h_n.shape, "c_n": c_n.shape} == ch04.LSTM_SHAPES


def in_place_step(x_t, h_prev, *weights):
    h_prev[...] = rnn_step(x_t, h_prev, *weights)
    return h_prev


def in_place_clip(grads, max_norm):
    clipped, total = clip_if(grads, max_norm)
    for g, c in zip(grads, clipped, strict=True):
        g[...] = c
    return grads, total


def count_built(kind, D, H, num_layers=1, bidirectional=False):
    """Builds the layer, which 4.2 asks not to do."""
    layer = nn.RNN(D, H, num_layers, bidirectional=bidirectional)
    return sum(p.numel() for p in layer.parameters())


class Gru(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru, self.fc = nn.GRU(10, 50, bidirectional=True), nn.Linear(100, 7)

    def forward(self, x):
        return self.fc(torch.cat(list(self.gru(x)[1]), dim=1))


class Listed(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.LSTM(10, 50, bidirectional=True), nn.Linear(100, 7)]  # a plain list

    def forward(self, x):
        out, (h_n, c_n) = self.layers[0](x)
        return self.layers[1](both_states(out, h_n, c_n))


OTHERS = [
    (ch04.check_rnn_numpy, (in_place_step, rnn_forward_torch), "changed its input h_prev"),
    (ch04.check_rnn_numpy, (lambda *a: rnn_step(*a)[None], rnn_forward_torch),
     "has shape (1, 4, 4)"),
    (ch04.check_rnn_numpy, (rnn_step, lambda *a: rnn_forward_torch(*a)[0]),
     "should return a tuple (states, h_last)"),
    (ch04.check_rnn_param_count, (lambda *case: count_closed_form(*case) + 1,),
     "is 641, which is too large"),
    (ch04.check_rnn_param_count, (count_built,), "builds a layer to count its parameters"),
    (ch04.check_rnn_param_count, (lambda *a: 859.5,), "should be a whole number"),
    (ch04.check_bilstm_classifier, (Gru,), "runs an nn.GRU where"),
    (ch04.check_bilstm_classifier, (Listed,), "nn.ModuleList"),
    (ch04.check_bilstm_classifier, (bilstm(lambda o, h_n, c: h_n[-1], bidirectional=False),),
     "one direction only"),
    (ch04.check_bilstm_classifier, (bilstm(both_states, batch_first=True),),
     "with batch_first=True"),
    (ch04.check_bilstm_classifier, (lambda: nn.Linear(3, 2),), "raised RuntimeError"),
    (ch04.check_clip_by_global_norm, (in_place_clip,), "changed the arrays"),
    (ch04.check_tbptt, (lambda *a: [torch.tensor(v, requires_grad=True) for v in tbptt_split(*a)],),
     "graph alive"),
    (ch04.check_tbptt, (lambda *a: None,), "never calls the model"),
    (ch04.check_lstm_shapes, ({**SHAPES, "out": (3, 7)},), "has 2 dimensions"),
    (ch04.check_echo, (PerfectEcho(), 12), "chunks of 1 to 10 steps"),
    (ch04.check_echo, (ch04.EchoRNN(), 4), "which inputs and targets share"),
    (ch04.check_echo, (ch04.EchoRNN(), 8), "train it for more passes"),
]
globals().update(chapter_tests(RIGHT, CALLS, ch04.MISTAKES, JUNK_FOR, OTHERS, SECRETS))
