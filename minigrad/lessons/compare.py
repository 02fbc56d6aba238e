"""`minigrad compare`: the σ′ story at network scale, MSE against cross-entropy.

The same network, from the same initial weights, is trained twice on the same
minibatches: once under MSE (between softmax outputs and one-hot targets, as
`minigrad train --loss mse`) and once under cross-entropy, each with a
`GradientStats` recorder. Under MSE the gradient reaching the logits is the
error multiplied by the softmax's derivative, which is small where the
network is confidently wrong; cross-entropy passes softmax − y straight
through. The output layer's gradient norm shows the difference from the first
epoch on, and the hidden layers inherit it.

`compare(CompareConfig())` returns both runs; `write_outputs` writes
compare.csv (one row per loss × epoch × Linear layer), compare.png and
compare.html; `table_text` is the short table `minigrad compare` prints.

>>> runs = compare(CompareConfig(epochs=1))
>>> [run.loss for run in runs], runs[0].layers
(['mse', 'ce'], ['0', '2', '4'])
>>> all(np.array_equal(runs[0].initial[k], runs[1].initial[k]) for k in runs[0].initial)
True
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import optim
from minigrad.core.creation import manual_seed
from minigrad.core.tensor import Tensor
from minigrad.pages.builder import build_page
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.training import data
from minigrad.training.config import LOSS_NAMES
from minigrad.training.gradient_stats import GradientStats
from minigrad.training.loop import TrainingDiverged, accuracy, build_model, loss_function

__all__ = ["CompareConfig", "Run", "compare", "csv_rows", "table_rows", "table_text", "write_outputs"]

LOSSES = ("mse", "ce")
CSV_COLUMNS = ("loss", "epoch", "layer", "grad_norm", "grad_mean", "grad_max", "update_ratio", "saturated",
               "train_loss", "train_accuracy", "test_accuracy")
OUTPUTS = ("compare.csv", "compare.png", "compare.html")
FIRST_EPOCHS = 5        # the table's gradient norms: the mean over this many first epochs
TARGET_ACCURACY = 0.9   # the table's "epoch reaching": train accuracy at least this


@dataclass
class CompareConfig:
    """What `minigrad compare` runs. The defaults tell the story in under a second or two:
    sigmoid units, moons, two hidden layers, plain SGD with momentum (Adam would rescale
    each gradient and hide how small it is)."""

    dataset: str = "moons"
    hidden: tuple[int, ...] = (16, 16)
    activation: str = "sigmoid"
    epochs: int = 150
    seed: int = 0
    lr: float = 1.0
    momentum: float = 0.9
    batch_size: int = 32


@dataclass
class Run:
    """One loss's run: its initial weights, its GradientStats rows and its per-epoch history."""

    loss: str
    initial: dict[str, np.ndarray]
    layers: list[str]                                   # the Linear layers' names, input to output
    stats: list[dict[str, Any]]                         # GradientStats.rows()
    history: list[dict[str, float]] = field(default_factory=list)


def compare(config: CompareConfig) -> list[Run]:
    """Train under MSE, then under cross-entropy, from the same weights on the same batches."""
    manual_seed(config.seed)
    X, y = data.load_dataset(config.dataset, seed=config.seed)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=config.seed)
    classes = int(y.max()) + 1
    initial = build_model(X.shape[1], classes, config.hidden, config.activation).state_dict()
    initial = {key: np.array(value, copy=True) for key, value in initial.items()}
    runs = []
    for kind in LOSSES:
        model = build_model(X.shape[1], classes, config.hidden, config.activation)
        model.load_state_dict(initial)
        start = {key: np.array(value, copy=True) for key, value in model.state_dict().items()}
        loss_fn = loss_function(kind, classes)
        optimizer = optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
        rng = np.random.default_rng(config.seed)  # the same batch order for both losses
        run = Run(kind, start, [name.rpartition(".")[0] for name, _ in model.named_parameters()
                                if name.endswith("weight")], [])
        with GradientStats(model) as stats:
            for epoch in range(1, config.epochs + 1):
                order = rng.permutation(len(y_train))
                total = 0.0
                with np.errstate(over="ignore", invalid="ignore"):
                    for begin in range(0, len(order), config.batch_size):
                        batch = order[begin:begin + config.batch_size]
                        optimizer.zero_grad()
                        loss = loss_fn(model(Tensor(X_train[batch])), y_train[batch])
                        if not math.isfinite(loss.item()):
                            raise TrainingDiverged(loss.item(), epoch, config.lr)
                        loss.backward()
                        stats.step(optimizer)
                        total += loss.item() * len(batch)
                stats.end_epoch()
                run.history.append({"epoch": epoch, "train_loss": total / len(y_train),
                                    "train_accuracy": accuracy(model, X_train, y_train),
                                    "test_accuracy": accuracy(model, X_test, y_test)})
            run.stats = stats.rows()
        runs.append(run)
    return runs


def csv_rows(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per loss × epoch × Linear layer: its weight's gradient statistics (means over the
    epoch's steps), the saturated fraction of the activation after it (empty for the output layer)
    and the epoch's loss and accuracies."""
    rows = []
    for run in runs:
        by_key = {(r["epoch"], r["layer"], r["tensor"]): r for r in run.stats}
        activation_after = {layer: str(int(layer) + 1) for layer in run.layers[:-1]}
        for h in run.history:
            e = h["epoch"]
            for layer in run.layers:
                weight = by_key[e, layer, "weight"]
                after = by_key.get((e, activation_after.get(layer), "pre-activation"))
                rows.append({"loss": run.loss, "epoch": e, "layer": layer,
                             **{q: weight[q] for q in ("grad_norm", "grad_mean", "grad_max", "update_ratio")},
                             "saturated": "" if after is None else after["saturated"],
                             **{q: h[q] for q in ("train_loss", "train_accuracy", "test_accuracy")}})
    return rows


def _epoch_reaching(history: list[dict[str, float]], target: float = TARGET_ACCURACY) -> int | None:
    return next((h["epoch"] for h in history if h["train_accuracy"] >= target), None)


def table_rows(rows: list[dict[str, Any]], first: int = FIRST_EPOCHS) -> list[dict[str, Any]]:
    """From compare.csv's rows: per layer, the mean gradient norm over the first `first`
    epochs under MSE and under CE, and the epoch each run first reached TARGET_ACCURACY.

    >>> runs = [("mse", 1, 1.0, 0.5), ("mse", 2, 3.0, 0.95), ("ce", 1, 4.0, 0.5), ("ce", 2, 4.0, 0.5)]
    >>> rows = [{"loss": l, "epoch": e, "layer": "0", "grad_norm": g, "train_accuracy": a} for l, e, g, a in runs]
    >>> table_rows(rows)
    [{'layer': '0', 'mse': 2.0, 'ce': 4.0, 'mse_epoch': 2, 'ce_epoch': None}]
    """
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    reached = {}
    for loss in LOSSES:
        hits = sorted(int(r["epoch"]) for r in rows
                      if r["loss"] == loss and float(r["train_accuracy"]) >= TARGET_ACCURACY)
        reached[loss] = hits[0] if hits else None
    table = []
    for layer in layers:
        means = {loss: float(np.mean([float(r["grad_norm"]) for r in rows if r["loss"] == loss and r["layer"] == layer
                                      and int(r["epoch"]) <= first])) for loss in LOSSES}
        table.append({"layer": layer, **means, "mse_epoch": reached["mse"], "ce_epoch": reached["ce"]})
    return table


def table_text(rows: list[dict[str, Any]], first: int = FIRST_EPOCHS) -> str:
    """The table `minigrad compare` prints (see table_rows)."""
    table = table_rows(rows, first)
    epochs = max(int(r["epoch"]) for r in rows)
    span = "epoch 1" if min(first, epochs) == 1 else f"epochs 1-{min(first, epochs)}"
    when = lambda e: "never" if e is None else str(e)
    lines = [f"weight gradient norm, mean over {span}; epoch reaching {TARGET_ACCURACY:.0%} train accuracy",
             f"{'layer':>6}  {'MSE':>10}  {'CE':>10}  {'CE/MSE':>7}",
             *(f"{t['layer']:>6}  {t['mse']:>10.4g}  {t['ce']:>10.4g}  {t['ce'] / t['mse']:>7.3g}" for t in table),
             f"{TARGET_ACCURACY:.0%} train accuracy at epoch: MSE {when(table[0]['mse_epoch'])}, "
             f"CE {when(table[0]['ce_epoch'])}"]
    return "\n".join(lines)


def write_outputs(runs: list[Run], config: CompareConfig, out: str | Path) -> tuple[list[Path], list[str]]:
    """Write compare.csv, compare.html and (with matplotlib) compare.png into `out`;
    returns the paths written and notes about what was skipped."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        (out / name).unlink(missing_ok=True)
    rows = csv_rows(runs)
    table = out / "compare.csv"
    with table.open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(CSV_COLUMNS))
        writer.writeheader()
        writer.writerows(rows)
    written, notes = [table], []
    page = out / "compare.html"
    page.write_text(page_html(runs, config), encoding="utf-8")
    written.append(page)
    try:
        written.append(picture(runs, config, out / "compare.png"))
    except ImportError as missing:
        notes.append(f"no PNG picture: {missing}")
    return written, notes


def _title(config: CompareConfig) -> str:
    return (f"{config.dataset}, {'-'.join(map(str, config.hidden))} {config.activation} MLP, "
            f"SGD lr {config.lr:g} momentum {config.momentum:g}, seed {config.seed}")


def picture(runs: list[Run], config: CompareConfig, path: str | Path) -> Path:
    """Per Linear layer, the weight's gradient norm over the epochs under MSE and CE (log scale),
    and both runs' train accuracy (needs matplotlib); returns the path."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = csv_rows(runs)
    layers = runs[0].layers
    fig, axes = plt.subplots(1, len(layers) + 1, figsize=(3.2 * (len(layers) + 1), 3.2))
    for ax, layer in zip(axes, layers):
        for loss in LOSSES:
            mine = [r for r in rows if r["loss"] == loss and r["layer"] == layer]
            ax.plot([r["epoch"] for r in mine], [r["grad_norm"] for r in mine], color=LOSS_COLOURS[loss],
                    label=LOSS_NAMES[loss])
        ax.set_yscale("log")
        kind = "output" if layer == layers[-1] else "hidden"
        ax.set_title(f"layer {layer} ({kind}): ‖∂L/∂W‖", fontsize=10)
        ax.set_xlabel("epoch")
    axes[0].legend(fontsize=9)
    for run in runs:
        axes[-1].plot([h["epoch"] for h in run.history], [h["train_accuracy"] for h in run.history],
                      color=LOSS_COLOURS[run.loss], label=LOSS_NAMES[run.loss])
    axes[-1].axhline(TARGET_ACCURACY, color="grey", lw=0.8, ls="--")
    axes[-1].set_title("train accuracy", fontsize=10)
    axes[-1].set_xlabel("epoch")
    fig.suptitle(_title(config), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def page_data(runs: list[Run], config: CompareConfig) -> dict[str, Any]:
    """Every number the page shows, from the runs: per loss, per epoch and layer."""
    rows = csv_rows(runs)
    layers = runs[0].layers
    result: dict[str, Any] = {"title": _title(config), "layers": layers, "epochs": len(runs[0].history),
                              "target": TARGET_ACCURACY, "runs": {}}
    for run in runs:
        mine = [r for r in rows if r["loss"] == run.loss]

        def grid(q: str, mine: list[dict[str, Any]] = mine, run: Run = run) -> list[list[float | None]]:
            return [[_finite(r[q]) for r in mine if r["epoch"] == h["epoch"]] for h in run.history]

        result["runs"][run.loss] = {
            "name": LOSS_NAMES[run.loss],
            "grad_norm": grid("grad_norm"), "grad_mean": grid("grad_mean"), "saturated": grid("saturated"),
            "update_ratio": grid("update_ratio"),
            **{q: [_finite(h[q]) for h in run.history] for q in ("train_loss", "train_accuracy", "test_accuracy")},
            "reached": _epoch_reaching(run.history)}
    return result


def _finite(value: Any) -> float | None:
    """A number for JSON: None for an empty cell, NaN or infinity (shown as "–")."""
    return float(value) if value != "" and math.isfinite(value) else None


def page_html(runs: list[Run], config: CompareConfig) -> str:
    """compare.html: one self-contained page (inline CSS, JS and data; no network)."""
    return build_page("compare", title="minigrad compare: gradients under MSE and under cross-entropy",
                      data=page_data(runs, config))
