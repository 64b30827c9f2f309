"""Helpers shared by the tests of the exercise checkers, tests/test_checks_*.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from torch import nn

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


#: Junk answers for every chapter's checkers; each chapter adds its own arrays, tensors
#: and models. Whatever a student passes, a checker may only raise CheckFailed.
COMMON_JUNK = [None, "text", 3, 2.5, [], [[1, 2], [3]], (1, "a"), {"a": 1}, float("nan"),
               np.array(["a", "b"]), raises_not_implemented, raises_value_error]


class WrongLayers(nn.Module):
    """A model with none of the layers any exercise asks for."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 2)

    def forward(self, x):
        return self.hidden(x)
