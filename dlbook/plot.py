"""Small plotting helpers: image grids, loss curves, heatmaps.

Each takes an optional Matplotlib ``ax`` (or draws a new figure), labels its axes,
and returns what it drew on, so a notebook can add to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

ArrayLike = np.ndarray | torch.Tensor


def _to_numpy(x: ArrayLike) -> np.ndarray:
    """Return a NumPy copy of an array or (possibly GPU, grad-tracking) tensor."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def show_images(
    images: ArrayLike | Sequence[ArrayLike],
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str = "gray",
    size: float = 1.5,
) -> Figure:
    """Show images (N, H, W), (N, 1, H, W) or (N, 3, H, W) in a grid, with titles."""
    batch = [_to_numpy(image) for image in images]
    if not batch:
        raise ValueError("show_images needs at least one image")
    ncols = min(ncols, len(batch))
    nrows = -(-len(batch) // ncols)  # ceiling division
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(batch):
            continue
        image = batch[i]
        if image.ndim == 3 and image.shape[0] in (1, 3):  # channels first -> last
            image = image.transpose(1, 2, 0)
        ax.imshow(image.squeeze(), cmap=cmap)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    fig.tight_layout()
    return fig


def plot_curves(
    curves: Mapping[str, Sequence[float]],
    xlabel: str = "epoch",
    ylabel: str = "loss",
    title: str | None = None,
    ax: Axes | None = None,
    logy: bool = False,
) -> Axes:
    """Plot named curves (e.g. train and test loss) against their step number."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for label, values in curves.items():
        values = np.asarray([float(v) for v in values])
        ax.plot(np.arange(1, len(values) + 1), values, label=label, marker=".")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    return ax


def heatmap(
    matrix: ArrayLike,
    xlabels: Sequence[str] | None = None,
    ylabels: Sequence[str] | None = None,
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
    annotate: bool = False,
    fmt: str | None = None,
) -> Axes:
    """Draw a 2-D matrix (attention weights, a confusion matrix) with a colour bar.

    With ``annotate``, every cell shows its value, written with ``fmt`` (by default
    whole numbers as they are and others to two significant digits), in black on
    light cells and in white on dark ones.
    """
    values = _to_numpy(matrix)
    if values.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {values.shape}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    ax.figure.colorbar(image, ax=ax)
    if xlabels is not None:
        ax.set_xticks(range(len(xlabels)), labels=list(xlabels), rotation=90)
    if ylabels is not None:
        ax.set_yticks(range(len(ylabels)), labels=list(ylabels))
    if annotate:
        if fmt is None:
            whole = np.all(np.isfinite(values)) and np.all(values == np.round(values))
            fmt = ".0f" if whole else ".2g"
        colours = image.cmap(image.norm(values))  # (rows, cols, RGBA) of each cell
        for (i, j), v in np.ndenumerate(values):
            r, g, b, _ = colours[i, j]
            light = 0.299 * r + 0.587 * g + 0.114 * b > 0.5  # perceived brightness
            ax.text(
                j,
                i,
                format(v, fmt),
                ha="center",
                va="center",
                fontsize=8,
                color="black" if light else "white",
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax
