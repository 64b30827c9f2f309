"""Tests of the chapter 5 checkers: right answers pass, wrong ones are explained."""

from __future__ import annotations

import math
import re

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
from torch.nn import functional as F

from dlbook.checks import ch05

# --- reference answers ----------------------------------------------------------------

SHAPES = {
    "x_t": (1, 6),
    "earlier": (7, 6),
    "pairs": (7, 12),
    "scores": (7, 1),
    "weights": (7, 1),
    "c": (6, 1),
    "x_t_with_c": (1, 12),
}


def attention(Q, K, V, mask=None):
    """Reference scaled dot-product attention returning (output, weights)."""
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])  # (..., L, S)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ V, weights


def causal_mask(L):
    """Reference causal mask: True on and below the diagonal."""
    return torch.ones(L, L, dtype=torch.bool).tril()


def split_heads(X, num_heads):
    """Reference split (B, L, D) -> (B, H, L, D // H)."""
    B, L, D = X.shape
    if D % num_heads:
        raise ValueError(f"{D} features cannot be split into {num_heads} heads")
    return X.reshape(B, L, num_heads, D // num_heads).transpose(1, 2)


def merge_heads(X):
    """Reference merge (B, H, L, d) -> (B, L, H * d)."""
    B, H, L, d = X.shape
    return X.transpose(1, 2).reshape(B, L, H * d)


def mha_param_count(embed_dim, num_heads, bias=True, kdim=None, vdim=None):
    """Reference parameter count of nn.MultiheadAttention."""
    E = embed_dim
    k = E if kdim is None else kdim
    v = E if vdim is None else vdim
    return E * (E + k + v) + E * E + (4 * E if bias else 0)


def additive_scores(query, keys, W_a, V_a, v_a):
    """Reference additive scores (B, T)."""
    return torch.tanh(keys @ W_a.T + (query @ V_a.T)[:, None, :]) @ v_a


def positional_encoding(L, d_model):
    """Reference sinusoidal encoding (L, d_model) in float32."""
    positions = torch.arange(L, dtype=torch.float32)[:, None]
    base = 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    pe = torch.zeros(L, d_model)
    pe[:, 0::2] = torch.sin(positions / base)
    pe[:, 1::2] = torch.cos(positions / base)
    return pe


# --- right answers pass ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "args"),
    [
        (ch05.check_context_shapes, (SHAPES,)),
        (ch05.check_attention, (attention,)),
        (ch05.check_causal_mask, (causal_mask,)),
        (ch05.check_heads, (split_heads, merge_heads)),
        (ch05.check_mha_param_count, (mha_param_count,)),
        (ch05.check_additive_scores, (additive_scores,)),
        (ch05.check_positional_encoding, (positional_encoding,)),
    ],
)
def test_reference_answers_pass(checker, args, capsys):
    checker(*args)
    assert re.match(r"\N{CHECK MARK} Exercise 5\.\d passed\.", capsys.readouterr().out)


def attention_einsum(Q, K, V, mask=None):
    """Another right answer: einsum, a large negative fill, a list as the result."""
    scores = torch.einsum("...ld,...sd->...ls", Q, K) * Q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.tensor(-1e30, dtype=scores.dtype))
    weights = scores.softmax(-1)
    return [torch.einsum("...ls,...sv->...lv", weights, V), weights]


def causal_mask_compare(L):
    """Another right answer: compare positions."""
    positions = torch.arange(L)
    return positions[None, :] <= positions[:, None]


def split_heads_view(X, num_heads):
    """Another right answer: unflatten and permute."""
    if X.shape[-1] % num_heads != 0:
        raise ValueError("embed_dim must be divisible by num_heads")
    return X.unflatten(-1, (num_heads, -1)).permute(0, 2, 1, 3)


def merge_heads_cat(X):
    """Another right answer: concatenate the heads."""
    return torch.cat(X.unbind(1), dim=-1)


def mha_count_float(embed_dim, num_heads, bias=True, kdim=None, vdim=None):
    """Another right answer, as a float."""
    return float(mha_param_count(embed_dim, num_heads, bias, kdim, vdim))


def additive_scores_loop(query, keys, W_a, V_a, v_a):
    """Another right answer: a loop over the keys."""
    columns = [torch.tanh(k @ W_a.T + query @ V_a.T) @ v_a for k in keys.unbind(1)]
    return torch.stack(columns, dim=1)


def positional_encoding_where(L, d_model):
    """Another right answer: computed in float64, cast at the end."""
    angles = torch.arange(L)[:, None] / 10000 ** (
        (torch.arange(d_model) // 2 * 2) / d_model
    )
    columns = torch.arange(d_model)
    return torch.where(columns % 2 == 0, angles.sin(), angles.cos()).float()


@pytest.mark.parametrize(
    ("checker", "args"),
    [
        (ch05.check_context_shapes, ({k: torch.Size(v) for k, v in SHAPES.items()},)),
        (ch05.check_attention, (attention_einsum,)),
        (ch05.check_causal_mask, (causal_mask_compare,)),
        (ch05.check_heads, (split_heads_view, merge_heads_cat)),
        (ch05.check_mha_param_count, (mha_count_float,)),
        (ch05.check_additive_scores, (additive_scores_loop,)),
        (ch05.check_positional_encoding, (positional_encoding_where,)),
    ],
)
def test_other_right_answers_pass(checker, args, capsys):
    checker(*args)
    assert "passed" in capsys.readouterr().out


def test_checkers_leave_the_random_state_alone():
    torch.manual_seed(3)
    np.random.seed(3)
    before = torch.get_rng_state(), np.random.get_state()[1].copy()
    ch05.check_context_shapes(SHAPES)
    ch05.check_attention(attention)
    ch05.check_additive_scores(additive_scores)
    assert torch.equal(torch.get_rng_state(), before[0])
    assert np.array_equal(np.random.get_state()[1], before[1])


# --- Exercise 5.1 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"x_t": (6,)}, "shapes['x_t'] has 1 dimension but the output has 2"),
        ({"x_t": (6,)}, "None adds one of size 1 in front"),
        ({"earlier": (8, 6)}, "dimension 0 is wrong (counting from 0)"),
        ({"pairs": (7, 6)}, "adds up the sizes of dimension 1"),
        ({"scores": (7, 12)}, "a linear layer changes only the last dimension"),
        ({"weights": (1, 7)}, "are wrong (counting from 0); a softmax changes no"),
        ({"c": (1, 6)}, "in shapes['c'], dimensions 0 and 1 are wrong"),
        ({"x_t_with_c": (1, 7)}, "c.T swaps the dimensions of c"),
        ({"c": [6, 1]}, "written with parentheses like (2, 3)"),
        ({"c": (6.0, 1)}, "should hold only integers, but holds a float"),
    ],
)
def test_context_shapes_wrong(changes, phrase):
    message = failure(ch05.check_context_shapes, {**SHAPES, **changes})
    assert phrase in message
    for key, value in changes.items():  # the right shape is never given away
        assert str(SHAPES[key]) not in message.replace(str(value), "")


def test_context_shapes_badly_formed():
    without_c = {k: v for k, v in SHAPES.items() if k != "c"}
    assert "has no entry 'c'" in failure(ch05.check_context_shapes, without_c)
    extra = {**SHAPES, "context": (6, 1)}
    assert "unexpected key 'context'" in failure(ch05.check_context_shapes, extra)
    message = failure(ch05.check_context_shapes, list(SHAPES.values()))
    assert "shapes should be a dict" in message and "is a list" in message


# --- Exercise 5.2 ---------------------------------------------------------------------


def attention_with(scale=None, dim=-1, fill=float("-inf"), invert=False, after=False):
    """An attention built like the reference, with one thing changed."""

    def attend(Q, K, V, mask=None):
        factor = 1 / math.sqrt(Q.shape[-1]) if scale is None else scale(Q.shape[-1])
        scores = Q @ K.transpose(-2, -1) * factor
        if mask is not None and invert:
            mask = ~mask
        if mask is not None and not after:
            scores = scores.masked_fill(~mask, fill)
        weights = torch.softmax(scores, dim=dim)
        if mask is not None and after:
            weights = weights * mask
        return weights @ V, weights

    return attend


def attention_3d_only(Q, K, V, mask=None):
    """Wrong: a transpose that needs exactly three dimensions."""
    scores = Q @ K.transpose(1, 2) / math.sqrt(Q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ V, weights


def attention_indexing(Q, K, V, mask=None):
    """Wrong: boolean indexing, which does not broadcast the mask."""
    scores = Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1])
    if mask is not None:
        scores[~mask] = float("-inf")
    weights = torch.softmax(scores, dim=-1)
    return weights @ V, weights


def attention_in_place(Q, K, V, mask=None):
    """Wrong: scales the caller's Q."""
    Q /= math.sqrt(Q.shape[-1])
    weights = torch.softmax(Q @ K.transpose(-2, -1), dim=-1)
    if mask is not None:
        weights = torch.softmax(
            (Q @ K.transpose(-2, -1)).masked_fill(~mask, float("-inf")), dim=-1
        )
    return weights @ V, weights


def attention_sdpa(Q, K, V, mask=None):
    """Wrong: calls the library for the output."""
    _, weights = attention(Q, K, V, mask)
    return F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), weights


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (attention_with(scale=lambda d: 1.0), "unscaled scores: divide Q @ K^T by"),
        (attention_with(scale=lambda d: 1 / d), "divided by d_k, but they should be"),
        (attention_with(dim=-2), "the softmax runs over the queries (dim=-2)"),
        (attention_with(fill=0.0), "masked scores are set to 0"),
        (attention_with(invert=True), "the mask is used the wrong way round"),
        (attention_with(after=True), "the mask is applied after the softmax"),
        (lambda Q, K, V, mask=None: attention(Q, K, V), "the mask is ignored"),
        (
            lambda Q, K, V, mask=None: attention(Q, K, V, mask)[0],
            "should return a pair (output, weights) but returned a tensor",
        ),
        (
            lambda Q, K, V, mask=None: attention(Q, K, V, mask)[::-1],
            "returns (weights, output): return the output first",
        ),
        (
            lambda Q, K, V, mask=None: (*attention(Q, K, V, mask), Q),
            "but returned 3 values",
        ),
        (
            attention_3d_only,
            "for Q (2, 3, 5, 4), K (2, 3, 5, 4), V (2, 3, 5, 6) and a causal",
        ),
        (attention_3d_only, "K.transpose(-2, -1) swaps the last two"),
        (attention_indexing, "masked_fill(~mask, float('-inf')) lets the mask broad"),
        (attention_in_place, "attention changed its input Q in place"),
        (attention_sdpa, "attention uses scaled_dot_product_attention itself"),
        (
            lambda *args: (attention(*args)[0] + 1e-3, attention(*args)[1]),
            "no mask, output[0, 0, 0] is",
        ),
        (
            lambda *args: (attention(*args)[0], attention(*args)[1].float()),
            "weights has dtype torch.float32 but should have torch.float64",
        ),
        (
            lambda *args: (attention(*args)[0].numpy(), attention(*args)[1]),
            "output should be a tensor but is a NumPy array",
        ),
        (
            lambda Q, K, V, mask=None: attention(Q, K, V, mask=mask)[1].sum(-1),
            "should return a pair (output, weights)",
        ),
    ],
)
def test_attention_wrong(fn, phrase):
    assert phrase in failure(ch05.check_attention, fn)


def test_attention_names_the_case():
    message = failure(ch05.check_attention, attention_with(after=True))
    assert message.startswith(
        "Exercise 5.2: for Q (2, 4, 8), K (2, 6, 8), V (2, 6, 5) and a mask of "
        "shape (4, 6), the mask is applied after"
    )


def test_attention_stub():
    def attention(Q, K, V, mask=None):
        raise NotImplementedError("Exercise 5.2: Scaled dot-product attention")

    message = failure(ch05.check_attention, attention)
    assert message == (
        "Exercise 5.2: attention still raises NotImplementedError: replace the stub "
        "with your code."
    )


# --- Exercise 5.3 ---------------------------------------------------------------------


def seed_style_mask(L):
    """Wrong here: the slides' additive float mask."""
    mask = (torch.triu(torch.ones(L, L)) == 1).transpose(0, 1)
    return (
        mask.float().masked_fill(mask == 0, float("-inf")).masked_fill(mask == 1, 0.0)
    )


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda L: causal_mask(L).T, "causal_mask(5) is anti-causal"),
        (lambda L: torch.ones(L, L, dtype=torch.bool).tril(-1), "hides the diagonal"),
        (lambda L: ~causal_mask(L), "is True where attention is forbidden"),
        (
            lambda L: torch.ones(L, L, dtype=torch.bool).triu(1),
            "is True where attention is forbidden",
        ),
        (
            lambda L: torch.ones(L, L, dtype=torch.bool),
            "allows every position to see every other one",
        ),
        (seed_style_mask, "is an additive float mask of 0 and -inf"),
        (lambda L: torch.ones(L, L).tril(), "has the right pattern but dtype torch.f"),
        (
            lambda L: torch.ones(L, L, dtype=torch.int64).triu(),
            "has dtype torch.int64 but should be boolean",
        ),
        (
            lambda L: causal_mask(L)[None],
            "causal_mask(5) has shape (1, 5, 5) but should have shape (5, 5)",
        ),
        (lambda L: causal_mask(L).numpy(), "should be a tensor but is a NumPy array"),
        (
            lambda L: causal_mask(5),
            "causal_mask(1) has shape (5, 5) but should have shape (1, 1)",
        ),
    ],
)
def test_causal_mask_wrong(fn, phrase):
    assert phrase in failure(ch05.check_causal_mask, fn)


# --- Exercise 5.4 ---------------------------------------------------------------------


def split_straight(X, num_heads):
    """Wrong: reshapes straight to (B, H, L, d)."""
    B, L, D = X.shape
    return X.reshape(B, num_heads, L, D // num_heads)


def split_dealt(X, num_heads):
    """Wrong: head h gets every H-th feature."""
    B, L, D = X.shape
    return X.reshape(B, L, D // num_heads, num_heads).permute(0, 3, 1, 2)


def split_no_transpose(X, num_heads):
    """Wrong: forgets to swap L and H."""
    B, L, D = X.shape
    return X.reshape(B, L, num_heads, D // num_heads)


def split_no_check(X, num_heads):
    """Wrong: lets reshape complain about an indivisible D."""
    B, L, D = X.shape
    return X.reshape(B, L, num_heads, D // num_heads).transpose(1, 2)


def split_floor(X, num_heads):
    """Wrong: silently drops the features that do not fit."""
    B, L, D = X.shape
    d = D // num_heads
    return X[..., : num_heads * d].reshape(B, L, num_heads, d).transpose(1, 2)


def split_in_place(X, num_heads):
    """Wrong: transposes the caller's tensor."""
    B, L, D = X.shape
    return X.unsqueeze_(2).reshape(B, L, num_heads, -1).transpose(1, 2)


def merge_straight(X):
    """Wrong: reshapes straight to (B, L, D)."""
    B, H, L, d = X.shape
    return X.reshape(B, L, H * d)


def merge_view(X):
    """Wrong: view on a transposed tensor."""
    B, H, L, d = X.shape
    return X.transpose(1, 2).view(B, L, H * d)


@pytest.mark.parametrize(
    ("split", "merge", "phrase"),
    [
        (split_straight, merge_heads, "right shape but scrambled values: reshaping s"),
        (split_dealt, merge_heads, "deals the features out to the heads like cards"),
        (split_no_transpose, merge_heads, "has shape (B, L, H, d): swap the L and H"),
        (split_no_check, merge_heads, "raised RuntimeError but should raise ValueErr"),
        (split_floor, merge_heads, "but should raise ValueError, as 10 features"),
        (split_in_place, merge_heads, "split_heads changed its input X in place"),
        (split_heads, merge_straight, "(B, L, H * d) mixes positions and heads"),
        (split_heads, merge_view, "not contiguous in memory, so use reshape"),
        (
            split_heads,
            lambda X: X.transpose(1, 2),
            "has shape (B, L, H, d): flatten the heads back",
        ),
        (
            split_heads,
            lambda X: merge_heads(X).double(),
            "has dtype torch.float64 but should have torch.float32",
        ),
        (
            lambda X, H: split_heads(X, H).numpy(),
            merge_heads,
            "should be a tensor but is a NumPy array",
        ),
        (raises_not_implemented, merge_heads, "still raises NotImplementedError"),
        (split_heads, raises_not_implemented, "still raises NotImplementedError"),
    ],
)
def test_heads_wrong(split, merge, phrase):
    assert phrase in failure(ch05.check_heads, split, merge)


# --- Exercise 5.5 ---------------------------------------------------------------------


def count_with(**changes):
    """A parameter count built like the reference, with parts left out or changed."""

    def count(embed_dim, num_heads, bias=True, kdim=None, vdim=None):
        E = embed_dim
        k = E if kdim is None or changes.get("no_kdim") else kdim
        v = E if vdim is None or changes.get("no_kdim") else vdim
        if changes.get("vdim_from_kdim") and vdim is None:
            v = k
        inputs = E * (E + k + v)
        out = 0 if changes.get("no_out") else E * E
        biases = 4 * E if (bias or changes.get("always_bias")) else 0
        if changes.get("no_bias") or changes.get("no_out"):
            biases = 3 * E * (bias and not changes.get("no_bias"))
        total = inputs + out + biases
        return total * num_heads if changes.get("times_heads") else total

    return count


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (count_with(no_out=True), "mha_param_count(512, 8) leaves out the output pro"),
        (count_with(no_bias=True), "mha_param_count(512, 8) leaves out the biases"),
        (count_with(times_heads=True), "multiplies by num_heads"),
        (count_with(always_bias=True), "counts biases although bias=False"),
        (count_with(no_kdim=True), "kdim=20, vdim=12) ignores kdim and vdim"),
        (count_with(vdim_from_kdim=True), "uses kdim for the values too"),
        (
            lambda E, H, bias=True, kdim=None, vdim=None: 4 * E * E // H + 4 * E * bias,
            "mha_param_count(512, 8) changes with num_heads",
        ),
        (
            lambda E, H, bias=True, kdim=None, vdim=None: (
                mha_param_count(E, H, bias, kdim, vdim) + 1
            ),
            "mha_param_count(512, 8) is 1050625, which is too large",
        ),
        (
            lambda E, H, bias=True, kdim=None, vdim=None: 2.5,
            "is 2.5, but a number of parameters is a whole number",
        ),
        (lambda E, H, **kwargs: "1050624", "should be a number but is a str"),
        (lambda E, H: 4 * E * E + 4 * E, "raised TypeError"),
    ],
)
def test_mha_param_count_wrong(fn, phrase):
    message = failure(ch05.check_mha_param_count, fn)
    assert phrase in message
    assert "1050624" not in message.replace('"1050624"', "")  # the count stays secret


# --- Exercise 5.6 ---------------------------------------------------------------------


def additive_with(activation=torch.tanh, swap=False, batch_as_time=False):
    """Additive scores built like the reference, with one thing changed."""

    def scores(query, keys, W_a, V_a, v_a):
        if swap:
            W_a, V_a = V_a, W_a
        from_query = query @ V_a.T  # (B, r)
        if not batch_as_time:
            from_query = from_query[:, None, :]
        return activation(keys @ W_a.T + from_query) @ v_a

    return scores


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (additive_with(activation=lambda x: x), "leaves out the tanh"),
        (additive_with(swap=True), "applies W_a to the query and V_a to the keys"),
        (additive_with(batch_as_time=True), "adds the query of sequence t to key t"),
        (
            lambda *args: additive_scores(*args).softmax(-1),
            "returns the attention weights after a softmax",
        ),
        (additive_with(activation=torch.relu), "this tensor has the right shape"),
        (lambda q, k, W, V, v: torch.tanh(k @ W + q @ V) @ v, "V_a s needs a time"),
        (lambda *args: additive_scores(*args).T, "is transposed: row b should"),
        (lambda *args: additive_scores(*args).float(), "has dtype torch.float32"),
    ],
)
def test_additive_scores_wrong(fn, phrase):
    assert phrase in failure(ch05.check_additive_scores, fn)


def test_additive_transposed_output_names_the_shape():
    def transposed_if_not_square(*args):
        scores = additive_scores(*args)
        return scores if scores.shape[0] == scores.shape[1] else scores.T

    message = failure(ch05.check_additive_scores, transposed_if_not_square)
    assert (
        "additive_scores for query (2, 4), keys (2, 5, 6) has shape (5, 2)" in message
    )


# --- Exercise 5.7 ---------------------------------------------------------------------


def encoding_with(mistake):
    """The reference encoding with one mistake (from the checker's own variants)."""
    return lambda L, d_model: ch05._encoding(L, d_model, mistake)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (encoding_with("swapped"), "puts the cosines in the even columns"),
        (encoding_with("halves"), "puts all the sines first"),
        (encoding_with("column index"), "gives columns 2i and 2i + 1 different freq"),
        (encoding_with("pair index"), "uses i / d_model in the exponent"),
        (encoding_with("from one"), "starts at position 1"),
        (encoding_with("multiplied"), "multiplies the position by 10000"),
        (
            lambda L, d: positional_encoding(L, d).double(),
            "has dtype torch.float64 but should have torch.float32",
        ),
        (
            lambda L, d: positional_encoding(L, d).T,
            "positional_encoding(6, 8) has shape (8, 6) but should have shape (6, 8)",
        ),
        (
            lambda L, d: positional_encoding(L, d) * 1.01,
            "this tensor has the right shape",
        ),
        (lambda L, d: positional_encoding(L, d).numpy(), "should be a tensor"),
    ],
)
def test_positional_encoding_wrong(fn, phrase):
    assert phrase in failure(ch05.check_positional_encoding, fn)


def test_positional_encoding_written_by_hand():
    """The classic mistakes as students write them, not the checker's variants."""

    def halves(L, d_model):
        positions = torch.arange(L, dtype=torch.float32)[:, None]
        base = 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
        return torch.cat([torch.sin(positions / base), torch.cos(positions / base)], 1)

    def by_column(L, d_model):
        positions = torch.arange(L, dtype=torch.float32)[:, None]
        angles = positions / 10000 ** (torch.arange(d_model) / d_model)
        angles[:, 0::2] = angles[:, 0::2].sin()
        angles[:, 1::2] = angles[:, 1::2].cos()
        return angles

    assert "puts all the sines first" in failure(ch05.check_positional_encoding, halves)
    message = failure(ch05.check_positional_encoding, by_column)
    assert "different frequencies" in message


# --- robustness: junk never crashes a checker -----------------------------------------


class NotATensor:
    """An object with a shape that is not a tensor."""

    shape = (2, 4, 5)


JUNK = [
    *COMMON_JUNK,
    True,
    np.zeros((3, 3), dtype=object),
    np.full((2, 4, 6), np.nan),
    torch.zeros(3, 3, dtype=torch.bfloat16),
    torch.zeros(2, 4, 6, dtype=torch.float64, device="meta"),
    torch.zeros(5, 5, dtype=torch.bool, device="meta"),
    torch.full((1,), float("nan")),
    NotATensor(),
    nn.Module,
    nn.MultiheadAttention(8, 2),
]


@pytest.mark.parametrize(
    "junk", JUNK, ids=lambda j: getattr(j, "__name__", type(j).__name__)
)
def test_junk_only_ever_raises_check_failed(junk):
    failure(ch05.check_context_shapes, junk)
    failure(ch05.check_context_shapes, {**SHAPES, "c": junk})
    failure(ch05.check_context_shapes, {**SHAPES, "c": (junk, 1)})
    for checker in (
        ch05.check_attention,
        ch05.check_causal_mask,
        ch05.check_mha_param_count,
        ch05.check_additive_scores,
        ch05.check_positional_encoding,
    ):
        failure(checker, junk)
        failure(checker, returning(junk))
    failure(ch05.check_attention, returning((junk, junk)))
    failure(ch05.check_attention, lambda *a, **k: (attention(*a, **k)[0], junk))
    failure(ch05.check_attention, lambda *a, **k: (junk, attention(*a, **k)[1]))
    failure(ch05.check_heads, junk, merge_heads)
    failure(ch05.check_heads, split_heads, junk)
    failure(ch05.check_heads, returning(junk), merge_heads)
    failure(ch05.check_heads, split_heads, returning(junk))


def test_stub_message_names_the_function():
    message = failure(ch05.check_positional_encoding, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch05.check_causal_mask, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
