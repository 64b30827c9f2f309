"""Tests of the chapter 3 checkers: right answers pass, wrong ones are explained."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from checks_helpers import (
    COMMON_JUNK,
    WrongLayers,
    failure,
    raises_not_implemented,
    raises_value_error,
    returning,
)
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch03

# --- reference answers ----------------------------------------------------------------

SOBEL = np.array([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]])
DIAGONAL = 3 * np.eye(3) - 1
SHAPES = {
    "a": (8, 30, 30),
    "b": (8, 32, 32),
    "c": (16, 16, 16),
    "d": (4, 9, 9),
    "e": (6, 14, 14),
    "f": (30, 26, 26),
    "g": (30, 1, 1),
}


def conv2d_params(in_channels, out_channels, kernel_size, bias=True):
    """Reference parameter count of nn.Conv2d."""
    return in_channels * out_channels * kernel_size**2 + (out_channels if bias else 0)


def linear_params(in_features, out_features, bias=True):
    """Reference parameter count of nn.Linear."""
    return in_features * out_features + (out_features if bias else 0)


def max_pool2d(X, kernel_size, stride=None):
    """Reference max pooling with loops over the output positions."""
    stride = kernel_size if stride is None else stride
    H_out = (X.shape[-2] - kernel_size) // stride + 1
    W_out = (X.shape[-1] - kernel_size) // stride + 1
    out = np.empty(X.shape[:-2] + (H_out, W_out), dtype=X.dtype)
    for i in range(H_out):
        for j in range(W_out):
            r, c = i * stride, j * stride
            out[..., i, j] = X[..., r : r + kernel_size, c : c + kernel_size].max(
                (-2, -1)
            )
    return out


def conv2d_unfold(X, weight, bias, stride=1, padding=0):
    """Reference convolution by unfold and one matrix product."""
    N, _, H, W = X.shape
    n_filters, _, k, _ = weight.shape
    patches = F.unfold(X, k, padding=padding, stride=stride)
    out = weight.reshape(n_filters, -1) @ patches + bias[:, None]
    H_out = (H + 2 * padding - k) // stride + 1
    W_out = (W + 2 * padding - k) // stride + 1
    return out.reshape(N, n_filters, H_out, W_out)


class CNNClassifier(nn.Module):
    """Reference classifier: conv, ReLU, conv, ReLU, average pooling, linear."""

    def __init__(self, n_classes=4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 15, 3)
        self.conv2 = nn.Conv2d(15, 30, 5)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(30, n_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        return self.fc(self.pool(x).flatten(1))


# --- right answers pass ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("checker", "args"),
    [
        (ch03.check_pattern_kernels, (SOBEL, DIAGONAL)),
        (ch03.check_output_shapes, (SHAPES,)),
        (ch03.check_param_counts, (conv2d_params, linear_params)),
        (ch03.check_max_pool, (max_pool2d,)),
        (ch03.check_conv2d_unfold, (conv2d_unfold,)),
        (ch03.check_cnn_classifier, (CNNClassifier,)),
    ],
)
def test_reference_answers_pass(checker, args, capsys):
    checker(*args)
    assert re.match(r"\N{CHECK MARK} Exercise 3\.\d passed\.", capsys.readouterr().out)


def max_pool_windows(X, kernel_size, stride=None):
    """Another right answer: all windows at once with a sliding view."""
    stride = kernel_size if stride is None else stride
    windows = np.lib.stride_tricks.sliding_window_view(X, (kernel_size,) * 2, (-2, -1))
    return windows[..., ::stride, ::stride, :, :].max(axis=(-2, -1))


def conv2d_einsum(X, weight, bias, stride=1, padding=0):
    """Another right answer: unfold and einsum."""
    N, _, H, W = X.shape
    k = weight.shape[-1]
    patches = F.unfold(X, k, padding=padding, stride=stride)
    out = torch.einsum("fc,ncl->nfl", weight.flatten(1), patches) + bias[:, None]
    return out.reshape(N, len(weight), (H + 2 * padding - k) // stride + 1, -1)


class SequentialCNN(nn.Module):
    """Another right answer: modules, max pooling between, mean as global pooling."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 15, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(15, 30, kernel_size=5, padding=2),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 4))

    def forward(self, x):
        return self.head(self.body(x).mean(dim=(2, 3)))


class LazyCNN(nn.Module):
    """Another right answer: lazy layers that infer their input sizes."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.LazyConv2d(15, 3)
        self.conv2 = nn.LazyConv2d(30, 5)
        self.fc = nn.LazyLinear(4)

    def forward(self, x):
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
        return self.fc(F.avg_pool2d(x, 2).mean((2, 3)))


class AvgPoolCNN(CNNClassifier):
    """Another right answer: a fixed nn.AvgPool2d over the whole 26 x 26 map."""

    def __init__(self):
        super().__init__()
        self.pool = nn.AvgPool2d(26)


def test_other_right_answers_pass():
    left_right = np.array([[-1.0, 1.0, 0.0]] * 3)
    ch03.check_pattern_kernels(left_right.tolist(), torch.from_numpy(np.eye(3) - 1 / 3))
    ch03.check_pattern_kernels(2 * SOBEL, np.fliplr(np.flipud(DIAGONAL)))
    ch03.check_output_shapes({k: torch.Size(v) for k, v in SHAPES.items()})
    ch03.check_param_counts(
        lambda c_in, c_out, k, bias=True: float(conv2d_params(c_in, c_out, k, bias)),
        lambda n_in, n_out, bias=True: np.int64(linear_params(n_in, n_out, bias)),
    )
    ch03.check_max_pool(max_pool_windows)
    ch03.check_conv2d_unfold(conv2d_einsum)
    ch03.check_cnn_classifier(SequentialCNN)
    ch03.check_cnn_classifier(AvgPoolCNN)
    ch03.check_cnn_classifier(LazyCNN)


def test_checkers_leave_the_random_state_alone():
    torch_state, numpy_state = torch.random.get_rng_state(), np.random.get_state()[1]
    ch03.check_output_shapes(SHAPES)
    ch03.check_max_pool(max_pool2d)
    ch03.check_conv2d_unfold(conv2d_unfold)
    ch03.check_cnn_classifier(CNNClassifier)
    assert torch.equal(torch_state, torch.random.get_rng_state())
    assert np.array_equal(numpy_state, np.random.get_state()[1])


# --- Exercise 3.1 ---------------------------------------------------------------------

CROSS = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 0.0, 1.0]]) - 2 / 3


@pytest.mark.parametrize(
    ("edge", "phrase"),
    [
        (SOBEL.T, "gives no positive response on a vertical edge"),
        (-SOBEL, "responds to edges from bright to dark, not from dark to bright"),
        (np.ones((3, 3)), "responds to a flat bright region"),
        (SOBEL + 0.5, "responds to a flat bright region"),
        (np.array([[1.0, -2.0, 1.0]] * 3), "from bright to dark almost as strongly"),
        (SOBEL + SOBEL.T, "responds to a horizontal edge almost as strongly"),
        (SOBEL[:2], "has shape (2, 3) but should be a 3x3 kernel"),
        (np.zeros((3, 3)), "all zeros"),
        (np.full((3, 3), np.nan), "holds nan or inf"),
        ([[1, 2, 3], [4, 5], [6]], "entries are not all numbers"),
        ("sobel", "edge_kernel should be a 3x3 NumPy array but is a str"),
        (torch.ones(3, 3, device="meta"), "cannot be read as numbers"),
    ],
)
def test_edge_kernel_wrong(edge, phrase):
    assert phrase in failure(ch03.check_pattern_kernels, edge, DIAGONAL)


@pytest.mark.parametrize(
    ("diagonal", "phrase"),
    [
        (np.eye(3), "responds to a flat bright region"),
        (-np.eye(3), "gives no positive response on a bright diagonal line"),
        (-DIAGONAL, "at least as strongly beside the line as on it"),
        (np.fliplr(DIAGONAL), "at least as strongly beside the line as on it"),
        (CROSS, "a line from top right to bottom left almost as strongly"),
        (np.array([[-1.0, 2.0, -1.0]] * 3) + DIAGONAL, "a vertical line almost"),
        (None, "diagonal_kernel should be a 3x3 NumPy array but is None"),
    ],
)
def test_diagonal_kernel_wrong(diagonal, phrase):
    assert phrase in failure(ch03.check_pattern_kernels, SOBEL, diagonal)


# --- Exercise 3.2: shapes are never revealed ------------------------------------------


def assert_not_revealed(message: str, key: str) -> None:
    """The message names neither the right shape nor a size it gets wrong."""
    expected = SHAPES[key]
    assert str(expected) not in message and str(expected)[1:-1] not in message
    for size in expected:
        if size > 2:  # 1 and 2 also appear in the formula of a hint
            assert not re.search(rf"\b{size}\b", message), (size, message)


@pytest.mark.parametrize(
    ("key", "answer", "phrase"),
    [
        ("a", (3, 30, 30), "in shapes['a'], dimension 0 is wrong"),
        ("a", (3, 30, 30), "one channel per filter"),
        ("a", (8, 32, 32), "a k x k kernel fits H - k + 1 times"),
        ("b", (8, 28, 28), "dimensions 1 and 2 are wrong (counting from 0); padding"),
        ("c", (16, 32, 32), "with a stride the kernel jumps"),
        ("c", (16, 15, 16), "in shapes['c'], dimension 1 is wrong"),
        ("d", (4, 10, 10), "rounds down"),
        ("e", (6, 28, 28), "then to the pooling"),
        ("f", (30, 28, 28), "layer after layer"),
        ("g", (30, 26, 26), "adaptive pooling outputs the size it is asked for"),
        ("g", (30, 1), "has 2 dimensions but the output has 3"),
        ("a", (2, 8, 30, 30), "leave out the batch dimension N"),
        ("a", [8, 30, 30], "written with parentheses"),
        ("b", (8.0, 32.0, 32.0), "should hold only integers"),
        ("c", "16, 16, 16", "should be a tuple of integers"),
    ],
)
def test_output_shapes_wrong(key, answer, phrase):
    message = failure(ch03.check_output_shapes, {**SHAPES, key: answer})
    assert phrase in message
    assert_not_revealed(message, key)


def test_output_shapes_wrong_container():
    without_g = {k: v for k, v in SHAPES.items() if k != "g"}
    assert "has no entry 'g'" in failure(ch03.check_output_shapes, without_g)
    extra = {**SHAPES, "h": (1, 2, 3)}
    assert "unexpected key 'h'" in failure(ch03.check_output_shapes, extra)
    message = failure(ch03.check_output_shapes, list(SHAPES.values()))
    assert "shapes should be a dict" in message and "is a list" in message


# --- Exercise 3.3 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda i, o, k, bias=True: o * k * k + o * bias, "leaves out the input chan"),
        (lambda i, o, k, bias=True: i * o * k * k, "leaves out the biases"),
        (lambda i, o, k, bias=True: i * o * k * k + o, "biases although bias=False"),
        (lambda i, o, k, bias=True: i * o * k + o * bias, "kernel_size weights per"),
        (lambda i, o, k, bias=True: i * o * k * k + i * bias, "per input channel"),
        (
            lambda i, o, k, bias=True: conv2d_params(i, o, k, bias) + 1,
            "conv2d_params(3, 8, 5) is 609 but should be 608",
        ),
        (lambda i, o, k: conv2d_params(i, o, k), "raised TypeError"),
        (lambda i, o, k, bias=True: "608", "should be a whole number but is a str"),
        (lambda i, o, k, bias=True: 607.5, "should be a whole number but is a float"),
    ],
)
def test_conv2d_params_wrong(fn, phrase):
    assert phrase in failure(ch03.check_param_counts, fn, linear_params)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (lambda i, o, bias=True: i * o, "linear_params(784, 10) leaves out the biases"),
        (lambda i, o, bias=True: i * o + i * bias, "one bias per input"),
        (lambda i, o, bias=True: i * o + o, "counts biases although bias=False"),
        (lambda i, o, bias=True: (i + 1) * (o + 1), "is 8635 but should be 7850"),
        (None, "expected a function but got None"),
    ],
)
def test_linear_params_wrong(fn, phrase):
    assert phrase in failure(ch03.check_param_counts, conv2d_params, fn)


# --- Exercise 3.4 ---------------------------------------------------------------------


def pool_with(reduce, stride_default=None, ceil=False):
    """A pooling built like the reference, with one thing changed."""

    def pool(X, kernel_size, stride=None):
        if stride is None:
            stride = kernel_size if stride_default is None else stride_default
        sides = []
        for n in X.shape[-2:]:
            steps = (
                -(-(n - kernel_size) // stride) if ceil else (n - kernel_size) // stride
            )
            sides.append(steps + 1)
        out = np.empty(X.shape[:-2] + tuple(sides))
        for i in range(sides[0]):
            for j in range(sides[1]):
                r, c = i * stride, j * stride
                out[..., i, j] = reduce(
                    X[..., r : r + kernel_size, c : c + kernel_size]
                )
        return out

    return pool


def window_max(window):
    """The right reduction: each channel's maximum."""
    return window.max(axis=(-2, -1))


def pool_from_zero(X, kernel_size, stride=None):
    """Wrong: starts every window's maximum at 0."""
    return np.maximum(max_pool2d(X, kernel_size, stride), 0.0)


def pool_in_place(X, kernel_size, stride=None):
    """Wrong: clobbers the caller's array."""
    out = max_pool2d(X, kernel_size, stride)
    X[...] = 0.0
    return out


def pool_3d_only(X, kernel_size, stride=None):
    """Wrong: assumes a channel axis."""
    C, H, W = X.shape
    return max_pool2d(X, kernel_size, stride)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (pool_with(lambda w: w.mean(axis=(-2, -1))), "takes the mean of each window"),
        (pool_with(lambda w: w.min(axis=(-2, -1))), "smallest value"),
        (pool_with(lambda w: w.max(), stride_default=None), "over all channels"),
        (pool_from_zero, "is never below 0"),
        (pool_with(window_max, stride_default=1), "the default stride is kernel_size"),
        (pool_with(window_max, ceil=True), "keeps a last window that does not fit"),
        (
            lambda X, k, s=None: max_pool2d(X, k),
            "stride=2) has shape (2, 2, 3) but should have shape (2, 3, 4)",
        ),
        (pool_in_place, "changed the array X passed to it"),
        (pool_3d_only, "on a 2-D input (H, W), pool_3d_only raised ValueError"),
        (lambda X, k, s=None: max_pool2d(X, k, s).tolist(), "should be a NumPy array"),
        (
            lambda X, k, s=None: max_pool2d(X, k, s).astype(np.float32),
            "has dtype float32 but should have float64",
        ),
    ],
)
def test_max_pool_wrong(fn, phrase):
    assert phrase in failure(ch03.check_max_pool, fn)


def test_max_pool_stub():
    def max_pool2d(X, kernel_size, stride=None):
        raise NotImplementedError("Exercise 3.4: Max pooling in NumPy")

    message = failure(ch03.check_max_pool, max_pool2d)
    assert message == (
        "Exercise 3.4: max_pool2d still raises NotImplementedError: replace the stub "
        "with your code."
    )


# --- Exercise 3.5 ---------------------------------------------------------------------


def unfold_flipped(X, weight, bias, stride=1, padding=0):
    """Wrong: a true convolution, with the kernel flipped."""
    return conv2d_unfold(X, weight.flip(-2, -1), bias, stride, padding)


def unfold_no_bias(X, weight, bias, stride=1, padding=0):
    """Wrong: forgets the bias."""
    return conv2d_unfold(X, weight, torch.zeros_like(bias), stride, padding)


def unfold_swapped(X, weight, bias, stride=1, padding=0):
    """Wrong: reshapes to (N, F, W_out, H_out)."""
    out = conv2d_unfold(X, weight, bias, stride, padding)
    return out.reshape(*out.shape[:2], out.shape[3], out.shape[2])


def unfold_transposed(X, weight, bias, stride=1, padding=0):
    """Wrong: swaps rows and columns of every output map."""
    return conv2d_unfold(X, weight, bias, stride, padding).transpose(-2, -1)


def unfold_no_padding(X, weight, bias, stride=1, padding=0):
    """Wrong: ignores the padding throughout."""
    return conv2d_unfold(X, weight, bias, stride, 0)


def unfold_no_stride(X, weight, bias, stride=1, padding=0):
    """Wrong: ignores the stride throughout."""
    return conv2d_unfold(X, weight, bias, 1, padding)


def unfold_calls_conv2d(X, weight, bias, stride=1, padding=0):
    """Wrong: calls the library's convolution."""
    return F.conv2d(X, weight, bias, stride=stride, padding=padding)


def unfold_loop(X, weight, bias, stride=1, padding=0):
    """Wrong: loops over the images of the batch."""
    outs = []
    for x in X:
        outs.append(conv2d_unfold(x[None], weight, bias, stride, padding))
    return torch.cat(outs)


@pytest.mark.parametrize(
    ("fn", "phrase"),
    [
        (unfold_flipped, "flips the kernel"),
        (unfold_no_bias, "leaves out the bias"),
        (unfold_swapped, "has height and width swapped"),
        (unfold_transposed, "has height and width swapped"),
        (unfold_no_padding, "leaves out the padding"),
        (unfold_no_stride, "leaves out the stride"),
        (unfold_calls_conv2d, "uses conv2d itself"),
        (unfold_loop, "uses a Python loop"),
        (lambda *args: conv2d_unfold(*args).numpy(), "should be a tensor"),
        (lambda *args: conv2d_unfold(*args).float(), "has dtype torch.float32"),
        (lambda *args: conv2d_unfold(*args) + 1e-3, "this tensor has the right shape"),
    ],
)
def test_conv2d_unfold_wrong(fn, phrase):
    assert phrase in failure(ch03.check_conv2d_unfold, fn)


# --- Exercise 3.6 ---------------------------------------------------------------------


def cnn(**changes):
    """A subclass of the reference with some layers or the forward pass replaced."""
    forward = changes.pop("forward", None)

    class Variant(CNNClassifier):
        def __init__(self):
            super().__init__()
            for name, layer in changes.items():
                setattr(self, name, layer)

    if forward is not None:
        Variant.forward = forward
    return Variant


def forward_without(skip):
    """A forward pass of the reference that leaves out one step."""

    def forward(self, x):
        x = self.conv1(x)
        x = x if skip == "relu1" else F.relu(x)
        x = self.conv2(x)
        x = x if skip == "relu2" else F.relu(x)
        if skip == "pool":
            return self.fc(x.flatten(1))
        pool = F.adaptive_max_pool2d(x, 1) if skip == "avg" else self.pool(x)
        return self.fc(pool.flatten() if skip == "batch" else pool.flatten(1))

    return forward


def forward_returning_none(self, x):
    """Wrong: computes the scores but forgets to return them."""
    CNNClassifier.forward(self, x)


def forward_detached(self, x):
    """Wrong: cuts the graph after the convolutions."""
    x = F.relu(self.conv2(F.relu(self.conv1(x)))).detach()
    return self.fc(self.pool(x).flatten(1))


def forward_in_place(self, x):
    """Wrong: changes a tensor that autograd saved for the backward pass."""
    x = F.relu(self.conv2(F.relu(self.conv1(x))))
    features = torch.exp(self.pool(x).flatten(1))  # exp saves its output
    out = self.fc(features)
    features.add_(1.0)
    return out


def forward_no_grad(self, x):
    """Wrong: no autograd at all."""
    with torch.no_grad():
        return CNNClassifier.forward(self, x)


class OneConv(nn.Module):
    """Wrong: a single convolution."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 15, 3)
        self.fc = nn.Linear(15, 4)

    def forward(self, x):
        return self.fc(F.relu(self.conv(x)).mean((2, 3)))


class NoForward(nn.Module):
    """Wrong: the layers but no forward method."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 15, 3)
        self.conv2 = nn.Conv2d(15, 30, 5)
        self.fc = nn.Linear(30, 4)


class ForwardStub(CNNClassifier):
    """A student who wrote __init__ but not yet forward."""

    def forward(self, x):
        raise NotImplementedError("Exercise 3.6: A small CNN classifier")


class Frozen(CNNClassifier):
    """Wrong: a layer that does not train."""

    def __init__(self):
        super().__init__()
        self.conv1.requires_grad_(False)


@pytest.mark.parametrize(
    ("cls", "phrase"),
    [
        (
            cnn(conv1=nn.Conv2d(3, 16, 3)),
            "(model.conv1) has 16 filters but should have",
        ),
        (cnn(conv1=nn.Conv2d(3, 15, 5)), "has 5x5 kernels but should have 3x3 ones"),
        (cnn(conv1=nn.Conv2d(1, 15, 3)), "takes 1 input channels but the images have"),
        (
            cnn(conv2=nn.Conv2d(15, 30, 3)),
            "the second convolution (model.conv2) has 3x3",
        ),
        (
            cnn(conv2=nn.Conv2d(16, 30, 5)),
            "the first convolution gives 15 feature maps",
        ),
        (cnn(extra=nn.Conv2d(30, 30, 1)), "has 3 nn.Conv2d layers but should have two"),
        (OneConv, "has 1 nn.Conv2d layer but should have two"),
        (cnn(fc=nn.Identity()), "has no nn.Linear layer"),
        (cnn(fc=nn.Linear(30, 10)), "has 10 outputs but should have one per class, 4"),
        (cnn(fc=nn.Linear(15, 4)), "in_features should equal the number of features"),
        (cnn(forward=forward_without("relu1")), "no ReLU between the first and the"),
        (cnn(forward=forward_without("relu2")), "no ReLU after the second convolution"),
        (cnn(forward=forward_without("avg")), "uses max pooling before the class"),
        (cnn(forward=forward_without("pool")), "mat1 and mat2 shapes cannot be"),
        (
            cnn(fc=nn.Linear(30 * 26 * 26, 4), forward=forward_without("pool")),
            "no aver",
        ),
        (
            cnn(forward=forward_without("batch")),
            "returned shape (4,) but should return",
        ),
        (cnn(forward=forward_returning_none), "returned None but should return a"),
        (cnn(extra=nn.Linear(4, 4)), "model.extra.weight gets no gradient"),
        (cnn(forward=forward_detached), "model.conv1.weight gets no gradient"),
        (cnn(forward=forward_no_grad), "does not depend on its parameters"),
        (cnn(forward=forward_in_place), "computing the gradients raised RuntimeError"),
        (Frozen, "model.conv1.weight does not require gradients"),
        (NoForward, "the model has no forward method"),
        (ForwardStub, "the model's forward still raises NotImplementedError"),
        (CNNClassifier(), "pass the class CNNClassifier itself"),
        (lambda: "model", "should build an nn.Module but gave a str"),
    ],
)
def test_cnn_classifier_wrong(cls, phrase):
    assert phrase in failure(ch03.check_cnn_classifier, cls)


def test_cnn_stub():
    class CNNClassifier(nn.Module):
        def __init__(self, n_classes=4):
            super().__init__()
            raise NotImplementedError("Exercise 3.6: A small CNN classifier")

    message = failure(ch03.check_cnn_classifier, CNNClassifier)
    assert "CNNClassifier still raises NotImplementedError" in message


# --- robustness: junk never crashes a checker -----------------------------------------


JUNK = [
    *COMMON_JUNK,
    True,
    np.zeros((3, 3), dtype=object),
    np.full((3, 3), np.nan),
    np.zeros((2, 3, 4)),
    torch.zeros(3, 3, dtype=torch.bfloat16),
    torch.zeros(3, 3, device="meta"),
    torch.full((1,), float("nan")),
    WrongLayers,
    WrongLayers(),
    nn.Module,
    nn.Conv2d,
]
FUNCTION_CHECKERS = [ch03.check_max_pool, ch03.check_conv2d_unfold]


@pytest.mark.parametrize(
    "junk", JUNK, ids=lambda j: getattr(j, "__name__", type(j).__name__)
)
def test_junk_only_ever_raises_check_failed(junk):
    failure(ch03.check_pattern_kernels, junk, DIAGONAL)
    failure(ch03.check_pattern_kernels, SOBEL, junk)
    failure(ch03.check_output_shapes, junk)
    failure(ch03.check_output_shapes, {**SHAPES, "d": junk})
    failure(ch03.check_output_shapes, {**SHAPES, "d": (junk, 9, 9)})
    failure(ch03.check_param_counts, junk, linear_params)
    failure(ch03.check_param_counts, returning(junk), linear_params)
    failure(ch03.check_param_counts, conv2d_params, returning(junk))
    for checker in FUNCTION_CHECKERS:
        failure(checker, junk)
        failure(checker, returning(junk))
    failure(ch03.check_cnn_classifier, junk)
    failure(ch03.check_cnn_classifier, returning(junk))
    failure(ch03.check_cnn_classifier, cnn(forward=lambda self, x: junk))


def test_stub_message_names_the_function():
    message = failure(ch03.check_conv2d_unfold, raises_not_implemented)
    assert "raises_not_implemented still raises NotImplementedError" in message
    message = failure(ch03.check_max_pool, raises_value_error)
    assert message.endswith("raised ValueError: operands could not be broadcast.")
