"""Unit tests of the shared checker helpers in dlbook.checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks_helpers import failure

from dlbook.checks import (
    CheckFailed,
    as_number,
    build_model,
    call,
    check_keys,
    compare_arrays,
    compare_gradient,
    compare_shape,
    compare_value,
    constant_ratio,
    crashed,
    describe,
    ensure_like,
    ensure_linear_head,
    exercise_rng,
    float_values,
    gradients_reach,
    is_close,
    run_model,
    source_uses,
    torch_seed,
)

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
    message = failure(compare_shape, "9.1", "shape", answer, (4, 3), reveal=False)
    assert phrase in message
    assert "(4, 3)" not in message


def test_compare_shape_names_three_wrong_dimensions_and_appends_the_hint():
    message = failure(
        compare_shape, "9.1", "s", (1, 1, 1), (2, 3, 4), reveal=False, hint="look again"
    )
    assert message == (
        "Exercise 9.1: in s, dimensions 0, 1 and 2 are wrong (counting from 0); "
        "look again."
    )


def test_compare_shape_reveals_by_default():
    message = failure(compare_shape, "9.1", "shape", (3, 4), (4, 3))
    assert message == "Exercise 9.1: shape is (3, 4) but should be (4, 3)."


# --- ensure_like and compare_arrays -------------------------------------------------


def test_ensure_like_checks_kind_shape_dtype_and_grad_but_not_values():
    ensure_like("9.2", "a", np.ones(3), np.zeros(3))
    assert "should be a NumPy array" in failure(
        ensure_like, "9.2", "a", torch.ones(3), np.zeros(3)
    )
    assert "has shape (2,) but should have shape (3,)" in failure(
        ensure_like, "9.2", "a", np.ones(2), np.zeros(3)
    )
    assert "has dtype int64 but should have float64" in failure(
        ensure_like, "9.2", "a", np.ones(3, dtype=np.int64), np.zeros(3)
    )
    assert "should not track gradients" in failure(
        ensure_like, "9.2", "t", torch.ones(3, requires_grad=True), torch.zeros(3)
    )


def test_compare_arrays_writes_plain_numbers():
    message = failure(compare_arrays, "9.3", "x", np.array([1.0, 2.0]), np.ones(2))
    assert "x[1] is 2.0 but should be 1.0" in message
    assert "np." not in message


def test_compare_arrays_explains_tensors_it_cannot_read():
    answer = torch.zeros(3, device="meta")
    message = failure(compare_arrays, "9.3", "t", answer, torch.zeros(3))
    assert "cannot be read as numbers" in message and "meta" in message


def test_compare_value_uses_the_right_article():
    assert "should be a tuple but is an int" in failure(
        compare_value, "9.4", "v", 3, (1, 2)
    )


# --- crashed and call -----------------------------------------------------------------


def test_crashed_keeps_the_first_line_without_its_final_full_stop():
    error = ValueError("shapes do not match.\nsecond line")
    failed = crashed("9.5", "f", error, ": check the shapes")
    assert isinstance(failed, CheckFailed)
    assert str(failed) == (
        "Exercise 9.5: f raised ValueError: shapes do not match: check the shapes."
    )
    assert str(crashed("9.5", "f", KeyError())) == "Exercise 9.5: f raised KeyError."
    message = str(crashed("9.5", "f", ValueError("broadcast (2,) (3,) ")))
    assert message.endswith("raised ValueError: broadcast (2,) (3,).")


def test_call_returns_the_result_and_explains_stubs_crashes_and_non_functions():
    assert call("9.5", lambda x: 2 * x, 3) == 6

    def stub():
        raise NotImplementedError

    def buggy():
        raise ZeroDivisionError("division by zero")

    assert "stub still raises NotImplementedError" in failure(call, "9.5", stub)
    assert failure(call, "9.5", buggy) == (
        "Exercise 9.5: buggy raised ZeroDivisionError: division by zero."
    )
    assert "expected a function but got None" in failure(call, "9.5", None)


# --- reading numbers and gradients ----------------------------------------------------


def test_float_values_reads_arrays_tensors_and_lists_or_gives_none():
    values = float_values(torch.tensor([1, 2], dtype=torch.int32))
    assert values.dtype == np.float64 and values.tolist() == [1.0, 2.0]
    assert float_values([[1, 2], [3, 4]]).shape == (2, 2)
    assert float_values(torch.zeros(3, requires_grad=True)).tolist() == [0.0] * 3
    for unreadable in [torch.zeros(2, device="meta"), "text", [[1, 2], [3]]]:
        assert float_values(unreadable) is None


def test_is_close_needs_a_readable_value_of_the_same_shape():
    assert is_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-7])
    assert not is_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-5])
    assert is_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-5], 1e-5, 1e-8)
    assert not is_close(np.ones(2), np.ones((2, 1)))
    assert not is_close(None, 0.0)
    assert is_close(3, 3.0)


@pytest.mark.parametrize(
    "value", [2, 2.0, np.float32(2.0), np.int64(2), np.array(2.0), torch.tensor([2.0])]
)
def test_as_number_accepts_one_number_of_any_kind(value):
    assert as_number("9.6", "x", value) == 2.0


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        (True, "x should be a number but is a bool."),
        ("2", "x should be a number but is a str."),
        (np.ones(2), "x should be a number but is a NumPy array of shape (2,)"),
        (torch.zeros(1, device="meta"), "x should be a number but is a tensor"),
        (float("nan"), "x is nan, not a finite number."),
    ],
)
def test_as_number_explains_anything_else(value, phrase):
    assert phrase in failure(as_number, "9.6", "x", value)


def test_constant_ratio_finds_a_common_factor_and_respects_zeros():
    expected = np.array([1.0, -2.0, 0.0, 4.0])
    assert constant_ratio(-0.5 * expected, expected) == -0.5
    assert constant_ratio(expected + [0, 0, 1, 0], expected) is None  # 0 became 1
    assert constant_ratio(expected * [1, 2, 1, 1], expected) is None
    assert constant_ratio(expected * np.nan, expected) is None
    assert constant_ratio(np.ones(2), np.zeros(2)) is None


def test_compare_gradient_names_known_factors_the_sign_and_other_factors():
    expected = np.array([[1.0, -2.0], [0.5, 3.0]])
    compare_gradient("9.7", "g", expected.copy(), expected)
    halved = {0.5: "g is halved: drop the mean."}
    assert failure(
        compare_gradient, "9.7", "g", expected / 2, expected, factors=halved
    ) == ("Exercise 9.7: g is halved: drop the mean.")
    assert failure(compare_gradient, "9.7", "g", -expected, expected) == (
        "Exercise 9.7: g has the wrong sign: check the sign of each factor in your "
        "chain rule."
    )
    message = failure(
        compare_gradient, "9.7", "g", -expected, expected, sign_hint="flip it"
    )
    assert message.endswith("g has the wrong sign: flip it.")
    message = failure(
        compare_gradient, "9.7", "g", 3 * expected, expected, factor_hint="look at N"
    )
    assert message.endswith("g is off by a constant factor of 3: look at N.")
    # Without factor_hint, any other factor is explained by compare_arrays.
    assert "g[0, 0] is 3.0 but should be 1.0" in failure(
        compare_gradient, "9.7", "g", 3 * expected, expected
    )
    assert "has shape (4,)" in failure(
        compare_gradient, "9.7", "g", expected.ravel(), expected
    )


def test_compare_gradient_takes_tensors_and_tolerances():
    expected = torch.tensor([1.0, 2.0], dtype=torch.float64)
    compare_gradient("9.7", "g", expected * (1 + 1e-6), expected)
    message = failure(
        compare_gradient, "9.7", "g", expected * (1 + 1e-6), expected, rtol=1e-8
    )
    assert "this tensor has the right shape" in message


# --- seeds, threads and source code ---------------------------------------------------


def test_exercise_rng_depends_on_the_exercise_only():
    np.random.seed(1)
    first = exercise_rng("2.4").normal(size=3)
    np.random.seed(2)
    assert np.array_equal(first, exercise_rng("2.4").normal(size=3))
    assert not np.array_equal(first, exercise_rng("2.5").normal(size=3))


def test_torch_seed_seeds_inside_and_restores_the_state_after():
    state = torch.random.get_rng_state()
    with torch_seed(7):
        first = torch.rand(3)
    assert torch.equal(state, torch.random.get_rng_state())
    with torch_seed(7):
        assert torch.equal(first, torch.rand(3))


def loop_for(xs):
    """Sums with a for loop."""
    total = 0
    for x in xs:
        total += x
    return total


def loop_while(xs):
    """Sums with a while loop."""
    total, i = 0, 0
    while i < len(xs):
        total, i = total + xs[i], i + 1
    return total


def loop_comprehension(xs):
    """Sums with a comprehension."""
    return sum([x for x in xs])


def calls_conv(X, W):
    """Calls the library's convolution."""
    return torch.nn.functional.conv2d(X, W)


def test_source_uses_names_loops_and_calls():
    assert source_uses(loop_for) == "a for loop"
    assert source_uses(loop_while) == "a while loop"
    assert source_uses(loop_comprehension) == "a comprehension"
    assert source_uses(loop_while, loop="a Python loop") == "a Python loop"
    assert source_uses(calls_conv) is None
    assert source_uses(calls_conv, ("conv2d",)) == "conv2d itself"
    assert source_uses(lambda xs: sum(xs)) is None


def test_source_uses_gives_none_without_source():
    namespace = {}
    exec("def f(xs):\n    return [x for x in xs]\n", namespace)
    assert source_uses(namespace["f"]) is None
    assert source_uses(len) is None


# --- build_model and gradients_reach --------------------------------------------------


class _Tiny(torch.nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.fc = torch.nn.Linear(2, width)
        self.unused = torch.nn.Linear(2, 1)

    def forward(self, x):
        return self.fc(x)


def test_build_model_builds_the_class_under_a_seed():
    a = build_model("9.1", _Tiny, "Tiny", 5, width=4)
    b = build_model("9.1", _Tiny, "Tiny", 5, width=4)
    assert a.fc.out_features == 4
    assert torch.equal(a.fc.weight, b.fc.weight)


@pytest.mark.parametrize(
    ("cls", "phrase"),
    [
        (_Tiny(), "pass the class Tiny itself"),
        (3, "expected the class Tiny but got an int"),
        (lambda: 1 / 0, "raised ZeroDivisionError: division by zero"),
        (lambda: "model", "Tiny() should build an nn.Module but gave a str"),
    ],
)
def test_build_model_explains_wrong_classes(cls, phrase):
    message = failure(build_model, "9.1", cls, "Tiny", 5)
    assert phrase in message


def test_gradients_reach_accepts_a_model_whose_parameters_all_get_gradients():
    model = torch.nn.Linear(2, 3)
    gradients_reach("9.1", model, model(torch.ones(4, 2)))


def test_gradients_reach_names_what_is_cut_off():
    model = _Tiny()
    x = torch.ones(4, 2)
    assert "model.unused.weight gets no gradient" in failure(
        gradients_reach, "9.1", model, model(x)
    )
    assert "does not depend on its parameters" in failure(
        gradients_reach, "9.1", model, model(x).detach()
    )
    model.unused.requires_grad_(False)
    assert "model.unused.weight does not require" in failure(
        gradients_reach, "9.1", model, model(x)
    )


# --- run_model and check_keys ----------------------------------------------------------


def test_run_model_returns_the_output_and_explains_crashes():
    model = torch.nn.Linear(3, 2)
    assert run_model("9.1", model, torch.ones(4, 3)).shape == (4, 2)
    message = failure(
        run_model, "9.1", model, torch.ones(4, 5), in_features_hint="fix it"
    )
    assert message.startswith("Exercise 9.1: the model's forward raised RuntimeError")
    assert message.endswith(": fix it.")
    assert "fix it" not in failure(
        run_model, "9.1", model, "text", in_features_hint="fix it"
    )


def test_run_model_recognises_a_stub():
    class Stub(torch.nn.Module):
        def forward(self, x):
            raise NotImplementedError("Exercise 9.1: stub")

    assert "still raises NotImplementedError" in failure(run_model, "9.1", Stub(), 1)


def test_check_keys_wants_exactly_the_expected_keys():
    expected = {"a": 1, "b": 2}
    check_keys("9.1", "shapes", {"b": 0, "a": 0}, expected, "{'a': ...}", "a tuple")
    assert "should be a dict like {'a': ...} but is a list" in failure(
        check_keys, "9.1", "shapes", [1, 2], expected, "{'a': ...}", "a tuple"
    )
    assert "unexpected key 'c'" in failure(
        check_keys, "9.1", "shapes", {"a": 0, "b": 0, "c": 0}, expected, "", ""
    )
    assert "no entry 'b': give a tuple for each of the keys 'a', 'b'" in failure(
        check_keys, "9.1", "shapes", {"a": 0}, expected, "", "a tuple"
    )


# --- describe ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (np.zeros((2, 3)), "a NumPy array of shape (2, 3) and dtype float64"),
        (
            torch.zeros(4, dtype=torch.int64),
            "a tensor of shape (4,) and dtype torch.int64",
        ),
        (None, "None"),
        ([1], "a list"),
        (1, "an int"),
    ],
)
def test_describe_names_types_in_plain_words(value, words):
    assert describe(value) == words


def test_ensure_linear_head_wants_an_nn_linear_somewhere():
    ensure_linear_head(
        "9.1", torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 3))
    )
    assert "has no nn.Linear layer" in failure(
        ensure_linear_head, "9.1", torch.nn.Sequential(torch.nn.ReLU())
    )
