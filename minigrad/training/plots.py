"""Figures of a training run, drawn with matplotlib (the `plots` extra):
learning curves, the decision boundary of a 2-D classifier, and the gradient
flow per layer (mean and max |grad|)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minigrad.core.grad_mode import no_grad
from minigrad.core.tensor import Tensor
from minigrad.nn import Module

try:
    from matplotlib.figure import Figure  # a Figure saves itself: no pyplot, no backend switched under Jupyter
except ImportError as missing:
    raise ImportError("minigrad.training.plots needs matplotlib: pip install 'minigrad[plots]'") from missing


def learning_curves(history: Sequence[dict[str, float]], path: str | Path) -> Path:
    """Training loss, and training and test accuracy, per epoch, side by side; returns the path.

    >>> import tempfile
    >>> rows = [{"epoch": 1, "train_loss": 1.0, "train_accuracy": 0.5, "test_accuracy": 0.4},
    ...         {"epoch": 2, "train_loss": 0.5, "train_accuracy": 0.8, "test_accuracy": 0.7}]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     learning_curves(rows, Path(folder) / "curves.png").name
    'curves.png'
    """
    epochs = [row["epoch"] for row in history]
    figure = Figure(figsize=(8, 3.3))  # 880 px at 110 dpi: a docs column (834-880 px) keeps its text about full size
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, [row["train_loss"] for row in history])
    loss_axes.set(xlabel="epoch", ylabel="training loss", title="loss")
    accuracy_axes.plot(epochs, [row["train_accuracy"] for row in history], label="train")
    accuracy_axes.plot(epochs, [row["test_accuracy"] for row in history], label="test")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.02))
    accuracy_axes.legend()
    return _save(figure, path)


def decision_boundary(model: Module, X: np.ndarray, y: np.ndarray, path: str | Path,
                      title: str = "decision boundary", resolution: int = 200) -> Path:
    """Save `decision_boundary_figure` as a picture; returns the path.

    >>> import tempfile
    >>> from minigrad import nn
    >>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32), np.array([0, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     decision_boundary(nn.Linear(2, 2), X, y, Path(folder) / "boundary.png").name
    'boundary.png'
    """
    return _save(decision_boundary_figure(model, X, y, title, resolution), path)


def decision_boundary_figure(model: Module, X: np.ndarray, y: np.ndarray, title: str = "decision boundary",
                             resolution: int = 200) -> Figure:
    """The class the model predicts at every point of the plane (shaded), with
    the data on top (dots, coloured by their true class, one legend entry per class).

    >>> from minigrad import nn
    >>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]], dtype=np.float32), np.array([0, 1])
    >>> figure = decision_boundary_figure(nn.Linear(2, 2), X, y, title="two points")
    >>> [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    ['class 0', 'class 1']
    """
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0))
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], resolution), np.linspace(low[1], high[1], resolution))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(X.dtype)
    with no_grad():
        predicted = model(Tensor(grid)).data.argmax(axis=1).reshape(xs.shape)
    figure = Figure(figsize=(6, 6))
    axes = figure.subplots()
    classes = int(max(y.max(), predicted.max())) + 1
    axes.contourf(xs, ys, predicted, levels=np.arange(classes + 1) - 0.5, cmap="tab10", alpha=0.25,
                  vmin=0, vmax=9)
    colours = axes.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=12, edgecolors="k",
                           linewidths=0.3)
    markers, _ = colours.legend_elements()    # one marker per class present in y, in the scatter's colours
    axes.legend(markers, [f"class {k}" for k in np.unique(y)], title="dots: true class\nshade: predicted",
                loc="best", fontsize="small", title_fontsize="small")
    axes.set(title=title, xticks=[], yticks=[])
    return figure


def gradient_flow(stats: dict, path: str | Path, epochs: Sequence[int] | None = None,
                  layers: Sequence[str] | None = None) -> Path:
    """plot_grad_flow-style bars: for each layer's weight, the mean |grad| (dark)
    and the largest |grad| (light) over an epoch, for the first and the last
    epoch (or the epochs given, numbered from 1), on a log scale. `stats` is
    GradientStats.arrays() with "parameter_names" added (TrainResult.stats);
    `layers` names the layers with weights as the report does ("Linear 1", …;
    by default the weights' module names). Returns the path.

    >>> import tempfile
    >>> stats = {"grad_mean": np.array([[0.1, 0.2], [0.01, 0.02]]), "grad_max": np.array([[1.0, 2.0], [0.1, 0.2]]),
    ...          "parameter_names": ["0.weight", "0.bias"]}
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     gradient_flow(stats, Path(folder) / "flow.png").name
    'flow.png'
    """
    names = list(stats["parameter_names"])
    weights = [i for i, name in enumerate(names) if name.endswith("weight")] or list(range(len(names)))
    periods = len(stats["grad_mean"])
    epochs = list(epochs) if epochs is not None else sorted({1, periods})
    figure = Figure(figsize=(7, 4.2))
    axes = figure.subplots()
    positions = np.arange(len(weights))
    width = 0.8 / len(epochs)
    for k, epoch in enumerate(epochs):
        offset = positions - 0.4 + width * (k + 0.5)
        colour = f"C{k}"
        axes.bar(offset, stats["grad_max"][epoch - 1, weights], width, color=colour, alpha=0.3,
                 label=f"epoch {epoch}: max |grad|")
        axes.bar(offset, stats["grad_mean"][epoch - 1, weights], width, color=colour,
                 label=f"epoch {epoch}: mean |grad|")
    axes.set_yscale("log")
    if layers is not None and len(layers) != len(weights):
        raise ValueError(f"gradient_flow: got {len(layers)} layer names for {len(weights)} layers with weights")
    axes.set_xticks(positions, list(layers) if layers is not None
                    else [f"layer {names[i].rpartition('.')[0]}" for i in weights])
    axes.set(xlabel="weights, input side → output side", ylabel="|gradient| (log scale)",
             title="gradient flow: |∂L/∂W| per layer")
    axes.legend(fontsize="small")
    return _save(figure, path)


def _save(figure: Figure, path: str | Path) -> Path:
    return save_png(figure, path, dpi=110)


SMALLEST_TEXT = b"minigrad:smallest-text-px"  # the PNG text chunk save_png writes and smallest_text_px reads


def save_png(figure: Figure, path: str | Path, dpi: float) -> Path:
    """Lay out `figure` and save it as a PNG at `dpi`, with the size of its smallest text, in pixels of
    the image, written into the PNG (a text chunk): the docs site reads it back, with smallest_text_px,
    to show the figure no narrower than keeps that text readable (on a phone, in a box that scrolls).

    >>> import tempfile
    >>> figure = Figure(figsize=(2, 1))
    >>> _ = figure.text(0.5, 0.5, "hello", fontsize=9)  # 9 pt at 100 dots per inch: 12.5 px
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     smallest_text_px(save_png(figure, Path(folder) / "f.png", dpi=100))
    12.5
    """
    from matplotlib.text import Text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_visible() and text.get_text().strip()]
    metadata = {"Software": None, SMALLEST_TEXT.decode(): f"{min(sizes, default=0) * dpi / 72:.1f}"}
    figure.savefig(path, dpi=dpi, metadata=metadata)  # Software None: no version stamp, the bytes change less
    return path


def smallest_text_px(path: str | Path) -> float | None:
    """The size of the smallest text of a PNG that save_png wrote, in pixels of the image (None if the
    PNG does not say)."""
    data = Path(path).read_bytes()
    at = data.find(b"tEXt" + SMALLEST_TEXT + b"\0")
    if at < 0:
        return None
    length = int.from_bytes(data[at - 4:at], "big")
    return float(data[at + 4 + len(SMALLEST_TEXT) + 1:at + 4 + length])
