"""The data of compare.html, from compare.csv's rows: what the page's script draws and nothing more.

The page draws one chart per quantity with both runs on the same axes
(MSE and cross-entropy, as compare.png does): the train accuracy, the
gradient reaching the logits per unit of output error (the measure that
reads right at every epoch, see `compare.logit_measures`), the output
error, and each Linear layer's ‖∂L/∂W‖. Over every chart it shades the
story epochs (`compare.story_epochs`): from epoch 1 until cross-entropy
reaches the target accuracy. Every number the page shows is here: the
values, each chart's range and ticks, the band, and the numbers of the
"Try this" presets; the script only looks them up, formats and draws.

>>> rows = [{"loss": loss, "epoch": e, "layer": "0", "grad_norm": e * (0.2 if loss == "ce" else 0.1),
...          "train_accuracy": 0.5 + e * (0.2 if loss == "ce" else 0.1), "output_error": 0.5 / e,
...          "logit_gain": 1.0 if loss == "ce" else 0.4} for loss in ("mse", "ce") for e in (1, 2)]
>>> data = page_data(rows, title="toy", story=(1, 2), target=0.9)
>>> [chart["id"] for chart in data["charts"]]
['train_accuracy', 'logit_gain', 'output_error', 'layer-0']
>>> data["charts"][1]["values"]
{'mse': [0.4, 0.4], 'ce': [1.0, 1.0]}
>>> data["story"]
{'first': 1, 'last': 2, 'reached': {'mse': None, 'ce': 2}, 'larger': 2, 'view': [1, 2]}
"""

from __future__ import annotations

import math
from typing import Any

from minigrad.training.config import LOSS_NAMES

__all__ = ["page_data"]

LOSSES = ("mse", "ce")


def page_data(rows: list[dict[str, Any]], *, title: str, story: tuple[int, int], target: float) -> dict[str, Any]:
    """Every number compare.html shows, from compare.csv's rows (compare.csv_rows): the charts, the
    story band `story` (first and last epoch), the epoch each run reaches `target` train accuracy,
    and, for the first preset, in how many story epochs cross-entropy's first-layer gradient is the
    larger and the epochs it shows. `title` names the setup."""
    layers = list(dict.fromkeys(str(r["layer"]) for r in rows))
    epochs = max(int(r["epoch"]) for r in rows)

    def series(column: str, layer: str | None = None) -> dict[str, list[float | None]]:
        """Per loss, one value per epoch (epoch 1 first)."""
        layer = layers[0] if layer is None else layer
        mine = {loss: sorted((r for r in rows if r["loss"] == loss and str(r["layer"]) == layer),
                             key=lambda r: int(r["epoch"])) for loss in LOSSES}
        return {loss: [_finite(r[column]) for r in mine[loss]] for loss in LOSSES}

    gradients = {layer: series("grad_norm", layer) for layer in layers}
    accuracy = series("train_accuracy")
    charts = [
        _chart("train_accuracy", "train accuracy", accuracy, log=False, percent=True, guide=target,
               floor=0.5),
        _chart("logit_gain", "gradient at the logits per unit of output error", series("logit_gain"),
               log=False, floor=0.0, ceiling=1.0),
        _chart("output_error", "output error ‖softmax − y‖ (log scale)", series("output_error"), log=True),
    ]
    shared = [v for values in gradients.values() for run in values.values() for v in run]  # one scale, all layers
    for i, layer in enumerate(layers):
        where = "output" if i == len(layers) - 1 else "hidden, input side" if i == 0 else "hidden"
        chart = _chart(f"layer-{layer}", f"Linear {i + 1} ({where}): ‖∂L/∂W‖ (log scale)", gradients[layer],
                       log=True, scale_of=shared)
        charts.append({**chart, "name": f"Linear {i + 1}"})  # as the training report names its layers
    first, last = story
    reached = {loss: next((e + 1 for e, a in enumerate(accuracy[loss]) if a is not None and a >= target), None)
               for loss in LOSSES}
    first_layer = gradients[layers[0]]
    larger = sum(1 for e in range(first - 1, last) if None not in (first_layer["ce"][e], first_layer["mse"][e])
                 and first_layer["ce"][e] > first_layer["mse"][e])
    # The first preset's view: the story epochs and a quarter as many after them, to see where the band ends.
    view = [first, min(epochs, last + max(5, math.ceil((last - first + 1) / 4)))]
    return {"title": title, "epochs": epochs, "names": {loss: LOSS_NAMES[loss] for loss in LOSSES},
            "target": target, "charts": charts,
            "story": {"first": first, "last": last, "reached": reached, "larger": larger, "view": view},
            "xticks": {"all": _epoch_ticks(1, epochs), "story": _epoch_ticks(*view)}}


def _chart(key: str, title: str, values: dict[str, list[float | None]], *, log: bool, percent: bool = False,
           guide: float | None = None, floor: float | None = None, ceiling: float | None = None,
           scale_of: list[float | None] | None = None) -> dict[str, Any]:
    """One chart: its values per loss, its y range and ticks (decades on a log scale; a linear
    scale starts at `floor` if the values allow and reaches at least `ceiling`)."""
    seen = [v for v in (scale_of if scale_of is not None else [v for run in values.values() for v in run])
            if v is not None and (v > 0 or not log)]
    if log:
        low, high = (math.floor(math.log10(min(seen))), math.ceil(math.log10(max(seen)))) if seen else (-1, 0)
        high = max(high, low + 1)
        ticks = [10.0 ** k for k in range(low, high + 1)]
        span = [ticks[0], ticks[-1]]
    else:
        least = min(seen, default=0.0)
        low = floor if floor is not None and least >= floor else math.floor(least * 10) / 10
        high = max([*seen, *([] if ceiling is None else [ceiling]), low + 0.1])  # flat values: a range all the same
        step = 0.25 if high - low > 0.6 else 0.1
        ticks = [round(step * k, 10) for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]
        span = [low, high + 0.04 * (high - low)]
    return {"id": key, "title": title, "log": log, "percent": percent, "guide": guide, "range": span,
            "ticks": ticks, "values": values}


def _epoch_ticks(first: int, last: int) -> list[int]:
    """The epochs to label on an axis from `first` to `last`: both ends and round numbers between,
    at most about six.

    >>> _epoch_ticks(1, 150), _epoch_ticks(1, 40), _epoch_ticks(1, 3)
    ([1, 50, 100, 150], [1, 10, 20, 30, 40], [1, 2, 3])
    """
    span, decade = max(last - first, 1), 1
    while span > 50 * decade:
        decade *= 10
    step = next(s * decade for s in (1, 2, 5, 10) if span <= 5 * s * decade)
    middle = [e for e in range((first // step + 1) * step, last, step) if min(e - first, last - e) >= step / 2]
    return sorted({first, *middle, last})


def _finite(value: Any) -> float | None:
    """A number for JSON: None for an empty cell, NaN or infinity (shown as "–")."""
    return float(value) if value not in ("", None) and math.isfinite(float(value)) else None
