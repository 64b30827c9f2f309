"""Checkers for the exercises of chapter 5: attention and transformers (see dlbook.checks).

The questions about shapes and parameter counts never give the answer away.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dlbook.checks import (
    call,
    check_count,
    check_function,
    check_keys,
    compare_arrays,
    compare_shape,
    describe,
    ensure,
    ensure_like,
    exercise_rng,
    name_mistake,
    passed,
    run_trained,
    same,
    torch_seed,
)

#: Exercise 5.1: the shape of each tensor of the scoring network's code.
CONTEXT_SHAPES = {"x_t": (1, 6), "earlier": (7, 6), "pairs": (7, 12), "scores": (7, 1),
                  "weights": (7, 1), "c": (6, 1), "x_t_with_c": (1, 12)}
#: A hint per tensor of Exercise 5.1 for a wrong shape; none gives a size away.
CONTEXT_HINTS = {
    "x_t": "an integer index removes its dimension, and None adds one of size 1 in front",
    "earlier": "X[:t] keeps the rows 0 to t - 1, each with all its features",
    "pairs": "expand repeats x_t along dimension 0 without copying it, and "
    "torch.cat(..., dim=1) adds up the sizes of dimension 1 and keeps dimension 0",
    "scores": "a linear layer changes only the last dimension, to its out_features",
    "weights": "a softmax changes no shape",
    "c": "a matrix product (a, b) @ (b, d) has shape (a, d), and .T swaps the two dimensions",
    "x_t_with_c": "c.T swaps the dimensions of c before the concatenation along dim=1",
}


def _patched(**wrong: tuple) -> Any:
    """A wrong 5.1 answer: the student's shapes with ``wrong`` ones in place."""
    return lambda shapes: {**shapes, **wrong}


def _attention(Q, K, V, mask=None, scale=None, dim=-1, fill=-math.inf, after=False):
    """(output, weights) of attention; the keywords reproduce the usual mistakes."""
    scale = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale(Q.shape[-1])
    scores = Q @ K.transpose(-2, -1) * scale  # (..., L, S)
    if mask is not None and not after:
        scores = scores.masked_fill(~mask, fill)
    weights = torch.softmax(scores, dim=dim)
    if mask is not None and after:
        weights = weights * mask
    return weights @ V, weights


def _heads(X, H, order="LHd", swap=True):
    """split_heads; ``order`` and ``swap`` reproduce the usual mistakes."""
    B, L, D = X.shape
    if order == "dH":  # features dealt out like cards
        return X.reshape(B, L, D // H, H).permute(0, 3, 1, 2)
    if order == "HLd":
        return X.reshape(B, H, L, D // H)
    return X.reshape(B, L, H, D // H).transpose(1, 2) if swap else X.reshape(B, L, H, -1)


def _merged(X, swap=True, flatten=True):
    """merge_heads; ``swap`` and ``flatten`` reproduce the usual mistakes."""
    B, H, L, d = X.shape
    if not flatten:
        return X.transpose(1, 2)
    return (X.transpose(1, 2) if swap else X).reshape(B, L, H * d)


def _mha_count(E, H, bias=True, kdim=None, vdim=None, *, out=True, heads="",
               in_bias=None, out_bias=None, kv="own"):
    """Parameters of nn.MultiheadAttention by formula; keywords reproduce mistakes."""
    k = E if kdim is None or kv == "ignored" else kdim
    v = k if kv == "k for v" else E if vdim is None or kv == "ignored" else vdim
    ib = bias if in_bias is None else in_bias
    ob = bias if out_bias is None else out_bias
    qkv = (E * (E + k + v) + 3 * E * ib) * (H if heads == "qkv" else 1)
    total = qkv + (E * E + E * ob) * out
    return total * (H if heads == "all" else 1)


def _mha_layer(E: int, H: int, bias: bool, kdim: int | None, vdim: int | None) -> nn.Module:
    """nn.MultiheadAttention on the meta device (no memory, no random draws)."""
    return nn.MultiheadAttention(E, H, bias=bias, kdim=kdim, vdim=vdim, device="meta")


def _additive(query, keys, W_a, V_a, v_a, act=torch.tanh, time_axis=True):
    """Additive scores (B, T); ``act`` and ``time_axis`` reproduce the usual mistakes."""
    q = query @ V_a.T  # (B, r)
    hidden = keys @ W_a.T + (q[:, None, :] if time_axis else q)  # (B, T, r)
    return act(hidden) @ v_a


def _encoding(L: int, d_model: int, mistake: str = "") -> torch.Tensor:
    """Sinusoidal encoding (L, d_model) in float32, or one of its usual mistakes."""
    start = 1 if mistake == "from one" else 0
    positions = torch.arange(start, start + L, dtype=torch.float64)[:, None]  # (L, 1)
    columns = torch.arange(d_model, dtype=torch.float64)  # (d_model,)
    pair = {"column index": columns, "pair index": columns // 2}.get(mistake, 2 * (columns // 2))
    exponent = pair / d_model
    angles = positions * 10000.0 ** (exponent if mistake == "multiplied" else -exponent)
    even = columns % 2 == 0
    if mistake == "halves":  # all sines first, then all cosines
        pe = torch.cat([torch.sin(angles[:, even]), torch.cos(angles[:, even])], dim=1)
    else:
        sin_at = ~even if mistake == "swapped" else even
        pe = torch.where(sin_at, torch.sin(angles), torch.cos(angles))
    return pe.float()


#: Exercise 5.8: tokens, sequence length and the accuracy to reach.
VOCAB, SEQ_LEN, GOOD_ACCURACY = 10, 6, 0.9

MISTAKES = {
    "5.1": [(_patched(x_t=(6,)),
             "x_t is X[None, t]: the index t removes the step dimension, and None adds one of "
             "size 1 in front."),
            (_patched(earlier=(8, 6)), "X[:t] stops before row t."),
            (_patched(pairs=(14, 6)),
             "torch.cat(..., dim=1) puts the tensors side by side: dimension 0 stays, the "
             "sizes of dimension 1 add up."),
            (_patched(scores=(7,), weights=(7,)),
             "a linear layer keeps every dimension but the last, which becomes its "
             "out_features, even when that is 1."),
            (_patched(c=(1, 6)),
             "c is earlier.T @ weights, a (features, t) matrix times a (t, 1) one.")],
    "5.2": [(partial(_attention, scale=lambda d: 1.0),
             "the weights are those of unscaled scores: divide Q @ K^T by sqrt(d_k) before the "
             "softmax."),
            (partial(_attention, scale=lambda d: 1 / d),
             "the scores are divided by d_k, but they should be divided by its square root, "
             "sqrt(d_k)."),
            (partial(_attention, dim=-2),
             "the softmax runs over the queries (dim=-2): each query's weights over the keys, "
             "the last dimension, should sum to 1."),
            (lambda Q, K, V, mask=None: _attention(Q, K, V),
             "the mask is ignored: keys where the mask is False should get weight 0."),
            (partial(_attention, after=True),
             "the mask is applied after the softmax, so the weights of a query no longer sum "
             "to 1: fill the masked scores with float('-inf') before the softmax."),
            (lambda Q, K, V, mask=None: _attention(Q, K, V, None if mask is None else ~mask),
             "the mask is used the wrong way round: True marks the keys a query may attend to "
             "(as in F.scaled_dot_product_attention), False those it must ignore."),
            (partial(_attention, fill=0.0),
             "the masked scores are set to 0, which still gives them weight: set them to "
             "float('-inf') so that the softmax gives them weight 0."),
            (lambda *a: _attention(*a)[::-1],
             "attention returns (weights, output): return the output first.")],
    "5.3": [(lambda L: torch.ones(L, L, dtype=torch.bool).triu(),
             "the mask is anti-causal: each position sees the later positions instead of the "
             "earlier ones (tril, not triu)."),
            (lambda L: torch.ones(L, L, dtype=torch.bool).tril(-1),
             "the mask hides the diagonal: a position may attend to itself, so the diagonal "
             "should be True."),
            (lambda L: ~torch.ones(L, L, dtype=torch.bool).tril(),
             "the mask is True where attention is forbidden: True should mark the positions a "
             "query may attend to, itself and the earlier ones."),
            (lambda L: torch.ones(L, L, dtype=torch.bool),
             "the mask lets every position see every other one: mask out the future, above the "
             "diagonal."),
            (lambda L: torch.zeros(L, L).masked_fill(torch.ones(L, L).triu(1) > 0, -math.inf),
             "the mask is an additive float mask of 0 and -inf: here it should be boolean, "
             "True where attention is allowed."),
            (lambda L: torch.ones(L, L).tril(),
             "the mask has the right pattern but holds numbers: make it boolean, "
             "dtype=torch.bool.")],
    "5.4": [(partial(_heads, order="HLd"),
             "split_heads reshapes straight to (B, H, L, d), which cuts each sequence in the "
             "wrong places: reshape to (B, L, H, d) first, then swap L and H with "
             "transpose(1, 2)."),
            (partial(_heads, order="dH"),
             "split_heads deals the features out to the heads like cards: head h should take "
             "the d consecutive features h * d to (h + 1) * d - 1."),
            (partial(_heads, swap=False),
             "split_heads returns (B, L, H, d): swap the L and H axes (transpose(1, 2)) so "
             "that each head holds its own (L, d) block.")],
    "5.4 merge": [(partial(_merged, swap=False),
                   "merge_heads reshapes straight to (B, L, H * d), which mixes positions and "
                   "heads: swap H and L with transpose(1, 2) first, then reshape."),
                  (partial(_merged, flatten=False),
                   "merge_heads keeps the heads on an axis of their own: flatten them back "
                   "into one feature axis of size H * d.")],
    "5.5": [(partial(_mha_count, out=False),
             "the count leaves out the output projection (out_proj), the linear layer that "
             "mixes the concatenated heads."),
            (partial(_mha_count, heads="all"),
             "the count is multiplied by num_heads, but the heads share the embed_dim features "
             "out among themselves: their number does not change the count."),
            (partial(_mha_count, heads="qkv"),
             "the query, key and value projections are counted once per head, but the heads "
             "share those projections' embed_dim outputs among themselves."),
            (partial(_mha_count, in_bias=False, out_bias=False),
             "the count leaves out the biases: with bias=True each of the four maps has one "
             "per output."),
            (partial(_mha_count, out_bias=False),
             "the count leaves out the bias of the output projection."),
            (partial(_mha_count, in_bias=False),
             "the count leaves out the biases of the query, key and value projections."),
            (partial(_mha_count, in_bias=True, out_bias=True),
             "the count has biases although bias=False."),
            (partial(_mha_count, kv="ignored"),
             "the count ignores kdim and vdim: the key projection maps kdim features to "
             "embed_dim, the value projection vdim features."),
            (partial(_mha_count, kv="k for v"),
             "the count uses kdim for the values too: vdim=None means embed_dim, whatever kdim "
             "is.")],
    "5.6": [(partial(_additive, act=lambda x: x), "the scores leave out the tanh."),
            (lambda *a: torch.softmax(_additive(*a), dim=-1),
             "additive_scores returns the weights after a softmax: return the raw scores, the "
             "softmax comes later."),
            (lambda query, keys, W_a, V_a, v_a: _additive(query, keys, V_a, W_a, v_a),
             "W_a is applied to the query and V_a to the keys: W_a multiplies each key h_t, "
             "V_a the query s."),
            (lambda *a: _additive(*a).T,
             "the scores are transposed: row b should hold the T scores of sequence b."),
            (partial(_additive, time_axis=False),
             "the query of sequence t meets key t: give V_a s a time axis, shape (B, 1, r), so "
             "that each query meets the T keys of its own sequence.")],
    "5.7": [(partial(_encoding, mistake="swapped"),
             "the cosines are in the even columns and the sines in the odd ones: column 2i "
             "holds the sine, column 2i + 1 the cosine."),
            (partial(_encoding, mistake="halves"),
             "all the sines come first and all the cosines after them: interleave them, sines "
             "in the even columns and cosines in the odd ones."),
            (partial(_encoding, mistake="column index"),
             "columns 2i and 2i + 1 get different frequencies: both divide the position by "
             "10000 ** (2i / d_model)."),
            (partial(_encoding, mistake="pair index"),
             "the exponent is i / d_model, where i counts the pairs of columns: it is 2i / "
             "d_model."),
            (partial(_encoding, mistake="from one"),
             "the encodings start at position 1: row 0 is position 0, where the sines are 0 "
             "and the cosines 1."),
            (partial(_encoding, mistake="multiplied"),
             "the position is multiplied by 10000 ** (2i / d_model): divide by it, so that the "
             "wavelengths grow from column to column.")],
}


def check_context_shapes(shapes: Any) -> None:
    """Check Exercise 5.1: the predicted shape of each tensor of the scoring code."""
    ex = "5.1"
    check_keys(ex, "shapes", shapes, CONTEXT_SHAPES, "{'x_t': (...), ...}", "one tuple")
    if shapes != CONTEXT_SHAPES:
        name_mistake(ex, shapes, MISTAKES[ex], shapes)
    for key, want in CONTEXT_SHAPES.items():
        compare_shape(ex, f"shapes[{key!r}]", shapes[key], want, reveal=False,
                      hint=CONTEXT_HINTS[key])
    passed(ex, "All shapes are right: the current step and its context vector sit side by "
           "side in one row.")


def _attention_cases(ex: str) -> list[tuple[str, tuple]]:
    """(description, (Q, K, V[, mask])) cases of Exercise 5.2, in float64."""
    rng = exercise_rng(ex)

    def normal(*shape: int) -> torch.Tensor:
        return torch.from_numpy(rng.normal(size=shape))

    scattered = torch.from_numpy(rng.random((4, 6)) < 0.5)  # every query sees a key
    scattered[:, 0], scattered[:, 1] = True, False
    padding = torch.ones(2, 1, 1, 5, dtype=torch.bool)
    padding[0, ..., 3:] = False  # the first sequence has only 3 real tokens
    causal = torch.ones(5, 5, dtype=torch.bool).tril()
    three = (normal(2, 4, 8), normal(2, 6, 8), normal(2, 6, 5))
    four = (normal(2, 3, 5, 4), normal(2, 3, 5, 4), normal(2, 3, 5, 6))
    return [
        ("no mask", three),
        ("a mask of shape (4, 6)", (*three, scattered)),
        ("a causal mask of shape (5, 5)", (*four, causal)),
        ("a padding mask of shape (2, 1, 1, 5)", (*four, padding)),
        ("no mask", (normal(3, 4), normal(7, 4), normal(7, 2))),
    ]


#: What a crash of attention() on one of the shapes most likely means.
ANY_RANK = "write it for any number of leading dimensions: K.transpose(-2, -1) swaps the "
ANY_RANK += "last two, and scores.masked_fill(~mask, float('-inf')) lets the mask broadcast"


def check_attention(attention: Any) -> None:
    """Check Exercise 5.2: attention(Q, K, V, mask) against PyTorch's fused version."""
    ex = "5.2"
    hints = [(word, ANY_RANK) for word in ("size", "shape", "dimension")]
    for description, args in _attention_cases(ex):
        Q, K, V = args[:3]
        label = f"for Q {tuple(Q.shape)}, K {tuple(K.shape)}, V {tuple(V.shape)} and "
        got = call(ex, attention, *args, hints=hints)
        mask = args[3] if len(args) > 3 else None
        want = F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), _attention(*args)[1]
        if same(got, want):
            continue
        name_mistake(ex, got, MISTAKES[ex], *args)
        ensure(ex, isinstance(got, tuple | list) and len(got) == 2,
               f"attention should return a pair (output, weights) but returned {describe(got)}.")
        compare_arrays(ex, f"the weights {label}{description}", got[1], want[1])
        compare_arrays(ex, f"the output {label}{description}", got[0], want[0])
    passed(ex, "It agrees with F.scaled_dot_product_attention, with and without masks, for "
           "any number of leading dimensions.")


def check_causal_mask(causal_mask: Any) -> None:
    """Check Exercise 5.3: causal_mask(L), True where position i may attend to j."""
    ex = "5.3"
    for L in (5, 1, 8):
        got = call(ex, causal_mask, L)
        want = torch.ones(L, L, dtype=torch.bool).tril()
        if isinstance(got, torch.Tensor) and got.dtype == torch.bool and same(got, want):
            continue
        name_mistake(ex, got, MISTAKES[ex], L)
        compare_arrays(ex, f"causal_mask({L})", got, want)
    passed(ex, "Position i may attend to positions 0 to i, as with is_causal=True in "
           "F.scaled_dot_product_attention.")


#: Shapes (B, L, D) and numbers of heads of Exercise 5.4.
HEAD_CASES = [((2, 5, 12), 3), ((1, 4, 8), 2), ((3, 2, 6), 1), ((2, 3, 6), 6)]
VIEW_HINT = [("view size is not compatible", "a transposed tensor is not contiguous in "
              "memory, so use reshape (or .contiguous().view)")]


def check_heads(split_heads: Any, merge_heads: Any) -> None:
    """Check Exercise 5.4: split_heads and merge_heads against reference reshapes."""
    ex = "5.4"
    for (B, L, D), H in HEAD_CASES:
        X = torch.arange(B * L * D, dtype=torch.float32).reshape(B, L, D)
        for fn, args, table, want in [
            (split_heads, (X, H), MISTAKES[ex], _heads(X, H)),
            (merge_heads, (_heads(X, H).contiguous(),), MISTAKES[f"{ex} merge"], X),
        ]:
            got = call(ex, fn, *args, hints=VIEW_HINT)
            if not same(got, want):
                name_mistake(ex, got, table, *args)
                shape = tuple(args[0].shape)
                name = f"{getattr(fn, '__name__', 'your function')}(X of shape {shape})"
                compare_arrays(ex, name, got, want)
    X = torch.zeros(2, 3, 10)
    try:
        got = split_heads(X, 4)
    except ValueError:
        got = ValueError
    except Exception:  # the stub, or another error: reported in one line, with a hint
        hint = "check that D is divisible by num_heads, and raise a ValueError if not"
        got = call(ex, split_heads, X, 4, hints=[("", hint)])
    ensure(ex, got is ValueError,
           f"split_heads(X of shape (2, 3, 10), num_heads=4) returned {describe(got)} "
           "but should raise a ValueError, as 10 features cannot be shared equally among "
           "4 heads.")
    passed(ex, "Both agree with the reshapes of nn.MultiheadAttention, and undo each other.")


#: Configurations of Exercise 5.5: (embed_dim, num_heads, bias, kdim, vdim).
MHA_CASES = [(512, 8, True, None, None), (64, 4, True, None, None), (64, 16, True, None, None),
             (64, 4, False, None, None), (32, 4, True, 20, 12), (48, 6, False, 16, None)]


def check_mha_param_count(mha_param_count: Any) -> None:
    """Check Exercise 5.5: a formula for the parameters of nn.MultiheadAttention."""
    check_count("5.5", mha_param_count, MHA_CASES, _mha_layer, MISTAKES["5.5"], "count the "
                "weights and biases of the query, key, value and output projections",
                ["bias", "kdim", "vdim"])
    passed("5.5", "The formula agrees with nn.MultiheadAttention in every configuration.")


def check_additive_scores(additive_scores: Any) -> None:
    """Check Exercise 5.6: additive (Bahdanau) scores v_a^T tanh(W_a h_t + V_a s)."""
    ex = "5.6"
    rng = exercise_rng(ex)
    cases = []
    # (B, T, d_h, d_s, r): in the first case B == T and d_h == d_s, so that swapped
    # weights and a missing time axis give wrong numbers rather than a crash.
    for B, T, h, s, r in [(3, 3, 4, 4, 5), (2, 5, 6, 4, 3)]:
        shapes = [(B, s), (B, T, h), (r, h), (r, s), (r,)]
        cases.append(tuple(torch.from_numpy(rng.normal(size=sh)) for sh in shapes))
    check_function(ex, additive_scores, _additive, cases, MISTAKES[ex])
    passed(ex, "The additive scores agree with v_a^T tanh(W_a h_t + V_a s).")


def check_positional_encoding(positional_encoding: Any) -> None:
    """Check Exercise 5.7: sinusoidal positional encodings of shape (L, d_model)."""
    ex = "5.7"
    cases = [(6, 8), (50, 16), (1, 4), (10, 2)]
    check_function(ex, positional_encoding, _encoding, cases, MISTAKES[ex], rtol=1e-4, atol=1e-5)
    passed(ex, "The encodings agree with the sines and cosines of the transformer paper.")


def check_reverser(model: Any) -> None:
    """Check Exercise 5.8: the trained model reverses new sequences of tokens."""
    ex = "5.8"
    with torch_seed(58):
        X = torch.randint(0, VOCAB, (2000, SEQ_LEN))  # (N, L)
    scores = run_trained(ex, model, X)
    ensure_like(ex, "the model's output", scores, torch.empty(2000, SEQ_LEN, VOCAB),
                check_dtype=False)
    accuracy = float((scores.argmax(-1).cpu() == X.flip(1)).float().mean())
    advice = ("can it tell where each token stands? Self-attention alone treats its input as "
              "a set." if accuracy < 0.5 else "train it for more steps.")
    ensure(ex, accuracy >= GOOD_ACCURACY, f"the model puts {accuracy:.1%} of the tokens of "
           f"new sequences in the right place, below {GOOD_ACCURACY:.0%}: {advice}")
    passed(ex, f"It reverses new sequences, {accuracy:.1%} of their tokens right.")
