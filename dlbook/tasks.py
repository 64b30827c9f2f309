"""Synthetic sequence tasks shared by several notebooks: dates written in many formats.

A date such as "Wednesday, March 3rd, 2021" or "03/03/21" is to be rewritten as
``2021-03-03``. :func:`make_dates` draws reproducible (written, ISO) pairs;
:func:`date_vocab` and :func:`encode_dates` turn them into padded index tensors.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable

import torch

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
            "Sunday"]

#: First and last day drawn: a two-digit year 50-99 means 19xx, 00-49 means 20xx.
DATE_START, DATE_END = datetime.date(1950, 1, 1), datetime.date(2049, 12, 31)

#: Output characters: the start symbol ``^`` (index 0), the ten digits and the hyphen.
DATE_OUT_CHARS = ["^"] + list("0123456789-")

#: The input's padding symbol, index 0 of every input vocabulary.
PAD = "<pad>"


def ordinal(n: int) -> str:
    """Write ``n`` as an English ordinal: 1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    if 11 <= n % 100 <= 13:
        return f"{n}th"
    return f"{n}" + {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")


def _month(d: datetime.date) -> str:
    return MONTHS[d.month - 1]


def _weekday(d: datetime.date) -> str:
    return WEEKDAYS[d.weekday()]


#: Eleven human formats; "dd/mm/yy" is day-first, "m/d/yyyy" month-first.
DATE_FORMATS: list[Callable[[datetime.date], str]] = [
    lambda d: f"{d.day} {_month(d)} {d.year}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
    lambda d: f"{_month(d)} {ordinal(d.day)}, {d.year}",
    lambda d: f"{_weekday(d)[:3]} {d.day} {_month(d)[:3]} {d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year}",
    lambda d: f"{_month(d)[:3].upper()} {d.day:02d} {d.year}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{_weekday(d)}, {_month(d)} {ordinal(d.day)}, {d.year}",
    lambda d: f"the {ordinal(d.day)} of {_month(d)} {d.year}",
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{_weekday(d)} the {ordinal(d.day)} of {_month(d).lower()}, {d.year}",
]


def make_dates(n: int, seed: int) -> list[tuple[str, str]]:
    """Draw ``n`` reproducible (human-written date, ISO date) pairs from ``seed``."""
    rng = random.Random(seed)
    num_days = (DATE_END - DATE_START).days + 1
    pairs = []
    for _ in range(n):
        d = DATE_START + datetime.timedelta(days=rng.randrange(num_days))
        pairs.append((rng.choice(DATE_FORMATS)(d), d.isoformat()))
    return pairs


def date_vocab(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """Input vocabulary: the padding symbol, then every character of the inputs, sorted."""
    return [PAD] + sorted({c for src, _ in pairs for c in src})


def encode_dates(
    pairs: list[tuple[str, str]], in_chars: list[str]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Encode pairs as padded inputs (N, T_max), input lengths (N,) and targets (N, 10)."""
    in_index = {c: i for i, c in enumerate(in_chars)}
    out_index = {c: i for i, c in enumerate(DATE_OUT_CHARS)}
    lengths = torch.tensor([len(src) for src, _ in pairs])
    X = torch.zeros(len(pairs), int(lengths.max()), dtype=torch.long)  # 0 = padding
    for i, (src, _) in enumerate(pairs):
        X[i, : len(src)] = torch.tensor([in_index[c] for c in src])
    Y = torch.tensor([[out_index[c] for c in tgt] for _, tgt in pairs])
    return X, lengths, Y
