"""Checkers for the exercises of chapter 4: recurrent networks.

Each ``check_*`` takes the student's answer (a function or a class), computes its own
reference (with PyTorch's recurrent layers, optimisers and gradient clipping wherever
they apply), and either prints a confirmation or raises :class:`CheckFailed` with one
sentence. Checkers seed their own generators, so running them leaves the notebook's
random state as it was, and the parameter-count question never gives a count away.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from dlbook.checks import (
    CheckFailed,
    as_number,
    build_model,
    call,
    compare_arrays,
    describe,
    ensure,
    ensure_like,
    ensure_linear_head,
    exercise_rng,
    float_values,
    gradients_reach,
    is_close,
    passed,
    run_model,
    torch_seed,
)

__all__ = [
    "check_beam_search",
    "check_clip_by_global_norm",
    "check_lstm_classifier",
    "check_rnn_numpy",
    "check_rnn_param_count",
    "check_tbptt",
]


# --- Exercise 4.1: a recurrent layer in NumPy -----------------------------------------

#: nn.RNN's parameter names for one layer, in the order the exercise passes them.
RNN_PARAMS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _torch_rnn(
    X: np.ndarray, h0: np.ndarray, weights: tuple, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, np.ndarray]:
    """Run nn.RNN with ``weights`` copied in; return all states (T, B, H) and the last."""
    hidden_size, input_size = weights[0].shape
    with torch_seed(41):  # the weights are overwritten: only keep the caller's state
        rnn = nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity).double()
    with torch.no_grad():
        for name, value in zip(RNN_PARAMS, weights, strict=True):
            getattr(rnn, name).copy_(torch.from_numpy(value))
        out, h_n = rnn(torch.from_numpy(X), torch.from_numpy(h0)[None])
    return out.numpy(), h_n[0].numpy()  # (T, B, H), (B, H)


def _numpy_rnn(
    X: np.ndarray, h0: np.ndarray, weights: tuple, activation: Callable
) -> np.ndarray:
    """All states (T, B, H) of an RNN with any ``activation``, for naming mistakes."""
    W_ih, W_hh, b_ih, b_hh = weights
    h, states = h0, []
    for x_t in X:
        h = activation(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        states.append(h)
    return np.stack(states)


def _rnn_variants(X: np.ndarray, h0: np.ndarray, weights: tuple) -> list:
    """(all states of a wrong RNN, what is wrong) for the usual mistakes."""
    W_ih, W_hh, b_ih, b_hh = weights
    zeros = np.zeros_like(b_ih)
    mistakes = [
        ((W_ih, W_hh, b_ih, zeros), "leaves out b_hh: PyTorch adds two bias vectors"),
        ((W_ih, W_hh, zeros, b_hh), "leaves out b_ih: PyTorch adds two bias vectors"),
        ((W_ih, W_hh, zeros, zeros), "leaves out both bias vectors b_ih and b_hh"),
        (
            (W_ih, W_hh.T, b_ih, b_hh),
            "multiplies h_prev by W_hh instead of its transpose: with one row per "
            "sequence, the recurrent term is h_prev @ W_hh.T",
        ),
    ]
    variants = [(_torch_rnn(X, h0, w)[0], what) for w, what in mistakes]
    variants.append(
        (
            _torch_rnn(X, h0, weights, "relu")[0],
            "uses ReLU, but nn.RNN's default is tanh",
        )
    )
    for activation, what in [
        (lambda z: z, "applies no activation: wrap the sum in np.tanh"),
        (
            lambda z: 1 / (1 + np.exp(-z)),
            "uses a sigmoid, but nn.RNN's default is tanh",
        ),
    ]:
        variants.append((_numpy_rnn(X, h0, weights, activation), what))
    return variants


def _rnn_weights(rng: np.random.Generator, D: int, H: int) -> tuple:
    """Random float64 weights of one RNN layer: W_ih (H, D), W_hh (H, H), b_ih, b_hh."""
    scale = 1 / np.sqrt(H)
    return (
        rng.uniform(-scale, scale, size=(H, D)),
        rng.uniform(-scale, scale, size=(H, H)),
        rng.uniform(-scale, scale, size=H),
        rng.uniform(-scale, scale, size=H),
    )


def _call_rnn(ex: str, fn: Callable, name: str, *args: np.ndarray) -> Any:
    """Call the student's function on copies; explain a shape error and a changed input."""
    copies = [a.copy() for a in args]
    try:
        result = call(ex, fn, *copies)
    except CheckFailed as failure:
        shapes = ("matmul", "shapes", "broadcast", "aligned")
        if any(word in failure.message for word in shapes):
            raise CheckFailed(
                ex,
                f"{failure.message.rstrip('.')}: the inputs hold one row per sequence "
                "of the batch, so multiply them by the transposed weights, "
                "x_t @ W_ih.T and h_prev @ W_hh.T.",
            ) from None
        raise
    for given, original in zip(copies, args, strict=True):
        ensure(
            ex,
            np.array_equal(given, original),
            f"{name} changed an array passed to it: compute the new state in a new "
            "array.",
        )
    return result


def _explain_states(
    ex: str, name: str, got: Any, variants: list, expected: np.ndarray, label: str
) -> None:
    """Name the mistake of ``name`` that reproduces ``got``; then compare values."""
    values = float_values(got)
    if values is not None and not is_close(values, expected, 1e-6, 1e-9):
        for wrong, what in variants:
            ensure(
                ex,
                not is_close(values, wrong, 1e-6, 1e-9),
                f"{name} {what}.",
            )
    compare_arrays(ex, label, got, expected, rtol=1e-6, atol=1e-9)


def check_rnn_numpy(rnn_step: Any, rnn_forward: Any) -> None:
    """Check Exercise 4.1: one RNN step and a whole sequence against nn.RNN."""
    ex = "4.1"
    rng = exercise_rng(ex)
    T, B, D, H = 6, 3, 4, 5
    weights = _rnn_weights(rng, D, H)
    X = rng.normal(size=(T, B, D))  # (T, B, D)
    h0 = rng.normal(scale=0.5, size=(B, H))  # (B, H)
    states, h_last = _torch_rnn(X, h0, weights)
    variants = _rnn_variants(X, h0, weights)

    # One step: the first state of the sequence.
    name = "rnn_step(x_t, h_prev, W_ih, W_hh, b_ih, b_hh)"
    h_1 = _call_rnn(ex, rnn_step, "rnn_step", X[0], h0, *weights)
    ensure_like(ex, name, h_1, states[0])
    first = [(wrong[0], what) for wrong, what in variants]
    _explain_states(ex, name, h_1, first, states[0], name)

    # The whole sequence, from a hidden state that is not zero.
    name = "rnn_forward(X, h0, W_ih, W_hh, b_ih, b_hh)"
    result = _call_rnn(ex, rnn_forward, "rnn_forward", X, h0, *weights)
    ensure(
        ex,
        isinstance(result, tuple | list) and len(result) == 2,
        f"{name} should return a pair (states, h_last) but returned "
        f"{describe(result)}.",
    )
    got_states, got_last = result
    ensure_like(ex, "states", got_states, states)
    values = float_values(got_states)
    if values is not None and not is_close(values, states, 1e-6, 1e-9):
        from_zero = _torch_rnn(X, np.zeros_like(h0), weights)[0]
        ensure(
            ex,
            not is_close(values, from_zero, 1e-6, 1e-9),
            f"{name} starts from zeros: start the recurrence from the given h0.",
        )
        shifted = np.concatenate([h0[None], states[:-1]])
        ensure(
            ex,
            not is_close(values, shifted, 1e-6, 1e-9),
            f"{name} lists h0 and leaves out the last state: states[t] should be the "
            "state after reading X[t], as in nn.RNN's output.",
        )
        ensure(
            ex,
            not is_close(values, np.broadcast_to(h_last, states.shape), 1e-6, 1e-9),
            f"{name} fills every time step with the last state: store a copy of each "
            "new state as you go.",
        )
    _explain_states(ex, name, got_states, variants, states, "states")
    ensure_like(ex, "h_last", got_last, h_last)
    compare_arrays(ex, "h_last", got_last, h_last, rtol=1e-6, atol=1e-9)
    passed(ex, "Both agree with nn.RNN, weights and both bias vectors copied in.")


# --- Exercise 4.2: counting the parameters of recurrent layers ------------------------

RNN_CLASSES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
#: Weight matrices (and bias vectors) stacked per layer and direction.
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: (kind, input_size, hidden_size, num_layers, bidirectional), simplest first.
COUNT_CASES = [
    ("rnn", 10, 20, 1, False),
    ("rnn", 10, 20, 2, False),
    ("lstm", 10, 50, 1, False),
    ("gru", 8, 16, 1, False),
    ("rnn", 5, 7, 1, True),
    ("lstm", 6, 12, 2, True),
    ("gru", 32, 64, 3, True),
    ("lstm", 64, 32, 2, False),
]


def _formula(
    kind: str,
    D: int,
    H: int,
    L: int,
    bidirectional: bool,
    *,
    gates: int | None = None,
    biases: int = 2,
    upper_input: int | None = None,
    directions: int | None = None,
) -> int:
    """The parameter count by formula; the keywords reproduce the usual mistakes."""
    gates = GATES[kind] if gates is None else gates
    n_dir = (2 if bidirectional else 1) if directions is None else directions
    total = 0
    for layer in range(L):
        if layer == 0:
            n_in = D
        else:
            n_in = (
                H * (2 if bidirectional else 1) if upper_input is None else upper_input
            )
        total += n_dir * gates * H * (n_in + H + biases)
    return total


def _count_mistakes(case: tuple) -> list[tuple[int, str]]:
    """(wrong count, what is wrong) for the usual mistakes on one layer."""
    kind, D, H, L, bi = case
    name = {"rnn": "nn.RNN", "lstm": "an LSTM", "gru": "a GRU"}[kind]
    return [
        (
            _formula(kind, D, H, L, bi, gates=1),
            f"counts one set of weights per layer as for a plain RNN, but {name} "
            "stacks the weights of its gates: four for an LSTM (input, forget, cell, "
            "output), three for a GRU (reset, update, new)",
        ),
        (
            _formula(kind, D, H, L, bi, biases=1),
            "counts one bias vector per layer and direction, but PyTorch has two, "
            "bias_ih and bias_hh",
        ),
        (
            _formula(kind, D, H, L, bi, biases=0),
            "leaves out the biases: each layer and direction has bias_ih and bias_hh",
        ),
        (
            _formula(kind, D, H, L, bi, upper_input=H),
            "counts hidden_size inputs for the layers above the first, but in a "
            "bidirectional RNN they read both directions' states, 2 * hidden_size "
            "features",
        ),
        (
            _formula(kind, D, H, L, bi, upper_input=D),
            "gives every layer input_size inputs, but only the first layer reads x_t: "
            "the layers above read the hidden states of the layer below",
        ),
        (
            _formula(kind, D, H, L, bi, directions=1),
            "counts one direction, but a bidirectional RNN has its own weights for "
            "each of its two directions",
        ),
        (
            _formula(kind, D, H, 1, bi),
            "counts only the first layer, but each of the num_layers layers has its "
            "own weights",
        ),
    ]


class _TorchCalls(TorchFunctionMode):
    """Note the name of the first torch function called inside the block."""

    def __init__(self) -> None:
        super().__init__()
        self.first: str | None = None

    def __torch_function__(
        self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        """Note the call, then run it unchanged."""
        if self.first is None:
            self.first = getattr(func, "__name__", "a torch function")
        return func(*args, **(kwargs or {}))


def _whole_number(ex: str, name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a whole number, else fail."""
    number = as_number(ex, name, value)
    ensure(
        ex,
        number.is_integer(),
        f"{name} is {number}, but a number of parameters is a whole number.",
    )
    return int(number)


def check_rnn_param_count(rnn_param_count: Any) -> None:
    """Check Exercise 4.2: parameter counts by formula against PyTorch's layers."""
    ex = "4.2"
    for case in COUNT_CASES:
        kind, D, H, L, bi = case
        name = (
            f"rnn_param_count({kind!r}, {D}, {H}, num_layers={L}, bidirectional={bi})"
        )
        torch_calls = _TorchCalls()
        with torch_seed(42), torch_calls:
            answer = call(ex, rnn_param_count, kind, D, H, L, bi)
        ensure(
            ex,
            torch_calls.first is None,
            f"{name} calls torch ({torch_calls.first}), so it builds tensors or a layer: "
            "count by formula, with plain integers.",
        )
        answer = _whole_number(ex, name, answer)
        with torch_seed(42):
            layer = RNN_CLASSES[kind](D, H, num_layers=L, bidirectional=bi)
        expected = sum(p.numel() for p in layer.parameters())
        if answer == expected:
            continue
        for wrong, what in _count_mistakes(case):
            ensure(ex, wrong == expected or answer != wrong, f"{name} {what}.")
        raise CheckFailed(
            ex,
            f"{name} is {answer}, which is not the number of parameters PyTorch "
            "creates: go through weight_ih, weight_hh, bias_ih and bias_hh of every "
            "layer and direction.",
        )
    passed(ex, f"All {len(COUNT_CASES)} counts match PyTorch's layers.")


# --- Exercise 4.3: an LSTM classifier -------------------------------------------------

N_FEATURES, N_HIDDEN, N_CLASSES, SEQ_LEN = 10, 50, 7, 15


def _check_lstm_layers(ex: str, model: nn.Module) -> None:
    """Check that the model has one nn.LSTM of the right sizes and an nn.Linear."""
    lstms = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.LSTM)]
    others = [m for m in model.modules() if isinstance(m, nn.RNN | nn.GRU)]
    ensure(
        ex,
        bool(lstms) or not others,
        f"the model uses nn.{type(others[0]).__name__ if others else ''} where the "
        "exercise asks for an nn.LSTM.",
    )
    ensure(ex, bool(lstms), "the model has no nn.LSTM layer: create one in __init__.")
    ensure(
        ex,
        len(lstms) == 1,
        f"the model has {len(lstms)} nn.LSTM layers but should have one (for stacked "
        "layers, use its num_layers argument).",
    )
    name, lstm = lstms[0]
    label = f"the LSTM (model.{name})"
    ensure(
        ex,
        lstm.input_size == N_FEATURES,
        f"{label} takes {lstm.input_size} features per time step but the sequences "
        f"have {N_FEATURES}.",
    )
    ensure(
        ex,
        lstm.hidden_size == N_HIDDEN,
        f"{label} has {lstm.hidden_size} hidden units but should have {N_HIDDEN}.",
    )
    ensure(
        ex,
        not lstm.batch_first,
        f"{label} has batch_first=True, but the input has shape (seq_len, batch, "
        "features), like torch.rand((15, 1, 10)): leave batch_first=False.",
    )
    ensure(
        ex,
        not lstm.bidirectional,
        f"{label} is bidirectional, but the exercise asks for a one-directional one.",
    )
    ensure(
        ex,
        lstm.proj_size == 0,
        f"{label} projects its hidden state (proj_size): leave proj_size at 0.",
    )
    ensure_linear_head(ex, model)


def _run_lstm_model(ex: str, model: nn.Module, X: torch.Tensor) -> tuple[Any, dict]:
    """Run the model on ``X`` recording the LSTM's outputs and the linear layers' inputs."""
    log: dict[str, list] = {"lstm": [], "linear": []}
    lstm = next(m for m in model.modules() if isinstance(m, nn.LSTM))

    def lstm_hook(module: nn.Module, args: tuple, output: Any) -> None:
        log["lstm"].append(output)

    def linear_hook(module: nn.Module, args: tuple) -> None:
        log["linear"].append((module, args[0] if args else None))

    handles = [lstm.register_forward_hook(lstm_hook)]
    for module in model.modules():
        if isinstance(module, nn.Linear):
            handles.append(module.register_forward_pre_hook(linear_hook))
    try:
        with torch_seed(43):
            out = run_model(
                ex,
                model,
                X,
                in_features_hint="the classification layer's in_features should equal "
                "the LSTM's hidden size",
            )
    finally:
        for handle in handles:
            handle.remove()
    return out, log


def _check_lstm_output(ex: str, out: Any, batch_size: int) -> None:
    """Check that the model returns one score per class for each sequence."""
    shape = (batch_size, N_CLASSES)
    given = (
        f"for input of shape ({SEQ_LEN}, {batch_size}, {N_FEATURES}) the model's "
        "forward"
    )
    ensure(
        ex,
        isinstance(out, torch.Tensor),
        f"{given} returned {describe(out)} but should return a tensor of shape "
        f"{shape}.",
    )
    got = tuple(out.shape)
    hint = ""
    if got in ((SEQ_LEN, N_CLASSES), (SEQ_LEN, batch_size, N_CLASSES)):
        hint = (
            "; it classifies every time step, but the LSTM's output is (seq_len, "
            "batch, hidden_size): keep only the last step, out[-1] (or h_n[-1])"
        )
    elif got == (1, batch_size, N_CLASSES):
        hint = "; h_n has shape (num_layers, batch, hidden_size): take h_n[-1]"
    elif got == (N_CLASSES,):
        hint = "; keep the batch axis even for one sequence (no squeeze())"
    ensure(
        ex,
        got == shape,
        f"{given} returned shape {got} but should return {shape}{hint}.",
    )


def _check_last_step(ex: str, log: dict) -> None:
    """Check that the classification layer reads the LSTM's state at the last step."""
    ensure(
        ex,
        len(log["lstm"]) == 1,
        f"the forward pass runs the LSTM {len(log['lstm'])} times: run it once on the "
        "whole sequence, it loops over the time steps itself.",
    )
    ensure(
        ex,
        bool(log["linear"]),
        "the forward pass never applies a linear layer: end with the classification "
        "layer.",
    )
    final, z = log["linear"][-1]
    ensure(
        ex,
        final.out_features == N_CLASSES,
        f"the final linear layer has {final.out_features} outputs but should have one "
        f"per class, {N_CLASSES}.",
    )
    ensure(
        ex,
        final.in_features == N_HIDDEN,
        f"the final linear layer takes {final.in_features} features, but it should "
        f"read the LSTM's {N_HIDDEN} hidden units directly.",
    )
    states = log["lstm"][0][0].detach()  # (T, B, H)
    z = float_values(z)
    if z is not None and z.shape == tuple(states.shape):
        z = z[-1]  # a linear layer applied to every step, of which the last is kept
    last = states[-1]  # (B, H), equal to h_n[-1]
    candidates = [last, torch.relu(last), torch.tanh(last)]
    if any(is_close(z, c.numpy(), 1e-5, 1e-6) for c in candidates):
        return
    h_n, c_n = (t.detach() for t in log["lstm"][0][1])  # (num_layers, B, H) each
    ensure(
        ex,
        not any(is_close(z, c.numpy(), 1e-5, 1e-6) for c in (c_n[-1], c_n[-1].relu())),
        "the classification layer reads the cell state c_n: the LSTM returns "
        "(out, (h_n, c_n)), and the classifier should read the hidden state h_n[-1].",
    )
    ensure(
        ex,
        len(h_n) == 1 or not is_close(z, h_n[0].numpy(), 1e-5, 1e-6),
        "the classification layer reads h_n[0], the final state of the first layer: "
        "read the top layer's, h_n[-1].",
    )
    ensure(
        ex,
        not is_close(z, states.mean(0).numpy(), 1e-5, 1e-6),
        "the classification layer reads the average of the LSTM's outputs over time: "
        "read the last time step, out[-1] (or h_n[-1]).",
    )
    ensure(
        ex,
        not is_close(z, states[0].numpy(), 1e-5, 1e-6),
        "the classification layer reads the LSTM's output at the first time step, "
        "out[0]: read the last one, out[-1] (or h_n[-1]).",
    )
    raise CheckFailed(
        ex,
        "the classification layer should read the LSTM's output at the last time "
        "step, out[-1] (equal to the final hidden state h_n[-1]).",
    )


def check_lstm_classifier(LSTMClassifier: Any) -> None:
    """Check Exercise 4.3: layers, output shapes, last-step reading and gradients."""
    ex = "4.3"
    model = build_model(ex, LSTMClassifier, "LSTMClassifier", 43)
    ensure(
        ex,
        type(model).forward is not nn.Module.forward,
        "the model has no forward method: define forward(self, x).",
    )
    _check_lstm_layers(ex, model)
    model.eval()  # dropout, if any, would hide which state the classifier reads
    with torch_seed(43):
        X = torch.rand((SEQ_LEN, 1, N_FEATURES))  # (T, B, D), the seed's test input
        X3 = torch.rand((SEQ_LEN, 3, N_FEATURES))
    out, _ = _run_lstm_model(ex, model, X)
    _check_lstm_output(ex, out, 1)
    out3, log = _run_lstm_model(ex, model, X3)
    _check_lstm_output(ex, out3, 3)
    _check_last_step(ex, log)
    gradients_reach(ex, model, out3)
    n_params = sum(p.numel() for p in model.parameters())
    passed(
        ex,
        f"An LSTM with {N_HIDDEN} hidden units read at the last step and {N_CLASSES} "
        f"class scores; gradients reach all {n_params:,} parameters.",
    )


# --- Exercise 4.4: clipping gradients by their global norm ----------------------------


def _torch_clip(grads: list[np.ndarray], max_norm: float) -> tuple[list, float]:
    """Clip copies of ``grads`` with torch.nn.utils.clip_grad_norm_."""
    params = [torch.zeros(g.shape, dtype=torch.float64) for g in grads]
    for param, grad in zip(params, grads, strict=True):
        param.grad = torch.from_numpy(grad.copy())
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return [p.grad.numpy() for p in params], float(total)


def _clip_variants(grads: list[np.ndarray], max_norm: float) -> list:
    """(clipped arrays of a wrong answer, what is wrong) for the usual mistakes."""
    total = math.sqrt(sum(float(np.sum(g**2)) for g in grads))
    return [
        (
            [g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for g in grads],
            "clips each array by its own norm: compute one norm over all arrays "
            "together and scale them all by the same factor",
        ),
        (
            [np.clip(g, -max_norm, max_norm) for g in grads],
            "clips each value to [-max_norm, max_norm]: scale all arrays by "
            "max_norm / total_norm instead, which keeps the gradient's direction",
        ),
        (
            [g * max_norm / total for g in grads],
            "also scales gradients whose norm is below max_norm: leave those unchanged",
        ),
    ]


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
        expected, expected_norm = _torch_clip(grads, max_norm)
        name = f"clip_by_global_norm(grads, max_norm={max_norm})"
        given = [g.copy() for g in grads]
        result = call(ex, clip_by_global_norm, given, max_norm)
        ensure(
            ex,
            all(np.array_equal(a, b) for a, b in zip(given, grads, strict=True)),
            f"{name} changed the arrays passed to it: return new, scaled arrays.",
        )
        ensure(
            ex,
            isinstance(result, tuple | list) and len(result) == 2,
            f"{name} should return a pair (clipped, total_norm) but returned "
            f"{describe(result)}.",
        )
        clipped, total = result
        ensure(
            ex,
            isinstance(clipped, list | tuple) and len(clipped) == len(grads),
            f"the clipped gradients should be a list of {len(grads)} arrays, one per "
            f"input array, but are {describe(clipped)}"
            + (
                f" of length {len(clipped)}."
                if isinstance(clipped, list | tuple)
                else "."
            ),
        )
        total = as_number(ex, "total_norm", total)
        sum_of_norms = sum(float(np.linalg.norm(g)) for g in grads)
        if not np.isclose(total, expected_norm, rtol=1e-6):
            ensure(
                ex,
                not np.isclose(total, expected_norm**2, rtol=1e-6),
                f"the total_norm of {name} is the sum of squares: take its square "
                "root.",
            )
            ensure(
                ex,
                not np.isclose(total, sum_of_norms, rtol=1e-6),
                f"the total_norm of {name} adds up the arrays' norms, but the global "
                "norm is the square root of the sum of all squared entries.",
            )
            ensure(
                ex,
                not np.isclose(total, min(max_norm, expected_norm), rtol=1e-5),
                f"the total_norm of {name} is the norm after clipping: return the "
                "norm before.",
            )
            raise CheckFailed(
                ex,
                f"the total_norm of {name} is {total:.6g} but should be "
                f"{expected_norm:.6g}.",
            )
        for i, (got, want) in enumerate(zip(clipped, expected, strict=True)):
            ensure_like(ex, f"clipped[{i}]", got, want)
        got_all = [float_values(g) for g in clipped]
        want_flat = np.concatenate([w.ravel() for w in expected])
        if all(g is not None for g in got_all):
            got_flat = np.concatenate([g.ravel() for g in got_all])
            if not is_close(got_flat, want_flat, 1e-5, 1e-9):
                for wrong, what in _clip_variants(grads, max_norm):
                    wrong_flat = np.concatenate([w.ravel() for w in wrong])
                    ensure(
                        ex,
                        not is_close(got_flat, wrong_flat, 1e-5, 1e-9),
                        f"{name} {what}.",
                    )
        for i, (got, want) in enumerate(zip(clipped, expected, strict=True)):
            compare_arrays(
                ex, f"clipped[{i}] of {name}", got, want, rtol=1e-5, atol=1e-9
            )
    passed(ex, "It agrees with torch.nn.utils.clip_grad_norm_, clipping and not.")


# --- Exercise 4.5: truncated backpropagation through time -----------------------------

TBPTT_T, TBPTT_B, TBPTT_K, TBPTT_LR = 50, 4, 8, 0.1


class _EchoRNN(nn.Module):
    """A small RNN that maps x (T, B, 1) and a state h to predictions (T, B, 1) and h."""

    def __init__(self, hidden_size: int = 8) -> None:
        super().__init__()
        self.rnn = nn.RNN(1, hidden_size)
        self.head = nn.Linear(hidden_size, 1)

    def forward(
        self, x: torch.Tensor, h: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the predictions (T, B, 1) and the last hidden state (1, B, H)."""
        out, h = self.rnn(x, h)  # (T, B, H), (1, B, H)
        return self.head(out), h


def _tbptt_setup() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """A long sequence whose target is the input three steps earlier, and a model."""
    rng = exercise_rng("4.5")
    X = torch.from_numpy(rng.normal(size=(TBPTT_T, TBPTT_B, 1)).astype(np.float32))
    Y = torch.zeros_like(X)
    Y[3:] = X[:-3]  # (T, B, 1): echo with a delay of three steps
    with torch_seed(45):
        model = _EchoRNN()
    return model, X, Y


def _reference_tbptt(
    model: nn.Module, X: torch.Tensor, Y: torch.Tensor, k: int, zero_grad: bool = True
) -> list[float]:
    """Truncated BPTT as the exercise asks; ``zero_grad=False`` makes that mistake."""
    optimizer = torch.optim.SGD(model.parameters(), lr=TBPTT_LR)
    loss_fn = nn.MSELoss()
    h, losses = None, []
    for start in range(0, len(X), k):
        if zero_grad:
            optimizer.zero_grad()
        y_hat, h = model(X[start : start + k], h)
        loss = loss_fn(y_hat, Y[start : start + k])
        loss.backward()
        optimizer.step()
        h = h.detach()
        losses.append(loss.item())
    return losses


def _same_parameters(a: nn.Module, b: nn.Module) -> bool:
    """True when two models of the same architecture hold the same parameter values."""
    return all(
        torch.allclose(p.detach(), q.detach(), rtol=1e-5, atol=1e-6)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def _record_tbptt(model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple:
    """Hooks that log each chunk's length and incoming state, and the optimizer steps."""
    log: dict[str, Any] = {"chunks": [], "h_in": [], "h_out": [], "steps": 0}

    def before(module: nn.Module, args: tuple, kwargs: dict) -> None:
        x = args[0] if args else kwargs.get("x")
        h = args[1] if len(args) > 1 else kwargs.get("h")
        log["chunks"].append(
            x.shape[0] if isinstance(x, torch.Tensor) and x.dim() else -1
        )
        log["h_in"].append(h)

    def after(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        h = output[1] if isinstance(output, tuple) and len(output) == 2 else None
        log["h_out"].append(h.detach().clone() if isinstance(h, torch.Tensor) else None)

    def step(optimizer: torch.optim.Optimizer, args: tuple, kwargs: dict) -> None:
        log["steps"] += 1

    handles = [
        model.register_forward_pre_hook(before, with_kwargs=True),
        model.register_forward_hook(after, with_kwargs=True),
        optimizer.register_step_post_hook(step),
    ]
    return log, handles


def _undetached(log: dict) -> bool:
    """True when a chunk received a hidden state that still tracks gradients."""
    return any(isinstance(h, torch.Tensor) and h.requires_grad for h in log["h_in"])


DETACH = (
    "backpropagation runs into the previous chunks: detach the hidden state, "
    "h = h.detach(), before passing it to the next chunk"
)


def _check_chunks(ex: str, log: dict, expected: list[int]) -> None:
    """Check the chunks the model saw and the hidden states passed between them."""
    chunks, n = log["chunks"], len(expected)
    ensure(
        ex,
        chunks != [TBPTT_T],
        "train_tbptt runs the model once on the whole sequence: split it into chunks "
        "of k time steps, X[start : start + k].",
    )
    ensure(
        ex,
        chunks != expected[:-1],
        "train_tbptt leaves out the last, shorter chunk: when k does not divide the "
        "length, the last chunk holds the remaining steps.",
    )
    ensure(
        ex,
        chunks != [1] * TBPTT_T,
        "train_tbptt feeds the model one time step at a time: each chunk should hold "
        "k time steps.",
    )
    ensure(
        ex,
        chunks == expected,
        f"the model received chunks of lengths {chunks}, but a sequence of "
        f"{TBPTT_T} steps split into chunks of k={TBPTT_K} gives {expected}.",
    )
    first = log["h_in"][0]
    ensure(
        ex,
        first is None
        or (isinstance(first, torch.Tensor) and not bool(first.detach().any())),
        "the first chunk should start from h = None (a zero state), not from "
        f"{describe(first)}.",
    )
    for i in range(1, n):
        h, previous = log["h_in"][i], log["h_out"][i - 1]
        ensure(
            ex,
            h is not None
            and (not isinstance(h, torch.Tensor) or bool(h.detach().any())),
            "the hidden state is reset at every chunk: pass the last hidden state of "
            "one chunk on to the next.",
        )
        ensure(ex, not (isinstance(h, torch.Tensor) and h.requires_grad), f"{DETACH}.")
        ensure(
            ex,
            isinstance(h, torch.Tensor)
            and previous is not None
            and h.shape == previous.shape
            and torch.allclose(h, previous),
            f"chunk {i} did not receive the hidden state that chunk {i - 1} ended "
            "with: pass on the h returned by the model.",
        )


def check_tbptt(train_tbptt: Any) -> None:
    """Check Exercise 4.5: chunks, a carried and detached state, steps, parameters."""
    ex = "4.5"
    model, X, Y = _tbptt_setup()
    initial = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=TBPTT_LR)
    log, handles = _record_tbptt(model, optimizer)
    try:
        with torch_seed(45):
            losses = call(
                ex, train_tbptt, model, X, Y, nn.MSELoss(), optimizer, TBPTT_K
            )
    except CheckFailed:
        if _undetached(log):
            raise CheckFailed(ex, f"{DETACH}.") from None
        raise
    finally:
        for handle in handles:
            handle.remove()
    expected = [min(TBPTT_K, TBPTT_T - s) for s in range(0, TBPTT_T, TBPTT_K)]
    n = len(expected)
    ensure(
        ex,
        bool(log["chunks"]),
        "train_tbptt never calls the model: run model(x, h) on each chunk.",
    )
    _check_chunks(ex, log, expected)
    steps = log["steps"]
    ensure(
        ex,
        steps != 0,
        "train_tbptt never calls optimizer.step(): take one step after each chunk's "
        "backward pass.",
    )
    ensure(
        ex,
        steps == n,
        f"train_tbptt calls optimizer.step() {steps} time{'s' * (steps != 1)} but "
        f"should take one step per chunk, {n} here.",
    )
    reference = copy.deepcopy(initial)
    ref_losses = _reference_tbptt(reference, X, Y, TBPTT_K)
    if not _same_parameters(model, reference):
        piled = copy.deepcopy(initial)
        _reference_tbptt(piled, X, Y, TBPTT_K, zero_grad=False)
        ensure(
            ex,
            not _same_parameters(model, piled),
            "gradients pile up from chunk to chunk: call optimizer.zero_grad() before "
            "each backward pass.",
        )
        raise CheckFailed(
            ex,
            "after training, the parameters differ from those of the reference loop: "
            "for each chunk do zero_grad, forward, loss, backward, step, once each.",
        )
    ensure(
        ex,
        isinstance(losses, list | tuple),
        f"train_tbptt should return the list of the chunks' losses but returned "
        f"{describe(losses)}.",
    )
    ensure(
        ex,
        len(losses) == n,
        f"train_tbptt returned {len(losses)} losses but should return one per chunk, "
        f"{n} here.",
    )
    for i, value in enumerate(losses):
        ensure(
            ex,
            not isinstance(value, torch.Tensor),
            f"losses[{i}] is a tensor: store loss.item(), a plain float, so that the "
            "list keeps no graph alive.",
        )
        as_number(ex, f"losses[{i}]", value)
    ensure(
        ex,
        is_close([float(v) for v in losses], ref_losses, 1e-5, 1e-7),
        "the parameters are trained right but the returned losses are not the chunks' "
        "losses, one loss.item() per chunk.",
    )
    passed(
        ex,
        f"{n} chunks, one step each, the state carried over and detached; the "
        "parameters match the reference loop.",
    )


# --- Exercise 4.6: one step of beam search --------------------------------------------


def _beam_reference(
    beams: list, log_probs: np.ndarray, k: int, eos: int | None
) -> list[tuple[tuple, float]]:
    """The k best extensions, ties in candidate order (beam, then token id)."""
    candidates = []
    for i, (tokens, score) in enumerate(beams):
        if eos is not None and tokens and tokens[-1] == eos:
            candidates.append((tuple(tokens), float(score)))  # finished: carried over
            continue
        for token in range(log_probs.shape[1]):
            candidates.append((tuple(tokens) + (token,), score + log_probs[i, token]))
    best = sorted(candidates, key=lambda c: -c[1])[:k]  # sorted() is stable
    return [(tokens, float(score)) for tokens, score in best]


def _as_beam(ex: str, label: str, beam: Any) -> tuple[tuple, float]:
    """Read one (tokens, score) pair, or fail naming what is malformed."""
    is_pair = isinstance(beam, tuple | list) and len(beam) == 2
    what = describe(beam)
    if isinstance(beam, tuple | list):
        what = f"{what} of {len(beam)} items"
    ensure(ex, is_pair, f"{label} should be a pair (tokens, score) but is {what}.")
    tokens, score = beam
    ensure(
        ex,
        isinstance(tokens, tuple | list),
        f"the tokens of {label} should be a tuple of ints but are {describe(tokens)}.",
    )
    for token in tokens:
        ensure(
            ex,
            isinstance(token, int | np.integer) and not isinstance(token, bool),
            f"the tokens of {label} should be a tuple of ints but hold "
            f"{describe(token)}.",
        )
    return tuple(int(t) for t in tokens), as_number(ex, f"the score of {label}", score)


def _same_beams(a: list, b: list) -> bool:
    """True when two lists of beams hold the same tokens and scores, in order."""
    return len(a) == len(b) and all(
        ta == tb and np.isclose(sa, sb, rtol=1e-9, atol=1e-12)
        for (ta, sa), (tb, sb) in zip(a, b, strict=True)
    )


def _explain_beams(ex: str, name: str, got: list, expected: list, case: tuple) -> None:
    """Name the mistake that makes ``got`` differ from ``expected``."""
    beams, log_probs, k, eos = case
    finished = [t for t, _ in beams if eos is not None and t and t[-1] == eos]
    ensure(
        ex,
        not any(len(t) > len(f) and t[: len(f)] == f for t, _ in got for f in finished),
        f"{name} extends a finished beam (one that ends in eos): carry it over "
        "unchanged, with its score, as a single candidate.",
    )
    ensure(
        ex,
        all(any(t == f for t, _ in got) for f in finished if f in dict(expected)),
        f"{name} leaves out a finished beam (one that ends in eos): carry it over "
        "unchanged, with its score, as a single candidate.",
    )
    n_candidates = sum(1 if t in finished else log_probs.shape[1] for t, _ in beams)
    if len(got) != len(expected):
        ensure(
            ex,
            len(got) != k * len(beams),
            f"{name} returns {len(got)} beams, the k best of each beam: keep the k "
            "best of all candidates together.",
        )
        ensure(
            ex,
            len(got) != n_candidates,
            f"{name} returns all {len(got)} candidates: keep only the k best.",
        )
        raise CheckFailed(
            ex,
            f"{name} returns {len(got)} beams but should return {len(expected)}: the "
            "k best candidates, or all of them when there are fewer than k.",
        )
    scores = [s for _, s in got]
    same_set = _same_beams(sorted(got), sorted(expected))
    if scores == sorted(scores) and scores != sorted(scores, reverse=True):
        ensure(
            ex,
            not same_set,
            f"{name} puts the best beam last: sort by score, highest first.",
        )
        raise CheckFailed(
            ex,
            f"{name} keeps the lowest-scoring candidates: sort by score, highest "
            "first, then keep the first k.",
        )
    by_token = _beam_reference([(t, 0.0) for t, _ in beams], log_probs, k, eos)
    ensure(
        ex,
        not _same_beams(got, by_token),
        f"{name} scores each candidate by the new token alone: add the token's "
        "log-probability to its beam's score.",
    )
    ensure(
        ex,
        [t for t, _ in got] != [t for t, _ in by_token]
        or [t for t, _ in by_token] == [t for t, _ in expected],
        f"{name} picks the candidates by the new token's log-probability alone: rank "
        "them by the beam's score plus that log-probability.",
    )
    candidates = dict(_beam_reference(beams, log_probs, n_candidates, eos))
    for tokens, score in got:
        ensure(
            ex,
            tokens in candidates,
            f"{name} returns the tokens {tokens}, which do not extend any of the beams "
            "by one token.",
        )
        want = candidates[tokens]
        ensure(
            ex,
            np.isclose(score, want, rtol=1e-9, atol=1e-12),
            f"{name} gives the candidate {tokens} the score {score:.6g} but it should "
            f"be {want:.6g}: log-probabilities add up, so add the token's "
            "log-probability to its beam's score.",
        )
    ensure(
        ex,
        scores == sorted(scores, reverse=True),
        f"{name} does not sort the beams by score, highest first.",
    )
    ensure(
        ex,
        not is_close(scores, [s for _, s in expected], 1e-9, 1e-12),
        f"{name} breaks ties in the wrong order: among equal scores, the candidate "
        "from the earlier beam comes first, and within a beam the smaller token id.",
    )
    missed = next((beam for beam in expected if beam[0] not in dict(got)), None)
    if missed is None:
        raise CheckFailed(ex, f"{name} returns the same beam more than once.")
    raise CheckFailed(
        ex,
        f"{name} misses the candidate {missed[0]} with the score {missed[1]:.6g}, "
        "one of the k best.",
    )


def _check_step_case(ex: str, beam_search_step: Callable, case: tuple) -> None:
    """Compare one call of beam_search_step with the reference."""
    beams, log_probs, k, eos = case
    name = f"beam_search_step on {len(beams)} beams with k={k}" + (
        f" and eos={eos}" if eos is not None else ""
    )
    given = [(tuple(t), s) for t, s in beams]
    result = call(ex, beam_search_step, given, log_probs.copy(), k, eos)
    ensure(
        ex,
        isinstance(result, list | tuple),
        f"{name} should return a list of (tokens, score) pairs but returned "
        f"{describe(result)}.",
    )
    got = [
        _as_beam(ex, f"item {j} returned by {name}", beam)
        for j, beam in enumerate(result)
    ]
    expected = _beam_reference(beams, log_probs, k, eos)
    if not _same_beams(got, expected):
        _explain_beams(ex, name, got, expected, case)


def _beam_cases(rng: np.random.Generator) -> list[tuple]:
    """(beams, log_probs, k, eos) cases: random, with ties, too few candidates, eos."""

    def log_softmax(scores: np.ndarray) -> np.ndarray:
        return torch.log_softmax(torch.from_numpy(scores), dim=-1).numpy()

    cases = []
    beams = [((2, 4), -1.3), ((1, 3), -1.7), ((4, 4), -2.4)]
    cases.append((beams, log_softmax(rng.normal(size=(3, 6))), 3, None))
    beams = [((0,), -0.5), ((5,), -0.9)]
    cases.append((beams, log_softmax(rng.normal(size=(2, 7))), 4, None))
    cases.append(([((), 0.0)], log_softmax(rng.normal(size=(1, 3))), 5, None))
    # Ties: the same scores in both beams and twice within a beam.
    tied = np.log(np.array([[0.4, 0.2, 0.2, 0.1, 0.1], [0.4, 0.2, 0.2, 0.1, 0.1]]))
    cases.append(([((3,), -1.0), ((1,), -1.0)], tied, 4, None))
    # A finished beam (ending in eos = 0) competes with its score unchanged; its row
    # of log-probabilities, which puts almost all mass on eos again, is ignored.
    beams = [((2, 3), -1.1), ((1, 0), -1.2), ((4, 1), -1.6)]
    scores = rng.normal(size=(3, 5))
    scores[1] = [10.0, 0.0, 0.0, 0.0, 0.0]
    cases.append((beams, log_softmax(scores), 3, 0))
    beams = [((2, 0), -0.2), ((3, 4), -2.0)]
    cases.append((beams, log_softmax(rng.normal(size=(2, 5))), 2, 0))
    return cases


#: Finished hypotheses for best_hypothesis; the second holds a tie of mean scores.
HYPOTHESES = [
    [((3, 0), -1.4), ((5, 2, 4, 0), -2.0), ((1, 1, 0), -1.8)],
    [((2, 2, 0), -1.5), ((4, 0), -1.0), ((5,), -0.9)],
    [((0,), -0.8), ((6, 2, 1, 4, 0), -3.0), ((3, 0), -1.5)],
]


def _check_best_hypothesis(ex: str, best_hypothesis: Callable) -> None:
    """Check the choice of the finished hypothesis with the best mean log-probability."""
    for hypotheses in HYPOTHESES:
        name = f"best_hypothesis({hypotheses})"
        answer = call(ex, best_hypothesis, list(hypotheses))
        got = _as_beam(ex, f"the hypothesis returned by {name}", answer)
        means = [s / len(t) for t, s in hypotheses]
        expected = hypotheses[int(np.argmax(means))]  # argmax picks the first tie
        if _same_beams([got], [expected]):
            continue
        raw = hypotheses[int(np.argmax([s for _, s in hypotheses]))]
        ensure(
            ex,
            not _same_beams([got], [raw]),
            f"{name} picks the highest total log-probability, which favours short "
            "hypotheses: compare score / len(tokens) instead.",
        )
        ensure(
            ex,
            got[0] != expected[0],
            f"{name} picks the right tokens but changes their score: return the "
            "hypothesis (tokens, score) as it was given.",
        )
        ties = [h for h, m in zip(hypotheses, means, strict=True) if m == max(means)]
        ensure(
            ex,
            not any(_same_beams([got], [h]) for h in ties),
            f"{name} picks a later one of two hypotheses with the same mean score: "
            "on ties, return the first.",
        )
        raise CheckFailed(
            ex,
            f"{name} returns {answer}, but another hypothesis has a higher mean "
            "log-probability per token.",
        )


def check_beam_search(beam_search_step: Any, best_hypothesis: Any) -> None:
    """Check Exercise 4.6: one beam-search step and the length-normalised choice."""
    ex = "4.6"
    cases = _beam_cases(exercise_rng(ex))
    for case in cases:
        _check_step_case(ex, beam_search_step, case)
    _check_best_hypothesis(ex, best_hypothesis)
    passed(
        ex,
        f"beam_search_step matches the reference on {len(cases)} cases (ties and "
        "finished beams included), and best_hypothesis normalises by length.",
    )
