"""Unit tests of the shared checker helpers in dlbook.checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbook.checks import (
    CheckFailed,
    compare_arrays,
    compare_shape,
    compare_value,
    ensure_like,
)


def message_of(helper, *args, **kwargs) -> str:
    """Run a helper that must fail; return its one-line message."""
    with pytest.raises(CheckFailed) as info:
        helper(*args, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


# --- compare_shape -------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer", [(4, 3), torch.Size([4, 3]), (np.int64(4), np.int32(3))]
)
def test_compare_shape_accepts_tuples_sizes_and_numpy_ints(answer):
    compare_shape("9.1", "shape", answer, (4, 3))


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ([4, 3], "should be a tuple of integers, written with parentheses"),
        ("4, 3", "should be a tuple of integers, but is a str"),
        (None, "should be a tuple of integers, but is None"),
        ((4.0, 3), "should hold only integers, but holds a float"),
        ((True, 3), "should hold only integers, but holds a bool"),
        ((4, 3, 1), "has 3 dimensions but the output has 2"),
        ((4, 5), "in shape, dimension 1 is wrong (counting from 0)"),
        ((3, 4), "in shape, dimensions 0 and 1 are wrong"),
    ],
)
def test_compare_shape_hidden_says_what_is_wrong_not_the_answer(answer, phrase):
    message = message_of(compare_shape, "9.1", "shape", answer, (4, 3), reveal=False)
    assert phrase in message
    assert "(4, 3)" not in message


def test_compare_shape_names_three_wrong_dimensions_and_appends_the_hint():
    message = message_of(
        compare_shape, "9.1", "s", (1, 1, 1), (2, 3, 4), reveal=False, hint="look again"
    )
    assert message == (
        "Exercise 9.1: in s, dimensions 0, 1 and 2 are wrong (counting from 0); "
        "look again."
    )


def test_compare_shape_reveals_by_default():
    message = message_of(compare_shape, "9.1", "shape", (3, 4), (4, 3))
    assert message == "Exercise 9.1: shape is (3, 4) but should be (4, 3)."


# --- ensure_like and compare_arrays -------------------------------------------------


def test_ensure_like_checks_kind_shape_dtype_and_grad_but_not_values():
    ensure_like("9.2", "a", np.ones(3), np.zeros(3))
    assert "should be a NumPy array" in message_of(
        ensure_like, "9.2", "a", torch.ones(3), np.zeros(3)
    )
    assert "has shape (2,) but should have shape (3,)" in message_of(
        ensure_like, "9.2", "a", np.ones(2), np.zeros(3)
    )
    assert "has dtype int64 but should have float64" in message_of(
        ensure_like, "9.2", "a", np.ones(3, dtype=np.int64), np.zeros(3)
    )
    assert "should not track gradients" in message_of(
        ensure_like, "9.2", "t", torch.ones(3, requires_grad=True), torch.zeros(3)
    )


def test_compare_arrays_writes_plain_numbers():
    message = message_of(compare_arrays, "9.3", "x", np.array([1.0, 2.0]), np.ones(2))
    assert "x[1] is 2.0 but should be 1.0" in message
    assert "np." not in message


def test_compare_arrays_explains_tensors_it_cannot_read():
    answer = torch.zeros(3, device="meta")
    message = message_of(compare_arrays, "9.3", "t", answer, torch.zeros(3))
    assert "cannot be read as numbers" in message and "meta" in message


def test_compare_value_uses_the_right_article():
    assert "should be a tuple but is an int" in message_of(
        compare_value, "9.4", "v", 3, (1, 2)
    )
