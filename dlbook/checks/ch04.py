"""Checkers for the exercises of chapter 4: recurrent networks (see dlbook.checks).

Parameter counts are never given away.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbook.checks import (
    CheckFailed,
    as_number,
    build_model,
    call,
    check_count,
    check_function,
    check_keys,
    compare_arrays,
    compare_shape,
    describe,
    ensure,
    exercise_rng,
    gradients_reach,
    name_mistake,
    passed,
    run_model,
    run_trained,
    same,
    torch_seed,
    trace,
    whole_number,
)

# --- Exercise 4.1: a recurrent layer in NumPy -----------------------------------------


def _step(x_t, h, W_ih, W_hh, b_ih, b_hh, act=np.tanh, transpose=True):
    """One RNN step with one row per sequence; ``act`` and ``transpose`` make mistakes."""
    return act(x_t @ W_ih.T + b_ih + h @ (W_hh.T if transpose else W_hh) + b_hh)


def _forward(step: Callable, from_zeros: bool = False) -> Callable:
    """rnn_forward built on ``step``; ``from_zeros`` ignores h0, a mistake."""

    def rnn_forward(X, h0, *weights):
        h, states = np.zeros_like(h0) if from_zeros else h0, []
        for x_t in X:
            h = step(x_t, h, *weights)
            states.append(h)
        return np.stack(states), h

    return rnn_forward


def _aliased(X, h0, *weights):
    """A wrong rnn_forward: every state written into one buffer, listed T times."""
    h, states = h0.copy(), []
    for x_t in X:
        h[...] = _step(x_t, h, *weights)
        states.append(h)
    return np.stack(states), h


def _shifted(X, h0, *weights):
    """A wrong rnn_forward: the state before each step instead of after it."""
    states, h = _forward(_step)(X, h0, *weights)
    return np.concatenate([h0[None], states[:-1]]), h


def _no(*names: str) -> Callable:
    """A wrong rnn_step that leaves out the bias vectors ``names``."""

    def rnn_step(x_t, h, W_ih, W_hh, b_ih, b_hh):
        b_ih = 0 * b_ih if "b_ih" in names else b_ih
        return _step(x_t, h, W_ih, W_hh, b_ih, 0 * b_hh if "b_hh" in names else b_hh)

    return rnn_step


TWO_BIASES = "PyTorch adds two bias vectors, b_ih and b_hh, and both count"

# --- Exercise 4.2: counting the parameters of recurrent layers ------------------------

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: (kind, input_size, hidden_size, num_layers, bidirectional), simplest first.
COUNT_CASES = [("rnn", 10, 20, 1, False), ("rnn", 10, 20, 2, False), ("lstm", 10, 50, 1, False),
               ("gru", 8, 16, 1, False), ("rnn", 5, 7, 1, True), ("lstm", 6, 12, 2, True),
               ("gru", 32, 64, 3, True), ("lstm", 64, 32, 2, False)]


def _layer(kind: str, D: int, H: int, num_layers: int, bidirectional: bool) -> nn.Module:
    """The recurrent layer of a count case, on the meta device (no memory, no random draws)."""
    kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
    return kinds[kind](D, H, num_layers, bidirectional=bidirectional, device="meta")


def _counting(gates=None, biases=2, upper="both", directions=None, layers=None):
    """A parameter count by formula; the keywords reproduce the usual mistakes."""

    def rnn_param_count(kind, D, H, num_layers=1, bidirectional=False):
        g = GATES[kind] if gates is None else gates
        n_dir = (2 if bidirectional else 1) if directions is None else directions
        above = {"both": (2 if bidirectional else 1) * H, "one": H, "input": D}[upper]
        return sum(n_dir * g * H * ((D if layer == 0 else above) + H + biases)
                   for layer in range(num_layers if layers is None else layers))

    return rnn_param_count


# --- Exercise 4.3: a bidirectional LSTM classifier -----------------------------------

N_FEATURES, N_HIDDEN, N_CLASSES, SEQ_LEN = 10, 50, 7, 15
BOTH = "concatenate the final states of both directions, torch.cat([h_n[-2], h_n[-1]], dim=1)"

# --- Exercise 4.4: clipping gradients by their global norm ----------------------------


def _clipping(norm=None, per_array=False, always=False, report="before"):
    """Clipping by global norm; the keywords reproduce the usual mistakes."""

    def clip_by_global_norm(grads, max_norm):
        total = (norm or (lambda gs: np.sqrt(sum(np.sum(g**2) for g in gs))))(grads)
        scale = max_norm / (total + 1e-6)
        if per_array:
            clipped = [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads]
        else:
            clipped = [g * (scale if always else min(1.0, scale)) for g in grads]
        return clipped, (min(total, max_norm) if report == "after" else total)

    return clip_by_global_norm


def _torch_clip(grads: list[np.ndarray], max_norm: float) -> tuple[list, float]:
    """Clip copies of ``grads`` with torch.nn.utils.clip_grad_norm_."""
    params = [torch.zeros(g.shape, dtype=torch.float64) for g in grads]
    for param, grad in zip(params, grads, strict=True):
        param.grad = torch.from_numpy(grad.copy())
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params], float(total)


# --- Exercise 4.5: truncated backpropagation through time -----------------------------

TBPTT_T, TBPTT_B, TBPTT_K, TBPTT_LR = 50, 4, 8, 0.1


def _tbptt(zero="before", carry=True, detach=True, k=None, drop_last=False, step="each"):
    """Truncated BPTT as the exercise asks; the keywords reproduce the usual mistakes."""

    def train_tbptt(model, X, Y, loss_fn, optimizer, chunk):
        size = k or chunk
        end = len(X) - len(X) % size if drop_last else len(X)
        h, losses = None, []
        if zero == "once":
            optimizer.zero_grad()
        for start in range(0, end, size):
            if zero == "before":
                optimizer.zero_grad()
            y_hat, h = model(X[start : start + size], h if carry else None)
            loss = loss_fn(y_hat, Y[start : start + size])
            loss.backward()
            if zero == "between":
                optimizer.zero_grad()
            if step == "each":
                optimizer.step()
            h = h.detach() if detach else h
            losses.append(loss.item())
        if step == "end":
            optimizer.step()
        return losses

    return train_tbptt


class EchoRNN(nn.Module):
    """An RNN with a linear read-out that notes the state each call receives."""

    def __init__(self, hidden_size: int = 8) -> None:
        super().__init__()
        self.rnn = nn.RNN(1, hidden_size)
        self.head = nn.Linear(hidden_size, 1)
        self.states_in: list[Any] = []

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """Return the predictions (T, B, 1) and the last hidden state (1, B, H)."""
        self.states_in.append(h)
        out, h = self.rnn(x, h)  # (T, B, H), (1, B, H)
        return self.head(out), h


DETACH = "backpropagation runs into the previous chunks: detach the hidden state, "
DETACH += "h = h.detach(), before passing it to the next chunk."

# --- Exercise 4.6: one step of beam search --------------------------------------------


def _beam(score="sum", finished="keep", per_beam=False, cut=True, order="best"):
    """One beam-search step; the keywords reproduce the usual mistakes."""

    def beam_search_step(beams, log_probs, k, eos=None):
        groups = []
        for i, (tokens, total) in enumerate(beams):
            done = eos is not None and tokens and tokens[-1] == eos
            if done and finished != "extend":
                groups.append([(tuple(tokens), total)] if finished == "keep" else [])
                continue
            base = total if score == "sum" else 0.0
            groups.append([(tuple(tokens) + (v,), base + lp) for v, lp in enumerate(log_probs[i])])
        if per_beam:
            groups = [sorted(g, key=lambda c: -c[1])[:k] for g in groups]
        candidates = [c for g in groups for c in g]
        if order == "worst":
            return sorted(candidates, key=lambda c: c[1])[:k]
        if order == "ties reversed":
            return sorted(candidates, key=lambda c: c[1])[::-1][:k]
        best = sorted(candidates, key=lambda c: -c[1])  # stable: ties keep their order
        return best[:k] if cut else best

    return beam_search_step


def _mean(h: tuple) -> float:
    return h[1] / len(h[0])


FINISHED = "a finished beam (one that ends in eos) stays a candidate as it is"

# --- Exercise 4.7: predict the shapes of a stacked bidirectional LSTM -------------------

#: nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True) on (3, 7, 3).
LSTM_SHAPES = {"out": (3, 7, 10), "h_n": (4, 3, 5), "c_n": (4, 3, 5)}
SHAPE_HINTS = {
    "out": "out holds the top layer's states at every step, laid out like the input",
    "h_n": "h_n holds the final state of every layer and direction",
    "c_n": "c_n has the layout of h_n",
}

# --- Exercise 4.8: how long must the chunks be? ----------------------------------------

DELAY, MAX_CHUNK, GOOD_LOSS = 5, 10, 0.1


MISTAKES = {
    "4.1": [(_no("b_hh"), f"the new state leaves out b_hh: {TWO_BIASES}."),
            (_no("b_ih"), f"the new state leaves out b_ih: {TWO_BIASES}."),
            (_no("b_ih", "b_hh"), f"the new state leaves out both bias vectors: {TWO_BIASES}."),
            (lambda x, h, W_ih, W_hh, b_ih, b_hh: np.tanh(W_ih @ x + W_hh @ h + b_ih + b_hh),
             "the weights multiply the inputs as column vectors (W_ih @ x_t): with one row per "
             "sequence, write x_t @ W_ih.T and h_prev @ W_hh.T."),
            (lambda *a: _step(*a, transpose=False),
             "the previous state is multiplied by W_hh instead of its transpose: with one row "
             "per sequence, the recurrent term is h_prev @ W_hh.T."),
            (lambda *a: _step(*a, act=lambda z: np.maximum(z, 0)),
             "the new state uses a ReLU, but nn.RNN's default non-linearity is tanh."),
            (lambda *a: _step(*a, act=lambda z: z),
             "the new state has no non-linearity: wrap the sum in np.tanh.")],
    "4.1 forward": [(_forward(_step, from_zeros=True),
                     "rnn_forward starts from zeros: start the recurrence from the given h0."),
                    (_shifted,
                     "rnn_forward lists h0 and leaves out the last state: states[t] should be "
                     "the state after reading X[t], as in nn.RNN's output."),
                    (_aliased,
                     "every time step of states holds the last state: the loop writes each new "
                     "state into the same array, so store a new array at every step.")],
    "4.2": [(_counting(gates=1),
             "the count has one set of weights per layer, as for a plain RNN, but an LSTM "
             "stacks four gates' weights (input, forget, cell, output) and a GRU three "
             "(reset, update, new)."),
            (_counting(biases=1),
             "the count has one bias vector per layer and direction, but PyTorch has two, "
             "bias_ih and bias_hh."),
            (_counting(biases=0),
             "the count leaves out the biases: each layer and direction has bias_ih and "
             "bias_hh."),
            (_counting(upper="one"),
             "the layers above the first get hidden_size inputs, but in a bidirectional RNN "
             "they read both directions' states, 2 * hidden_size features."),
            (_counting(upper="input"),
             "every layer gets input_size inputs, but only the first reads x_t: the layers "
             "above read the hidden states of the layer below."),
            (_counting(directions=1),
             "the count has one direction, but a bidirectional RNN has its own weights for "
             "each of its two directions."),
            (_counting(layers=1),
             "the count has only the first layer, but each of the num_layers layers has its "
             "own weights.")],
    # 4.3: what the classification layer reads, from out, h_n and c_n
    "4.3": [(lambda out, h_n, c_n: out[-1],
             "the classification layer reads out[-1], whose backward half has read only the "
             "last step, where the backward direction starts: take that direction's final "
             "state from h_n[-1] (or out[0]) and the forward direction's from h_n[-2]."),
            (lambda out, h_n, c_n: out[0],
             f"the classification layer reads out[0], whose forward half has read only the first "
             f"step: {BOTH}."),
            (lambda out, h_n, c_n: h_n[-1],
             f"the classification layer reads the backward direction's final state alone: {BOTH}."),
            (lambda out, h_n, c_n: h_n[-2],
             f"the classification layer reads the forward direction's final state alone: {BOTH}."),
            (lambda out, h_n, c_n: h_n[-2] + h_n[-1],
             f"the classification layer reads the sum of the two directions' states, which mixes "
             f"them before it can weigh them: {BOTH}."),
            (lambda out, h_n, c_n: h_n.reshape(h_n.shape[1], -1),
             "h_n.view(batch, -1) mixes the sequences of the batch, since h_n has the shape "
             "(num_directions, batch, hidden_size): concatenate h_n[-2] and h_n[-1] instead."),
            (lambda out, h_n, c_n: torch.cat([c_n[-2], c_n[-1]], dim=1),
             "the classification layer reads the cell states c_n: the LSTM returns "
             "(out, (h_n, c_n)), and the hidden states are h_n.")],
    "4.4": [(_clipping(per_array=True),
             "each array is clipped by its own norm: compute one norm over all arrays together "
             "and scale them all by the same factor."),
            (lambda grads, m: ([np.clip(g, -m, m) for g in grads], _clipping()(grads, m)[1]),
             "each value is clipped to [-max_norm, max_norm]: scale all arrays by max_norm / "
             "total_norm instead, which keeps the gradient's direction."),
            (_clipping(always=True),
             "gradients whose norm is below max_norm are scaled too: leave those unchanged."),
            (_clipping(norm=lambda gs: sum(np.linalg.norm(g) for g in gs)),
             "total_norm adds up the arrays' norms, but the global norm is the square root of "
             "the sum of all squared entries."),
            (lambda grads, m: (_clipping()(grads, m)[0], sum(np.sum(g**2) for g in grads)),
             "total_norm is the sum of squares: take its square root."),
            (_clipping(report="after"),
             "total_norm is the norm after clipping: return the norm before.")],
    "4.5": [(_tbptt(zero="between"),
             "after training, the parameters are unchanged: take optimizer.step() after each "
             "chunk's backward pass, with zero_grad() before the backward pass, not between "
             "backward and step."),
            (_tbptt(zero="never"),
             "gradients pile up from chunk to chunk: call optimizer.zero_grad() before each "
             "backward pass."),
            (_tbptt(carry=False),
             "the hidden state is reset at every chunk: pass the state the model returns for "
             "one chunk on to the next, detached."),
            (_tbptt(detach=False), DETACH),
            (_tbptt(k=TBPTT_T),
             "the model runs once on the whole sequence: split it into chunks of k time steps, "
             "X[start : start + k]."),
            (_tbptt(drop_last=True),
             "the last, shorter chunk is left out: when k does not divide the length, the last "
             "chunk holds the remaining steps."),
            (_tbptt(zero="once", step="end"),
             "there is one optimizer step for the whole sequence: zero the gradients and take "
             "a step for every chunk.")],
    "4.6": [(_beam(score="token"),
             "each candidate is scored by its new token alone: add the token's log-probability "
             "to its beam's score."),
            (_beam(finished="extend"),
             f"a finished beam is extended: {FINISHED}, with its score."),
            (_beam(finished="drop"), f"a finished beam is dropped: {FINISHED}, with its score."),
            (_beam(per_beam=True, cut=False),
             "the k best of each beam are kept: keep the k best of all candidates together."),
            (_beam(cut=False), "all candidates are returned: keep only the k best."),
            (_beam(order="worst"),
             "the lowest-scoring candidates are kept: sort by score, highest first."),
            (_beam(order="ties reversed"),
             "ties are broken in the wrong order: among equal scores, the candidate from the "
             "earlier beam comes first, and within a beam the smaller token id "
             "(a stable sort keeps that order).")],
    "4.6 best": [(lambda hs: max(hs, key=lambda h: h[1]),
                  "best_hypothesis picks the highest total log-probability, which favours "
                  "short hypotheses: compare score / len(tokens) instead."),
                 (lambda hs: max(reversed(hs), key=_mean),
                  "best_hypothesis picks the later of two hypotheses with the same mean score: "
                  "on ties, return the first."),
                 (lambda hs: (lambda h: (h[0], _mean(h)))(max(hs, key=_mean)),
                  "best_hypothesis changes the score it returns: return the pair "
                  "(tokens, score) as it was given.")],
    "4.7": [({**LSTM_SHAPES, "h_n": (3, 4, 5), "c_n": (3, 4, 5)},
             "h_n and c_n are never batch-first: batch_first=True changes the layout of the "
             "input and of out only."),
            ({**LSTM_SHAPES, "out": (3, 7, 5)},
             "out puts the states of both directions side by side: its last dimension is 2 * "
             "hidden_size."),
            ({**LSTM_SHAPES, "h_n": (2, 3, 5), "c_n": (2, 3, 5)},
             "h_n and c_n hold one final state per layer and per direction, num_layers * 2 of "
             "them."),
            ({**LSTM_SHAPES, "out": (7, 3, 10)},
             "with batch_first=True, out has the batch axis first, like the input.")],
}


def check_rnn_numpy(rnn_step: Any, rnn_forward: Any) -> None:
    """Check Exercise 4.1: one RNN step and a whole sequence against nn.RNN."""
    ex = "4.1"
    rng = exercise_rng(ex)
    for T, B, D, H in [(5, 4, 4, 4), (6, 3, 4, 5)]:  # square first: W @ x runs there
        scale = 1 / np.sqrt(H)
        weights = [rng.uniform(-scale, scale, size=s) for s in [(H, D), (H, H), H, H]]
        X, h0 = rng.normal(size=(T, B, D)), rng.normal(scale=0.5, size=(B, H))
        with torch_seed(41):  # the weights are overwritten: keep the caller's stream
            rnn = nn.RNN(D, H).double()
        with torch.no_grad():
            for param, w in zip(rnn.parameters(), weights, strict=True):
                param.copy_(torch.from_numpy(w))
            out, h_n = rnn(torch.from_numpy(X), torch.from_numpy(h0)[None])
        states, h_last = out.numpy(), h_n[0].numpy()  # (T, B, H), (B, H)
        tolerance = {"check_dtype": False, "rtol": 1e-6, "atol": 1e-9}
        forward_mistakes = [(_forward(w), s) for w, s in MISTAKES[ex]] + MISTAKES[f"{ex} forward"]
        check_function(ex, rnn_step, lambda *a, want=states[0]: want, [(X[0], h0, *weights)],
                       MISTAKES[ex], **tolerance)
        check_function(ex, rnn_forward, lambda *a, want=(states, h_last): want,
                       [(X, h0, *weights)], forward_mistakes, parts=("states", "h_last"),
                       **tolerance)
    passed(ex, "Both agree with nn.RNN, weights and both bias vectors copied in.")


def check_rnn_param_count(rnn_param_count: Any) -> None:
    """Check Exercise 4.2: parameter counts by formula against PyTorch's layers."""
    check_count("4.2", rnn_param_count, COUNT_CASES, _layer, MISTAKES["4.2"], "go through "
                "weight_ih, weight_hh, bias_ih and bias_hh of every layer and direction",
                ["num_layers", "bidirectional"])
    passed("4.2", f"All {len(COUNT_CASES)} counts match PyTorch's layers.")


def check_bilstm_classifier(BiLSTMClassifier: Any) -> None:
    """Check Exercise 4.3: the LSTM the forward pass runs and what the classifier reads."""
    ex = "4.3"
    model = build_model(ex, BiLSTMClassifier, "BiLSTMClassifier", 43)
    model.eval()  # dropout, if any, would hide which states the classifier reads
    with torch_seed(43):
        X1, X3 = torch.rand((SEQ_LEN, 1, N_FEATURES)), torch.rand((SEQ_LEN, 3, N_FEATURES))
    for X in (X1, X3):  # one sequence, then three
        out, calls = trace(ex, model, X, in_features_hint="the classification layer's "
                           f"in_features should be 2 * hidden_size: {BOTH}")
        B, shape = X.shape[1], tuple(getattr(out, "shape", ()))
        hint = {(SEQ_LEN, B, N_CLASSES): ": it classifies every time step, but the sequence "
                "once, from the final states", (2, B, N_CLASSES): f": {BOTH}",
                (SEQ_LEN, N_CLASSES): ": one row per time step, so the batch and time axes are "
                "swapped somewhere; with batch_first=True the LSTM reads the time steps as the "
                "batch (keep the default layout, or permute the input)"}.get(shape, "")
        ensure(ex, torch.is_tensor(out) and shape == (B, N_CLASSES), f"for input of shape "
               f"{tuple(X.shape)} the model returned {describe(out)} but should return the "
               f"shape ({B}, {N_CLASSES}){hint}.")
    # A layer run as layer.forward(x) escapes the hooks: fall back on the registered ones.
    lstm = next((m for m in [c.module for c in calls] + list(model.modules())
                 if isinstance(m, nn.RNNBase)), None)
    ensure(ex, lstm is not None, "the model has no nn.LSTM: create one in __init__.")
    ensure(ex, isinstance(lstm, nn.LSTM),
           f"the model runs an nn.{type(lstm).__name__} where the exercise asks for an nn.LSTM.")
    ensure(ex, lstm.bidirectional, "the LSTM reads the sequence in one direction only: create "
           "it with bidirectional=True.")
    for size, want, what in [(lstm.input_size, N_FEATURES, "input features per step"),
                             (lstm.hidden_size, N_HIDDEN, "hidden units")]:
        ensure(ex, size == want, f"the LSTM has {size} {what} but should have {want}.")
    linears = [c for c in calls if isinstance(c.module, nn.Linear)]
    ensure(ex, bool(linears), "the model has no nn.Linear layer to classify with.")
    reference = copy.deepcopy(lstm)
    reference.batch_first = False  # the input's own layout, (seq_len, batch, features)
    with torch.no_grad():
        states, (h_n, c_n) = reference(X3)  # (T, B, 2H), (2 * num_layers, B, H) twice
    got, ends = linears[-1].input, [h_n[-2], h_n[-1]]  # either order of the directions
    if not any(same(got, torch.cat(pair, dim=1), 1e-5, 1e-6) for pair in (ends, ends[::-1])):
        name_mistake(ex, got, MISTAKES[ex], states, h_n, c_n, rtol=1e-5, atol=1e-6)
        raise CheckFailed(ex, f"the classification layer should read the final state of each "
                          f"direction: {BOTH}.")
    gradients_reach(ex, model, run_model(ex, model, X3))
    passed(ex, f"The classifier reads both directions' final states; gradients reach all "
           f"{sum(p.numel() for p in model.parameters()):,} parameters.")


def check_clip_by_global_norm(clip_by_global_norm: Any) -> None:
    """Check Exercise 4.4: clipping by global norm against clip_grad_norm_."""
    ex = "4.4"
    rng = exercise_rng(ex)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    cases = [  # (gradients, max_norm): clipped, untouched, one array, a huge one
        ([rng.normal(size=s) for s in shapes], 1.0),
        ([rng.normal(scale=0.1, size=s) for s in shapes], 5.0),
        ([rng.normal(size=(5, 3))], 2.0),
        ([rng.normal(scale=100.0, size=s) for s in shapes], 0.5),
    ]
    for grads, max_norm in cases:
        name = f"clip_by_global_norm(grads, max_norm={max_norm})"
        given = [g.copy() for g in grads]
        got = call(ex, clip_by_global_norm, given, max_norm)
        ensure(ex, same(given, grads, 0, 0),
               f"{name} changed the arrays passed to it: return new, scaled arrays.")
        want, want_norm = _torch_clip(grads, max_norm)
        if same(got, (want, want_norm), 1e-5, 1e-9):
            continue
        name_mistake(ex, got, MISTAKES[ex], grads, max_norm, rtol=1e-5, atol=1e-9)
        ensure(ex, isinstance(got, tuple | list) and len(got) == 2 and len(got[0]) == len(grads),
               f"{name} should return a pair (clipped, total_norm), clipped a list of "
               f"{len(grads)} arrays, but returned {describe(got)}.")
        total = as_number(ex, "total_norm", got[1])
        ensure(ex, same(total, want_norm, 1e-6),
               f"the total_norm of {name} is {total:.6g} but should be {want_norm:.6g}.")
        for i, (g, w) in enumerate(zip(got[0], want, strict=True)):
            name = f"clipped[{i}] of {name}"
            compare_arrays(ex, name, g, w, rtol=1e-5, atol=1e-9, check_dtype=False)
    passed(ex, "It agrees with torch.nn.utils.clip_grad_norm_, clipping and not.")


def _flat_parameters(model: nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().ravel() for p in model.parameters()])


def _trained(initial: nn.Module, fn: Callable, X: torch.Tensor, Y: torch.Tensor) -> Any:
    """Train a copy of ``initial`` with ``fn``: its flat parameters and the losses."""
    model = copy.deepcopy(initial)
    optimizer = torch.optim.SGD(model.parameters(), lr=TBPTT_LR)
    try:
        losses = fn(model, X, Y, nn.MSELoss(), optimizer, TBPTT_K)
    except RuntimeError:  # this mistake cannot run to the end (no detach)
        return None, None
    return _flat_parameters(model), losses


def check_tbptt(train_tbptt: Any) -> None:
    """Check Exercise 4.5: the parameters and losses against a reference loop."""
    ex = "4.5"
    rng = exercise_rng(ex)
    X = torch.from_numpy(rng.normal(size=(TBPTT_T, TBPTT_B, 1)).astype(np.float32))
    Y = torch.zeros_like(X)
    Y[3:] = X[:-3]  # (T, B, 1): the input three steps earlier
    with torch_seed(45):
        initial = EchoRNN()
    model = copy.deepcopy(initial)
    optimizer = torch.optim.SGD(model.parameters(), lr=TBPTT_LR)
    try:
        losses = call(ex, train_tbptt, model, X, Y, nn.MSELoss(), optimizer, TBPTT_K)
    except CheckFailed:
        attached = [h for h in model.states_in if isinstance(h, torch.Tensor)]
        ensure(ex, not any(h.requires_grad for h in attached), DETACH)
        raise
    ensure(ex, bool(model.states_in),
           "train_tbptt never calls the model: run model(x, h) on each chunk.")
    params = _flat_parameters(model)
    want, want_losses = _trained(initial, _tbptt(), X, Y)
    if not same(params, want, 1e-5, 1e-6):
        wrong = [(_trained(initial, w, X, Y)[0], s) for w, s in MISTAKES[ex]]
        name_mistake(ex, params, [(w, s) for w, s in wrong if w is not None], atol=1e-6)
        raise CheckFailed(ex, "after training, the parameters differ from those of the "
                          "reference loop: for each chunk do zero_grad, forward, loss, "
                          "backward, step, once each.")
    n = len(want_losses)
    ensure(ex, isinstance(losses, list | tuple) and len(losses) == n
           and not any(torch.is_tensor(v) and v.requires_grad for v in losses),
           f"train_tbptt should return a list of {n} floats, loss.item() for every chunk (a "
           f"tensor would keep its graph alive), but returned {describe(losses)}.")
    ensure(ex, same([as_number(ex, "a loss", v) for v in losses], want_losses, 1e-4, 1e-6),
           "the parameters are trained right but the returned losses are not the chunks' "
           "losses, one loss.item() per chunk.")
    passed(ex, f"{n} chunks, one step each, the state carried over and detached; the "
           "parameters match the reference loop.")


def _beam_cases(rng: np.random.Generator) -> list[tuple]:
    """(beams, log_probs, k, eos) cases: random, with ties, too few candidates, eos."""

    def log_softmax(scores: np.ndarray) -> np.ndarray:
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))

    tied = np.log(np.array([[0.4, 0.2, 0.2, 0.1, 0.1]] * 2))
    finishing = rng.normal(size=(3, 5))
    finishing[1] = [10.0, 0.0, 0.0, 0.0, 0.0]  # a finished beam's row, to be ignored
    return [
        ([((2, 4), -1.3), ((1, 3), -1.7), ((4, 4), -2.4)],
         log_softmax(rng.normal(size=(3, 6))), 3, None),
        ([((0,), -0.5), ((5,), -0.9)], log_softmax(rng.normal(size=(2, 7))), 4, None),
        ([((), 0.0)], log_softmax(rng.normal(size=(1, 3))), 5, None),
        ([((3,), -1.0), ((1,), -1.0)], tied, 4, None),
        ([((2, 3), -1.1), ((1, 0), -1.2), ((4, 1), -1.6)], log_softmax(finishing), 3, 0),
        ([((2, 0), -0.2), ((3, 4), -2.0)], log_softmax(rng.normal(size=(2, 5))), 2, 0),
    ]


HYPOTHESES = [  # finished hypotheses for best_hypothesis; the second holds a tie
    [((3, 0), -1.4), ((5, 2, 4, 0), -2.0), ((1, 1, 0), -1.8)],
    [((2, 2, 0), -1.5), ((4, 0), -1.0), ((5,), -0.9)],
    [((0,), -0.8), ((6, 2, 1, 4, 0), -3.0), ((3, 0), -1.5)],
]


def check_beam_search(beam_search_step: Any, best_hypothesis: Any) -> None:
    """Check Exercise 4.6: one beam-search step and the length-normalised choice."""
    ex = "4.6"
    cases = _beam_cases(exercise_rng(ex))
    for beams, log_probs, k, eos in cases:
        name = f"beam_search_step on {len(beams)} beams with k={k}"
        name += "" if eos is None else f" and eos={eos}"
        got = call(ex, beam_search_step, list(beams), log_probs.copy(), k, eos)
        want = _beam()(beams, log_probs, k, eos)
        if same(got, want, 1e-9, 1e-12):
            continue
        name_mistake(ex, got, MISTAKES[ex], beams, log_probs, k, eos, rtol=1e-9, atol=1e-12)
        ensure(ex, isinstance(got, list | tuple) and len(got) == len(want),
               f"{name} returns {describe(got)}, but it should return a list of {len(want)} "
               "(tokens, score) pairs: the k best candidates, or all when there are fewer.")
        missed = next((b for b in want if not any(same(b, g) for g in got)), want[0])
        raise CheckFailed(ex, f"{name} misses the candidate {missed[0]} with the score "
                          f"{missed[1]:.6g}, one of the k best: add each token's "
                          "log-probability to its beam's score.")
    for hypotheses in HYPOTHESES:
        name = f"best_hypothesis({hypotheses})"
        got = call(ex, best_hypothesis, list(hypotheses))
        if same(got, max(hypotheses, key=_mean), 1e-9, 1e-12):
            continue
        name_mistake(ex, got, MISTAKES[f"{ex} best"], hypotheses)
        raise CheckFailed(ex, f"{name} returns {got!r}, but it should return the hypothesis "
                          "with the highest mean log-probability per token, score / "
                          "len(tokens).")
    passed(ex, f"beam_search_step matches the reference on {len(cases)} cases (ties and "
           "finished beams included), and best_hypothesis normalises by length.")


def check_lstm_shapes(shapes: Any) -> None:
    """Check Exercise 4.7: the predicted shapes of out, h_n and c_n."""
    ex = "4.7"
    example = "{'out': (...), 'h_n': (...), 'c_n': (...)}"
    check_keys(ex, "shapes", shapes, LSTM_SHAPES, example, "one tuple")
    name_mistake(ex, shapes, [(w, s) for w, s in MISTAKES[ex] if w != LSTM_SHAPES])
    for key, want in LSTM_SHAPES.items():
        compare_shape(ex, f"shapes[{key!r}]", shapes[key], want, reveal=False,
                      hint=SHAPE_HINTS[key])
    passed(ex, "Run the next cell to see the shapes you predicted.")


def check_echo(model: Any, k: Any) -> None:
    """Check Exercise 4.8: the model trained with chunks of k steps echoes the input."""
    ex = "4.8"
    k = whole_number(ex, "k", k)
    ensure(ex, 1 <= k <= MAX_CHUNK, f"k is {k}, but the exercise asks for chunks of 1 to "
           f"{MAX_CHUNK} steps: the question is how short they can be.")
    with torch_seed(48):
        X = torch.randn(300, 32, 1)  # (T, B, 1); the targets are X, DELAY steps late
    out = run_trained(ex, model, X)
    y_hat = out[0] if isinstance(out, tuple) else out
    ensure(ex, torch.is_tensor(y_hat) and y_hat.shape == X.shape,
           f"for an input of shape {tuple(X.shape)} the model should return predictions of "
           f"that shape (and its state) but returned {describe(y_hat)}.")
    loss = float(((y_hat.float().cpu()[DELAY:] - X[:-DELAY]) ** 2).mean())
    advice = ("think about which inputs and targets share a chunk, then try longer chunks."
              if k <= DELAY else "train it for more passes, or check the training cell.")
    ensure(ex, loss < GOOD_LOSS, f"trained with chunks of k = {k} steps, the model's loss "
           f"on a new sequence is {loss:.3f}, not below {GOOD_LOSS}: {advice}")
    passed(ex, f"With chunks of {k} steps the model echoes the input {DELAY} steps late: "
           f"loss {loss:.3f} on a new sequence.")
