"""Checkers for the exercises of chapter 3: convolutional networks.

Each ``check_*`` takes the student's answer (values, a function or a class), computes
its own reference with PyTorch's layers, and either prints a confirmation or raises
:class:`CheckFailed` with one sentence. Checkers seed their own generators, so running
them leaves the notebook's random state as it was, and the shape question never gives
the right shape away.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.overrides import TorchFunctionMode

from dlbook.checks import (
    CheckFailed,
    build_model,
    call,
    check_keys,
    compare_arrays,
    compare_shape,
    describe,
    ensure,
    ensure_like,
    ensure_linear_head,
    exercise_rng,
    float_values,
    gradients_reach,
    is_close,
    passed,
    run_model,
    source_uses,
    torch_seed,
)

__all__ = [
    "check_cnn_classifier",
    "check_conv2d_unfold",
    "check_max_pool",
    "check_output_shapes",
    "check_param_counts",
    "check_pattern_kernels",
]


# --- private helpers ------------------------------------------------------------------


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide ``kernel`` (k, k) over ``image`` (H, W) without padding, as conv2d does."""
    out = F.conv2d(
        torch.from_numpy(np.ascontiguousarray(image))[None, None],  # (1, 1, H, W)
        torch.from_numpy(np.ascontiguousarray(kernel))[None, None],  # (1, 1, k, k)
    )
    return out[0, 0].numpy()  # (H - k + 1, W - k + 1)


# --- Exercise 3.1: kernels that detect a pattern --------------------------------------

#: A response counts as weak when it is at most this fraction of the pattern's peak.
FLAT_FRACTION, OTHER_FRACTION = 0.1, 0.5


def _as_kernel(ex: str, name: str, value: Any) -> np.ndarray:
    """Return ``value`` as a finite float64 array of shape (3, 3), or fail."""
    if isinstance(value, torch.Tensor):
        readable = float_values(value)
        ensure(
            ex,
            readable is not None,
            f"{name} cannot be read as numbers: it is {describe(value)} on the "
            f"{value.device.type} device.",
        )
        value = readable
    if not isinstance(value, np.ndarray | list | tuple):
        raise CheckFailed(
            ex, f"{name} should be a 3x3 NumPy array but is {describe(value)}."
        )
    try:
        kernel = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CheckFailed(
            ex,
            f"{name} should be a 3x3 array of numbers, like np.array([[...], [...], "
            "[...]]), but its entries are not all numbers.",
        ) from None
    ensure(
        ex,
        kernel.shape == (3, 3),
        f"{name} has shape {kernel.shape} but should be a 3x3 kernel.",
    )
    ensure(ex, bool(np.all(np.isfinite(kernel))), f"{name} holds nan or inf.")
    ensure(
        ex,
        bool(np.any(kernel != 0)),
        f"{name} is all zeros, so it responds to nothing.",
    )
    return kernel


def _step(bright_right: bool, vertical: bool = True) -> np.ndarray:
    """An 8 x 10 image: dark (0.2) and bright (0.9) halves meeting at an edge."""
    image = np.full((8, 10), 0.2)
    if vertical:
        image[:, 5:] = 0.9  # the edge lies between columns 4 and 5
    else:
        image[4:, :] = 0.9  # the edge lies between rows 3 and 4
    return image if bright_right else 1.1 - image


def _check_flat(ex: str, name: str, kernel: np.ndarray, peak: float) -> None:
    """Fail when a flat bright region gives more than a weak response."""
    flat = float(np.abs(_correlate(np.ones((6, 6)), kernel)).max())
    ensure(
        ex,
        flat <= FLAT_FRACTION * peak,
        f"{name} responds to a flat bright region with {flat:.3g}, too much next to "
        f"{peak:.3g} on its pattern: make its entries sum to 0 so that flat regions "
        "give 0.",
    )


def _check_edge_kernel(ex: str, kernel: np.ndarray) -> None:
    """The kernel peaks on a vertical dark-to-bright edge and ignores the rest."""
    name = "edge_kernel"
    peak = float(_correlate(_step(True), kernel).max())
    down = float(_correlate(_step(False), kernel).max())
    if peak <= 1e-9 * np.abs(kernel).max():
        ensure(
            ex,
            down <= 1e-9 * np.abs(kernel).max(),
            f"{name} responds to edges from bright to dark, not from dark to bright: "
            "mirror it from left to right.",
        )
        raise CheckFailed(
            ex,
            f"{name} gives no positive response on a vertical edge from dark (left) to "
            "bright (right): weight the right column positively, the left negatively.",
        )
    # A weak response on flat regions puts the peak on the windows across the edge.
    _check_flat(ex, name, kernel, peak)
    ensure(
        ex,
        down <= OTHER_FRACTION * peak,
        f"{name} responds to an edge from bright to dark almost as strongly as to one "
        "from dark to bright: give the left and right columns opposite signs.",
    )
    across = max(
        float(_correlate(_step(bright, vertical=False), kernel).max())
        for bright in (True, False)
    )
    ensure(
        ex,
        across <= OTHER_FRACTION * peak,
        f"{name} responds to a horizontal edge almost as strongly as to a vertical "
        "one: it should compare left with right, not top with bottom.",
    )


def _check_diagonal_kernel(ex: str, kernel: np.ndarray) -> None:
    """The kernel peaks on a thin bright diagonal line and ignores the rest."""
    name = "diagonal_kernel"
    line = np.eye(9)  # a bright line from top left to bottom right on black
    response = _correlate(line, kernel)  # (7, 7): (i, i) is centred on the line
    peak = float(response.max())
    ensure(
        ex,
        peak > 1e-9 * np.abs(kernel).max(),
        f"{name} gives no positive response on a bright diagonal line: weight the "
        "pixels on the kernel's diagonal positively.",
    )
    _check_flat(ex, name, kernel, peak)
    on_line = np.eye(7, dtype=bool)
    ensure(
        ex,
        response[~on_line].max() < response[on_line].max() - 1e-9 * peak,
        f"{name} responds at least as strongly beside the line as on it: the "
        "positive weights should lie on the diagonal from top left to bottom right.",
    )
    vertical = np.zeros((9, 9))
    vertical[:, 4] = 1.0
    others = {
        "a line from top right to bottom left": np.fliplr(line),
        "a vertical line": vertical,
        "a horizontal line": vertical.T,
    }
    for what, image in others.items():
        ensure(
            ex,
            _correlate(image, kernel).max() <= OTHER_FRACTION * peak,
            f"{name} responds to {what} almost as strongly as to the diagonal line: "
            "weight the pixels off the diagonal negatively.",
        )


def check_pattern_kernels(edge_kernel: Any, diagonal_kernel: Any) -> None:
    """Check Exercise 3.1: two 3x3 kernels, each peaking on its own pattern."""
    ex = "3.1"
    _check_edge_kernel(ex, _as_kernel(ex, "edge_kernel", edge_kernel))
    _check_diagonal_kernel(ex, _as_kernel(ex, "diagonal_kernel", diagonal_kernel))
    passed(
        ex,
        "Each kernel peaks on its own pattern and stays quiet on flat regions and on "
        "the other patterns.",
    )


# --- Exercise 3.2: output shapes with stride and padding ------------------------------


def _shape_layers() -> dict[str, nn.Module]:
    """The layers of Exercise 3.2, each applied to a batch of shape (N, 3, 32, 32)."""
    return {
        "a": nn.Conv2d(3, 8, kernel_size=3),
        "b": nn.Conv2d(3, 8, kernel_size=5, padding=2),
        "c": nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1),
        "d": nn.Conv2d(3, 4, kernel_size=7, stride=3),
        "e": nn.Sequential(nn.Conv2d(3, 6, kernel_size=5), nn.MaxPool2d(2)),
        "f": nn.Sequential(
            nn.Conv2d(3, 15, kernel_size=3),
            nn.ReLU(),
            nn.Conv2d(15, 30, kernel_size=5),
            nn.ReLU(),
        ),
        "g": nn.Sequential(
            nn.Conv2d(3, 15, kernel_size=3),
            nn.ReLU(),
            nn.Conv2d(15, 30, kernel_size=5),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        ),
    }


def _output_shapes() -> dict[str, tuple]:
    """Run each layer of Exercise 3.2 on a small batch; return its (C, H, W)."""
    # The meta device would skip the arithmetic, but its first use costs seconds.
    with torch_seed(32), torch.no_grad():
        X = torch.zeros(1, 3, 32, 32)  # (N, C, H, W)
        return {
            key: tuple(layer(X).shape[1:]) for key, layer in _shape_layers().items()
        }


#: A hint per layer of Exercise 3.2 for wrong heights or widths; none gives a size.
SHAPE_HINTS = {
    "a": "without padding, a k x k kernel fits H - k + 1 times along H pixels",
    "b": "padding adds that many zeros on every side before the kernel slides",
    "c": "with a stride the kernel jumps that many pixels at a time: "
    "H_out = (H + 2 * padding - kernel_size) // stride + 1",
    "d": "H_out = (H + 2 * padding - kernel_size) // stride + 1 rounds down: a last "
    "window that does not fit is dropped",
    "e": "apply the formula to the convolution, then to the pooling, whose stride is "
    "its kernel size unless told otherwise",
    "f": "apply the formula layer after layer; a ReLU changes no shape",
    "g": "adaptive pooling outputs the size it is asked for, whatever size comes in",
}
CHANNEL_HINT = (
    "a convolution outputs one channel per filter (out_channels), and pooling and ReLU "
    "keep the number of channels"
)


def check_output_shapes(shapes: Any) -> None:
    """Check Exercise 3.2: the predicted (C, H, W) after each of seven layers."""
    ex = "3.2"
    expected_shapes = _output_shapes()
    check_keys(
        ex,
        "shapes",
        shapes,
        expected_shapes,
        "{'a': (C, H, W), ...}",
        "one (C, H, W) tuple",
    )
    for key, expected in expected_shapes.items():
        answer = shapes[key]
        name = f"shapes[{key!r}]"
        ensure(
            ex,
            not (isinstance(answer, tuple) and len(answer) == 4),
            f"{name} has 4 dimensions: leave out the batch dimension N and give "
            "(C, H, W) for one image.",
        )
        hint = ""
        sizes = answer if isinstance(answer, tuple) and len(answer) == 3 else ()
        if sizes and all(isinstance(v, int | np.integer) for v in sizes):
            hint = CHANNEL_HINT if answer[0] != expected[0] else SHAPE_HINTS[key]
        compare_shape(ex, name, answer, expected, reveal=False, hint=hint)
    passed(ex, f"All {len(expected_shapes)} shapes are right.")


# --- Exercise 3.3: counting parameters ------------------------------------------------


def _count(layer: nn.Module) -> int:
    """Return the number of parameters of ``layer``."""
    return sum(p.numel() for p in layer.parameters())


def _whole(ex: str, name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a whole number, else fail."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = float_values(value)
        value = None if value is None else value.reshape(-1)[0]
    is_number = isinstance(value, int | float | np.integer | np.floating)
    if isinstance(value, bool) or not is_number or not float(value).is_integer():
        raise CheckFailed(
            ex, f"{name} should be a whole number but is {describe(value)}."
        )
    return int(value)


def _check_conv_count(ex: str, conv2d_params: Callable, case: tuple) -> None:
    """Compare ``conv2d_params`` on one case with the parameters of nn.Conv2d."""
    c_in, c_out, k, bias = case
    layer = nn.Conv2d(c_in, c_out, k, bias=bias, device="meta")
    expected, weights = _count(layer), c_in * c_out * k * k
    if bias:  # leave the default in place once
        name = f"conv2d_params({c_in}, {c_out}, {k})"
        answer = call(ex, conv2d_params, c_in, c_out, k)
    else:
        name = f"conv2d_params({c_in}, {c_out}, {k}, bias=False)"
        answer = call(ex, conv2d_params, c_in, c_out, k, False)
    answer = _whole(ex, name, answer)
    if answer == expected:
        return
    biases = c_out if bias else 0
    mistakes = [
        (
            c_out * k * k + biases,
            "leaves out the input channels: each filter spans all in_channels of its "
            "input, so it has in_channels * kernel_size * kernel_size weights",
        ),
        (
            c_in * c_out * k + biases,
            "counts kernel_size weights per channel, but a kernel_size x kernel_size "
            "kernel has kernel_size * kernel_size of them",
        ),
        (
            weights + c_in,
            "counts one bias per input channel, but there is one per filter "
            "(out_channels of them)",
        ),
    ]
    if bias:
        mistakes.append((weights, "leaves out the biases: each filter has one"))
    else:
        mistakes.append((weights + c_out, "counts biases although bias=False"))
    for value, message in mistakes:
        ensure(ex, answer != value, f"{name} {message}.")
    raise CheckFailed(ex, f"{name} is {answer} but should be {expected}.")


def _check_linear_count(ex: str, linear_params: Callable, case: tuple) -> None:
    """Compare ``linear_params`` on one case with the parameters of nn.Linear."""
    n_in, n_out, bias = case
    expected = _count(nn.Linear(n_in, n_out, bias=bias, device="meta"))
    if bias:
        name = f"linear_params({n_in}, {n_out})"
        answer = call(ex, linear_params, n_in, n_out)
    else:
        name = f"linear_params({n_in}, {n_out}, bias=False)"
        answer = call(ex, linear_params, n_in, n_out, False)
    answer = _whole(ex, name, answer)
    if answer == expected:
        return
    if bias:
        ensure(
            ex,
            answer != n_in * n_out,
            f"{name} leaves out the biases: each output has one.",
        )
    else:
        ensure(
            ex,
            answer != n_in * n_out + n_out,
            f"{name} counts biases although bias=False.",
        )
    ensure(
        ex,
        answer != n_in * n_out + n_in * bias,
        f"{name} counts one bias per input, but there is one per output "
        "(out_features of them).",
    )
    raise CheckFailed(ex, f"{name} is {answer} but should be {expected}.")


def check_param_counts(conv2d_params: Any, linear_params: Any) -> None:
    """Check Exercise 3.3: parameter counts by formula agree with PyTorch's layers."""
    ex = "3.3"
    for case in [
        (3, 8, 5, True),
        (16, 32, 3, False),
        (1, 6, 7, True),
        (64, 10, 1, True),
    ]:
        _check_conv_count(ex, conv2d_params, case)
    for case in [(784, 10, True), (20, 1, True), (5, 7, False)]:
        _check_linear_count(ex, linear_params, case)
    passed(ex, "Both formulas agree with the parameters PyTorch creates.")


# --- Exercise 3.4: max pooling in NumPy -----------------------------------------------

#: Example 4.4 of the course notes: the feature map Y before pooling.
EXAMPLE_Y = np.array(
    [[0, 5, 8, 0], [6, 10, 1, 5], [4, 0, 2, 11], [0, 1, 11, 3]], dtype=np.float64
)


def _pool_shape(shape: tuple, k: int, s: int, ceil: bool = False) -> tuple:
    """The shape after pooling the last two axes with window k and stride s."""
    sides = [-(-(n - k) // s) + 1 if ceil else (n - k) // s + 1 for n in shape[-2:]]
    return tuple(shape[:-2]) + tuple(sides)


def _pool_call(ex: str, fn: Callable, X: np.ndarray, k: int, s: int | None) -> Any:
    """Call the student's pooling; say so when it fails on a 2-D input only."""
    args = (k,) if s is None else (k, s)
    try:
        return call(ex, fn, X, *args)
    except CheckFailed as failure:
        if X.ndim != 2 or "NotImplementedError" in failure.message:
            raise
        raise CheckFailed(
            ex,
            f"on a 2-D input (H, W), {failure.message[:1].lower()}"
            f"{failure.message[1:]}",
        ) from None


def _pool_ref(pool: Callable, X: np.ndarray, k: int, s: int) -> np.ndarray:
    """Pool the last two axes of X (C, H, W) or (H, W) with torch's ``pool``."""
    Xt = torch.from_numpy(X)
    out = pool(Xt if X.ndim == 3 else Xt[None], k, s)  # (C, H_out, W_out)
    return out.reshape(_pool_shape(X.shape, k, s)).numpy()


def _check_pool_values(
    ex: str, name: str, X: np.ndarray, k: int, s: int, got: np.ndarray | None
) -> None:
    """Name the classic mistakes of a pooling whose values are wrong."""
    expected = _pool_ref(F.max_pool2d, X, k, s)
    if got is None or is_close(got, expected, 1e-5, 1e-8):
        return
    ensure(
        ex,
        not is_close(got, _pool_ref(F.avg_pool2d, X, k, s), 1e-5, 1e-8),
        f"{name} takes the mean of each window: max pooling keeps its largest value.",
    )
    ensure(
        ex,
        not is_close(got, -_pool_ref(F.max_pool2d, -X, k, s), 1e-5, 1e-8),
        f"{name} takes the smallest value of each window instead of the largest.",
    )
    ensure(
        ex,
        not (
            is_close(got, np.maximum(expected, 0.0), 1e-5, 1e-8)
            and (expected < 0).any()
        ),
        f"{name} is never below 0, although some windows hold only negative numbers: "
        "start from the window's own values (window.max()), not from 0.",
    )
    if X.ndim == 3 and X.shape[0] > 1:
        mixed = np.broadcast_to(expected.max(axis=0), expected.shape)
        ensure(
            ex,
            not is_close(got, mixed, 1e-5, 1e-8),
            f"{name} takes the maximum over all channels: pool each channel on its "
            "own.",
        )


def check_max_pool(max_pool2d: Any) -> None:
    """Check Exercise 3.4: NumPy max pooling against torch's F.max_pool2d."""
    ex = "3.4"
    rng = exercise_rng(ex)
    cases = [  # (shape, kernel_size, stride); None is the default stride
        ((3, 6, 6), 2, None),
        ((2, 7, 10), 3, 2),
        ((4, 5, 9), 2, 1),
        ((1, 9, 6), 4, 3),
        ((6, 8), 3, 3),
    ]
    inputs = [rng.normal(size=shape) for shape, _, _ in cases]
    cases.append((EXAMPLE_Y.shape, 2, None))
    inputs.append(EXAMPLE_Y.copy())
    for X, (shape, k, s) in zip(inputs, cases, strict=True):
        stride = k if s is None else s
        name = f"max_pool2d(X of shape {shape}, {k}"
        name += ")" if s is None else f", stride={s})"
        given = X.copy()
        answer = _pool_call(ex, max_pool2d, given, k, s)
        ensure(
            ex,
            np.array_equal(given, X),
            "max_pool2d changed the array X passed to it: write the results into a "
            "new array.",
        )
        expected = _pool_ref(F.max_pool2d, X, k, stride)
        got_shape = getattr(answer, "shape", None)
        if isinstance(answer, np.ndarray) and got_shape != expected.shape:
            default = "the default stride is kernel_size" if s is None else ""
            ensure(
                ex,
                stride == 1 or got_shape != _pool_shape(shape, k, 1),
                f"{name} moves the window one pixel at a time: "
                + (default or "it should move stride pixels at a time")
                + ".",
            )
            ensure(
                ex,
                got_shape != _pool_shape(shape, k, stride, ceil=True),
                f"{name} keeps a last window that does not fit: like PyTorch, drop it "
                "(round the number of windows down).",
            )
        ensure_like(ex, name, answer, expected)
        _check_pool_values(ex, name, X, k, stride, float_values(answer))
        compare_arrays(ex, name, answer, expected)
    passed(ex, "It agrees with F.max_pool2d, also for overlapping windows.")


# --- Exercise 3.5: convolution as one matrix product ----------------------------------


def _conv_shape_hint(ex: str, name: str, got: tuple, case: tuple) -> None:
    """Name a forgotten stride or padding, or swapped axes, from a wrong shape."""
    (N, C, H, W), n_filters, k, s, p = case

    def shape(stride: int, padding: int) -> tuple:
        sides = [(n + 2 * padding - k) // stride + 1 for n in (H, W)]
        return (N, n_filters, *sides)

    expected = shape(s, p)
    ensure(
        ex,
        got != (*expected[:2], expected[3], expected[2]),
        f"{name} has height and width swapped: unfold lists the positions row by row, "
        "so reshape to (N, n_filters, H_out, W_out).",
    )
    ensure(
        ex,
        p == 0 or got != shape(s, 0),
        f"{name} leaves out the padding: pass padding to F.unfold and use it in H_out.",
    )
    ensure(
        ex,
        s == 1 or got != shape(1, p),
        f"{name} leaves out the stride: pass stride to F.unfold and use it in H_out.",
    )


def check_conv2d_unfold(conv2d_unfold: Any) -> None:
    """Check Exercise 3.5: convolution by unfold and a matrix product, as F.conv2d."""
    ex = "3.5"
    rng = exercise_rng(ex)
    cases = [  # ((N, C, H, W), n_filters, kernel_size, stride, padding)
        ((2, 3, 6, 7), 4, 3, 1, 0),
        ((1, 2, 7, 9), 3, 3, 2, 1),
        ((3, 1, 5, 5), 2, 2, 1, 1),
    ]
    for case in cases:
        shape, n_filters, k, s, p = case
        X = torch.from_numpy(rng.normal(size=shape))
        weight = torch.from_numpy(rng.normal(size=(n_filters, shape[1], k, k)))
        bias = torch.from_numpy(rng.normal(size=n_filters))
        expected = F.conv2d(X, weight, bias, stride=s, padding=p)
        name = (
            f"conv2d_unfold(X of shape {shape}, weight of shape {tuple(weight.shape)}, "
            f"bias, stride={s}, padding={p})"
        )
        answer = call(ex, conv2d_unfold, X.clone(), weight.clone(), bias.clone(), s, p)
        got_shape = getattr(answer, "shape", None)
        if isinstance(answer, torch.Tensor) and tuple(got_shape) != expected.shape:
            _conv_shape_hint(ex, name, tuple(got_shape), case)
        ensure_like(ex, name, answer, expected)
        got = float_values(answer)
        if got is not None and not is_close(got, expected.numpy(), 1e-5, 1e-8):
            flipped = F.conv2d(X, weight.flip(-2, -1), bias, stride=s, padding=p)
            ensure(
                ex,
                not is_close(got, flipped.numpy(), 1e-5, 1e-8),
                f"{name} flips the kernel: deep-learning libraries compute a "
                "cross-correlation, so use the weights as they are.",
            )
            no_bias = F.conv2d(X, weight, None, stride=s, padding=p)
            ensure(
                ex,
                not is_close(got, no_bias.numpy(), 1e-5, 1e-8),
                f"{name} leaves out the bias: add bias[f] to every output of filter f.",
            )
        compare_arrays(ex, name, answer, expected)
    used = source_uses(
        conv2d_unfold, ("conv2d", "Conv2d", "_conv_forward"), loop="a Python loop"
    )
    ensure(
        ex,
        used is None,
        f"conv2d_unfold uses {used}: build every patch at once with F.unfold and "
        "combine them with one matrix product.",
    )
    passed(ex, "It matches F.conv2d with strides and padding, without loops or conv2d.")


# --- Exercise 3.6: a small CNN classifier ---------------------------------------------

#: The two convolutions of the exercise: (in_channels, out_channels, kernel_size).
CNN_CONVS = [(3, 15, 3), (15, 30, 5)]
N_CLASSES = 4
RELUS = {"relu", "relu_"}
AVG_POOLS = {"avg_pool2d", "adaptive_avg_pool2d", "mean"}
MAX_POOLS = {"max_pool2d", "adaptive_max_pool2d", "max_pool2d_with_indices", "amax"}


class _Trace(TorchFunctionMode):
    """Record the torch functions a forward pass calls, with conv and linear weights."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, tuple | None]] = []

    def __torch_function__(
        self, func: Callable, types: Any, args: tuple = (), kwargs: dict | None = None
    ) -> Any:
        """Note the call, then run it unchanged."""
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        shape = None
        if name in ("conv2d", "linear"):
            weight = args[1] if len(args) > 1 else kwargs.get("weight")
            shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else None
        self.calls.append((name, shape))
        return func(*args, **kwargs)


def _check_cnn_layers(ex: str, model: nn.Module) -> None:
    """Check the model's nn.Conv2d layers and that it has a linear layer."""
    convs = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    ensure(
        ex,
        len(convs) > 0,
        "the model has no nn.Conv2d layer: create the two convolutions in __init__.",
    )
    ensure(
        ex,
        len(convs) == len(CNN_CONVS),
        f"the model has {len(convs)} nn.Conv2d layer{'s' * (len(convs) > 1)} but "
        "should have two.",
    )
    for which, (name, conv), (c_in, c_out, k) in zip(
        ("first", "second"), convs, CNN_CONVS, strict=True
    ):
        label = f"the {which} convolution (model.{name})"
        ensure(
            ex,
            conv.out_channels == c_out,
            f"{label} has {conv.out_channels} filters but should have {c_out}.",
        )
        kh, kw = conv.kernel_size
        ensure(
            ex,
            (kh, kw) == (k, k),
            f"{label} has {kh}x{kw} kernels but should have {k}x{k} ones.",
        )
        source = "the images have 3 (RGB)"
        if which == "second":
            source = f"the first convolution gives {CNN_CONVS[0][1]} feature maps"
        lazy = isinstance(conv, nn.modules.lazy.LazyModuleMixin)  # in_channels unset
        ensure(
            ex,
            lazy or conv.in_channels == c_in,
            f"{label} takes {conv.in_channels} input channels but {source}.",
        )
    ensure_linear_head(ex, model)


def _run_traced(ex: str, model: nn.Module, X: torch.Tensor) -> tuple[Any, list]:
    """Run the model on ``X`` and record its calls; explain a crash in one sentence."""
    trace = _Trace()
    with torch_seed(36), trace:
        out = run_model(
            ex,
            model,
            X,
            in_features_hint="the classification layer's in_features should equal "
            "the number of features left after pooling and flattening",
        )
    return out, trace.calls


def _check_cnn_order(ex: str, calls: list[tuple[str, tuple | None]]) -> None:
    """Check the order of the forward pass: conv, ReLU, conv, ReLU, pooling, linear."""
    names = [name for name, _ in calls]
    convs = [i for i, name in enumerate(names) if name == "conv2d"]
    ensure(
        ex,
        len(convs) == len(CNN_CONVS),
        f"the forward pass applies {len(convs)} convolution{'s' * (len(convs) != 1)} "
        "but should apply the two layers once each, one after the other.",
    )
    linears = [i for i, name in enumerate(names) if name == "linear"]
    ensure(
        ex,
        bool(linears) and linears[-1] > convs[1],
        "the forward pass should end with the classification layer, a linear layer "
        "applied after the convolutions.",
    )
    last = linears[-1]
    ensure(
        ex,
        bool(RELUS & set(names[convs[0] + 1 : convs[1]])),
        "there is no ReLU between the first and the second convolution.",
    )
    ensure(
        ex,
        bool(RELUS & set(names[convs[1] + 1 : last])),
        "there is no ReLU after the second convolution.",
    )
    between = set(names[convs[1] + 1 : last])
    ensure(
        ex,
        bool(AVG_POOLS & between) or not (MAX_POOLS & between),
        "the model uses max pooling before the classification layer, but the exercise "
        "asks for average pooling (nn.AdaptiveAvgPool2d or nn.AvgPool2d).",
    )
    ensure(
        ex,
        bool(AVG_POOLS & between),
        "there is no average pooling between the second convolution and the "
        "classification layer: add nn.AdaptiveAvgPool2d(1) before flattening.",
    )
    out_features = (calls[last][1] or (None,))[0]
    ensure(
        ex,
        out_features == N_CLASSES,
        f"the classification layer has {out_features} outputs but should have one "
        f"per class, {N_CLASSES}.",
    )


def _check_cnn_output(ex: str, out: Any, batch_size: int) -> None:
    """Check that the model returns one score per class for each image."""
    shape = (batch_size, N_CLASSES)
    given = f"for input of shape ({batch_size}, 3, 32, 32) the model's forward"
    ensure(
        ex,
        isinstance(out, torch.Tensor),
        f"{given} returned {describe(out)} but should return a tensor of shape "
        f"{shape}.",
    )
    got = tuple(out.shape)
    flat = "; flatten with nn.Flatten() or x.flatten(1), which keep the batch axis"
    keeps_batch = out.dim() == 2 and got[0] == batch_size
    ensure(
        ex,
        got == shape,
        f"{given} returned shape {got} but should return {shape}"
        + ("" if keeps_batch else flat)
        + ".",
    )


def check_cnn_classifier(CNNClassifier: Any) -> None:
    """Check Exercise 3.6: layers, forward order, output shape and gradients."""
    ex = "3.6"
    model = build_model(ex, CNNClassifier, "CNNClassifier", 36)
    ensure(
        ex,
        type(model).forward is not nn.Module.forward,
        "the model has no forward method: define forward(self, x).",
    )
    _check_cnn_layers(ex, model)
    with torch_seed(36):
        X = torch.rand((1, 3, 32, 32))  # (N, C, H, W)
    out, calls = _run_traced(ex, model, X)
    _check_cnn_order(ex, calls)
    _check_cnn_output(ex, out, 1)
    out2, _ = _run_traced(ex, model, torch.cat([X, X.flip(-1)]))  # (2, 3, 32, 32)
    _check_cnn_output(ex, out2, 2)
    gradients_reach(ex, model, out)
    n_params = sum(p.numel() for p in model.parameters())
    passed(
        ex,
        f"Two convolutions with ReLUs, average pooling and {N_CLASSES} class scores; "
        f"gradients reach all {n_params:,} parameters.",
    )
