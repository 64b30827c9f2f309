"""Checkers for the exercises of chapter 5: attention and transformers.

Each ``check_*`` takes the student's answer (shapes, a number or functions), computes
its own reference with PyTorch (``F.scaled_dot_product_attention``,
``nn.MultiheadAttention``, the reshapes the library uses) and either prints a
confirmation or raises :class:`CheckFailed` with one sentence that names the mistake.
Checkers seed their own generators, so running them leaves the notebook's random state
as it was, and the questions about shapes and parameter counts never give the answer
away.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlbook.checks import (
    CheckFailed,
    as_number,
    call,
    check_keys,
    compare_arrays,
    compare_shape,
    describe,
    ensure,
    ensure_like,
    exercise_rng,
    float_values,
    passed,
    source_uses,
    torch_seed,
)

__all__ = [
    "check_additive_scores",
    "check_attention",
    "check_causal_mask",
    "check_context_shapes",
    "check_heads",
    "check_mha_param_count",
    "check_positional_encoding",
]


# --- private helpers ------------------------------------------------------------------


def _same(
    answer: np.ndarray | None, expected: torch.Tensor, atol: float = 1e-8
) -> bool:
    """True when ``answer`` holds the values of ``expected``; nan matches nan."""
    want = expected.detach().double().numpy()
    return (
        answer is not None
        and answer.shape == want.shape
        and bool(np.allclose(answer, want, rtol=1e-5, atol=atol, equal_nan=True))
    )


@contextlib.contextmanager
def _case(ex: str, label: str) -> Iterator[None]:
    """Start every failure inside the block with ``label``, e.g. the input's shape."""
    try:
        yield
    except CheckFailed as failure:
        if "NotImplementedError" in failure.message:  # a stub: no case to point at
            raise
        raise CheckFailed(ex, f"{label}, {failure.message}") from None


def _call_hinted(ex: str, fn: Callable, args: tuple, hints: dict[str, str]) -> Any:
    """Call the student's ``fn``; add the hint whose key appears in a crash message."""
    try:
        return call(ex, fn, *args)
    except CheckFailed as failure:
        if "NotImplementedError" in failure.message:
            raise
        for key, hint in hints.items():
            if key in failure.message:
                raise CheckFailed(
                    ex, f"{failure.message.rstrip('.')}: {hint}."
                ) from None
        raise


def _ensure_unchanged(ex: str, fn_name: str, given: dict, originals: dict) -> None:
    """Fail when the student's function changed one of its input tensors in place."""
    for name, tensor in given.items():
        ensure(
            ex,
            torch.equal(tensor, originals[name]),
            f"{fn_name} changed its input {name} in place: use operations that return "
            "a new tensor (x = x / 2, masked_fill), not in-place ones (x /= 2, "
            "masked_fill_).",
        )


# --- Exercise 5.1: shapes in the attention snippet of the slides ----------------------

#: The sizes of Exercise 5.1: features per time step, the two hidden layers of the
#: scoring network, the number of time steps and the current step t.
FEATURES, HIDDEN_1, HIDDEN_2, TOTAL_STEPS, STEP = 6, 16, 8, 10, 7


def _context_shapes() -> dict[str, tuple]:
    """Run the snippet of Exercise 5.1 on zeros; return the shape of each tensor."""
    with torch_seed(51), torch.no_grad():
        score_net = nn.Sequential(
            nn.Linear(2 * FEATURES, HIDDEN_1),
            nn.ReLU(),
            nn.Linear(HIDDEN_1, HIDDEN_2),
            nn.ReLU(),
            nn.Linear(HIDDEN_2, 1),
        )
        X = torch.zeros(TOTAL_STEPS, FEATURES)  # one sequence, no batch axis
        x_t = X[None, STEP]
        earlier = X[:STEP]
        pairs = torch.cat([earlier, x_t.expand(STEP, -1)], dim=1)
        scores = score_net(pairs)
        weights = torch.softmax(scores, dim=0)
        c = earlier.T @ weights
        x_t_with_c = torch.cat([x_t, c.T], dim=1)
    tensors = {
        "x_t": x_t,
        "earlier": earlier,
        "pairs": pairs,
        "scores": scores,
        "weights": weights,
        "c": c,
        "x_t_with_c": x_t_with_c,
    }
    return {name: tuple(tensor.shape) for name, tensor in tensors.items()}


#: A hint per tensor of Exercise 5.1 for a wrong shape; none gives a size away.
CONTEXT_HINTS = {
    "x_t": "an integer index removes its dimension, and None adds one of size 1 in "
    "front",
    "earlier": "X[:t] keeps the rows 0 to t - 1, each with all its features",
    "pairs": "expand repeats x_t along dimension 0 without copying it, and "
    "torch.cat(..., dim=1) adds up the sizes of dimension 1 and keeps dimension 0",
    "scores": "a linear layer changes only the last dimension, to its out_features",
    "weights": "a softmax changes no shape",
    "c": "a matrix product (a, b) @ (b, d) has shape (a, d), and .T swaps the two "
    "dimensions",
    "x_t_with_c": "c.T swaps the dimensions of c before the concatenation along dim=1",
}


def check_context_shapes(shapes: Any) -> None:
    """Check Exercise 5.1: the predicted shape of each tensor of the slides' code."""
    ex = "5.1"
    expected_shapes = _context_shapes()
    check_keys(
        ex, "shapes", shapes, expected_shapes, "{'x_t': (...), ...}", "one tuple"
    )
    for key, expected in expected_shapes.items():
        compare_shape(
            ex,
            f"shapes[{key!r}]",
            shapes[key],
            expected,
            reveal=False,
            hint=CONTEXT_HINTS[key],
        )
    passed(
        ex,
        "All shapes are right: the current step and its context vector sit side by "
        "side in one row.",
    )


# --- Exercise 5.2: scaled dot-product attention ---------------------------------------


def _weights(
    Q: torch.Tensor,
    K: torch.Tensor,
    mask: torch.Tensor | None,
    scale: float | None = None,
    dim: int = -1,
    fill: float = float("-inf"),
) -> torch.Tensor:
    """Attention weights softmax(Q K^T * scale) with ``mask``; variants for mistakes."""
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale
    scores = Q @ K.transpose(-2, -1) * scale  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, fill)
    return torch.softmax(scores, dim=dim)


def _attention_cases(ex: str) -> list[tuple[str, tuple, torch.Tensor | None]]:
    """Inputs of Exercise 5.2: (mask's name, (Q, K, V), mask) in float64."""
    rng = exercise_rng(ex)

    def normal(*shape: int) -> torch.Tensor:
        return torch.from_numpy(rng.normal(size=shape))

    # A random mask in which every query may see some, but not all, keys.
    scattered = torch.from_numpy(rng.random((4, 6)) < 0.5)
    scattered[:, 0], scattered[:, 1] = True, False
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    padding = torch.ones(2, 1, 1, 5, dtype=torch.bool)
    padding[0, ..., 3:] = False  # the first sequence has only 3 real tokens
    return [
        ("no mask", (normal(2, 4, 8), normal(2, 6, 8), normal(2, 6, 5)), None),
        ("a mask", (normal(2, 4, 8), normal(2, 6, 8), normal(2, 6, 5)), scattered),
        (
            "a causal mask",
            (normal(2, 3, 5, 4), normal(2, 3, 5, 4), normal(2, 3, 5, 6)),
            causal,
        ),
        (
            "a padding mask",
            (normal(2, 3, 5, 4), normal(2, 3, 5, 4), normal(2, 3, 5, 6)),
            padding,
        ),
        ("no mask", (normal(3, 4), normal(7, 4), normal(7, 2)), None),
    ]


def _check_weight_mistakes(
    ex: str, got: np.ndarray | None, QKV: tuple, mask: torch.Tensor | None
) -> None:
    """Name the classic mistakes of attention weights whose values are wrong."""
    Q, K, _ = QKV
    expected = _weights(Q, K, mask)
    if got is None or _same(got, expected):
        return
    d_k = Q.shape[-1]
    ensure(
        ex,
        not _same(got, _weights(Q, K, mask, scale=1.0)),
        "the weights are those of unscaled scores: divide Q @ K^T by sqrt(d_k) "
        "before the softmax.",
    )
    ensure(
        ex,
        not _same(got, _weights(Q, K, mask, scale=1 / d_k)),
        "the scores are divided by d_k, but they should be divided by its square "
        "root, sqrt(d_k).",
    )
    ensure(
        ex,
        not _same(got, _weights(Q, K, mask, dim=-2)),
        "the softmax runs over the queries (dim=-2): each query's weights over the "
        "keys, the last dimension, should sum to 1.",
    )
    if mask is None:
        return
    ensure(
        ex,
        not _same(got, _weights(Q, K, None)),
        "the mask is ignored: keys where the mask is False should get weight 0.",
    )
    after = _weights(Q, K, None) * mask
    ensure(
        ex,
        not _same(got, after),
        "the mask is applied after the softmax, so the weights of a query no longer "
        "sum to 1: fill the masked scores with float('-inf') before the softmax.",
    )
    ensure(
        ex,
        not _same(got, _weights(Q, K, ~mask)),
        "the mask is used the wrong way round: True marks the keys a query may attend "
        "to (as in F.scaled_dot_product_attention), False those it must ignore.",
    )
    ensure(
        ex,
        not _same(got, _weights(Q, K, mask, fill=0.0)),
        "the masked scores are set to 0, which still gives them weight: set them to "
        "float('-inf') so that the softmax gives them weight 0.",
    )


#: What a crash of attention() on one of the shapes most likely means.
ANY_RANK = (
    "write it for any number of leading dimensions: K.transpose(-2, -1) swaps the last "
    "two, and scores.masked_fill(~mask, float('-inf')) lets the mask broadcast"
)
ATTENTION_HINTS = {key: ANY_RANK for key in ("size", "shape", "imension")}


def check_attention(attention: Any) -> None:
    """Check Exercise 5.2: attention(Q, K, V, mask) against PyTorch's fused version."""
    ex = "5.2"
    for description, QKV, mask in _attention_cases(ex):
        Q, K, V = QKV
        label = f"for Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)} and "
        label += description
        label += "" if mask is None else f" of shape {tuple(mask.shape)}"
        given = {"Q": Q.clone(), "K": K.clone(), "V": V.clone()}
        args = tuple(given.values())
        if mask is not None:
            given["mask"] = mask.clone()
            args = (*args, given["mask"])
        with _case(ex, label):
            result = _call_hinted(ex, attention, args, ATTENTION_HINTS)
            _ensure_unchanged(
                ex, "attention", given, {"Q": Q, "K": K, "V": V, "mask": mask}
            )
            ensure(
                ex,
                isinstance(result, tuple | list),
                f"attention should return a pair (output, weights) but returned "
                f"{describe(result)}.",
            )
            ensure(
                ex,
                len(result) == 2,
                f"attention should return a pair (output, weights) but returned "
                f"{len(result)} values.",
            )
            output, weights = result
            expected_weights = _weights(Q, K, mask)
            expected = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask)
            shapes = [
                tuple(value.shape) if isinstance(value, torch.Tensor) else None
                for value in result
            ]
            ensure(
                ex,
                shapes != [expected_weights.shape, expected.shape]
                or expected.shape == expected_weights.shape,
                "attention returns (weights, output): return the output first.",
            )
            ensure_like(ex, "weights", weights, expected_weights)
            _check_weight_mistakes(ex, float_values(weights), QKV, mask)
            compare_arrays(ex, "weights", weights, expected_weights)
            ensure_like(ex, "output", output, expected)
            compare_arrays(ex, "output", output, expected)
    used = source_uses(attention, ("scaled_dot_product_attention",))
    ensure(
        ex,
        used is None,
        f"attention uses {used}: write the formula yourself, with matrix products "
        "and a softmax.",
    )
    passed(
        ex,
        "It agrees with F.scaled_dot_product_attention, with and without masks, for "
        "any number of leading dimensions.",
    )


# --- Exercise 5.3: a causal mask ------------------------------------------------------


def check_causal_mask(causal_mask: Any) -> None:
    """Check Exercise 5.3: causal_mask(L), True where position i may attend to j."""
    ex = "5.3"
    for L in (5, 1, 8):
        name = f"causal_mask({L})"
        expected = torch.ones(L, L, dtype=torch.bool).tril()
        answer = call(ex, causal_mask, L)
        ensure_like(ex, name, answer, expected, check_dtype=False)
        values = float_values(answer)
        if answer.dtype != torch.bool and values is not None:
            additive = np.where(expected.numpy(), 0.0, -np.inf)
            ensure(
                ex,
                not np.array_equal(values, additive),
                f"{name} is an additive float mask of 0 and -inf: here the mask should "
                "be boolean, True where attention is allowed.",
            )
            ensure(
                ex,
                not np.array_equal(values, expected.numpy()),
                f"{name} has the right pattern but dtype {answer.dtype}: make it "
                "boolean (dtype torch.bool).",
            )
        ensure(
            ex,
            answer.dtype == torch.bool,
            f"{name} has dtype {answer.dtype} but should be boolean (torch.bool), True "
            "where attention is allowed.",
        )
        if values is not None and L > 1:
            allowed = expected.numpy()
            wrong_ones = {
                "is anti-causal: each position may see the later positions instead of "
                "the earlier ones, so transpose it (tril, not triu)": allowed.T,
                "hides the diagonal: a position may attend to itself, so the diagonal "
                "should be True": np.tril(allowed, -1),
                "is True where attention is forbidden: True should mark the positions "
                "a query may attend to, itself and the earlier ones": ~allowed,
                "allows every position to see every other one: mask out the future "
                "(above the diagonal)": np.ones_like(allowed),
            }
            for message, wrong in wrong_ones.items():
                ensure(ex, not np.array_equal(values, wrong), f"{name} {message}.")
        compare_arrays(ex, name, answer, expected)
    passed(
        ex,
        "Position i may attend to positions 0 to i, as with is_causal=True in "
        "F.scaled_dot_product_attention.",
    )


# --- Exercise 5.4: splitting and merging heads ----------------------------------------


def _split(X: torch.Tensor, H: int) -> torch.Tensor:
    """Reference split: (B, L, D) -> (B, H, L, D // H), head h gets features h*d..."""
    B, L, D = X.shape
    return X.reshape(B, L, H, D // H).transpose(1, 2)


def _merge(X: torch.Tensor) -> torch.Tensor:
    """Reference merge: (B, H, L, d) -> (B, L, H * d)."""
    B, H, L, d = X.shape
    return X.transpose(1, 2).reshape(B, L, H * d)


#: Shapes (B, L, D) and numbers of heads of Exercise 5.4.
HEAD_CASES = [((2, 5, 12), 3), ((1, 4, 8), 2), ((3, 2, 6), 1), ((2, 3, 6), 6)]
VIEW_HINT = {
    "view size is not compatible": "a transposed tensor is not contiguous in memory, "
    "so use reshape (or .contiguous().view)"
}


def _check_split(ex: str, split_heads: Callable, shape: tuple, H: int) -> None:
    """Compare ``split_heads`` on one input with the reference reshape and transpose."""
    B, L, D = shape
    d = D // H
    name = f"split_heads(X of shape {shape}, num_heads={H})"
    X = torch.arange(B * L * D, dtype=torch.float32).reshape(shape)
    given = X.clone()
    answer = _call_hinted(ex, split_heads, (given, H), VIEW_HINT)
    _ensure_unchanged(ex, "split_heads", {"X": given}, {"X": X})
    expected = _split(X, H)
    got_shape = tuple(answer.shape) if isinstance(answer, torch.Tensor) else None
    ensure(
        ex,
        not (got_shape == (B, L, H, d) and L != H),
        f"{name} has shape (B, L, H, d): swap the L and H axes (transpose(1, 2)) so "
        "that each head holds its own (L, d) block.",
    )
    ensure_like(ex, name, answer, expected)
    values = float_values(answer)
    if values is not None and not _same(values, expected) and H > 1:
        ensure(
            ex,
            not _same(values, X.reshape(B, H, L, d)),
            f"{name} has the right shape but scrambled values: reshaping straight to "
            "(B, H, L, d) cuts each sequence in the wrong places; reshape to "
            "(B, L, H, d) first, then swap L and H with transpose(1, 2).",
        )
        ensure(
            ex,
            not _same(values, X.reshape(B, L, d, H).permute(0, 3, 1, 2)),
            f"{name} deals the features out to the heads like cards: head h should "
            "take the d consecutive features h * d to (h + 1) * d - 1.",
        )
    compare_arrays(ex, name, answer, expected)


def _check_merge(ex: str, merge_heads: Callable, shape: tuple, H: int) -> None:
    """Compare ``merge_heads`` on one input with the reference transpose and reshape."""
    B, L, D = shape
    d = D // H
    X = torch.arange(B * L * D, dtype=torch.float32).reshape(B, H, L, d)
    name = f"merge_heads(X of shape {(B, H, L, d)})"
    given = X.clone()
    answer = _call_hinted(ex, merge_heads, (given,), VIEW_HINT)
    _ensure_unchanged(ex, "merge_heads", {"X": given}, {"X": X})
    expected = _merge(X)
    got_shape = tuple(answer.shape) if isinstance(answer, torch.Tensor) else None
    ensure(
        ex,
        got_shape != (B, L, H, d),
        f"{name} has shape (B, L, H, d): flatten the heads back into one feature axis "
        "of size H * d.",
    )
    ensure_like(ex, name, answer, expected)
    values = float_values(answer)
    if values is not None and not _same(values, expected) and H > 1:
        ensure(
            ex,
            not _same(values, X.reshape(B, L, D)),
            f"{name} has the right shape but scrambled values: reshaping straight to "
            "(B, L, H * d) mixes positions and heads; swap H and L with "
            "transpose(1, 2) first, then reshape.",
        )
    compare_arrays(ex, name, answer, expected)


def _check_indivisible(ex: str, split_heads: Callable) -> None:
    """``split_heads`` should raise ValueError when D is not divisible by num_heads."""
    name = "split_heads(X of shape (2, 3, 10), num_heads=4)"
    try:
        answer = split_heads(torch.zeros(2, 3, 10), 4)
    except ValueError:
        return
    except NotImplementedError:
        raise CheckFailed(
            ex, "split_heads still raises NotImplementedError: replace the stub."
        ) from None
    except Exception as error:  # any other crash: say which, and what to raise
        raise CheckFailed(
            ex,
            f"{name} raised {type(error).__name__} but should raise ValueError: check "
            "that D is divisible by num_heads yourself, with a message saying so.",
        ) from None
    raise CheckFailed(
        ex,
        f"{name} returned {describe(answer)} but should raise ValueError, as 10 "
        "features cannot be shared equally among 4 heads.",
    )


def check_heads(split_heads: Any, merge_heads: Any) -> None:
    """Check Exercise 5.4: split_heads and merge_heads against reference reshapes."""
    ex = "5.4"
    for shape, H in HEAD_CASES:
        _check_split(ex, split_heads, shape, H)
    _check_indivisible(ex, split_heads)
    for shape, H in HEAD_CASES:
        _check_merge(ex, merge_heads, shape, H)
    passed(ex, "Both agree with the reshapes of the reference, and undo each other.")


# --- Exercise 5.5: parameters of a multi-head attention layer -------------------------

#: Configurations of Exercise 5.5: (embed_dim, num_heads, keyword arguments).
MHA_CASES = [
    (512, 8, {}),
    (64, 4, {}),
    (64, 16, {}),
    (64, 4, {"bias": False}),
    (32, 4, {"kdim": 20, "vdim": 12}),
    (48, 6, {"bias": False, "kdim": 16}),
]


def _mha_count(
    E: int, H: int, bias: bool = True, kdim: Any = None, vdim: Any = None
) -> int:
    """Return the number of parameters PyTorch creates for this configuration."""
    layer = nn.MultiheadAttention(E, H, bias=bias, kdim=kdim, vdim=vdim, device="meta")
    return sum(p.numel() for p in layer.parameters())


def _mha_mistakes(E: int, H: int, bias: bool, kdim: Any, vdim: Any) -> list[tuple]:
    """Wrong counts a student may arrive at, each with what it shows."""
    k = E if kdim is None else kdim
    v = E if vdim is None else vdim
    b = int(bias)
    in_weights, out_weights = E * (E + k + v), E * E
    total = in_weights + out_weights + 4 * E * b
    mistakes = [
        (
            in_weights + 3 * E * b,
            "leaves out the output projection (out_proj), the linear layer that mixes "
            "the concatenated heads",
        ),
        (
            total * H,
            "multiplies by num_heads: the heads share the embed_dim features out among "
            "themselves, so their number does not change the parameter count",
        ),
        (
            (in_weights + 3 * E * b) * H + out_weights + E * b,
            "multiplies the query, key and value projections by num_heads: the heads "
            "share those projections' embed_dim outputs among themselves",
        ),
    ]
    if bias:
        mistakes += [
            (in_weights + out_weights, "leaves out the biases"),
            (
                in_weights + out_weights + 3 * E,
                "leaves out the bias of the output projection",
            ),
            (
                in_weights + out_weights + E,
                "leaves out the biases of the query, key and value projections",
            ),
        ]
    else:
        mistakes.append((total + 4 * E, "counts biases although bias=False"))
    if kdim is not None or vdim is not None:
        mistakes.append(
            (
                4 * E * E + 4 * E * b,
                "ignores kdim and vdim: the key projection maps kdim features to "
                "embed_dim, the value projection vdim features",
            )
        )
    if kdim is not None and vdim is None:
        mistakes.append(
            (
                E * (E + 2 * k) + out_weights + 4 * E * b,
                "uses kdim for the values too: vdim=None means embed_dim, whatever "
                "kdim is",
            )
        )
    return mistakes


def check_mha_param_count(mha_param_count: Any) -> None:
    """Check Exercise 5.5: a formula for the parameters of nn.MultiheadAttention."""
    ex = "5.5"
    for E, H, kwargs in MHA_CASES:
        arguments = ", ".join(
            [str(E), str(H)] + [f"{k}={v}" for k, v in kwargs.items()]
        )
        name = f"mha_param_count({arguments})"
        answer = as_number(ex, name, call(ex, mha_param_count, E, H, **kwargs))
        ensure(
            ex,
            float(answer).is_integer(),
            f"{name} is {answer}, but a number of parameters is a whole number.",
        )
        answer = int(answer)
        expected = _mha_count(E, H, **kwargs)
        if answer == expected:
            continue
        options = {"bias": True, "kdim": None, "vdim": None, **kwargs}
        for value, message in _mha_mistakes(E, H, **options):
            ensure(ex, answer != value, f"{name} {message}.")
        try:  # a count that changes with num_heads shows a misunderstanding
            one_head = as_number(ex, name, call(ex, mha_param_count, E, 1, **kwargs))
        except CheckFailed:
            one_head = answer
        ensure(
            ex,
            one_head == answer,
            f"{name} changes with num_heads, but the heads share the embed_dim "
            "features out among themselves, so their number does not change the "
            "parameter count.",
        )
        size = "large" if answer > expected else "small"
        raise CheckFailed(
            ex,
            f"{name} is {answer}, which is too {size}: count the weights and biases "
            "of the query, key, value and output projections.",
        )
    passed(ex, "The formula agrees with nn.MultiheadAttention in every configuration.")


# --- Exercise 5.6: additive attention scores ------------------------------------------


def _additive(
    query: torch.Tensor,
    keys: torch.Tensor,
    W_a: torch.Tensor,
    V_a: torch.Tensor,
    v_a: torch.Tensor,
    activation: Callable = torch.tanh,
) -> torch.Tensor:
    """Reference e[b, t] = v_a . activation(W_a keys[b, t] + V_a query[b]): (B, T)."""
    hidden = keys @ W_a.T + (query @ V_a.T)[:, None, :]  # (B, T, r)
    return activation(hidden) @ v_a


def _additive_cases(ex: str) -> list[tuple]:
    """Inputs of Exercise 5.6, float64: (query, keys, W_a, V_a, v_a)."""
    rng = exercise_rng(ex)
    cases = []
    # (B, T, h, s, r): in the first case B == T and h == s, so that swapped weights
    # and a batch axis taken for the time axis give wrong numbers, not a crash.
    for B, T, h, s, r in [(3, 3, 4, 4, 5), (2, 5, 6, 4, 3)]:
        shapes = [(B, s), (B, T, h), (r, h), (r, s), (r,)]
        cases.append(tuple(torch.from_numpy(rng.normal(size=sh)) for sh in shapes))
    return cases


#: What a crash of additive_scores() most likely means.
ADDITIVE_HINT = (
    "W_a (r, h) multiplies every key, V_a (r, s) the query, and V_a s needs a time "
    "axis to broadcast over the T keys"
)
ADDITIVE_HINTS = {key: ADDITIVE_HINT for key in ("size", "shape", "imension")}


def check_additive_scores(additive_scores: Any) -> None:
    """Check Exercise 5.6: additive (Bahdanau) scores v_a^T tanh(W_a h_t + V_a s)."""
    ex = "5.6"
    for args in _additive_cases(ex):
        query, keys, W_a, V_a, v_a = args
        B, T, h = keys.shape
        name = f"additive_scores for query {tuple(query.shape)}, keys {(B, T, h)}"
        given = [a.clone() for a in args]
        answer = _call_hinted(ex, additive_scores, tuple(given), ADDITIVE_HINTS)
        names = ["query", "keys", "W_a", "V_a", "v_a"]
        _ensure_unchanged(
            ex,
            "additive_scores",
            dict(zip(names, given, strict=True)),
            dict(zip(names, args, strict=True)),
        )
        expected = _additive(*args)
        ensure_like(ex, name, answer, expected)
        got = float_values(answer)
        if got is not None and not _same(got, expected):
            wrong = [
                (_additive(*args, activation=lambda x: x), "leaves out the tanh"),
                (
                    torch.softmax(expected, dim=-1),
                    "returns the attention weights after a softmax: return the raw "
                    "scores e, the softmax comes later",
                ),
            ]
            if query.shape[1] == h:
                wrong.append(
                    (
                        _additive(query, keys, V_a, W_a, v_a),
                        "applies W_a to the query and V_a to the keys: W_a multiplies "
                        "each key h_t, V_a the query s",
                    )
                )
            if B == T:
                wrong.append(
                    (
                        expected.T,
                        "is transposed: row b should hold the T scores of sequence b",
                    )
                )
                mixed = torch.tanh(keys @ W_a.T + query @ V_a.T) @ v_a
                wrong.append(
                    (
                        mixed,
                        "adds the query of sequence t to key t: give V_a s a time "
                        "axis, shape (B, 1, r), so that each query meets the T keys "
                        "of its own sequence",
                    )
                )
            for values, message in wrong:
                ensure(ex, not _same(got, values), f"{name} {message}.")
        compare_arrays(ex, name, answer, expected)
    passed(ex, "The additive scores agree with v_a^T tanh(W_a h_t + V_a s).")


# --- Exercise 5.7: sinusoidal positional encoding -------------------------------------


def _encoding(L: int, d_model: int, mistake: str = "") -> torch.Tensor:
    """Sinusoidal encoding (L, d_model) in float32, or one of its classic mistakes."""
    start = 1 if mistake == "from one" else 0
    positions = torch.arange(start, start + L, dtype=torch.float64)[:, None]  # (L, 1)
    columns = torch.arange(d_model, dtype=torch.float64)  # (d_model,)
    exponent = {
        "column index": columns,  # j instead of 2i for column j
        "pair index": columns // 2,  # i instead of 2i
    }.get(mistake, 2 * (columns // 2)) / d_model
    if mistake == "multiplied":
        angles = positions * 10000.0**exponent  # (L, d_model)
    else:
        angles = positions / 10000.0**exponent  # (L, d_model)
    even = columns % 2 == 0
    if mistake == "halves":  # all sines (even columns' angles) first, then cosines
        pe = torch.cat([torch.sin(angles[:, even]), torch.cos(angles[:, even])], dim=1)
    elif mistake == "swapped":
        pe = torch.where(even, torch.cos(angles), torch.sin(angles))
    else:
        pe = torch.where(even, torch.sin(angles), torch.cos(angles))
    return pe.float()


#: The classic mistakes of Exercise 5.7 and what each message says.
ENCODING_MISTAKES = {
    "swapped": "puts the cosines in the even columns and the sines in the odd ones: "
    "column 2i holds the sine, column 2i + 1 the cosine",
    "halves": "puts all the sines first and all the cosines after them: interleave "
    "them, sines in the even columns and cosines in the odd ones",
    "column index": "gives columns 2i and 2i + 1 different frequencies: both divide "
    "the position by 10000 ** (2i / d_model)",
    "pair index": "uses i / d_model in the exponent, where i counts the pairs of "
    "columns: the exponent is 2i / d_model",
    "from one": "starts at position 1: row 0 is position 0, where the sines are 0 and "
    "the cosines 1",
    "multiplied": "multiplies the position by 10000 ** (2i / d_model): divide by it, "
    "so that the wavelengths grow from column to column",
}


def check_positional_encoding(positional_encoding: Any) -> None:
    """Check Exercise 5.7: sinusoidal positional encodings of shape (L, d_model)."""
    ex = "5.7"
    for L, d_model in [(6, 8), (50, 16), (1, 4), (10, 2)]:
        name = f"positional_encoding({L}, {d_model})"
        answer = call(ex, positional_encoding, L, d_model)
        expected = _encoding(L, d_model)
        ensure_like(ex, name, answer, expected)
        got = float_values(answer)
        if got is not None and not _same(got, expected, atol=1e-5):
            for mistake, message in ENCODING_MISTAKES.items():
                wrong = _encoding(L, d_model, mistake)
                ensure(ex, not _same(got, wrong, atol=1e-4), f"{name} {message}.")
        compare_arrays(ex, name, answer, expected, rtol=1e-4, atol=1e-5)
    passed(
        ex, "The encodings agree with the sines and cosines of the transformer paper."
    )
