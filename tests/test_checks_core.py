"""Unit tests of the shared checker mechanisms in dlbook.checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks_helpers import failure
from torch import nn

from dlbook.checks import (
    CheckFailed,
    as_number,
    build_model,
    call,
    check_keys,
    compare_arrays,
    compare_gradient,
    compare_shape,
    creates_parameters,
    describe,
    ensure_like,
    ensure_registered,
    exercise_rng,
    gradients_reach,
    matching,
    name_mistake,
    recording,
    relu,
    run_model,
    same,
    torch_seed,
    trace,
    uses_python_loop,
    whole_number,
)

# --- calling an answer ----------------------------------------------------------------


def test_call_returns_the_result_and_recognises_the_stub_by_its_message():
    assert call("9.1", lambda x: 2 * x, 3) == 6

    def stub():
        raise NotImplementedError("Exercise 9.1: Something")

    assert failure(call, "9.1", stub) == (
        "Exercise 9.1: stub still raises NotImplementedError: replace the stub with your code."
    )


def test_call_reports_other_errors_in_one_line_with_a_fitting_hint():
    def long_logits(y, logits):
        return nn.CrossEntropyLoss()(y, logits)  # the arguments swapped

    message = failure(call, "9.1", long_logits, torch.zeros(2, dtype=torch.long), None)
    assert "long_logits raised TypeError" in message or "NotImplementedError" in message

    def pytorch_not_implemented():
        raise NotImplementedError("\"log_softmax\" not implemented for 'Long'")

    message = failure(call, "9.1", pytorch_not_implemented)
    assert "raised NotImplementedError" in message and "stub" not in message
    assert "predictions first" in message
    message = failure(call, "9.1", lambda: nn.Linear(3, 2)(torch.ones(1, 4)), name="f")
    assert message.startswith("Exercise 9.1: f raised RuntimeError: mat1 and mat2")
    assert "in_features" in message
    message = failure(call, "9.1", lambda: 1 / 0, hints=[("division", "look")])
    assert message.endswith("raised ZeroDivisionError: division by zero: look.")
    assert "expected a function but got an int" in failure(call, "9.1", 3)


@pytest.mark.parametrize(
    ("fn", "arg", "how"),
    [
        (lambda X: X.__isub__(1), np.ones(3), "input X in place:"),
        (lambda t: t.mul_(2), torch.ones(3), "input t in place:"),
        (lambda w: w.requires_grad_(), torch.ones(3), "(it now tracks gradients)"),
    ],
)
def test_call_reports_inputs_changed_in_place(fn, arg, how):
    assert how in failure(call, "9.1", fn, arg)


def test_call_accepts_a_change_undone_up_to_rounding():
    def shift_and_back(x):
        x += 0.1
        x -= 0.1
        return x.sum()

    call("9.1", shift_and_back, np.linspace(0, 1, 5))


def test_run_model_names_the_forward_and_uses_the_in_features_hint():
    message = failure(run_model, "9.1", nn.Linear(3, 2), torch.ones(1, 4), in_features_hint="look")
    assert message.startswith("Exercise 9.1: the model's forward raised RuntimeError")
    assert message.endswith(": look.")


# --- comparing and naming mistakes -------------------------------------------------------


def test_same_compares_numbers_arrays_tensors_and_tuples_and_never_raises():
    assert same(np.ones(2), torch.ones(2, dtype=torch.float64))
    assert same((1.0, [np.zeros(2)]), (1, [torch.zeros(2)]))
    assert not same(np.ones(2), np.ones(3))
    assert not same(None, 1.0) and not same("a", 1.0) and not same((1,), (1, 2))
    assert not same(torch.zeros(2, device="meta"), torch.zeros(2))


def test_matching_and_name_mistake_find_the_first_mistake_the_answer_equals():
    table = [(lambda x: x + 1, "plus one"), (lambda x: 1 / 0, "crashes"), (7, "seven")]
    assert matching(np.array([2.0]), table, np.array([1.0])) == "plus one"
    assert matching(7, table, np.array([1.0])) == "seven"
    assert matching(3, table, np.array([1.0])) is None
    assert failure(name_mistake, "9.2", 7.0, table, np.array([0.0])).endswith("seven")
    name_mistake("9.2", 0.0, table, np.array([0.0]))
    assert matching(torch.tensor([0.0, 2.0]), [(relu, "ReLU")], torch.tensor([-1.0, 2.0]))


@pytest.mark.parametrize("value", [3, 3.0, np.int64(3), np.float32(3), torch.tensor(3)])
def test_whole_number_accepts_any_whole_number(value):
    assert whole_number("9.3", "n", value) == 3 and as_number("9.3", "n", value) == 3.0


@pytest.mark.parametrize(
    ("value", "phrase"),
    [(2.5, "a float 2.5"), (True, "a bool"), ("3", "a str"), (np.ones(2), "NumPy array")],
)
def test_whole_number_explains_anything_else(value, phrase):
    message = failure(whole_number, "9.3", "n", value)
    assert "n should be a whole number but is" in message and phrase in message


def test_as_number_rejects_non_finite_values():
    assert "not a finite number" in failure(as_number, "9.3", "x", float("nan"))


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ([4, 3], "should be a tuple of integers, written with parentheses"),
        ((4.0, 3), "should hold only integers, but holds a float"),
        ((4, 3, 1), "has 3 dimensions but the output has 2"),
        ((4, 5), "in shape, dimension 1 is wrong (counting from 0); h."),
        ((3, 4), "in shape, dimensions 0 and 1 are wrong"),
    ],
)
def test_compare_shape_hidden_says_what_is_wrong_not_the_answer(answer, phrase):
    message = failure(compare_shape, "9.4", "shape", answer, (4, 3), reveal=False, hint="h")
    assert phrase in message and "(4, 3)" not in message
    compare_shape("9.4", "shape", torch.Size([4, 3]), (4, 3))
    assert "is (3, 4) but should be (4, 3)" in failure(
        compare_shape, "9.4", "shape", (3, 4), (4, 3)
    )


def test_ensure_like_and_compare_arrays_check_kind_shape_dtype_grad_and_values():
    for answer, phrase in [
        (torch.ones(3), "should be a NumPy array but is a tensor"),
        (np.ones(2), "has shape (2,) but should have shape (3,)"),
        (np.ones(3, dtype=np.float32), "has dtype float32 but should have float64"),
    ]:
        assert phrase in failure(ensure_like, "9.5", "a", answer, np.zeros(3))
    ensure_like("9.5", "a", np.ones(3, dtype=np.float32), np.zeros(3), check_dtype=False)
    assert "should not track gradients" in failure(
        ensure_like, "9.5", "t", torch.ones(3, requires_grad=True), torch.zeros(3)
    )
    message = failure(compare_arrays, "9.5", "x", np.array([1.0, 2.0]), np.ones(2))
    assert "x[1] is 2 but should be 1 (this NumPy array has the right shape" in message
    compare_arrays("9.5", "x", np.float32([1 / 3]), np.array([1 / 3]), check_dtype=False)
    assert "cannot be read as numbers" in failure(
        compare_arrays, "9.5", "t", torch.zeros(3, device="meta"), torch.zeros(3)
    )


def test_compare_gradient_names_known_factors_the_sign_and_other_factors():
    want = np.array([1.0, -2.0, 0.0])
    assert failure(compare_gradient, "9.6", "g", 2 * want, want, factors={2.0: "twice"}).endswith(
        "twice"
    )
    assert "g has the wrong sign: s." in failure(
        compare_gradient, "9.6", "g", -want, want, sign_hint="s"
    )
    assert "off by a constant factor of 3: f." in failure(
        compare_gradient, "9.6", "g", 3 * want, want, factor_hint="f"
    )
    assert "g[0] is 1.5" in failure(compare_gradient, "9.6", "g", want + 0.5, want)


def test_check_keys_wants_exactly_the_expected_keys():
    check_keys("9.7", "d", {"a": 1}, {"a": 2}, "{'a': x}", "one x")
    assert "should be a dict like {'a': x}" in failure(
        check_keys, "9.7", "d", [1], {"a": 2}, "{'a': x}", "one x"
    )
    assert "unexpected key 'b'" in failure(
        check_keys, "9.7", "d", {"a": 1, "b": 2}, {"a": 2}, "{'a': x}", "one x"
    )
    assert "has no entry 'a': give one x" in failure(
        check_keys, "9.7", "d", {}, {"a": 2}, "{'a': x}", "one x"
    )


def test_describe_names_types_in_plain_words():
    assert describe(np.zeros((2,))) == "a NumPy array of shape (2,) and dtype float64"
    assert describe(None) == "None" and describe(3) == "an int"


# --- models -----------------------------------------------------------------------------


class Defined2Before1(nn.Module):
    """Layers defined in one order, called in another, one of them in a plain list."""

    def __init__(self, plain_list: bool = False):
        super().__init__()
        self.second = nn.Linear(4, 2)
        self.first = nn.Linear(3, 4)
        self.extra = [nn.Linear(2, 2)] if plain_list else []

    def forward(self, x):
        out = self.second(self.first(x).clamp(min=0))
        return self.extra[0](out) if self.extra else out


def test_trace_and_recording_follow_call_order_also_through_model_forward():
    model = Defined2Before1()
    x = torch.randn(5, 3)
    out, calls = trace("9.8", model, x)
    assert [c.name for c in calls] == ["first", "second"]
    assert torch.equal(calls[1].input, relu(calls[0].output))
    assert torch.equal(out.detach(), calls[1].output)
    ensure_registered("9.8", calls)
    with recording(model) as calls:
        model.forward(x)
    assert [c.name for c in calls] == ["first", "second"]


def test_ensure_registered_explains_layers_in_a_plain_list():
    _, calls = trace("9.8", Defined2Before1(plain_list=True), torch.randn(5, 3))
    assert "nn.ModuleList" in failure(ensure_registered, "9.8", calls)


def test_build_model_builds_the_class_under_a_seed_and_explains_wrong_classes():
    a, b = (build_model("9.9", nn.Linear, "L", 1, in_features=2, out_features=1) for _ in "ab")
    assert torch.equal(a.weight, b.weight)
    assert "pass the class L itself" in failure(build_model, "9.9", a, "L", 1)
    assert "should build an nn.Module but gave an int" in failure(
        build_model, "9.9", lambda: 3, "L", 1
    )


def test_gradients_reach_names_what_is_cut_off():
    model = Defined2Before1()
    gradients_reach("9.9", model, model(torch.randn(2, 3)))
    assert "does not depend on its parameters" in failure(
        gradients_reach, "9.9", model, model(torch.randn(2, 3)).detach()
    )
    unused = nn.ModuleDict({"used": nn.Linear(3, 1), "unused": nn.Linear(3, 1)})
    out = unused["used"](torch.randn(2, 3))
    assert "model.unused.weight gets no gradient" in failure(gradients_reach, "9.9", unused, out)


# --- what an answer does while it runs ----------------------------------------------------


def loop_rows(X):
    """A loop over the rows of X."""
    return np.array([row.sum() for row in X])


def sizes_comprehension(X):
    """A comprehension over two sizes: no loop over the data."""
    n, m = [size + 0 for size in X.shape]
    return X.reshape(n, m).sum(axis=1)


def test_uses_python_loop_sees_loops_over_the_data_only():
    small, large = (np.ones((4, 3)),), (np.ones((40, 3)),)
    assert uses_python_loop(loop_rows, small, large)
    assert not uses_python_loop(sizes_comprehension, small, large)


def test_creates_parameters_sees_layers_built_inside():
    assert creates_parameters(lambda: nn.Linear(2, 3))
    assert not creates_parameters(lambda: 2 * 3 + 3)


# --- seeds ---------------------------------------------------------------------------


def test_exercise_rng_and_torch_seed_are_reproducible_and_leave_state_alone():
    assert exercise_rng("9.1").random() == exercise_rng("9.1").random()
    state = torch.random.get_rng_state()
    with torch_seed(3):
        a = torch.rand(1)
    with torch_seed(3):
        assert torch.equal(a, torch.rand(1))
    assert torch.equal(state, torch.random.get_rng_state())
    with pytest.raises(CheckFailed):
        name_mistake("9.1", 1, [(1, "one")])
