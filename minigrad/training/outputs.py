"""What a training run leaves behind: checkpoint and config, history, pictures, and report.html.

`write_outputs` saves the checkpoint, the curves as CSV (and PNG when
matplotlib is installed), the decision boundary of 2-D datasets, the gradient
flow picture, the page report.html (training/report.py), and the picture of
one training step's graph; `load_trained` rebuilds the model from them.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np

from minigrad import nn
from minigrad.checkpoint import load, save
from minigrad.core.tensor import Tensor
from minigrad.training import report
from minigrad.training.config import LOSS_NAMES, TrainConfig
from minigrad.training.loop import TrainResult, build_cnn, build_model, fit, loss_function  # noqa: F401 (fit: doctests)

OUTPUTS = ("model.npz", "config.json", "history.csv", "learning_curves.png", "decision_boundary.png",
           "gradient_flow.png", "report.html", "training_step.svg", "training_step.dot")


def write_outputs(result: TrainResult, out: str | Path) -> tuple[list[Path], list[str]]:
    """Save the run into `out`: checkpoint and config, history CSV, the page
    report.html (gradient health, epoch by epoch), and the pictures whose
    optional packages are installed (files an earlier run left
    under these names are removed first). Returns the paths written and notes
    about what was skipped and why.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written, notes = write_outputs(fit(TrainConfig(dataset="xor", epochs=1)), folder)
    ...     load_trained(folder)[0]
    Linear(in_features=2, out_features=64, bias=True)
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)
    checkpoint, config, history = out / "model.npz", out / "config.json", out / "history.csv"
    written, notes = [checkpoint, config, history], []
    save(result.model.state_dict(), checkpoint)
    config.write_text(json.dumps(asdict(result.config), indent=2))
    with history.open("w", newline="") as file:  # always: the curves need no optional package
        writer = csv.DictWriter(file, fieldnames=list(result.history[0]))
        writer.writeheader()
        writer.writerows(result.history)
    try:
        from minigrad.training import plots
        written.append(plots.learning_curves(result.history, out / "learning_curves.png"))
        if result.splits[0].ndim == 2 and result.splits[0].shape[1] == 2:
            written.append(decision_boundary_picture(result, out / "decision_boundary.png"))
        if result.stats:
            written.append(plots.gradient_flow(result.stats, out / "gradient_flow.png",
                                               layers=report.run_layer_names(result)[0]))
    except ImportError as missing:
        notes.append(f"no PNG pictures: {missing}")
    if result.stats:  # the page needs no optional package
        page = out / "report.html"
        page.write_text(report.page(result), encoding="utf-8")
        written.append(page)
    try:
        written += [_training_step_picture(result, out / "training_step.svg"), out / "training_step.dot"]
    except (ImportError, RuntimeError) as problem:
        notes.append(f"no graph picture: {problem}")
    return written, notes


def decision_boundary_picture(result: TrainResult, path: str | Path) -> Path:
    """The decision boundary of a 2-D run over all its points, titled with the
    dataset, the loss and the test accuracy (needs matplotlib); returns the path.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     decision_boundary_picture(fit(TrainConfig(dataset="xor", epochs=1)), Path(folder) / "xor.png").name
    'xor.png'
    """
    from minigrad.training import plots
    X_train, X_test, y_train, y_test = result.splits
    config, last = result.config, result.history[-1]
    title = (f"{config.dataset}, {LOSS_NAMES[config.loss]} loss, {len(result.history)} epochs: "
             f"test accuracy {last['test_accuracy']:.1%}")
    return plots.decision_boundary(result.model, np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test]),
                                   path, title=title)


def _training_step_picture(result: TrainResult, path: Path) -> Path:
    """The graph of the loss of one minibatch: every layer, activation and the loss node."""
    from minigrad import viz
    X_train, _, y_train, _ = result.splits
    batch = slice(0, min(result.config.batch_size, len(y_train)))
    classes = result.model[-1].out_features
    loss = loss_function(result.config.loss, classes)(result.model(Tensor(X_train[batch])), y_train[batch])
    loss.name = "loss"
    return viz.render(viz.draw_graph(loss, title=f"one training step ({result.config.loss} loss)"), path)


def load_trained(out: str | Path) -> nn.Sequential:
    """The model a run saved into `out` (its config.json and model.npz), ready to
    predict (see write_outputs for an example)."""
    out = Path(out)
    config = TrainConfig(**json.loads((out / "config.json").read_text()))
    weights = load(out / "model.npz")
    if config.model == "cnn":  # the image side from the Linear's inputs: channels × (side / 2^convolutions)²
        pooled = weights[f"{3 * len(config.channels) + 1}.weight"].shape[1] // config.channels[-1]
        side = 2 ** len(config.channels) * math.isqrt(pooled)
        model = build_cnn((side, side), weights[f"{3 * len(config.channels) + 1}.weight"].shape[0], config.channels)
        model.load_state_dict(weights)
        return model
    classes, in_features = weights[f"{2 * len(config.hidden)}.weight"].shape[0], weights["0.weight"].shape[1]
    model = build_model(in_features, classes, config.hidden, config.activation)
    model.load_state_dict(weights)
    return model
