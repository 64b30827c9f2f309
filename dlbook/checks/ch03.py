"""Checkers for the exercises of chapter 3: convolutional networks (see dlbook.checks).

References come from PyTorch's own layers; shape questions never give a size away.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from dlbook.checks import (
    NOT_REGISTERED,
    CheckFailed,
    as_number,
    build_model,
    check_count,
    check_function,
    check_keys,
    compare_shape,
    describe,
    ensure,
    exercise_rng,
    float_values,
    gradients_reach,
    name_mistake,
    one_thread,
    passed,
    relu,
    run_trained,
    same,
    torch_functions,
    torch_seed,
    trace,
    uses_python_loop,
)
from dlbook.setup import pick

# --- Exercise 3.1: kernels that detect a pattern ---------------------------------------


def _correlate(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide ``kernel`` over ``image`` without padding, as F.conv2d does."""
    image, kernel = (
        torch.from_numpy(np.ascontiguousarray(a))[None, None] for a in (image, kernel)
    )
    return F.conv2d(image, kernel)[0, 0].numpy()


def _peak(image: np.ndarray, kernel: np.ndarray) -> float:
    """The strongest response of ``kernel`` anywhere on ``image``."""
    return float(_correlate(image, kernel).max())


STEP = np.where(np.arange(10) >= 5, 0.9, 0.2)[None].repeat(8, 0)  # dark left, bright right
LINE = np.eye(9)  # a thin bright diagonal from top left to bottom right
FLAT = "responds to a flat bright region: make its entries sum to 0, so that flat regions give 0."
MIRRORED = "edge_kernel responds to edges from bright to dark: mirror it from left to right."
SIDEWAYS = (
    "edge_kernel responds to horizontal edges: compare left with right, not top with bottom."
)
OTHER_DIAGONAL = "diagonal_kernel responds to the other diagonal: put its positive weights on "
OTHER_DIAGONAL += "the diagonal from top left to bottom right."
UPRIGHT = "diagonal_kernel responds to vertical lines: weight the pixels off the diagonal "
UPRIGHT += "negatively."
EDGE_OTHERS = {MIRRORED: 1.1 - STEP, SIDEWAYS: STEP.T}
LINE_OTHERS = {UPRIGHT: np.eye(9)[:, [4] * 9], OTHER_DIAGONAL: np.fliplr(LINE)}


def _check_kernel(ex: str, name: str, kernel: Any, pattern: np.ndarray, others: dict) -> None:
    """The kernel peaks on ``pattern``, stays quiet on flat regions and on ``others``."""
    values = float_values(kernel)
    ensure(ex, values is not None and values.shape == (3, 3),
           f"{name} should be a 3x3 array of numbers but is {describe(kernel)}.")
    ensure(ex, bool(np.isfinite(values).all() and values.any()),
           f"{name} should hold finite numbers, not all 0.")
    peak = _peak(pattern, values)
    if peak <= 1e-9:
        for sentence, image in others.items():
            ensure(ex, _peak(image, values) <= 1e-9, sentence)
        raise CheckFailed(ex, f"{name} gives no positive response on its pattern: weight the "
                          "pixels where the pattern is bright positively.")
    ensure(ex, abs(_peak(np.ones((6, 6)), values)) <= 0.1 * peak, f"{name} {FLAT}")
    for sentence, image in others.items():
        ensure(ex, _peak(image, values) <= 0.5 * peak, sentence)


def check_pattern_kernels(edge_kernel: Any, diagonal_kernel: Any) -> None:
    """Check Exercise 3.1: two 3x3 kernels, each peaking on its own pattern."""
    _check_kernel("3.1", "edge_kernel", edge_kernel, STEP, EDGE_OTHERS)
    _check_kernel("3.1", "diagonal_kernel", diagonal_kernel, LINE, LINE_OTHERS)
    passed("3.1", "Each kernel peaks on its own pattern and stays quiet on the others.")


# --- Exercise 3.2: output shapes -----------------------------------------------------------

LAYERS = {
    "a": lambda: nn.Conv2d(3, 8, kernel_size=3),
    "b": lambda: nn.Conv2d(3, 8, kernel_size=5, padding=2),
    "c": lambda: nn.Conv2d(3, 16, kernel_size=3, stride=2, padding=1),
    "d": lambda: nn.Conv2d(3, 4, kernel_size=7, stride=3),
    "e": lambda: nn.Sequential(nn.Conv2d(3, 6, kernel_size=5), nn.MaxPool2d(2)),
    "f": lambda: nn.Sequential(nn.Conv2d(3, 15, 3), nn.ReLU(), nn.Conv2d(15, 30, 5), nn.ReLU()),
    "g": lambda: nn.Sequential(LAYERS["f"](), nn.AdaptiveAvgPool2d(1)),
}
HINTS = {
    "a": "without padding, a k x k kernel fits H - k + 1 times along H pixels",
    "b": "padding adds that many zeros on every side before the kernel slides",
    "c": "with a stride the kernel jumps: H_out = (H + 2 * padding - kernel_size) // stride + 1",
    "d": "the formula rounds down: a last window that does not fit is dropped",
    "e": "apply the formula to the convolution, then to the pooling, whose stride is its size",
    "f": "apply the formula layer after layer; a ReLU changes no shape",
    "g": "adaptive pooling outputs the size it is asked for, whatever size comes in",
}
CHANNELS = "a convolution outputs one channel per filter; pooling and ReLU keep the channels"


def check_output_shapes(shapes: Any) -> None:
    """Check Exercise 3.2: the predicted (C, H, W) after each of seven layers."""
    ex = "3.2"
    with torch_seed(32), torch.no_grad():
        want = {
            k: tuple(make()(torch.zeros(1, 3, 32, 32)).shape[1:]) for k, make in LAYERS.items()
        }
    check_keys(ex, "shapes", shapes, want, "{'a': (C, H, W), ...}", "one (C, H, W) tuple")
    for key, shape in want.items():
        got = shapes[key]
        ensure(ex, not (isinstance(got, tuple) and len(got) == 4), f"shapes[{key!r}] has 4 "
               "dimensions: leave out the batch dimension and give (C, H, W) for one image.")
        hint = CHANNELS if isinstance(got, tuple) and got[:1] != shape[:1] else HINTS[key]
        compare_shape(ex, f"shapes[{key!r}]", got, shape, reveal=False, hint=hint)
    passed(ex, f"All {len(want)} shapes are right.")


# --- Exercise 3.3: counting parameters by formula ------------------------------------------


def check_param_counts(conv2d_params: Any, linear_params: Any) -> None:
    """Check Exercise 3.3: counts by formula, without building a layer, agree with PyTorch."""
    ex = "3.3"
    convs = [(3, 8, 5, True), (16, 32, 3, False), (1, 6, 7, True), (64, 10, 1, True)]
    check_count(ex, conv2d_params, convs, lambda *c: nn.Conv2d(*c[:3], bias=c[3], device="meta"),
                MISTAKES["3.3 conv"], "count the weights of one filter, which spans every "
                "input channel, times the number of filters, then the biases", ["bias"])
    check_count(ex, linear_params, [(784, 10, True), (20, 1, True), (5, 7, False)],
                partial(nn.Linear, device="meta"), MISTAKES["3.3 linear"], "count one weight "
                "per pair of an input and an output, then the biases", ["bias"])
    passed(ex, "Both formulas agree with the parameters PyTorch creates.")


# --- Exercises 3.4 and 3.5: pooling in NumPy, convolution as a matrix product -----------------


def _pool(X: np.ndarray, k: int, stride: int | None = None, how: Any = F.max_pool2d,
          **kw: Any) -> np.ndarray:
    """Pool the last two axes of X (C, H, W) or (H, W) with torch's ``how``."""
    Xt = torch.from_numpy(X)
    out = how(Xt if X.ndim == 3 else Xt[None], k, k if stride is None else stride, **kw)
    return out.reshape(*X.shape[:-2], *out.shape[-2:]).numpy()


def check_max_pool(max_pool2d: Any) -> None:
    """Check Exercise 3.4: NumPy max pooling against torch's F.max_pool2d."""
    ex = "3.4"
    rng = exercise_rng(ex)
    shapes = [((3, 6, 6), 2, None), ((2, 7, 10), 3, 2), ((4, 5, 9), 2, 1), ((1, 9, 6), 4, 3),
              ((6, 8), 3, 3), ((2, 6, 6), 2, None)]
    cases = [(rng.normal(size=s), k) if st is None else (rng.normal(size=s), k, st)
             for s, k, st in shapes]
    check_function(ex, max_pool2d, _pool, cases, MISTAKES[ex], name="max_pool2d")
    passed(ex, "It agrees with F.max_pool2d, also for overlapping windows.")


def check_conv2d_unfold(conv2d_unfold: Any) -> None:
    """Check Exercise 3.5: unfold and one matrix product, no loop and no conv2d."""
    ex, fn = "3.5", conv2d_unfold
    rng = exercise_rng(ex)
    cases = []
    for (N, C, H, W), n_filters, k, s, p in [((2, 3, 6, 7), 4, 3, 1, 0),
        ((1, 2, 7, 9), 3, 3, 2, 1), ((3, 1, 5, 5), 2, 2, 1, 1)]:
        X, weight = rng.normal(size=(N, C, H, W)), rng.normal(size=(n_filters, C, k, k))
        cases.append(
            (*(torch.from_numpy(a) for a in (X, weight, rng.normal(size=n_filters))), s, p)
        )
    check_function(ex, fn, F.conv2d, cases, MISTAKES[ex], name="conv2d_unfold")
    ensure(ex, "conv2d" not in torch_functions(fn, *cases[0]), "conv2d_unfold calls conv2d: build "
           "the patches with F.unfold and combine them with one matrix product.")
    small, large = ([torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2), torch.zeros(1)],
                    [torch.ones(1, 1, 16, 16), torch.ones(1, 1, 2, 2), torch.zeros(1)])
    ensure(ex, not uses_python_loop(fn, small, large), "conv2d_unfold uses a Python loop over the "
           "positions: F.unfold gathers every patch at once.")
    passed(ex, "It matches F.conv2d with strides and padding, without loops or conv2d.")


# --- Exercise 3.6: a small CNN classifier ------------------------------------------------------

NO_RELU_1 = "there is no ReLU between the first and the second convolution."
NO_RELU_2 = "there is no ReLU after the second convolution, before the pooling."
MAX_POOL = "the model uses max pooling, but the exercise asks for average pooling "
MAX_POOL += "(nn.AdaptiveAvgPool2d or nn.AvgPool2d)."
FLAT_BATCH = "for input of shape (1, 3, 32, 32) the output should have shape (1, 4): flatten "
FLAT_BATCH += "with nn.Flatten() or x.flatten(1), which keep the batch axis."
SWAPPED = "the first convolution applied has 30 filters of 5x5, but the first should have 15 "
SWAPPED += "of 3x3 and the second 30 of 5x5."
NO_POOL = "the classification layer should get the average-pooled ReLU of the second "
NO_POOL += "convolution's output, flattened."
FLATTEN = "the classification layer's in_features should equal the number of features left "
FLATTEN += "after pooling and flattening"


def _pooled(x: torch.Tensor, width: int, how: str = "avg") -> Iterator[torch.Tensor]:
    """``x`` (N, C, H, H) pooled to ``width`` features, adaptively or by any square window
    of 2 pixels or more, stride and padding; each row sorted, as the features may be
    flattened in any order. A "pooling" that leaves the map as it is counts as none."""
    C, H = x.shape[1], x.shape[-1]
    side = round((width / C) ** 0.5)
    if side < H:
        yield getattr(F, f"adaptive_{how}_pool2d")(x, side).flatten(1).sort(1)[0]
    windows = {(k, p, s if (H + 2 * p - k) // s else H + 2 * p - k + 1)  # one stride per window
               for k in range(2, H + 1) for p in range(k // 2 + 1) for s in range(1, H + 1)
               if C * ((H + 2 * p - k) // s + 1) ** 2 == width}
    for k, p, s in sorted(windows):
        yield getattr(F, f"{how}_pool2d")(x, k, s, p).flatten(1).sort(1)[0]


def check_cnn_classifier(CNNClassifier: Any) -> None:
    """Check Exercise 3.6: the layers the forward pass calls, in order, and what they get."""
    ex = "3.6"
    model = build_model(ex, CNNClassifier, "CNNClassifier", 36)
    with torch_seed(36):
        X = torch.rand(1, 3, 32, 32)  # (N, C, H, W)
    out, calls = trace(ex, model, X, in_features_hint=FLATTEN)
    convs = [c for c in calls if isinstance(c.module, nn.Conv2d)]
    ensure(ex, len(convs) == 2, f"the forward pass applies {len(convs)} convolutions but should "
           "apply two, one after the other.")
    for c, (filters, k), which in zip(convs, [(15, 3), (30, 5)], ("first", "second"), strict=True):
        shape = (c.module.out_channels, c.module.kernel_size)
        ensure(ex, which == "second" or shape != (30, (5, 5)), SWAPPED)
        ensure(ex, shape == (filters, (k, k)),
               f"the {which} convolution applied should have {filters} filters of {k}x{k}.")
    ensure(ex, same(convs[0].input, X), "the first convolution should take the images themselves.")
    if not same(convs[1].input, relu(convs[0].output)):
        ensure(ex, not same(convs[1].input, convs[0].output), NO_RELU_1)
        raise CheckFailed(ex, "the second convolution should take the ReLU of the first one's "
                          "output.")
    linears = [c for c in calls if isinstance(c.module, nn.Linear)]
    ensure(ex, bool(linears) and same(out, linears[-1].output),
           "forward should return the output of its classification layer, an nn.Linear.")
    ensure(
        ex,
        tuple(out.shape) == (1, 4),
        FLAT_BATCH
        if out.shape[-1:] == (4,)
        else f"for one image the model returns shape {tuple(out.shape)} but should return (1, 4).",
    )
    c2, width = convs[1].output, linears[-1].input.shape[-1]
    feats = linears[-1].input.sort(-1).values
    with one_thread():  # many tiny poolings, which threads would only slow down
        if not any(same(feats, p) for p in _pooled(relu(c2), width)):
            ensure(ex, not any(same(feats, p) for p in _pooled(c2, width)), NO_RELU_2)
            ensure(ex, not any(same(feats, p) for p in _pooled(relu(c2), width, "max")), MAX_POOL)
            raise CheckFailed(ex, NO_POOL)
    gradients_reach(ex, model, out)
    n = sum(p.numel() for p in model.parameters())
    passed(ex, f"Two convolutions with ReLUs, average pooling, 4 scores; {n:,} parameters.")


# --- Exercises 3.7 and 3.8: a receptive field, and a small CNN on MNIST -----------------------


def _receptive_field() -> int:
    """How many input columns one output pixel of the stack of 3.7 sees, by autograd."""
    with torch_seed(37):
        stack = nn.Sequential(nn.Conv2d(1, 1, 3), nn.Conv2d(1, 1, 3), nn.AvgPool2d(2),
                              nn.Conv2d(1, 1, 3))
        for p in stack.parameters():
            nn.init.uniform_(p, 0.5, 1.0)  # positive weights: no gradient cancels by chance
        x = torch.rand(1, 1, 32, 32, requires_grad=True)
        out = stack(x)
    out[0, 0, out.shape[2] // 2, out.shape[3] // 2].backward()
    return int((x.grad[0, 0].abs().sum(0) > 0).sum())


def check_receptive_field(predicted_rf: Any) -> None:
    """Check Exercise 3.7: the predicted receptive field of the stack."""
    ex = "3.7"
    guess, rf = as_number(ex, "predicted_rf", predicted_rf), _receptive_field()
    if guess != rf:
        name_mistake(ex, guess, MISTAKES[ex])
        raise CheckFailed(ex, f"one output sees more or fewer than {guess:g} input pixels per "
                          "side: follow it back layer by layer, multiplying by each stride on "
                          "the way.")
    passed(ex, f"One output pixel sees {rf} x {rf} input pixels.")


#: Exercise 3.8: the budget of parameters and the test accuracy after one epoch.
BUDGET, CNN_BAR = 6000, pick(full=0.90, quick=0.80)


def check_small_cnn(model: Any) -> None:
    """Check Exercise 3.8: at most BUDGET parameters and CNN_BAR test accuracy."""
    from dlbook.data import load_mnist_arrays

    ex = "3.8"
    ensure(ex, isinstance(model, nn.Module),
           f"small_cnn should be a trained nn.Module but is {describe(model)}.")
    n = sum(p.numel() for p in model.parameters())
    ensure(ex, n <= BUDGET, f"the model has {n:,} parameters, over the budget of {BUDGET:,}: use "
           "fewer filters, or pool before the linear layer so that it gets fewer features.")
    images, labels = load_mnist_arrays(train=False)
    X = torch.from_numpy(images[:2000] / 255).float()[:, None]  # (2000, 1, 28, 28)
    with one_thread():
        scores = run_trained(ex, model, X)
    ensure(ex, isinstance(scores, torch.Tensor) and scores.shape == (2000, 10),
           "the model should map images of shape (N, 1, 28, 28) to scores of shape (N, 10).")
    accuracy = (scores.argmax(1).cpu() == torch.from_numpy(labels[:2000])).float().mean().item()
    ensure(ex, accuracy >= CNN_BAR, f"the model reaches {accuracy:.1%} after one epoch, below "
           f"{CNN_BAR:.0%}: convolutions with small kernels and pooling between them share their "
           "few weights across the whole image.")
    passed(ex, f"{n:,} parameters and {accuracy:.1%} test accuracy after one epoch.")


# --- the table of mistakes ---------------------------------------------------------------------


def _cnn_variant(variant: str) -> type:
    """A wrong CNNClassifier reproducing one mistake."""

    class CNN(nn.Module):
        def __init__(self, n_classes: int = 4) -> None:
            super().__init__()
            sizes = (
                [(3, 30, 5), (30, 15, 3)] if variant == "swapped" else [(3, 15, 3), (15, 30, 5)]
            )
            convs = [nn.Conv2d(*s) for s in sizes]
            self.convs = convs if variant == "list" else nn.ModuleList(convs)
            self.fc = nn.Linear(sizes[1][1] * (26 * 26 if variant == "no_pool" else 1), n_classes)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.convs[0](x)
            x = self.convs[1](x if variant == "no_relu_1" else torch.relu(x))
            x = x if variant == "no_relu_2" else torch.relu(x)
            if variant != "no_pool":
                x = F.adaptive_max_pool2d(x, 1) if variant == "max" else x.mean((2, 3), True)
            return self.fc(x.flatten() if variant == "flat" else x.flatten(1))

    return CNN


def _conv_variant(variant: str) -> Any:
    """A wrong conv2d_unfold reproducing one mistake."""

    def conv2d_unfold(X, weight, bias, stride=1, padding=0):  # noqa: ANN001, ANN202
        if variant == "flip":
            weight = weight.flip(-2, -1)
        if variant == "no_padding":
            padding = 0
        if variant == "no_stride":
            stride = 1
        out = F.conv2d(X, weight, None if variant == "no_bias" else bias, stride, padding)
        return out.transpose(-2, -1).reshape(out.shape) if variant == "swapped" else out

    return conv2d_unfold


SOBEL = np.array([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
MISTAKES: dict[str, list[tuple[Any, str]]] = {
    "3.1 edge": [(-SOBEL, MIRRORED),
                 (SOBEL.T, SIDEWAYS),
                 (np.array([[0.0, 0, 1]] * 3), f"edge_kernel {FLAT}")],
    "3.1 diagonal": [(np.fliplr(3 * np.eye(3) - 1), OTHER_DIAGONAL),
                     (np.eye(3), f"diagonal_kernel {FLAT}"),
                     (3 * np.eye(3)[:, [1, 1, 1]] - 1, UPRIGHT)],
    "3.3 conv": [(lambda i, o, k, bias=True: o * k * k + o * bias,
                  "conv2d_params leaves out the input channels: each filter spans all "
                  "in_channels, so it has in_channels * kernel_size * kernel_size weights."),
                 (lambda i, o, k, bias=True: i * o * k + o * bias,
                  "conv2d_params counts kernel_size weights per channel, but a kernel_size x "
                  "kernel_size kernel has kernel_size * kernel_size of them."),
                 (lambda i, o, k, bias=True: i * o * k * k + i * bias,
                  "conv2d_params counts one bias per input channel, but there is one per "
                  "filter."),
                 (lambda i, o, k, bias=True: i * o * k * k,
                  "conv2d_params leaves out the biases: each filter has one, unless "
                  "bias=False."),
                 (lambda i, o, k, bias=True: i * o * k * k + o,
                  "conv2d_params counts biases although bias=False.")],
    "3.3 linear": [(lambda i, o, bias=True: i * o,
                    "linear_params leaves out the biases: each output has one."),
                   (lambda i, o, bias=True: i * o + i * bias,
                    "linear_params counts one bias per input, but there is one per output."),
                   (lambda i, o, bias=True: i * o + o,
                    "linear_params counts biases although bias=False.")],
    "3.4": [(lambda X, k, s=None: _pool(X, k, s, F.avg_pool2d),
             "max_pool2d takes the mean of each window: max pooling keeps its largest value."),
            (lambda X, k, s=None: -_pool(-X, k, s),
             "max_pool2d takes the smallest value of each window instead of the largest."),
            (lambda X, k, s=None: np.maximum(_pool(X, k, s), 0),
             "max_pool2d is never below 0, although some windows hold only negative numbers: "
             "start from the window's own values (window.max()), not from 0."),
            (lambda X, k, s=None: _pool(X, k, 1),
             "max_pool2d moves the window one pixel at a time: it should move stride pixels, "
             "and stride defaults to kernel_size."),
            (lambda X, k, s=None: _pool(X, k, s, ceil_mode=True),
             "max_pool2d keeps a last window that does not fit: like PyTorch, drop it "
             "(round the number of windows down)."),
            (lambda X, k, s=None: np.broadcast_to(_pool(X, k, s).max(0), _pool(X, k, s).shape),
             "max_pool2d takes the maximum over all channels: pool each channel on its own.")],
    "3.5": [(_conv_variant(v), s) for v, s in [
        ("flip", "conv2d_unfold flips the kernel: deep-learning libraries compute a "
         "cross-correlation, so use the weights as they are."),
        ("no_bias", "conv2d_unfold leaves out the bias: add bias[f] to every output of filter f."),
        ("no_padding", "conv2d_unfold leaves out the padding: pass it to F.unfold and use it in "
         "H_out and W_out."),
        ("no_stride", "conv2d_unfold leaves out the stride: pass it to F.unfold and use it in "
         "H_out and W_out."),
        ("swapped", "conv2d_unfold has height and width swapped: unfold lists the positions row "
         "by row, so reshape to (N, n_filters, H_out, W_out).")]],
    "3.6": [(_cnn_variant(v), s) for v, s in [
        ("list", NOT_REGISTERED.format("Conv2d")), ("swapped", SWAPPED), ("no_relu_1", NO_RELU_1),
        ("flat", FLAT_BATCH), ("no_relu_2", NO_RELU_2), ("max", MAX_POOL),
        ("no_pool", NO_POOL)]],
    "3.7": [(8,
             "8 leaves out the stride of the pooling: after it, each step of the last "
             "convolution moves 2 input pixels, so its 3x3 kernel adds 2 * 2 = 4, not 2."),
            (7,
             "7 leaves out the pooling: its 2x2 window adds a pixel and doubles the step of "
             "everything after it."),
            (9,
             "9 adds up the kernel sizes: each 3x3 convolution widens the view by 2 pixels "
             "(times the stride of what comes before), not by 3.")],
}
