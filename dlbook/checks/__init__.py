"""Exercise checkers: compare a student's answer with a reference, explain in one line.

A wrong answer raises :class:`CheckFailed`, an ``AssertionError`` whose message is one
plain sentence. In Jupyter it is shown as that sentence alone, without a traceback
from our internals. A right answer prints a short confirmation.

Chapter-specific checkers live in ``dlbook.checks.chNN`` and are built from the
helpers here, so every checker explains shapes, dtypes and values the same way. The
helpers at the end (seeds, reading a function's source) keep checkers
reproducible and leave the notebook's state alone.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "CheckFailed",
    "as_number",
    "call",
    "compare_arrays",
    "compare_gradient",
    "compare_shape",
    "compare_value",
    "constant_ratio",
    "crashed",
    "ensure",
    "ensure_like",
    "exercise_rng",
    "float_values",
    "is_close",
    "passed",
    "source_uses",
    "torch_seed",
]


class CheckFailed(AssertionError):
    """A wrong exercise answer, explained in one plain sentence."""

    def __init__(self, exercise: str, message: str) -> None:
        super().__init__(f"Exercise {exercise}: {message}")
        self.exercise = exercise
        self.message = message

    def _render_traceback_(self) -> list[str]:
        """Show IPython users the sentence alone, not our internals' traceback."""
        return [f"\N{BALLOT X} {self}"]


def passed(exercise: str, message: str = "") -> None:
    """Print the confirmation that an exercise's answer is right."""
    tail = f" {message}" if message else ""
    print(f"\N{CHECK MARK} Exercise {exercise} passed.{tail}")


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


def _show(value: Any) -> str:
    """Write one element for a message: NumPy scalars as plain Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value)


def crashed(exercise: str, what: str, error: Exception, hint: str = "") -> CheckFailed:
    """Return the one-line failure saying that ``what`` raised ``error``, then ``hint``."""
    lines = str(error).splitlines()
    detail = lines[0].rstrip(" .:") if lines else ""
    message = f"{what} raised {type(error).__name__}" + (
        f": {detail}" if detail else ""
    )
    return CheckFailed(exercise, f"{message}{hint}.")


def call(exercise: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the student's ``fn``; turn a stub or a crash into a one-line CheckFailed."""
    name = getattr(fn, "__name__", "your answer")
    if not callable(fn):
        raise CheckFailed(exercise, f"expected a function but got {describe(fn)}.")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(
            exercise,
            f"{name} still raises NotImplementedError: replace the stub with your code.",
        ) from None
    except Exception as error:  # any student bug becomes one sentence
        raise crashed(exercise, name, error) from None


def _first_mismatch(answer: np.ndarray, expected: np.ndarray, rtol: float, atol: float):
    """Return the index of the first element that differs, or None."""
    if np.issubdtype(expected.dtype, np.number) or expected.dtype == bool:
        close = np.isclose(answer, expected, rtol=rtol, atol=atol, equal_nan=True)
    else:
        close = answer == expected
    bad = np.argwhere(~np.asarray(close))
    return None if len(bad) == 0 else tuple(int(i) for i in bad[0])


def ensure_like(
    exercise: str,
    name: str,
    answer: Any,
    expected: np.ndarray | torch.Tensor,
    *,
    check_dtype: bool = True,
) -> None:
    """Check that ``answer`` has the kind, shape and dtype of ``expected`` (not values)."""
    want_tensor = isinstance(expected, torch.Tensor)
    if want_tensor and not isinstance(answer, torch.Tensor):
        raise CheckFailed(
            exercise, f"{name} should be a tensor but is {describe(answer)}."
        )
    if not want_tensor and not isinstance(answer, np.ndarray):
        raise CheckFailed(
            exercise, f"{name} should be a NumPy array but is {describe(answer)}."
        )
    shape, want_shape = tuple(answer.shape), tuple(expected.shape)
    if shape != want_shape:
        raise CheckFailed(
            exercise, f"{name} has shape {shape} but should have shape {want_shape}."
        )
    if check_dtype and answer.dtype != expected.dtype:
        raise CheckFailed(
            exercise,
            f"{name} has dtype {answer.dtype} but should have {expected.dtype}.",
        )
    if want_tensor:
        if answer.requires_grad != expected.requires_grad:
            want = "track" if expected.requires_grad else "not track"
            raise CheckFailed(
                exercise, f"{name} should {want} gradients (requires_grad)."
            )


def compare_arrays(
    exercise: str,
    name: str,
    answer: Any,
    expected: np.ndarray | torch.Tensor,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    check_dtype: bool = True,
) -> None:
    """Check that ``answer`` is an array/tensor like ``expected``: kind, shape, dtype, values."""
    ensure_like(exercise, name, answer, expected, check_dtype=check_dtype)
    kind = "tensor" if isinstance(expected, torch.Tensor) else "NumPy array"
    if isinstance(expected, torch.Tensor):
        try:
            answer = answer.detach().cpu().numpy()
        except (RuntimeError, TypeError, NotImplementedError):  # e.g. bfloat16, meta
            raise CheckFailed(
                exercise,
                f"{name} cannot be read as numbers: it is {describe(answer)} "
                f"on the {answer.device.type} device.",
            ) from None
        expected = expected.detach().cpu().numpy()
    try:
        index = _first_mismatch(answer, expected, rtol, atol)
    except TypeError:  # e.g. an object array the student built by hand
        raise CheckFailed(
            exercise, f"{name} holds values of an unexpected type ({answer.dtype})."
        ) from None
    if index is not None:
        where = f"[{', '.join(map(str, index))}]" if index else ""
        raise CheckFailed(
            exercise,
            f"{name}{where} is {_show(answer[index])} but should be "
            f"{_show(expected[index])} "
            f"(this {kind} has the right shape, so look at how its values are computed).",
        )


def compare_shape(
    exercise: str,
    name: str,
    answer: Any,
    expected: tuple,
    *,
    reveal: bool = True,
    hint: str = "",
) -> None:
    """Check a shape written as a tuple of integers, e.g. a predicted output shape.

    With ``reveal=False`` the message says which dimensions are wrong, never the right
    sizes; ``hint`` (no final full stop) is appended to any message.
    """
    tail = f"; {hint}" if hint else ""
    if not isinstance(answer, tuple | torch.Size):
        advice = (
            ", written with parentheses like (2, 3)" if isinstance(answer, list) else ""
        )
        raise CheckFailed(
            exercise,
            f"{name} should be a tuple of integers{advice}, but is {describe(answer)}.",
        )
    for size in answer:
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise CheckFailed(
                exercise,
                f"{name} should hold only integers, but holds {describe(size)}.",
            )
    answer, expected = tuple(int(size) for size in answer), tuple(expected)
    if answer == expected:
        return
    if reveal:
        raise CheckFailed(
            exercise, f"{name} is {answer} but should be {expected}{tail}."
        )
    if len(answer) != len(expected):
        raise CheckFailed(
            exercise,
            f"{name} has {len(answer)} dimension{'' if len(answer) == 1 else 's'} "
            "but the output has "
            f"{len(expected)}{tail}.",
        )
    wrong = [
        str(i) for i, (a, e) in enumerate(zip(answer, expected, strict=True)) if a != e
    ]
    which = (
        f"dimension {wrong[0]} is"
        if len(wrong) == 1
        else f"dimensions {', '.join(wrong[:-1])} and {wrong[-1]} are"
    )
    raise CheckFailed(exercise, f"in {name}, {which} wrong (counting from 0){tail}.")


def compare_value(
    exercise: str, name: str, answer: Any, expected: Any, *, reveal: bool = True
) -> None:
    """Check a plain Python answer (number, tuple, list, string) for equality.

    With ``reveal=False`` the message does not give the right answer away.
    """
    if isinstance(expected, float) and isinstance(answer, int | float):
        if np.isclose(answer, expected, rtol=1e-6, atol=1e-9):
            return
    elif type(answer) is not type(expected) and not (
        isinstance(expected, tuple) and isinstance(answer, torch.Size)
    ):
        raise CheckFailed(
            exercise,
            f"{name} should be a {type(expected).__name__} but is {describe(answer)}.",
        )
    elif answer == expected:
        return
    if reveal:
        raise CheckFailed(exercise, f"{name} is {answer!r} but should be {expected!r}.")
    raise CheckFailed(exercise, f"{name} is {answer!r}, which is not right: try again.")


# --- reading numbers and gradients ----------------------------------------------------


def float_values(answer: Any) -> np.ndarray | None:
    """Return an array's or tensor's values as float64, or None if they are unreadable."""
    try:
        if isinstance(answer, torch.Tensor):
            answer = answer.detach().cpu().numpy()
        return np.asarray(answer, dtype=np.float64)
    except (RuntimeError, TypeError, ValueError, NotImplementedError):
        return None


def is_close(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Return True when ``a`` is readable, has the shape of ``b`` and agrees with it."""
    if a is None:
        return False
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def as_number(exercise: str, name: str, value: Any) -> float:
    """Return ``value`` as a float if it is one finite number (Python, NumPy or tensor)."""
    if isinstance(value, bool):
        raise CheckFailed(exercise, f"{name} should be a number but is a bool.")
    number = None
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
    elif isinstance(value, np.ndarray | torch.Tensor) and value.ndim <= 1:
        try:
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            if value.size == 1 and np.issubdtype(value.dtype, np.number):
                number = float(value.reshape(-1)[0])
        except (RuntimeError, TypeError, NotImplementedError):  # meta, bfloat16...
            number = None
    if number is None:
        raise CheckFailed(
            exercise, f"{name} should be a number but is {describe(value)}."
        )
    ensure(exercise, np.isfinite(number), f"{name} is {number}, not a finite number.")
    return number


def constant_ratio(answer: np.ndarray, expected: np.ndarray) -> float | None:
    """Return r if ``answer == r * expected`` everywhere (zeros of expected stay 0)."""
    mask = np.abs(expected) > 1e-12
    if not mask.any() or not np.all(np.isfinite(answer)):
        return None
    if not np.allclose(answer[~mask], 0.0, atol=1e-12):
        return None
    ratio = answer[mask] / expected[mask]
    if np.allclose(ratio, ratio[0], rtol=1e-6, atol=1e-12):
        return float(ratio[0])
    return None


def compare_gradient(
    exercise: str,
    name: str,
    answer: Any,
    expected: np.ndarray | torch.Tensor,
    *,
    factors: dict[float, str] | None = None,
    sign_hint: str = "check the sign of each factor in your chain rule",
    factor_hint: str = "",
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Check a gradient as :func:`compare_arrays` does, naming a wrong sign or factor.

    When ``answer`` is a constant multiple of ``expected``, ``factors`` maps a known
    wrong factor to its message; a factor of -1 gets ``sign_hint``, and any other one
    ``factor_hint`` where given (both without a final full stop).
    """
    ensure_like(exercise, name, answer, expected)
    values, want = float_values(answer), float_values(expected)
    if values is not None and not is_close(values, want, rtol, atol):
        ratio = constant_ratio(values, want)
        if ratio is not None:
            for factor, message in (factors or {}).items():
                ensure(exercise, not np.isclose(ratio, factor, rtol=1e-6), message)
            ensure(
                exercise,
                not np.isclose(ratio, -1.0),
                f"{name} has the wrong sign: {sign_hint}.",
            )
            if factor_hint and not np.isclose(ratio, 0.0):
                raise CheckFailed(
                    exercise,
                    f"{name} is off by a constant factor of {ratio:.3g}: {factor_hint}.",
                )
    compare_arrays(exercise, name, answer, expected, rtol=rtol, atol=atol)


# --- seeds and source code ---------------------------------------------------


def exercise_rng(exercise: str) -> np.random.Generator:
    """Return a NumPy generator seeded per exercise, independent of the notebook."""
    return np.random.default_rng(int(exercise.replace(".", "")))


@contextlib.contextmanager
def torch_seed(seed: int) -> Iterator[None]:
    """Seed torch's CPU generator inside the block; restore the caller's state after."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        yield


def source_uses(
    fn: Callable, calls: tuple[str, ...] = (), loop: str = ""
) -> str | None:
    """Name the first Python loop or call of one of ``calls`` in ``fn``'s source, if any.

    A loop is named by its kind ("a for loop", "a while loop", "a comprehension"), or
    by ``loop`` where given; a call as "conv2d itself". None also when there is no
    source to read (built-ins, code made by exec).
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.For | ast.AsyncFor):
            return loop or "a for loop"
        if isinstance(node, ast.While):
            return loop or "a while loop"
        if isinstance(node, ast.comprehension):
            return loop or "a comprehension"
        if isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "attr", None) or getattr(func, "id", "")
            if name in calls:
                return f"{name} itself"
    return None


def build_model(
    exercise: str, cls: Any, name: str, seed: int, **kwargs: Any
) -> torch.nn.Module:
    """Build a student's model class ``cls`` (called ``name``) under a fixed seed.

    Fails in one line when given a built model instead of the class, something that
    cannot be called, a constructor that raises, or one that builds no ``nn.Module``.
    """
    ensure(
        exercise,
        not isinstance(cls, torch.nn.Module),
        f"pass the class {name} itself, not a model built from it.",
    )
    ensure(
        exercise, callable(cls), f"expected the class {name} but got {describe(cls)}."
    )
    with torch_seed(seed):
        model = call(exercise, cls, **kwargs)
    ensure(
        exercise,
        isinstance(model, torch.nn.Module),
        f"{name}({'...' if kwargs else ''}) should build an nn.Module but gave "
        f"{describe(model)}.",
    )
    return model


def gradients_reach(exercise: str, model: torch.nn.Module, out: torch.Tensor) -> None:
    """Check that the gradient of ``out.sum()`` reaches every parameter of ``model``."""
    params = dict(model.named_parameters())
    for name, param in params.items():
        ensure(
            exercise,
            param.requires_grad,
            f"model.{name} does not require gradients, so training would not change it.",
        )
    ensure(
        exercise,
        isinstance(out, torch.Tensor) and out.requires_grad,
        "the model's output does not depend on its parameters through autograd: do "
        "not detach tensors or use torch.no_grad() in forward.",
    )
    try:
        grads = torch.autograd.grad(out.sum(), list(params.values()), allow_unused=True)
    except Exception as error:  # e.g. an in-place change that autograd cannot undo
        raise crashed(exercise, "computing the gradients", error) from None
    for name, grad in zip(params, grads, strict=True):
        ensure(
            exercise,
            grad is not None,
            f"model.{name} gets no gradient from the output: use every layer you "
            "create in __init__ in forward, and detach nothing.",
        )


def run_model(
    exercise: str, model: Any, *inputs: Any, in_features_hint: str = ""
) -> Any:
    """Return ``model(*inputs)``; turn a stub or a crash into a one-line CheckFailed.

    ``in_features_hint`` is added to the message when a linear layer got inputs of
    the wrong width (PyTorch's "mat1 and mat2 shapes cannot be multiplied").
    """
    try:
        return model(*inputs)
    except NotImplementedError:
        raise CheckFailed(
            exercise,
            "the model's forward still raises NotImplementedError: replace the stub "
            "with your code.",
        ) from None
    except Exception as error:  # any student bug becomes one sentence
        hint = ""
        if in_features_hint and "mat1 and mat2" in str(error):
            hint = f": {in_features_hint}"
        raise crashed(exercise, "the model's forward", error, hint) from None


def check_keys(
    exercise: str, name: str, answer: Any, expected: dict, example: str, entry: str
) -> None:
    """Check that ``answer`` is a dict with exactly the keys of ``expected``.

    ``example`` shows the dict's form in the message (``{'a': (C, H, W), ...}``),
    ``entry`` what each value should be ("one (C, H, W) tuple").
    """
    keys = ", ".join(repr(key) for key in expected)
    ensure(
        exercise,
        isinstance(answer, dict),
        f"{name} should be a dict like {example} but is {describe(answer)}.",
    )
    for key in answer:
        ensure(
            exercise,
            key in expected,
            f"{name} has an unexpected key {key!r}: use only the keys {keys}.",
        )
    for key in expected:
        ensure(
            exercise,
            key in answer,
            f"{name} has no entry {key!r}: give {entry} for each of the keys {keys}.",
        )


def ensure_linear_head(exercise: str, model: torch.nn.Module) -> None:
    """Fail in one line unless ``model`` has an ``nn.Linear`` layer to classify with."""
    ensure(
        exercise,
        any(isinstance(m, torch.nn.Linear) for m in model.modules()),
        "the model has no nn.Linear layer: add one as the classification layer.",
    )
