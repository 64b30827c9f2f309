"""Tests of the chapter 5 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import math

import pytest
import torch
from checks_helpers import chapter_tests
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch05, one_thread, torch_seed

# --- reference answers, as in the solutions, and correct answers in other styles -------

SHAPES = {
    "x_t": (1, 6),
    "earlier": (7, 6),
    "pairs": (7, 12),
    "scores": (7, 1),
    "weights": (7, 1),
    "c": (6, 1),
    "x_t_with_c": (1, 12),
}


def attention_einsum(Q, K, V, mask=None):  # einsum, an additive mask, a list, and the fused output.
    scores = torch.einsum("...ld,...sd->...ls", Q / Q.shape[-1] ** 0.5, K)
    if mask is not None:
        scores = scores + torch.zeros_like(scores).masked_fill(~mask, -math.inf)
    weights = scores.softmax(-1)
    return [F.scaled_dot_product_attention(Q, K, V, attn_mask=mask), weights]


def attention_where(Q, K, V, mask=None):
    """torch.where with the lowest float instead of -inf, matmul and swapaxes."""
    scores = torch.matmul(Q, K.swapaxes(-1, -2)) * Q.shape[-1] ** -0.5
    if mask is not None:
        scores = torch.where(mask, scores, torch.finfo(scores.dtype).min)
    weights = F.softmax(scores, dim=-1)
    return torch.matmul(weights, V), weights


def split_view(X, h):  # view and permute; the error comes from an assert turned into ValueError.
    B, L, D = X.shape
    if D % h:
        raise ValueError("not divisible")
    return X.view(B, L, h, -1).permute(0, 2, 1, 3)


def merge_cat(X):  # The heads concatenated side by side, as in the paper's notation.
    return torch.cat(X.unbind(dim=1), dim=-1)


def split_chunks(X, h):  # torch.chunk along the features, one head after the other.
    if X.shape[-1] % h:
        raise ValueError("D must be divisible by num_heads")
    return torch.stack(X.chunk(h, dim=-1), dim=1)


def merge_einops_style(X):
    B, H, L, d = X.shape
    return X.permute(0, 2, 1, 3).contiguous().view(B, L, H * d)


def mha_by_maps(E, H, bias=True, kdim=None, vdim=None):
    """A loop over the four maps, with a NumPy-free float that is whole."""
    total = 0.0
    for n_in in (E, kdim or E, vdim or E, E):
        total += n_in * E + (E if bias else 0)
    return total


def additive_einsum(query, keys, W_a, V_a, v_a):  # einsum, unsqueeze, F.linear.
    hidden = torch.tanh(F.linear(keys, W_a) + F.linear(query, V_a).unsqueeze(1))
    return torch.einsum("btr,r->bt", hidden, v_a)


def additive_loop(query, keys, W_a, V_a, v_a):
    """A loop over the sequences of the batch, concatenated weights."""
    W = torch.cat([W_a, V_a], dim=1)  # (r, d_h + d_s)
    rows = []
    for q, ks in zip(query, keys, strict=True):
        pairs = torch.cat([ks, q.expand(len(ks), -1)], dim=1)
        rows.append(torch.tanh(pairs @ W.T) @ v_a)
    return torch.stack(rows)


def encoding_exp_log(L, d_model):
    """exp(-log(10000) ...), stacked and flattened, computed in float64."""
    p = torch.arange(L, dtype=torch.float64).unsqueeze(1)
    freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2) / d_model)
    pe = torch.stack([torch.sin(p * freq), torch.cos(p * freq)], dim=-1)
    return pe.reshape(L, d_model).float()


def encoding_loops(L, d_model):
    pe = torch.empty(L, d_model)
    for p in range(L):
        for i in range(0, d_model, 2):
            pe[p, i] = math.sin(p / 10000 ** (i / d_model))
            pe[p, i + 1] = math.cos(p / 10000 ** (i / d_model))
    return pe


class PerfectReverser(nn.Module):
    """A stand-in for a trained model: one-hot scores of the reversed tokens."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return F.one_hot(x.flip(1), ch05.VOCAB).float() * self.scale


class PositionBlind(nn.Module):
    """The Reverser of Exercise 5.8 with nothing in place of the stub: it cannot reverse."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(ch05.VOCAB, 32)
        self.encoder = nn.TransformerEncoderLayer(32, 4, 64, 0.0, batch_first=True)
        self.out = nn.Linear(32, ch05.VOCAB)

    def forward(self, x):
        return self.out(self.encoder(self.embed(x)))


class LearnedPositions(PositionBlind):
    """Positions told by learned vectors, one per position, added to the tokens' embeddings."""

    def __init__(self):
        super().__init__()
        self.positions = nn.Parameter(torch.zeros(ch05.SEQ_LEN, 32))

    def forward(self, x):
        return self.out(self.encoder(self.embed(x) + self.positions))


class SinusoidsInABuffer(LearnedPositions):
    """The sinusoidal encodings computed once, in __init__, and kept in a buffer."""

    def __init__(self):
        super().__init__()
        del self.positions
        self.register_buffer("positions", encoding_exp_log(ch05.SEQ_LEN, 32))


RIGHT = [
    (ch05.check_context_shapes, SHAPES),
    (ch05.check_context_shapes, {k: torch.Size(v) for k, v in SHAPES.items()}),
    (ch05.check_context_shapes, dict(c=(6, 1), x_t_with_c=(1, 2 * 6), pairs=(7, 12), x_t=(1, 6),
                                     earlier=(7, 6), scores=(7, 1), weights=(7, 1))),
    (ch05.check_attention, attention_einsum),
    (ch05.check_attention, attention_where),
    (ch05.check_causal_mask, lambda L: torch.tril(torch.ones(L, L)).bool()),
    (ch05.check_causal_mask, lambda L: torch.arange(L)[:, None] >= torch.arange(L)),
    (ch05.check_heads, split_view, merge_cat),
    (ch05.check_heads, split_chunks, merge_einops_style),
    (ch05.check_mha_param_count, mha_by_maps),
    (ch05.check_mha_param_count,
     lambda E, H, bias=1, kdim=0, vdim=0: E * (2 * E + (kdim or E) + (vdim or E)) + 4 * E * bias),
    (ch05.check_additive_scores, additive_einsum),
    (ch05.check_additive_scores, additive_loop),
    (ch05.check_additive_scores, lambda *a: additive_einsum(*a).float()),
    (ch05.check_positional_encoding, encoding_exp_log),
    (ch05.check_positional_encoding, encoding_loops),
    (ch05.check_reverser, PerfectReverser()),
    (ch05.check_reverser, nn.Sequential(PerfectReverser(), nn.LogSoftmax(dim=-1))),
]


CALLS = {
    "5.1": lambda wrong: ch05.check_context_shapes(wrong(SHAPES)),
    "5.2": ch05.check_attention,
    "5.3": ch05.check_causal_mask,
    "5.4": lambda wrong: ch05.check_heads(wrong, merge_cat),
    "5.4 merge": lambda wrong: ch05.check_heads(split_chunks, wrong),
    "5.5": ch05.check_mha_param_count,
    "5.6": ch05.check_additive_scores,
    "5.7": ch05.check_positional_encoding,
}


@pytest.mark.parametrize("make", [LearnedPositions, SinusoidsInABuffer])
def test_reversers_told_the_positions_in_other_ways_pass(make, capsys):
    with one_thread(), torch_seed(58):  # trained as the cell of Exercise 5.8 trains
        model, x = make(), torch.randint(0, ch05.VOCAB, (300, 64, ch05.SEQ_LEN))
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        for batch in x:
            loss = F.cross_entropy(model(batch).flatten(0, 1), batch.flip(1).flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    ch05.check_reverser(model)
    assert "passed" in capsys.readouterr().out


JUNK_FOR = [ch05.check_context_shapes, *list(CALLS.values())[1:], ch05.check_reverser]
SECRETS = {"5.5": [f" {int(mha_by_maps(*case))}" for case in ch05.MHA_CASES]}


def test_the_context_shapes_are_those_the_code_gives():
    score_net = nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1)
    )
    X, t = torch.rand(10, 6), 7
    x_t, earlier = X[None, t], X[:t]
    pairs = torch.cat([earlier, x_t.expand(t, -1)], dim=1)
    scores = score_net(pairs)
    weights = torch.softmax(scores, dim=0)
    c = earlier.T @ weights
    tensors = dict(x_t=x_t, earlier=earlier, pairs=pairs, scores=scores)
    tensors.update(weights=weights, c=c, x_t_with_c=torch.cat([x_t, c.T], dim=1))
    assert {k: tuple(v.shape) for k, v in tensors.items()} == ch05.CONTEXT_SHAPES


def in_place_attention(Q, K, V, mask=None):
    Q /= math.sqrt(Q.shape[-1])
    return attention_where(Q * math.sqrt(Q.shape[-1]), K, V, mask)


def no_value_error(X, num_heads):
    B, L, D = X.shape
    X = X[..., : D - D % num_heads]  # drops the features left over
    return X.reshape(B, L, num_heads, -1).transpose(1, 2)


def mha_built(*args, **kwargs):
    """Builds the layer, which 5.5 asks not to do."""
    return sum(p.numel() for p in nn.MultiheadAttention(*args, **kwargs).parameters())


OTHERS = [
    (ch05.check_context_shapes, ({**SHAPES, "c": [6, 1]},), "with parentheses"),
    (ch05.check_context_shapes, ({**SHAPES, "c": (6, 2)},), "dimension 1 is"),
    (ch05.check_context_shapes, ({"x_t": (1, 6)},), "has no entry 'earlier'"),
    (ch05.check_attention, (in_place_attention,), "changed its input Q in place"),
    (ch05.check_attention, (lambda Q, K, V, mask=None: attention_where(Q, K.mT, V, mask),),
     "any number of leading dimensions"),
    (ch05.check_attention, (lambda *a: attention_where(*a)[0],), "a pair (output"),
    (ch05.check_causal_mask, (lambda L: torch.ones(L, L, dtype=torch.int64).tril(),),
     "holds numbers"),
    (ch05.check_heads, (no_value_error, merge_cat), "should raise a ValueError"),
    (ch05.check_heads, (lambda X, h: X.view(*X.shape[:2], h, -1).transpose(1, 2), merge_cat),
     "raised RuntimeError"),
    (ch05.check_heads, (split_chunks, lambda X: X.transpose(1, 2).view(X.shape[0], X.shape[2], -1)),
     "use reshape"),
    (ch05.check_mha_param_count, (mha_built,), "builds a layer"),
    (ch05.check_mha_param_count, (lambda *a, **k: 1.5,), "whole number"),
    (ch05.check_mha_param_count, (lambda *a, **k: 10**7,), "too large"),
    (ch05.check_additive_scores, (lambda *a: additive_einsum(*a)[..., None],),
     "has shape (3, 3, 1)"),
    (ch05.check_positional_encoding, (lambda L, d: torch.zeros(L, d),), "should be"),
    (ch05.check_reverser, (PositionBlind(),), "treats its input as a set"),
    (ch05.check_reverser, (nn.Linear(2, 2),), "raised RuntimeError"),
]
globals().update(chapter_tests(RIGHT, CALLS, ch05.MISTAKES, JUNK_FOR, OTHERS, SECRETS))
