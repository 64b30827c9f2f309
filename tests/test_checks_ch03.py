"""Tests of the chapter 3 checkers: right answers in several styles pass, every mistake
of the table is named with its sentence, junk gets one line."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from checks_helpers import chapter_tests
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn
from torch.nn import functional as F

from dlbook.checks import ch03, one_thread, torch_seed
from dlbook.data import load_mnist_arrays

SHAPES = {"a": (8, 30, 30), "b": (8, 32, 32), "c": (16, 16, 16), "d": (4, 9, 9),
          "e": (6, 14, 14), "f": (30, 26, 26), "g": (30, 1, 1)}


def conv2d_params(in_channels, out_channels, kernel_size, bias=True):
    return out_channels * in_channels * kernel_size**2 + (out_channels if bias else 0)


def max_pool_loop(X, kernel_size, stride=None):
    stride = stride or kernel_size
    H_out, W_out = ((n - kernel_size) // stride + 1 for n in X.shape[-2:])
    out = np.empty(X.shape[:-2] + (H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            r, c = i * stride, j * stride
            out[..., i, j] = X[..., r : r + kernel_size, c : c + kernel_size].max(axis=(-2, -1))
    return out


def max_pool_windows(X, kernel_size, stride=None):
    """All windows at once with sliding_window_view, then every stride-th one."""
    s = stride if stride is not None else kernel_size
    windows = sliding_window_view(X, (kernel_size, kernel_size), axis=(-2, -1))
    return windows[..., ::s, ::s, :, :].max(axis=(-2, -1))


def max_pool_offsets(X, kernel_size, stride=None):
    """The elementwise maximum of k * k strided views, one per offset inside the window."""
    k, s = kernel_size, stride or kernel_size
    H_out, W_out = ((n - k) // s + 1 for n in X.shape[-2:])
    views = [X[..., i : i + s * (H_out - 1) + 1 : s, j : j + s * (W_out - 1) + 1 : s]
             for i in range(k) for j in range(k)]
    return np.maximum.reduce(views)


def conv2d_einsum(X, weight, bias, stride=1, padding=0):
    """einsum over the unfolded patches, the output size read from the unfold."""
    k = weight.shape[-1]
    H_out = (X.shape[2] + 2 * padding - k) // stride + 1
    cols = F.unfold(X, (k, k), padding=padding, stride=stride)  # (N, C*k*k, L)
    out = torch.einsum("fc,ncl->nfl", weight.flatten(1), cols) + bias.view(1, -1, 1)
    return out.unflatten(2, (H_out, -1))


def conv2d_bmm(X, weight, bias, stride=1, padding=0):
    """Patches as rows, then one batched product with the filters as columns."""
    N, n_filters, k = len(X), len(weight), weight.shape[-1]
    rows = F.unfold(X, k, padding=padding, stride=stride).transpose(1, 2)  # (N, L, C*k*k)
    out = rows @ weight.view(n_filters, -1).T + bias  # (N, L, n_filters)
    H_out = (X.shape[2] + 2 * padding - k) // stride + 1
    return out.transpose(1, 2).reshape(N, n_filters, H_out, -1)


class CNNOtherOrder(nn.Module):
    """Layers defined last first, functional ReLU (clamp) and mean pooling."""

    def __init__(self, n_classes=4):
        super().__init__()
        self.classifier = nn.Linear(30, n_classes)
        self.conv2 = nn.Conv2d(15, 30, kernel_size=(5, 5))
        self.conv1 = nn.Conv2d(3, 15, kernel_size=3, padding=0)

    def forward(self, x):
        x = self.conv2(self.conv1(x).clamp(min=0))
        return self.classifier(torch.maximum(x, torch.tensor(0.0)).mean(dim=(-2, -1)))


class CNNWindowPool(nn.Module):
    """A ModuleList, nn.AvgPool2d(2) and a wide linear layer."""

    def __init__(self, n_classes=4):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, 15, 3), nn.Conv2d(15, 30, 5)])
        self.pool = nn.AvgPool2d(2)
        self.fc = nn.Linear(30 * 13 * 13, n_classes)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        return self.fc(torch.flatten(self.pool(x), start_dim=1))


class CNNStridedPool(nn.Module):
    """Overlapping pooling windows (3, stride 2), the features flattened channels last."""

    def __init__(self, n_classes=4):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(3, 15, 3), nn.Conv2d(15, 30, 5)
        self.fc = nn.Linear(12 * 12 * 30, n_classes)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 3, stride=2)  # (N, 30, 12, 12)
        return self.fc(x.permute(0, 2, 3, 1).flatten(1))


def small_cnn():
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 5 * 5, 10))


class SmallCNN(nn.Module):
    """Another small CNN: padding, average pooling, a functional forward."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 12, 3)
        self.fc = nn.Linear(12 * 6 * 6, 10)

    def forward(self, x):
        x = F.avg_pool2d(F.relu(self.c1(x)), 2)  # (N, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.c2(x)), 2)  # (N, 12, 6, 6)
        return self.fc(x.flatten(1))


def five_by_five():
    return nn.Sequential(nn.Conv2d(1, 12, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(12, 14, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(14 * 5 * 5, 10))


@functools.cache
def trained(make):
    """A model trained for one epoch on 3,000 MNIST images, as Exercise 3.8 does."""
    images, labels = load_mnist_arrays(train=True)
    X, y = torch.from_numpy(images[:3000] / 255).float()[:, None], torch.from_numpy(labels[:3000])
    with one_thread(), torch_seed(0):
        model = make()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
        for i in range(0, 3000, 64):
            optimizer.zero_grad()
            F.cross_entropy(model(X[i : i + 64]), y[i : i + 64]).backward()
            optimizer.step()
    return model


RIGHT = [
    (ch03.check_pattern_kernels, ch03.SOBEL, 3 * np.eye(3) - 1),
    (ch03.check_pattern_kernels, [[-1, 0, 1]] * 3,
     torch.tensor([[2.0, -1, -1], [-1, 2, -1], [-1, -1, 2]])),
    (ch03.check_pattern_kernels, np.array([[0, -1, 1]] * 3, dtype=np.float32), np.eye(3) - 1 / 3),
    (ch03.check_output_shapes, SHAPES),
    (ch03.check_output_shapes, {k: torch.Size(v) for k, v in reversed(SHAPES.items())}),
    (ch03.check_output_shapes, {k: tuple(np.array(v)) for k, v in SHAPES.items()}),
    (ch03.check_param_counts, conv2d_params, lambda i, o, bias=True: i * o + o * bias),
    (ch03.check_param_counts, lambda i, o, k, bias=True: np.int64(o * (i * k * k + int(bias))),
     lambda n_in, n_out, bias=True: float((n_in + bias) * n_out)),
    (ch03.check_param_counts, lambda i, o, k, bias=True: sum([i * k * k + bias] * o),
     lambda n_in, n_out, bias=True: n_out * (n_in + (1 if bias else 0))),
    (ch03.check_max_pool, max_pool_loop),
    (ch03.check_max_pool, max_pool_windows),
    (ch03.check_max_pool, max_pool_offsets),
    (ch03.check_conv2d_unfold, conv2d_einsum),
    (ch03.check_conv2d_unfold, conv2d_bmm),
    (ch03.check_cnn_classifier, CNNOtherOrder),
    (ch03.check_cnn_classifier, CNNWindowPool),
    (ch03.check_cnn_classifier, CNNStridedPool),
    (ch03.check_receptive_field, 10),
    (ch03.check_receptive_field, np.float32(10.0)),
    (ch03.check_receptive_field, torch.tensor(10)),
]


@pytest.mark.parametrize("make", [small_cnn, SmallCNN, five_by_five])
def test_small_cnns_of_any_design_pass(make, monkeypatch, capsys):
    monkeypatch.setattr(ch03, "CNN_BAR", 0.8)  # the quick-mode bar, whatever the mode
    ch03.check_small_cnn(trained(make))
    assert "passed" in capsys.readouterr().out


CALLS = {"3.1 edge": lambda wrong: ch03.check_pattern_kernels(wrong, 3 * np.eye(3) - 1),
         "3.1 diagonal": lambda wrong: ch03.check_pattern_kernels(ch03.SOBEL, wrong),
         "3.3 conv": lambda wrong: ch03.check_param_counts(wrong, linear_params),
         "3.3 linear": lambda wrong: ch03.check_param_counts(conv2d_params, wrong),
         "3.4": ch03.check_max_pool, "3.5": ch03.check_conv2d_unfold,
         "3.6": ch03.check_cnn_classifier, "3.7": ch03.check_receptive_field}


JUNK_FOR = [*CALLS.values(), ch03.check_output_shapes, ch03.check_small_cnn]


def conv_loop(X, weight, bias, stride=1, padding=0):
    """Correct values, but a loop over the output positions."""
    k = weight.shape[-1]
    H_out, W_out = ((n + 2 * padding - k) // stride + 1 for n in X.shape[2:])
    out = torch.zeros(len(X), len(weight), H_out, W_out, dtype=X.dtype)
    Xp = F.pad(X, [padding] * 4)
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            patch = Xp[:, None, :, i * stride : i * stride + k, j * stride : j * stride + k]
            out[:, :, i, j] = (patch * weight).sum((2, 3, 4)) + bias
    return out


def conv2d_params_built(in_channels, out_channels, kernel_size, bias=True):
    layer = nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)
    return sum(p.numel() for p in layer.parameters())


def linear_params(in_features, out_features, bias=True):
    return in_features * out_features + out_features * bias


OTHERS = [
    (ch03.check_pattern_kernels, (np.zeros((3, 3)), np.eye(3)), "not all 0"),
    (ch03.check_pattern_kernels, (np.ones((2, 2)), np.eye(3)), "should be a 3x3 array"),
    (ch03.check_output_shapes, ({**SHAPES, "c": (8, 16, 16)},), "one channel per filter"),
    (ch03.check_output_shapes, ({**SHAPES, "d": (4, 10, 10)},), "rounds down"),
    (ch03.check_output_shapes, ({**SHAPES, "a": (1, 8, 30, 30)},), "leave out the batch"),
    (ch03.check_output_shapes, ({"a": (8, 30, 30)},), "has no entry 'b'"),
    (ch03.check_param_counts, (lambda *c: conv2d_params(*c) + 0.5, linear_params), "float 608.5"),
    (ch03.check_param_counts, (conv2d_params_built, linear_params), "builds a layer"),
    (ch03.check_max_pool, (lambda X, k, s=None: max_pool_loop(X, k, s)[..., :-1],), "has shape"),
    (ch03.check_conv2d_unfold, (conv_loop,), "uses a Python loop over the positions"),
    (ch03.check_conv2d_unfold, (lambda X, w, b, s=1, p=0: F.conv2d(X, w, b, s, p),), "conv2d:"),
    (ch03.check_cnn_classifier, (CNNWindowPool(),), "pass the class CNNClassifier itself"),
    (ch03.check_receptive_field, (12,), "follow it back layer by layer"),
    (ch03.check_small_cnn, (nn.Sequential(nn.Flatten(), nn.Linear(784, 10)),), "over the budget"),
    (ch03.check_small_cnn, (small_cnn(),), "after one epoch, below"),
]
globals().update(chapter_tests(RIGHT, CALLS, ch03.MISTAKES, JUNK_FOR, OTHERS))
