"""Exercise checkers: run a student's answer, compare what it does, explain in one line.

A wrong answer raises :class:`CheckFailed`, an ``AssertionError`` whose message is one
plain sentence (Jupyter shows it without a traceback); a right one prints a check mark
with :func:`passed`. Checkers judge behaviour, not form: they run the answer on inputs of
their own and compare values, shapes, dtypes, gradients or what a model's forward calls.

Each chapter module ``chNN`` has a table ``MISTAKES``: per exercise, a list of (wrong
answer reproducing a plausible mistake, the sentence that explains it), where a wrong
answer is what a student would pass (a function, a class or a value). The checker names
the first mistake the answer equals, and the tests iterate the same table. A checker of a
function answer is typically ``check_function(ex, fn, reference, cases, MISTAKES[ex])``
followed by ``passed(ex, "...")``.

The mechanisms, each written once: :func:`call` (:func:`run_model`, :func:`run_trained`
for models) calls an answer, recognises the stub only by its own message ``"Exercise
N.M: ..."``, reports any other exception as that error in one line with a fitting hint
(:data:`CRASH_HINTS`), and reports inputs changed in place; :func:`no_autograd` runs it
with autograd off. :func:`same` compares results and :func:`name_mistake` names a
mistake; :func:`whole_number`, :func:`as_number`, :func:`compare_shape`,
:func:`ensure_like`, :func:`compare_arrays` and :func:`check_keys` read and compare;
:func:`check_count` judges a parameter count written by formula. :func:`trace` gives
the leaf layers a forward pass calls, in call order (global forward hooks), with what
each got and gave, and explains layers kept in a plain list. An operation is
recognised by its effect, a ReLU between two layers by ``same(second.input,
relu(first.output))``. :func:`uses_python_loop` (the work grows with the data),
:func:`creates_parameters` (a layer was built) and :func:`torch_functions` (which torch
functions ran) serve tasks whose text forbids these.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn
from torch.nn.modules import module as _module

__all__ = [
    "Call", "CheckFailed", "CRASH_HINTS", "Mistakes", "NOT_REGISTERED", "as_number",
    "build_model", "call", "check_count", "check_function", "check_keys",
    "compare_arrays", "compare_shape", "crashed", "creates_parameters", "describe",
    "ensure", "ensure_like", "exercise_rng", "float_values", "gradients",
    "gradients_reach", "name_mistake", "no_autograd", "one_thread", "passed", "relu",
    "run_model", "run_trained", "same", "torch_functions", "torch_seed", "trace",
    "uses_python_loop", "whole_number",
]

#: Per exercise, the plausible mistakes: (wrong answer reproducing it, its sentence).
Mistakes = Sequence[tuple[Any, str]]


class CheckFailed(AssertionError):
    """A wrong exercise answer, explained in one plain sentence."""

    def __init__(self, exercise: str, message: str) -> None:
        super().__init__(f"Exercise {exercise}: {message}")
        self.exercise, self.message = exercise, message

    def _render_traceback_(self) -> list[str]:
        """Show IPython users the sentence alone, not our internals' traceback."""
        return [f"\N{BALLOT X} {self}"]


def passed(exercise: str, message: str = "") -> None:
    """Print the confirmation that an exercise's answer is right."""
    print(f"\N{CHECK MARK} Exercise {exercise} passed." + (f" {message}" if message else ""))


def ensure(exercise: str, condition: bool, message: str) -> None:
    """Raise :class:`CheckFailed` with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(exercise, message)


def describe(value: Any) -> str:
    """Name a value's type in words a student recognises (array, tensor, list...)."""
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if value is None:
        return "None"
    kind = type(value).__name__
    return f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


# --- calling an answer ---------------------------------------------------------------

#: Hints for errors PyTorch raises on common slips: (words in the error, hint).
CRASH_HINTS: list[tuple[str, str]] = [
    ("mat1 and mat2 shapes", "a linear layer got inputs of the wrong width: its in_features "
     "must equal the number of features that reach it"),
    ("for 'Long'", "an integer tensor reached an operation that needs floats: pass the "
     "predictions first and the targets second, as in loss_fn(y_hat, y)"),
    ("same dtype", "two tensors of different dtypes met: convert one, e.g. with .float()"),
    ("same device", "tensors on different devices met: move them to one with .to(device)"),
    ("index out of range", "a lookup got an index beyond the rows of its table"),
]


def crashed(exercise: str, what: str, error: Exception, hint: str = "") -> CheckFailed:
    """Return the one-line failure saying that ``what`` raised ``error``, then ``hint``."""
    lines = str(error).splitlines()
    detail = f": {lines[0].rstrip(' .:')}" if lines and lines[0].strip(" .:") else ""
    return CheckFailed(exercise, f"{what} raised {type(error).__name__}{detail}{hint}.")


def _copy(value: Any) -> Any:
    """A copy of an array or tensor argument (to spot in-place changes), else None."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, torch.Tensor) and not isinstance(value, nn.Parameter):
        return value.detach().clone(), value.requires_grad
    return None


def _changed(before: Any, after: Any) -> str:
    """How ``after`` differs from its copy ``before``; "" when it does not."""
    if isinstance(before, np.ndarray):  # a change undone up to rounding is none
        kept = before.shape == after.shape and np.allclose(before, after, 1e-12, 1e-14, True)
        return "" if kept else "in place"
    values, grad = before
    if after.requires_grad != grad:
        return "in place (it now tracks gradients)"
    return "" if values.shape == after.shape and torch.equal(values, after.detach()) else "in place"


def call(
    exercise: str, fn: Any, *args: Any, name: str | None = None,
    hints: Sequence[tuple[str, str]] = (), **kwargs: Any,
) -> Any:
    """Call the student's ``fn``; turn a stub, a crash or an in-place change into one line.

    ``name`` names ``fn`` in messages (default: its ``__name__``); ``hints`` are extra
    (words in the error, hint) pairs tried before :data:`CRASH_HINTS`.
    """
    name = name or getattr(fn, "__name__", "your answer")
    ensure(exercise, callable(fn), f"expected a function but got {describe(fn)}.")
    copies = [_copy(arg) for arg in args]
    try:
        with np.errstate(all="ignore"):
            result = fn(*args, **kwargs)
    except CheckFailed:  # already one sentence, e.g. from a checker's own wrapper
        raise
    except Exception as error:  # any student bug becomes one sentence
        if isinstance(error, NotImplementedError) and str(error).startswith("Exercise "):
            raise CheckFailed(exercise, f"{name} still raises NotImplementedError: replace the "
                              "stub with your code.") from None
        hint = next((h for words, h in [*hints, *CRASH_HINTS] if words in str(error)), "")
        raise crashed(exercise, name, error, f": {hint}" if hint else "") from None
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    for i, before in enumerate(copies):
        how = "" if before is None else _changed(before, args[i])
        arg = params[i] if i < len(params) else f"number {i + 1}"
        ensure(exercise, not how, f"{name} changed its input {arg} {how}: leave the caller's "
               "data alone and compute new values (x = x - m, not x -= m).")
    return result


def no_autograd(exercise: str, fn: Any, name: str, task: str) -> Callable:
    """``fn`` to be run with autograd off: an answer that relies on it fails saying ``task``."""

    def run(*args: Any) -> Any:
        with torch.no_grad():
            return call(exercise, fn, *args, name=name, hints=[("does not require grad", task)])

    return run


def run_model(exercise: str, model: Any, *inputs: Any, in_features_hint: str = "") -> Any:
    """Return ``model(*inputs)`` through :func:`call`, named "the model's forward"."""
    hints = [("mat1 and mat2", in_features_hint)] if in_features_hint else []
    return call(exercise, model, *inputs, name="the model's forward", hints=hints)


def run_trained(exercise: str, model: Any, *inputs: torch.Tensor) -> Any:
    """Run a model the student trained: eval mode, no gradients, inputs on its device."""
    ensure(exercise, isinstance(model, nn.Module) and any(True for _ in model.parameters()),
           f"model should be the network you trained, an nn.Module, but is {describe(model)}.")
    model.eval()
    with torch.no_grad():
        device = next(model.parameters()).device
        return run_model(exercise, model, *(x.to(device) for x in inputs))


# --- comparing ------------------------------------------------------------------------


def float_values(answer: Any) -> np.ndarray | None:
    """Return an array's or tensor's values as float64, or None if they are unreadable."""
    try:
        if isinstance(answer, torch.Tensor):
            answer = answer.detach().cpu().numpy()
        return np.asarray(answer, dtype=np.float64)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None


def same(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """True when ``a`` and ``b`` hold the same numbers (lists item by item); never raises."""
    if isinstance(b, tuple | list) and not isinstance(b, torch.Size):
        return isinstance(a, tuple | list) and len(a) == len(b) and all(
            same(x, y, rtol, atol) for x, y in zip(a, b, strict=True))
    if a is None or isinstance(a, str | dict) or isinstance(b, str | dict):
        return a == b
    x, y = float_values(a), float_values(b)
    return x is not None and y is not None and x.shape == y.shape and bool(
        np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))


def relu(x: Any) -> Any:
    """The effect of a ReLU on an array or tensor: negatives to 0, the rest kept."""
    return x.clamp(min=0) if isinstance(x, torch.Tensor) else np.maximum(x, 0)


def name_mistake(exercise: str, got: Any, table: Mistakes, *args: Any, rtol: float = 1e-5,
                 atol: float = 1e-8) -> None:
    """Fail with the sentence of the first entry of ``table`` whose result equals ``got``.

    A callable entry is called on copies of ``args`` (one that fails there does not
    match); any other entry is compared as it is.
    """
    for wrong, sentence in table:
        if callable(wrong):
            copies = [a.copy() if isinstance(a, np.ndarray) else
                      a.clone() if isinstance(a, torch.Tensor) else a for a in args]
            try:
                with np.errstate(all="ignore"):
                    wrong = wrong(*copies)
            except Exception:  # this mistake cannot happen on these inputs
                continue
        if same(got, wrong, rtol, atol):
            raise CheckFailed(exercise, sentence)


def as_number(exercise: str, name: str, value: Any) -> float:
    """Return ``value`` as a float if it is one finite number (Python, NumPy or tensor)."""
    number = None
    array = isinstance(value, torch.Tensor | np.ndarray | np.generic)
    if array and (value.numel() if isinstance(value, torch.Tensor) else value.size) == 1:
        values = float_values(value)
        number = None if values is None else float(values.reshape(-1)[0])
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    ensure(exercise, number is not None, f"{name} should be a number but is {describe(value)}.")
    ensure(exercise, np.isfinite(number), f"{name} is {number}, not a finite number.")
    return number


def whole_number(exercise: str, name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a whole number of any kind, else fail."""
    number = None
    if not isinstance(value, bool | np.bool_):
        with contextlib.suppress(CheckFailed):
            number = as_number(exercise, name, value)
    ensure(exercise, number is not None and number.is_integer(), f"{name} should be a whole "
           f"number but is {describe(value)}" + (f" {number:g}." if number is not None else "."))
    return int(number)


def compare_shape(exercise: str, name: str, answer: Any, expected: tuple, *, reveal: bool = True,
                  hint: str = "") -> None:
    """Check a shape written as a tuple of integers, e.g. a predicted output shape.

    With ``reveal=False`` the message says which dimensions are wrong, never the right
    sizes; ``hint`` (no final full stop) is appended to any message.
    """
    tail = f"; {hint}" if hint else ""
    advice = ", written with parentheses like (2, 3)" if isinstance(answer, list) else ""
    ensure(exercise, isinstance(answer, tuple | torch.Size), f"{name} should be a tuple of "
           f"integers{advice}, but is {describe(answer)}.")
    for size in answer:
        ensure(exercise, isinstance(size, int | np.integer) and not isinstance(size, bool),
               f"{name} should hold only integers, but holds {describe(size)}.")
    answer, expected = tuple(int(size) for size in answer), tuple(expected)
    if answer == expected:
        return
    ensure(exercise, not reveal, f"{name} is {answer} but should be {expected}{tail}.")
    n = len(answer)
    ensure(exercise, n == len(expected), f"{name} has {n} dimension{'s' * (n != 1)} but the "
           f"output has {len(expected)}{tail}.")
    wrong = [str(i) for i, (a, e) in enumerate(zip(answer, expected, strict=True)) if a != e]
    which = f"dimension {wrong[0]} is" if len(wrong) == 1 else (
        f"dimensions {', '.join(wrong[:-1])} and {wrong[-1]} are")
    raise CheckFailed(exercise, f"in {name}, {which} wrong (counting from 0){tail}.")


def ensure_like(exercise: str, name: str, answer: Any, expected: np.ndarray | torch.Tensor, *,
                check_dtype: bool = True) -> None:
    """Check the kind, shape and dtype of ``answer`` against ``expected`` (not values).

    With ``check_dtype=False`` any dtype is accepted (float32 for float64, say).
    """
    tensor = isinstance(expected, torch.Tensor)
    ensure(exercise, isinstance(answer, torch.Tensor if tensor else np.ndarray), f"{name} should "
           f"be {'a tensor' if tensor else 'a NumPy array'} but is {describe(answer)}.")
    shape, want = tuple(answer.shape), tuple(expected.shape)
    ensure(exercise, shape == want, f"{name} has shape {shape} but should have shape {want}.")
    ensure(exercise, not check_dtype or answer.dtype == expected.dtype,
           f"{name} has dtype {answer.dtype} but should have {expected.dtype}.")
    if tensor and answer.requires_grad != expected.requires_grad:
        want_grad = "track" if expected.requires_grad else "not track"
        raise CheckFailed(exercise, f"{name} should {want_grad} gradients (requires_grad).")


def compare_arrays(exercise: str, name: str, answer: Any, expected: np.ndarray | torch.Tensor, *,
                   rtol: float = 1e-5, atol: float = 1e-8, check_dtype: bool = True) -> None:
    """Check kind, shape, dtype and values of ``answer``; name the first wrong element."""
    ensure_like(exercise, name, answer, expected, check_dtype=check_dtype)
    got, want = float_values(answer), float_values(expected)
    ensure(exercise, got is not None, f"{name} cannot be read as numbers: it is "
           f"{describe(answer)} on {getattr(answer, 'device', 'cpu')}.")
    if str(answer.dtype).endswith(("float32", "float16")):
        rtol, atol = max(rtol, 1e-4), max(atol, 1e-6)  # single precision
    bad = np.argwhere(~np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True))
    if len(bad):
        index = tuple(int(i) for i in bad[0])
        where = f"[{', '.join(map(str, index))}]" if index else ""
        kind = "tensor" if isinstance(expected, torch.Tensor) else "NumPy array"
        raise CheckFailed(exercise, f"{name}{where} is {got[index]:.6g} but should be "
                          f"{want[index]:.6g} (this {kind} has the right shape, so look at how "
                          "its values are computed).")


def check_function(
    exercise: str, fn: Any, reference: Callable, cases: Sequence[tuple], mistakes: Mistakes = (),
    *, name: str | None = None, parts: Sequence[str] = (), check_dtype: bool = True,
    rtol: float = 1e-5, atol: float = 1e-8,
) -> None:
    """Run ``fn`` and ``reference`` on each case (a tuple of arguments) and compare.

    An answer that differs is first matched against ``mistakes``; then kind, shape,
    dtype and values are compared. ``parts`` names the items of a returned tuple.
    """
    name = name or getattr(fn, "__name__", "your answer")
    for args in cases:
        got = call(exercise, fn, *args, name=name)
        with np.errstate(all="ignore"):
            want = reference(*args)
        if same(got, want, rtol, atol):
            continue
        name_mistake(exercise, got, mistakes, *args, rtol=rtol, atol=atol)
        ensure(exercise, not parts or isinstance(got, tuple | list) and len(got) == len(parts),
               f"{name} should return a tuple ({', '.join(parts)}) but returned {describe(got)}.")
        for part, g, w in zip(parts or [name], got if parts else [got], want if parts else [want],
                              strict=True):
            if isinstance(w, np.ndarray | torch.Tensor):
                compare_arrays(exercise, part, g, w, rtol=rtol, atol=atol, check_dtype=check_dtype)
            else:
                value = as_number(exercise, part, g)
                ensure(exercise, same(value, w, rtol, atol), f"{part} is {value:.6g} but should "
                       f"be {w:.6g}.")


def check_keys(exercise: str, name: str, answer: Any, expected: dict, example: str,
               entry: str) -> None:
    """Check that ``answer`` is a dict with exactly the keys of ``expected``.

    ``example`` shows the dict's form (``{'a': (C, H, W), ...}``), ``entry`` what each
    value should be ("one (C, H, W) tuple").
    """
    keys = ", ".join(repr(key) for key in expected)
    ensure(exercise, isinstance(answer, dict),
           f"{name} should be a dict like {example} but is {describe(answer)}.")
    for key in answer:
        ensure(exercise, key in expected,
               f"{name} has an unexpected key {key!r}: use only the keys {keys}.")
    for key in expected:
        ensure(exercise, key in answer,
               f"{name} has no entry {key!r}: give {entry} for each of the keys {keys}.")


def check_count(exercise: str, fn: Any, cases: Sequence[tuple], layers: Callable[..., nn.Module],
                mistakes: Mistakes, advice: str, keywords: Sequence[str] = ()) -> None:
    """Check a parameter count by formula against the layers PyTorch builds, never showing it.

    For each case, ``fn(*case)`` must build no layer and give the whole number of
    parameters of ``layers(*case)``; a wrong count is named from ``mistakes`` (called like
    ``fn``) or answered with ``advice``. ``keywords`` names the case's last values in messages.
    """
    fn_name = getattr(fn, "__name__", "your function")
    for case in cases:
        split = len(case) - len(keywords)
        shown = [repr(v) for v in case[:split]]
        shown += [f"{k}={v!r}" for k, v in zip(keywords, case[split:], strict=True)]
        name = f"{fn_name}({', '.join(shown)})"
        ensure(exercise, not creates_parameters(fn, *case), f"{name} builds a layer to count "
               "its parameters: count by formula, as the exercise asks.")
        got = whole_number(exercise, name, call(exercise, fn, *case, name=fn_name))
        want = sum(p.numel() for p in layers(*case).parameters())
        if got != want:
            name_mistake(exercise, got, mistakes, *case)
            raise CheckFailed(exercise, f"{name} is {got:,}, which is too "
                              f"{'large' if got > want else 'small'}: {advice}.")


# --- models: building, tracing, gradients ----------------------------------------------


def build_model(exercise: str, cls: Any, name: str, seed: int, **kwargs: Any) -> nn.Module:
    """Build a student's model class ``cls`` (called ``name``) under a fixed seed."""
    ensure(exercise, not isinstance(cls, nn.Module),
           f"pass the class {name} itself, not a model built from it.")
    ensure(exercise, callable(cls), f"expected the class {name} but got {describe(cls)}.")
    with torch_seed(seed):
        model = call(exercise, cls, name=name, **kwargs)
    ensure(exercise, isinstance(model, nn.Module), f"{name}({'...' if kwargs else ''}) should "
           f"build an nn.Module but gave {describe(model)}.")
    return model


class Call(NamedTuple):
    """One call of a leaf layer during a forward pass, in call order."""

    name: str | None  # its name in the model (None: not registered, e.g. a plain list)
    module: nn.Module
    input: Any  # its first argument, detached and copied
    output: Any  # what it returned, detached and copied


#: The sentence for a layer kept outside the model, e.g. in a plain Python list.
NOT_REGISTERED = ("forward uses an nn.{} that is not registered in the model, so "
                  "model.parameters() misses it: keep layers in nn.ModuleList or nn.Sequential, "
                  "not in a plain Python list.")


def trace(exercise: str, model: nn.Module, *inputs: Any,
          in_features_hint: str = "") -> tuple[Any, list[Call]]:
    """Run ``model(*inputs)``; return its output and its leaf layers' calls, in call order.

    Global forward hooks see every layer call, also of layers kept in a plain Python
    list, which model.parameters() misses: such a layer with parameters fails the check.
    """
    names, calls = {id(m): n for n, m in model.named_modules()}, []

    def hook(module: nn.Module, args: tuple, output: Any) -> None:
        if not any(True for _ in module.children()):
            first, out = (v.detach().clone() if isinstance(v, torch.Tensor) else v
                          for v in (args[0] if args else None, output))
            calls.append(Call(names.get(id(module)), module, first, out))

    handle = _module.register_module_forward_hook(hook)
    try:
        out = run_model(exercise, model, *inputs, in_features_hint=in_features_hint)
    finally:
        handle.remove()
    for c in calls:
        ensure(exercise, c.name is not None or not any(True for _ in c.module.parameters()),
               NOT_REGISTERED.format(type(c.module).__name__))
    return out, calls


def gradients(exercise: str, out: torch.Tensor, inputs: Iterable[torch.Tensor]) -> tuple:
    """The gradients of ``out.sum()`` for ``inputs``, None for those it does not reach."""
    try:
        return torch.autograd.grad(out.sum(), list(inputs), allow_unused=True)
    except Exception as error:  # e.g. an in-place change that autograd cannot undo
        raise crashed(exercise, "computing the gradients", error) from None


def gradients_reach(exercise: str, model: nn.Module, out: torch.Tensor) -> None:
    """Check that the gradient of ``out.sum()`` reaches every parameter of ``model``."""
    params = dict(model.named_parameters())
    for name, param in params.items():
        ensure(exercise, param.requires_grad,
               f"model.{name} does not require gradients, so training would not change it.")
    ensure(exercise, isinstance(out, torch.Tensor) and out.requires_grad, "the model's output "
           "does not depend on its parameters through autograd: do not detach tensors or use "
           "torch.no_grad() in forward.")
    for name, grad in zip(params, gradients(exercise, out, params.values()), strict=True):
        ensure(exercise, grad is not None, f"model.{name} gets no gradient from the output: use "
               "every layer you create in __init__ in forward, and detach nothing.")


# --- what an answer does while it runs ---------------------------------------------------

_LIBRARY = (sys.prefix, sys.base_prefix, str(Path(__file__).parent), "<frozen")


def _steps(fn: Callable, args: Sequence[Any]) -> int:
    """Count the bytecode steps ``fn(*args)`` runs in code outside the libraries."""
    count = 0

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        nonlocal count
        if event == "call":
            if frame.f_code.co_filename.startswith(_LIBRARY):
                return None
            frame.f_trace_opcodes, frame.f_trace_lines = True, False
        count += event == "opcode"
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        with np.errstate(all="ignore"), contextlib.suppress(Exception):
            fn(*args)  # a crash is reported elsewhere; here only the steps count
    finally:
        sys.settrace(previous)
    return count


def uses_python_loop(fn: Callable, small: Sequence[Any], large: Sequence[Any]) -> bool:
    """True when ``fn`` runs clearly more Python steps on ``large`` inputs than ``small``.

    A loop over the data (rows, positions) grows with the input; vectorised code, and a
    comprehension over a fixed few sizes, does not.
    """
    _steps(fn, small)  # warm up: first calls may import or compile
    return _steps(fn, large) > 1.5 * _steps(fn, small) + 30


def torch_functions(fn: Callable, *args: Any) -> set[str]:
    """The names of the torch functions that ``fn(*args)`` calls, e.g. {"conv2d"}."""
    from torch.overrides import TorchFunctionMode

    names: set[str] = set()

    class Spy(TorchFunctionMode):
        def __torch_function__(self, func, types, args=(), kwargs=None):  # noqa: ANN001
            names.add(getattr(func, "__name__", ""))
            return func(*args, **(kwargs or {}))

    with contextlib.suppress(Exception), Spy():
        fn(*args)
    return names


def creates_parameters(fn: Callable, *args: Any) -> bool:
    """True when calling ``fn(*args)`` builds a layer (registers an nn.Parameter)."""
    created: list[str] = []
    handle = _module.register_module_parameter_registration_hook(
        lambda module, name, param: created.append(name))
    try:
        with contextlib.suppress(Exception):
            fn(*args)
    finally:
        handle.remove()
    return bool(created)


# --- seeds and threads -------------------------------------------------------------------


def exercise_rng(exercise: str) -> np.random.Generator:
    """Return a NumPy generator seeded per exercise, independent of the notebook."""
    return np.random.default_rng(int(exercise.replace(".", "")))


@contextlib.contextmanager
def torch_seed(seed: int) -> Iterator[None]:
    """Seed torch's CPU generator inside the block; restore the caller's state after."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        yield


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread inside the block: tiny models train far faster so."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
