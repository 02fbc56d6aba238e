"""`minigrad compare`: the σ′ story at network scale, MSE against cross-entropy.

The same network, from the same initial weights, is trained twice on the same
minibatches: once under MSE (between softmax outputs and one-hot targets, as
`minigrad train --loss mse`) and once under cross-entropy, each with a
`GradientStats` recorder. Under MSE the gradient reaching the logits is the
error multiplied by the softmax's derivative, which is small where the
network is confidently wrong; cross-entropy passes softmax − y straight
through. The output layer's gradient norm shows the difference from the first
epoch on, and the hidden layers inherit it.

Raw gradient norms mislead late in training: a run that has fitted its points
has a small error, so a small gradient, under either loss. So each run also
records, at every step, the gradient reaching the logits per unit of output
error (`logit_measures`): under cross-entropy it is 1 at every epoch, under
MSE it is the softmax's derivative, at most ½ with two classes.

`compare(CompareConfig())` returns both runs; `write_outputs` writes
compare.csv (one row per loss × epoch × Linear layer), compare.png and
compare.html; `table_text` is the short table `minigrad compare` prints;
`story_epochs` the epochs where the two runs differ most.

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
from minigrad.lessons import compare_page
from minigrad.pages.builder import build_page
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.training import data
from minigrad.training.config import LOSS_NAMES
from minigrad.training.gradient_stats import GradientStats
from minigrad.training.loop import TrainingDiverged, accuracy, build_model, loss_function

__all__ = ["CompareConfig", "Run", "compare", "csv_rows", "logit_measures", "story_epochs", "table_rows",
           "table_text", "write_outputs"]

LOSSES = ("mse", "ce")
EPOCH_COLUMNS = ("train_loss", "train_accuracy", "test_accuracy", "output_error", "logit_gain")  # one per epoch
CSV_COLUMNS = ("loss", "epoch", "layer", "grad_norm", "grad_mean", "grad_max", "update_ratio", "saturated",
               *EPOCH_COLUMNS)
OUTPUTS = ("compare.csv", "compare.png", "compare.html")
FIRST_EPOCHS = 5        # the table's gradient norms: the mean over this many first epochs
TARGET_ACCURACY = 0.9   # the table's "epoch reaching": train accuracy at least this
STORY_COLOUR = "#fff3bf"  # the story epochs' band in compare.png (the page's is in compare.css)


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
    """One loss's run: its initial weights, its GradientStats rows and its per-epoch history (the
    epoch, then EPOCH_COLUMNS: output_error and logit_gain are means over the epoch's steps)."""

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
                measured = []  # (output error, logit gain) of each step
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    for begin in range(0, len(order), config.batch_size):
                        batch = order[begin:begin + config.batch_size]
                        optimizer.zero_grad()
                        logits = model(Tensor(X_train[batch]))
                        reaching = []
                        logits.register_hook(reaching.append)  # called with ∂L/∂logits during backward
                        loss = loss_fn(logits, y_train[batch])
                        if not math.isfinite(loss.item()):
                            raise TrainingDiverged(loss.item(), epoch, config.lr)
                        loss.backward()
                        measured.append(logit_measures(logits.data, y_train[batch], reaching[0].data))
                        stats.step(optimizer)
                        total += loss.item() * len(batch)
                stats.end_epoch()
                error, gain = np.mean(measured, axis=0)
                run.history.append({"epoch": epoch, "train_loss": total / len(y_train),
                                    "train_accuracy": accuracy(model, X_train, y_train),
                                    "test_accuracy": accuracy(model, X_test, y_test),
                                    "output_error": float(error), "logit_gain": float(gain)})
            run.stats = stats.rows()
        runs.append(run)
    return runs


def logit_measures(logits: np.ndarray, labels: np.ndarray, grad: np.ndarray) -> tuple[float, float]:
    """One step's output error and logit gain (the gradient reaching the logits per unit of output
    error), from the batch's logits Z (N × C), its labels and G = ∂L/∂Z, the gradient that reached
    the logits. With E = softmax(Z) − one_hot(labels):

      output error  ‖E‖ / √N, the root mean square over the samples of ‖softmax − y‖;
      logit gain    N·‖G‖ / ‖E‖, the gradient reaching the logits per unit of output error
                    (norms over the whole batch; NaN where E = 0).

    The N takes out the 1/N of a mean loss, which both losses have. Under cross-entropy G = E/N,
    so the gain is 1 whatever the error. Under MSE (the mean over N·C squares of softmax − y),
    G = (2/(N·C))·J·E with J the softmax's Jacobian: with two classes, the gain is the root mean
    square of 2·p₀p₁ ≤ ½ over the samples, each weighted by its squared error, so it is small
    where the samples with the largest errors are confidently wrong.

    >>> logits, labels = np.array([[0.0, 0.0], [4.0, 0.0]]), np.array([1, 1])
    >>> p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    >>> error = p - np.eye(2)[labels]
    >>> [round(v, 4) for v in logit_measures(logits, labels, error / 2)]   # cross-entropy: G = E/N
    [1.102, 1.0]
    >>> mse = np.stack([2 / 4 * (np.diag(q) - np.outer(q, q)) @ e for q, e in zip(p, error)])
    >>> round(logit_measures(logits, labels, mse)[1], 3)                    # MSE: 2·p₀p₁ is 0.5 and 0.035
    0.229
    """
    z = np.asarray(logits, dtype=np.float64)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    error = p / p.sum(axis=1, keepdims=True)
    error[np.arange(len(labels)), labels] -= 1
    size = np.linalg.norm(error)
    return float(size / math.sqrt(len(labels))), float(len(labels) * np.linalg.norm(grad) / size)


def csv_rows(runs: list[Run]) -> list[dict[str, Any]]:
    """One row per loss × epoch × Linear layer: its weight's gradient statistics (means over the
    epoch's steps), the saturated fraction of the activation after it (empty for the output layer)
    and the epoch's loss, accuracies, output error and logit gain (see logit_measures)."""
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
                             **{q: h[q] for q in EPOCH_COLUMNS}})
    return rows


def _epoch_reaching(history: list[dict[str, float]], target: float = TARGET_ACCURACY) -> int | None:
    return next((h["epoch"] for h in history if h["train_accuracy"] >= target), None)


def story_epochs(runs: list[Run]) -> tuple[int, int]:
    """The epochs where the two runs tell the story, first and last: from epoch 1 until the
    cross-entropy run first reaches TARGET_ACCURACY train accuracy (every epoch if it never does).
    After it, cross-entropy has fitted its points and its error, so its gradient, is small.

    >>> story_epochs(compare(CompareConfig(epochs=3)))   # 90% is not reached in 3 epochs
    (1, 3)
    """
    ce = next(run for run in runs if run.loss == "ce")
    reached = _epoch_reaching(ce.history)
    return 1, len(ce.history) if reached is None else reached


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
    """Both runs on shared axes, MSE and cross-entropy in their colours, the story epochs shaded:
    the train accuracy, the gradient reaching the logits per unit of output error, the output error
    (log scale) and each Linear layer's ‖∂L/∂W‖ (one log scale for all); returns the path (needs matplotlib)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, layers = csv_rows(runs), runs[0].layers
    first, last = story_epochs(runs)
    panels = [("train_accuracy", layers[0], "train accuracy"),
              ("logit_gain", layers[0], "gradient at the logits per unit of\noutput error: N·‖∂L/∂z‖ / ‖softmax − y‖"),
              ("output_error", layers[0], "output error ‖softmax − y‖ (rms)"),
              *(("grad_norm", layer, f"Linear {i + 1} ({'output' if layer == layers[-1] else 'hidden'}): ‖∂L/∂W‖")
                for i, layer in enumerate(layers))]
    height = math.ceil(len(panels) / 3)
    fig, axes = plt.subplots(height, 3, figsize=(10.2, 2.9 * height + 0.4), squeeze=False)
    for ax, (column, layer, title) in zip(axes.flat, panels):
        ax.axvspan(first - 0.5, last + 0.5, color=STORY_COLOUR, zorder=0, label=f"epochs {first}–{last}")
        for loss in LOSSES:
            mine = [r for r in rows if r["loss"] == loss and r["layer"] == layer]
            ax.plot([r["epoch"] for r in mine], [r[column] for r in mine], color=LOSS_COLOURS[loss],
                    label=LOSS_NAMES[loss])
        if column in ("output_error", "grad_norm"):
            ax.set_yscale("log")
        elif column == "logit_gain":
            ax.set_ylim(0, 1.05 * max(1.0, max(r[column] for r in rows if math.isfinite(r[column]))))
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
    gradients = [r["grad_norm"] for r in rows if r["grad_norm"] > 0]
    for ax in axes.flat[3:len(panels)]:
        ax.set_ylim(min(gradients) / 1.5, max(gradients) * 1.5)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    axes[0][0].axhline(TARGET_ACCURACY, color="grey", lw=0.8, ls="--")
    axes[0][0].legend(fontsize=8, loc="lower right")
    never = _epoch_reaching(next(run for run in runs if run.loss == "ce").history) is None
    reached = "cross-entropy stays below" if never else "until cross-entropy reaches"
    fig.suptitle(f"{_title(config)}\nshaded: epochs {first}–{last}, {reached} {TARGET_ACCURACY:.0%} train accuracy",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return Path(path)


def page_html(runs: list[Run], config: CompareConfig) -> str:
    """compare.html: one self-contained page (inline CSS, JS and data; no network), both runs on
    shared axes (see compare_page)."""
    data = compare_page.page_data(csv_rows(runs), title=_title(config), story=story_epochs(runs),
                                  target=TARGET_ACCURACY)
    return build_page("compare", title="minigrad compare: gradients under MSE and under cross-entropy", data=data)
