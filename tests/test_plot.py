"""Unit tests of dlbook.plot (drawn off-screen)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlbook.plot import heatmap, plot_curves, show_images  # noqa: E402


def teardown_function():
    plt.close("all")


def test_show_images_grid_and_titles():
    images = torch.rand(10, 1, 28, 28)
    fig = show_images(images, titles=[str(i) for i in range(10)], ncols=4)
    assert len(fig.axes) == 12  # 3 rows of 4, two left empty
    assert fig.axes[9].get_title() == "9"
    assert not fig.axes[11].images


def test_show_images_accepts_colour_and_numpy():
    fig = show_images(np.random.rand(2, 3, 8, 8))
    assert fig.axes[0].images[0].get_array().shape == (8, 8, 3)
    with pytest.raises(ValueError, match="at least one image"):
        show_images([])


def test_plot_curves_labels_axes_and_legend():
    ax = plot_curves({"train": [3, 2, 1], "test": [3.5, 2.5]}, ylabel="loss", logy=True)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    assert list(ax.lines[1].get_xdata()) == [1, 2]
    assert ax.get_yscale() == "log"


def test_heatmap_draws_on_given_axes():
    _, ax = plt.subplots()
    weights = torch.softmax(torch.randn(3, 4, requires_grad=True), dim=1)
    out = heatmap(
        weights, xlabels="abcd", ylabels="xyz", xlabel="key", title="w", ax=ax
    )
    assert out is ax
    assert ax.get_xlabel() == "key" and ax.get_title() == "w"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y", "z"]
    with pytest.raises(ValueError, match="2-D"):
        heatmap(np.zeros(3))


def test_heatmap_annotations_stay_readable():
    counts = np.array([[90, 3], [0, 7]])  # a confusion matrix: whole numbers
    ax = heatmap(counts, annotate=True)
    texts = {t.get_text(): t.get_color() for t in ax.texts}
    assert set(texts) == {"90", "3", "0", "7"}
    assert texts["90"] == "black"  # viridis is yellow at the top: dark text
    assert texts["0"] == "white"  # and dark purple at the bottom: light text
    ax = heatmap(np.array([[0.125, 0.875]]), annotate=True)
    assert [t.get_text() for t in ax.texts] == ["0.12", "0.88"]
    ax = heatmap(np.array([[0.125, 0.875]]), annotate=True, fmt=".1%")
    assert [t.get_text() for t in ax.texts] == ["12.5%", "87.5%"]
