"""report.html of `minigrad train`: the run's gradient health, epoch by epoch, on one page.

One self-contained HTML file (inline SVG, CSS and JavaScript; no network).
The page opens at epoch 1; a slider (or the play button) steps over the
epochs at which `fit` kept the model's predictions over the plane (every
epoch, or SNAPSHOTS of them in a longer run: training/loop.py). As it moves,
every panel follows: the decision boundary after that epoch and a heat map
of each unit of the first hidden layer over the plane, as in TensorFlow
Playground (2-D datasets); the loss and accuracy curves with the epoch
marked; plot_grad_flow-style bars of each layer's mean and max |∂L/∂W|, with
its update:data; update:data over the epochs, against the rule of thumb
1e-3; and each activation layer's histogram with its share of saturated
(sigmoid, tanh) or dead (ReLU) units. "Try this" plays the run from epoch 1
and goes to the epoch of the best test accuracy.

Layers are named once, here, for every panel: "Linear 1", "Linear 2", ...
for the layers with weights (numbered in model order), "after Linear 1
(ReLU)" for the activation that follows one.

Every number comes from the run: the history, GradientStats' records
(TrainResult.stats) and the snapshots (TrainResult.snapshots) are written
into the page as JSON; the JavaScript only looks them up, formats and draws
them. The snapshots are stored as bytes, deflated and base64-coded (see
`packed`): a class per grid point, and the heat maps as levels 0..255, each
epoch's as its change from the epoch before, which deflates well.
"""

from __future__ import annotations

import base64
import math
import zlib
from typing import Any

import numpy as np

from minigrad.nn import Module
from minigrad.pages.builder import build_page
from minigrad.training.config import LOSS_NAMES, TrainConfig
from minigrad.training.gradient_stats import SATURATED_BELOW
from minigrad.training.loop import TrainResult, snapshot_epochs_of

__all__ = ["UPDATE_RATIO", "layer_names", "packed", "page", "page_data", "run_layer_names"]

# update:data, ‖ΔW‖ / ‖W‖ of a step, is healthy near 1e-3 (Karpathy, "Building makemore" part 3); the
# page marks a value more than 10× away from it.
UPDATE_RATIO = {"healthy": 1e-3, "low": 1e-4, "high": 1e-2}


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
    layers, activations = run_layer_names(result)
    config = result.config
    test_accuracy = [history[e - 1]["test_accuracy"] for e in shown]
    data: dict[str, Any] = {
        "title": f"{config.dataset}: {_architecture(config)}, "
                 f"{LOSS_NAMES[config.loss]} loss, {config.optimizer} lr {config.lr:g}, {epochs} epochs",
        "loss": config.loss, "loss_name": LOSS_NAMES[config.loss],
        "epochs": shown,
        "best": int(np.argmax(test_accuracy)),  # the first kept epoch with the highest test accuracy
        "history": {key: _clean([row[key] for row in history])
                    for key in ("train_loss", "train_accuracy", "test_accuracy")},
        "layers": layers,
        "grad_mean": _clean(stats["grad_mean"][:, weights]), "grad_max": _clean(stats["grad_max"][:, weights]),
        "update_ratio": _clean(stats["update_ratio"][:, weights]), "update_rule": UPDATE_RATIO,
        "activations": activations, "kinds": list(stats["activation_kinds"]),
        "saturated": _clean(stats["saturated"]), "saturated_below": SATURATED_BELOW,
        "histogram": np.asarray(stats["histogram"]).astype(int).tolist(),
        "edges": _clean(stats["histogram_edges"]),
        "record_every": int(stats["record_every"]),
    }
    if snapshots:
        X = np.concatenate(result.splits[:2])
        y = np.concatenate(result.splits[2:])
        data["boundary"] = {"xs": _clean(snapshots["xs"]), "ys": _clean(snapshots["ys"]),
                            "predicted": packed(np.asarray(snapshots["predicted"], dtype=np.uint8)),
                            "points": np.round(X.astype(np.float64), 4).tolist(), "labels": y.astype(int).tolist()}
        if "hidden" in snapshots:
            data["heatmaps"] = _heatmaps(snapshots["hidden"], stats["activation_kinds"][0], activations[0],
                                         config.hidden[0])
    return data


def run_layer_names(result: TrainResult) -> tuple[list[str], list[str]]:
    """layer_names for a training run: its layers with weights and its activations, as the report and
    gradient_flow.png call them."""
    names = [name.rpartition(".")[0] for name in result.stats["parameter_names"] if name.endswith("weight")]
    return layer_names(result.model, names, list(result.stats["activation_names"]))


def layer_names(model: Module, weight_layers: list[str], activation_layers: list[str]) -> tuple[list[str],
                                                                                                 list[str]]:
    """What the page calls each layer with weights and each activation module (given by their names in
    `model.named_modules()`): the layers with weights by type and place among them, the activations by
    the layer they follow.

    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 3))
    >>> layer_names(model, ["0", "2", "4"], ["1", "3"])
    (['Linear 1', 'Linear 2', 'Linear 3'], ['after Linear 1 (ReLU)', 'after Linear 2 (ReLU)'])
    """
    modules = list(model.named_modules())
    named = {name: f"{type(module).__name__} {weight_layers.index(name) + 1}"
             for name, module in modules if name in weight_layers}
    activations, last = [], None
    for name, module in modules:
        last = named.get(name, last)
        if name in activation_layers:
            kind = type(module).__name__
            activations.append(f"after {last} ({kind})" if last else f"{kind} {len(activations) + 1}")
    return [named.get(name, name) for name in weight_layers], activations


def packed(levels: np.ndarray) -> dict[str, Any]:
    """Bytes (uint8) for the page: their shape, and the bytes deflated (zlib) and base64-coded; the
    page reads them back with DecompressionStream("deflate").

    >>> box = packed(np.zeros((2, 3), dtype=np.uint8))
    >>> box["shape"], zlib.decompress(base64.b64decode(box["deflated"]))
    ([2, 3], b'\\x00\\x00\\x00\\x00\\x00\\x00')
    """
    if levels.dtype != np.uint8:
        raise TypeError(f"packed: expected an array of uint8, got {levels.dtype}")
    return {"shape": list(levels.shape), "deflated": base64.b64encode(zlib.compress(levels.tobytes(), 5)).decode()}


def _heatmaps(hidden: np.ndarray, kind: str, layer: str, units: int) -> dict[str, Any]:
    """The first hidden layer's units over the plane, as colours: each activation
    scaled to 0..255 over the activation's range (ReLU: 0 to the largest output
    seen), for (snapshots, units, rows, columns), each snapshot after the first
    stored as its change from the one before (mod 256)."""
    top = float(np.nanmax(hidden)) if hidden.size and np.isfinite(np.nanmax(hidden)) else 1.0
    lo, hi = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0)}.get(kind, (0.0, top if top > 0 else 1.0))
    scaled = (hidden.astype(np.float32) - np.float32(lo)) * np.float32(255 / (hi - lo))  # one copy, in place after
    np.fmin(np.fmax(scaled, 0, out=scaled), 255, out=scaled)  # fmax: NaN (nothing computed) becomes 0
    levels = np.rint(scaled, out=scaled).astype(np.uint8)
    changes = np.diff(levels, axis=0, prepend=np.zeros_like(levels[:1]))  # uint8: wraps around, mod 256
    return {"layer": layer, "kind": kind, "lo": lo, "mid": (lo + hi) / 2, "hi": hi, "units": units,
            "levels": packed(changes)}


def page(result: TrainResult) -> str:
    """The whole page as one HTML string."""
    data = page_data(result)
    return build_page("report", title=f"minigrad train: {data['title']}", data=data)


def _architecture(config: TrainConfig) -> str:
    """'64-64 relu MLP', or for a CNN its channels: '32-64 channel relu CNN'."""
    if getattr(config, "model", "mlp") == "cnn":
        return f"{'-'.join(map(str, config.channels))} channel {config.activation} CNN"
    return f"{'-'.join(map(str, config.hidden))} {config.activation} MLP"
