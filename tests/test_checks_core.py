"""Unit tests of the shared checker mechanisms in dlbook.checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from checks_helpers import failure
from torch import nn

from dlbook.checks import (
    as_number,
    build_model,
    call,
    check_count,
    check_function,
    check_keys,
    compare_arrays,
    compare_shape,
    creates_parameters,
    describe,
    ensure_like,
    exercise_rng,
    gradients_reach,
    name_mistake,
    no_autograd,
    one_thread,
    relu,
    run_model,
    run_trained,
    same,
    torch_functions,
    torch_seed,
    trace,
    uses_python_loop,
    whole_number,
)

# --- calling an answer ----------------------------------------------------------------


def stub():
    raise NotImplementedError("Exercise 9.1: Something")


def pytorch_not_implemented():
    raise NotImplementedError("\"log_softmax\" not implemented for 'Long'")


@pytest.mark.parametrize(("fn", "kwargs", "message"), [
    (stub, {}, "stub still raises NotImplementedError: replace the stub with your code."),
    (pytorch_not_implemented, {}, "pytorch_not_implemented raised NotImplementedError: "
     "\"log_softmax\" not implemented for 'Long': an integer tensor reached an operation that "
     "needs floats: pass the predictions first and the targets second, as in loss_fn(y_hat, y)."),
    (lambda: nn.Linear(3, 2)(torch.ones(1, 4)), {"name": "f"}, "f raised RuntimeError: mat1 and "
     "mat2 shapes cannot be multiplied (1x4 and 3x2): a linear layer got inputs of the wrong "
     "width: its in_features must equal the number of features that reach it."),
    (lambda: 1 / 0, {"hints": [("division", "look")], "name": "g"},
     "g raised ZeroDivisionError: division by zero: look."),
    (3, {}, "expected a function but got an int."),
])
def test_call_recognises_the_stub_by_its_message_and_explains_errors_in_one_line(
    fn, kwargs, message
):
    assert failure(call, "9.1", fn, **kwargs) == f"Exercise 9.1: {message}"
    assert call("9.1", lambda x: 2 * x, 3) == 6


@pytest.mark.parametrize(("fn", "arg", "how"), [
    (lambda X: X.__isub__(1), np.ones(3), "input X in place:"),
    (lambda t: t.mul_(2), torch.ones(3), "input t in place:"),
    (lambda w: w.requires_grad_(), torch.ones(3), "(it now tracks gradients)"),
])
def test_call_reports_inputs_changed_in_place_but_not_changes_undone(fn, arg, how):
    assert how in failure(call, "9.1", fn, arg)
    call("9.1", lambda x: (x.__iadd__(0.1), x.__isub__(0.1)), np.linspace(0, 1, 5))


def test_run_model_run_trained_and_no_autograd():
    message = failure(run_model, "9.1", nn.Linear(3, 2), torch.ones(1, 4), in_features_hint="look")
    assert message.startswith("Exercise 9.1: the model's forward raised RuntimeError")
    assert message.endswith(": look.")
    model = nn.Linear(3, 2).train()
    assert not run_trained("9.1", model, torch.ones(1, 3)).requires_grad and not model.training
    assert "should be the network you trained" in failure(run_trained, "9.1", 3, torch.ones(1))

    def by_autograd(x):
        x = x.clone().requires_grad_()
        (x**2).sum().backward()
        return x.grad

    assert failure(no_autograd("9.1", by_autograd, "f", "by hand"), torch.ones(2)).endswith(
        "does not have a grad_fn: by hand.")
    assert same(no_autograd("9.1", lambda x: 2 * x, "f", "")(torch.ones(2)), torch.full((2,), 2))


# --- comparing and naming mistakes -------------------------------------------------------


def test_same_compares_numbers_arrays_tensors_and_lists_and_never_raises():
    assert same(np.ones(2), torch.ones(2, dtype=torch.float64))
    assert same((1.0, [np.zeros(2)]), (1, [torch.zeros(2)])) and same(np.nan, np.nan)
    assert not same(np.ones(2), np.ones(3)) and not same((1,), (1, 2))
    assert not same(None, 1.0) and not same("a", 1.0)
    assert not same(torch.zeros(2, device="meta"), torch.zeros(2))


def test_name_mistake_and_check_function_name_the_first_mistake_the_answer_equals():
    table = [(lambda x: x + 1, "plus one"), (lambda x: 1 / 0, "crashes"), (7, "seven")]
    assert failure(name_mistake, "9.2", np.array([2.0]), table, np.array([1.0])).endswith("one")
    assert failure(name_mistake, "9.2", 7.0, table, np.array([0.0])) == "Exercise 9.2: seven"
    name_mistake("9.2", 3, table, np.array([1.0]))
    assert failure(name_mistake, "9.2", torch.tensor([0.0, 2.0]), [(relu, "ReLU")],
                   torch.tensor([-1.0, 2.0])).endswith("ReLU")
    cases = [(np.arange(3.0),)]
    check_function("9.2", lambda x: x * 2, lambda x: 2 * x, cases, table)
    assert failure(check_function, "9.2", lambda x: x + 1, lambda x: 2 * x, cases, table).endswith(
        "plus one")
    assert "f should return a tuple (a, b) but returned a NumPy array" in failure(
        check_function, "9.2", lambda x: x, lambda x: (x, x), cases, name="f", parts="ab")
    assert failure(check_function, "9.2", lambda x: 3.0, lambda x: 2.0, cases, name="f") == (
        "Exercise 9.2: f is 3 but should be 2.")


def test_check_count_wants_a_whole_number_by_formula_and_never_shows_it():
    def linear_params(n_in, n_out, bias=True):
        return n_in * n_out + n_out * bias

    args = ([(3, 2, True), (4, 5, False)], lambda *c: nn.Linear(*c, device="meta"))
    check_count("9.3", linear_params, *args, [], "a", ["bias"])
    table = [(lambda n_in, n_out, bias: n_in * n_out, "no biases")]
    assert failure(check_count, "9.3", lambda *c: 6, *args, table, "a").endswith("no biases")
    assert failure(check_count, "9.3", lambda *c: 7, *args, table, "a", ["bias"]) == (
        "Exercise 9.3: <lambda>(3, 2, bias=True) is 7, which is too small: a.")
    assert "builds a layer" in failure(check_count, "9.3", lambda *c: args[1](*c).weight.numel(),
                                       *args, table, "a")
    assert "whole number" in failure(check_count, "9.3", lambda *c: 8.5, *args, table, "a")


@pytest.mark.parametrize(("value", "phrase"), [
    (2.5, "n should be a whole number but is a float 2.5"), (True, "but is a bool"),
    ("3", "but is a str"), (np.ones(2), "but is a NumPy array"),
])
def test_whole_number_and_as_number_accept_numbers_of_any_kind_and_explain_the_rest(value, phrase):
    for good in [3, 3.0, np.int64(3), np.float32(3), torch.tensor(3)]:
        assert whole_number("9.3", "n", good) == 3 and as_number("9.3", "n", good) == 3.0
    assert phrase in failure(whole_number, "9.3", "n", value)
    assert "not a finite number" in failure(as_number, "9.3", "x", float("nan"))


@pytest.mark.parametrize(("answer", "phrase"), [
    ([4, 3], "should be a tuple of integers, written with parentheses"),
    ((4.0, 3), "should hold only integers, but holds a float"),
    ((4, 3, 1), "has 3 dimensions but the output has 2"),
    ((4, 5), "in shape, dimension 1 is wrong (counting from 0); h."),
    ((3, 4), "in shape, dimensions 0 and 1 are wrong"),
])
def test_compare_shape_hidden_says_what_is_wrong_not_the_answer(answer, phrase):
    message = failure(compare_shape, "9.4", "shape", answer, (4, 3), reveal=False, hint="h")
    assert phrase in message and "(4, 3)" not in message
    compare_shape("9.4", "shape", torch.Size([4, 3]), (4, 3))
    assert "is (3, 4) but should be (4, 3)" in failure(compare_shape, "9.4", "s", (3, 4), (4, 3))


def test_ensure_like_and_compare_arrays_check_kind_shape_dtype_grad_and_values():
    for answer, phrase in [(torch.ones(3), "should be a NumPy array but is a tensor"),
                           (np.ones(2), "has shape (2,) but should have shape (3,)"),
                           (np.ones(3, dtype=np.float32), "has dtype float32 but should have")]:
        assert phrase in failure(ensure_like, "9.5", "a", answer, np.zeros(3))
    ensure_like("9.5", "a", np.ones(3, dtype=np.float32), np.zeros(3), check_dtype=False)
    assert "should not track gradients" in failure(
        ensure_like, "9.5", "t", torch.ones(3, requires_grad=True), torch.zeros(3))
    message = failure(compare_arrays, "9.5", "x", np.array([1.0, 2.0]), np.ones(2))
    assert "x[1] is 2 but should be 1 (this NumPy array has the right shape" in message
    compare_arrays("9.5", "x", np.float32([1 / 3]), np.array([1 / 3]), check_dtype=False)
    assert "cannot be read as numbers" in failure(
        compare_arrays, "9.5", "t", torch.zeros(3, device="meta"), torch.zeros(3))


def test_check_keys_wants_exactly_the_expected_keys_and_describe_names_types():
    args = ({"a": 2}, "{'a': x}", "one x")
    check_keys("9.7", "d", {"a": 1}, *args)
    assert "should be a dict like {'a': x}" in failure(check_keys, "9.7", "d", [1], *args)
    assert "unexpected key 'b'" in failure(check_keys, "9.7", "d", {"a": 1, "b": 2}, *args)
    assert "has no entry 'a': give one x" in failure(check_keys, "9.7", "d", {}, *args)
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


def test_trace_follows_call_order_and_explains_layers_in_a_plain_list():
    model, x = Defined2Before1(), torch.randn(5, 3)
    out, calls = trace("9.8", model, x)
    assert [c.name for c in calls] == ["first", "second"]
    assert same(calls[1].input, relu(calls[0].output)) and same(out, calls[1].output)
    assert "nn.ModuleList" in failure(trace, "9.8", Defined2Before1(plain_list=True), x)


def test_build_model_and_gradients_reach_explain_what_is_wrong():
    a, b = (build_model("9.9", nn.Linear, "L", 1, in_features=2, out_features=1) for _ in "ab")
    assert torch.equal(a.weight, b.weight)
    assert "pass the class L itself" in failure(build_model, "9.9", a, "L", 1)
    assert "should build an nn.Module but gave an int" in failure(
        build_model, "9.9", lambda: 3, "L", 1)
    model = Defined2Before1()
    gradients_reach("9.9", model, model(torch.randn(2, 3)))
    assert "does not depend on its parameters" in failure(
        gradients_reach, "9.9", model, model(torch.randn(2, 3)).detach())
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


def test_uses_python_loop_creates_parameters_and_torch_functions_see_what_runs():
    small, large = (np.ones((4, 3)),), (np.ones((40, 3)),)
    assert uses_python_loop(loop_rows, small, large)
    assert not uses_python_loop(sizes_comprehension, small, large)
    assert creates_parameters(lambda: nn.Linear(2, 3)) and not creates_parameters(lambda: 2 + 3)
    conv = torch_functions(lambda x: nn.Conv2d(1, 1, 3)(x), torch.ones(1, 1, 5, 5))
    assert "conv2d" in conv and "conv2d" not in torch_functions(torch.relu, torch.ones(2))


def test_seeds_and_threads_are_restored_after_the_block():
    assert exercise_rng("9.1").random() == exercise_rng("9.1").random()
    state, threads = torch.random.get_rng_state(), torch.get_num_threads()
    with torch_seed(3), one_thread():
        a = torch.rand(1)
        assert torch.get_num_threads() == 1
    with torch_seed(3):
        assert torch.equal(a, torch.rand(1))
    assert torch.equal(state, torch.random.get_rng_state())
    assert torch.get_num_threads() == threads
