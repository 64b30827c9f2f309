"""Unit tests of dlbook.tasks: the dates task."""

import datetime

import pytest
import torch

from dlbook.tasks import (
    DATE_END,
    DATE_FORMATS,
    DATE_OUT_CHARS,
    DATE_START,
    PAD,
    date_vocab,
    encode_dates,
    make_dates,
    ordinal,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"),
     (13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (31, "31st"), (111, "111th")],
)
def test_ordinal(n, text):
    assert ordinal(n) == text


def test_formats_write_one_date_eleven_ways():
    d = datetime.date(2021, 3, 3)  # a Wednesday
    written = [f(d) for f in DATE_FORMATS]
    assert len(set(written)) == len(DATE_FORMATS) == 11
    assert "03/03/21" in written
    assert "Wednesday, March 3rd, 2021" in written
    assert "Wednesday the 3rd of march, 2021" in written
    assert "3/3/2021" in written and "2021/3/3" in written


def test_make_dates_is_reproducible_and_in_range():
    pairs = make_dates(500, seed=7)
    assert pairs == make_dates(500, seed=7)
    assert pairs != make_dates(500, seed=8)
    for src, iso in pairs:
        d = datetime.date.fromisoformat(iso)
        assert DATE_START <= d <= DATE_END
        assert src in {f(d) for f in DATE_FORMATS}
    assert len({src for src, _ in pairs}) > 450  # almost all different


def test_date_vocab_puts_padding_first():
    vocab = date_vocab([("3 May 2001", "2001-05-03"), ("4.5.2001", "2001-05-04")])
    assert vocab[0] == PAD
    assert vocab[1:] == sorted(set("3 May 2001" + "4.5.2001"))


def test_encode_dates_pads_and_round_trips():
    pairs = make_dates(50, seed=3)
    vocab = date_vocab(pairs)
    X, lengths, Y = encode_dates(pairs, vocab)
    assert X.dtype == Y.dtype == torch.long
    assert X.shape == (50, int(lengths.max())) and Y.shape == (50, 10)
    for i, (src, iso) in enumerate(pairs):
        assert lengths[i] == len(src)
        assert "".join(vocab[k] for k in X[i, : len(src)]) == src
        assert (X[i, len(src) :] == 0).all()  # padding
        assert "".join(DATE_OUT_CHARS[k] for k in Y[i]) == iso
    assert (Y != 0).all()  # index 0 is the start symbol, never a target
