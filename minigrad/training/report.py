"""report.html of `minigrad train`: the run's gradient health, epoch by epoch, on one page.

One self-contained HTML file (inline SVG, CSS and JavaScript; no network).
A slider steps over the epochs at which `fit` kept the model's predictions
over the plane (training/loop.py's snapshot_epochs_of: about ten, the first and the
last included); as it moves, four figures follow: the decision boundary
after that epoch (2-D datasets), plot_grad_flow-style bars of each layer's
mean and max |∂L/∂W|, each activation layer's histogram with its fraction
of saturated (sigmoid, tanh) or dead (ReLU) units, and the loss and
accuracy curves with the epoch marked, and (2-D datasets) a heat map of
each unit of the first hidden layer over the input plane, as in TensorFlow
Playground. A table beside them gives the epoch's numbers.

Every number comes from the run: the history, GradientStats' records
(TrainResult.stats) and the snapshots (TrainResult.snapshots) are written
into the page as JSON; the JavaScript only looks them up and draws them.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import numpy as np

from minigrad.pages.builder import build_page
from minigrad.training.config import LOSS_NAMES, TrainConfig
from minigrad.training.loop import TrainResult, snapshot_epochs_of

__all__ = ["page", "page_data"]


def _clean(values: Any) -> Any:
    """Lists of floats for JSON: NaN and ±inf (nothing recorded, a diverging run) become null."""
    array = np.asarray(values, dtype=np.float64)
    return [_clean(row) for row in array] if array.ndim > 1 else \
        [float(v) if math.isfinite(v) else None for v in array.tolist()]


def page_data(result: TrainResult) -> dict[str, Any]:
    """The numbers the page shows, as JSON-ready lists (see the module docstring)."""
    history, stats, snapshots = result.history, result.stats, result.snapshots
    epochs = len(history)
    shown = [int(e) for e in snapshots["epochs"]] if snapshots else snapshot_epochs_of(epochs)
    names = list(stats["parameter_names"])
    weights = [i for i, name in enumerate(names) if name.endswith("weight")]
    config = result.config
    data: dict[str, Any] = {
        "title": f"{config.dataset}: {_architecture(config)}, "
                 f"{LOSS_NAMES[config.loss]} loss, {config.optimizer} lr {config.lr:g}, {epochs} epochs",
        "epochs": shown,
        "history": {key: _clean([row[key] for row in history])
                    for key in ("train_loss", "train_accuracy", "test_accuracy")},
        "layers": [names[i].rpartition(".")[0] for i in weights],
        "grad_mean": _clean(stats["grad_mean"][:, weights]), "grad_max": _clean(stats["grad_max"][:, weights]),
        "update_ratio": _clean(stats["update_ratio"][:, weights]),
        "activations": list(stats["activation_names"]), "kinds": list(stats["activation_kinds"]),
        "saturated": _clean(stats["saturated"]),
        "histogram": np.asarray(stats["histogram"]).astype(int).tolist(),
        "edges": _clean(stats["histogram_edges"]),
        "record_every": int(stats["record_every"]),
    }
    if snapshots:
        X = np.concatenate(result.splits[:2])
        y = np.concatenate(result.splits[2:])
        data["boundary"] = {"xs": _clean(snapshots["xs"]), "ys": _clean(snapshots["ys"]),
                            # one digit per grid point, row by row (ys outer): a short string per epoch
                            "predicted": ["".join(map(str, p.ravel().tolist())) for p in snapshots["predicted"]],
                            "points": np.round(X.astype(np.float64), 4).tolist(), "labels": y.astype(int).tolist()}
        if "hidden" in snapshots:
            data["heatmaps"] = _heatmaps(snapshots["hidden"], stats["activation_kinds"][0],
                                         stats["activation_names"][0])
    return data


HEATMAP_STEP, HEATMAP_UNITS = 2, 64  # heat maps on every other grid point, of at most this many units


def _heatmaps(hidden: np.ndarray, kind: str, layer: str) -> dict[str, Any]:
    """The first hidden layer's units over the plane, as colours: each activation
    scaled to 0..255 over the activation's range (ReLU: 0 to the largest output
    seen), for (snapshots, units, rows, columns), base64."""
    grids = hidden[:, :HEATMAP_UNITS, ::HEATMAP_STEP, ::HEATMAP_STEP].astype(np.float64)
    top = float(np.nanmax(grids)) if grids.size and np.isfinite(np.nanmax(grids)) else 1.0
    lo, hi = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}.get(kind, (0.0, top if top > 0 else 1.0))
    levels = np.rint(np.clip(np.nan_to_num((grids - lo) / (hi - lo)), 0, 1) * 255).astype(np.uint8)
    return {"layer": layer, "kind": kind, "lo": lo, "hi": hi, "units": int(hidden.shape[1]),
            "shape": list(levels.shape), "levels": base64.b64encode(levels.tobytes()).decode()}


def page(result: TrainResult) -> str:
    """The whole page as one HTML string."""
    data = page_data(result)
    return build_page("report", title=f"minigrad train: {data['title']}", data=data)


def _architecture(config: TrainConfig) -> str:
    """'64-64 relu MLP', or for a CNN its channels: '32-64 channel relu CNN'."""
    if getattr(config, "model", "mlp") == "cnn":
        return f"{'-'.join(map(str, config.channels))} channel {config.activation} CNN"
    return f"{'-'.join(map(str, config.hidden))} {config.activation} MLP"
