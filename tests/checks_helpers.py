"""Helpers shared by the tests of the exercise checkers, tests/test_checks_*.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest
import torch

from dlbook.checks import CheckFailed


def failure(checker: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """Run a checker (or a shared helper) that must fail; return its one-line message."""
    with pytest.raises(CheckFailed) as info:
        checker(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def raises_not_implemented(*args: Any, **kwargs: Any) -> Any:
    """A stub as students receive it."""
    raise NotImplementedError("Exercise N.x: stub")


def raises_value_error(*args: Any, **kwargs: Any) -> Any:
    """A buggy answer."""
    raise ValueError("operands could not be broadcast\nsecond line")


#: Junk answers for every chapter's checkers: whatever a student passes, a checker may
#: only raise CheckFailed.
COMMON_JUNK = [None, "text", 3, 2.5, [], [[1, 2], [3]], (1, "a"), {"a": 1}, float("nan"),
               np.array(["a", "b"]), raises_not_implemented, raises_value_error]


def chapter_tests(right: list, calls: dict, mistakes: dict, junk_for: Iterable, others: list,
                  secrets: dict | None = None) -> dict[str, Callable]:
    """The four tests of every chapter's checkers, by name, for the test module's globals().

    ``right`` holds (checker, *correct answer) cases; ``calls`` maps each key of the
    chapter's ``mistakes`` table to the checker (or a function calling it) that a wrong
    answer of the table goes to; ``junk_for`` lists the checkers that get junk; ``others``
    holds (checker, args, phrase) for wrong answers outside the table, each explained by
    a message holding ``phrase``; ``secrets`` maps a key of ``mistakes`` to answers its
    messages must never give away.
    """

    @pytest.mark.parametrize("case", right, ids=lambda case: case[0].__name__)
    def test_right_answers_in_any_style_pass(case: tuple, capsys: Any) -> None:
        state = torch.random.get_rng_state()
        case[0](*case[1:])
        assert "\N{CHECK MARK} Exercise" in capsys.readouterr().out
        assert torch.equal(state, torch.random.get_rng_state()), "the caller's seed moved"

    @pytest.mark.parametrize(("ex", "wrong", "sentence"),
                             [(ex, w, s) for ex, table in mistakes.items() for w, s in table])
    def test_every_mistake_in_the_table_is_named(ex: str, wrong: Any, sentence: str) -> None:
        message = failure(calls[ex], wrong)
        assert message == f"Exercise {ex.split()[0]}: {sentence}"
        assert not any(secret in message for secret in (secrets or {}).get(ex, ()))

    @pytest.mark.parametrize(("checker", "args", "phrase"), others)
    def test_other_wrong_answers_are_explained(checker: Callable, args: tuple, phrase: str):
        message = failure(checker, *args)
        assert phrase in message and "stub" not in message and "CheckFailed" not in message

    @pytest.mark.parametrize("checker", list(junk_for))
    # Ids by name, never by repr: a function's repr holds its address, which differs
    # between pytest-xdist workers.
    @pytest.mark.parametrize("junk", COMMON_JUNK, ids=lambda j: getattr(j, "__name__", repr(j)))
    def test_junk_gets_one_line(checker: Callable, junk: Any) -> None:
        failure(checker, junk)

    tests = [test_right_answers_in_any_style_pass, test_every_mistake_in_the_table_is_named,
             test_other_wrong_answers_are_explained, test_junk_gets_one_line]
    return {test.__name__: test for test in tests}

