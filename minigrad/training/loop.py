"""Train a small classifier end to end: the loop that `minigrad train` runs.

The loop is the one a PyTorch user writes (model, loss, optimizer; zero_grad,
backward, step), on float32 data, evaluated with classification error
(wrong / total) on held-out data. `fit` returns the model and its per-epoch
history, with gradient statistics per epoch (training/gradient_stats.py) and,
for 2-D datasets, the predictions over the plane after a few epochs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad.functional as F
from minigrad import nn, optim
from minigrad.compiler import compile
from minigrad.core.creation import manual_seed
from minigrad.core.grad_mode import no_grad
from minigrad.core.stand_in import take
from minigrad.core.tensor import Tensor
from minigrad.training import data
from minigrad.training.config import MODELS, TrainConfig
from minigrad.training.gradient_stats import GradientStats

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}
# Gradient statistics (training/gradient_stats.py) are recorded on one minibatch step in RECORD_EVERY, which
# keeps a default `minigrad train` run within 15% of its time without them. For report.html (2-D datasets),
# every epoch up to SNAPSHOTS of them keeps the model's predictions on a SNAPSHOT_GRID × SNAPSHOT_GRID grid over
# the plane (a forward pass over 1,600 points, a few % of a default run's time) and the first hidden layer's
# first HIDDEN_UNITS units on every HIDDEN_STEP-th point of it (the heat maps: 15 MB for a default run).
RECORD_EVERY, SNAPSHOTS, SNAPSHOT_GRID, HIDDEN_UNITS, HIDDEN_STEP = 2, 150, 40, 64, 2


@dataclass
class TrainResult:
    """The trained model, the data it saw, and one row of numbers per epoch."""

    config: TrainConfig
    model: nn.Sequential
    splits: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]   # X_train, X_test, y_train, y_test
    history: list[dict[str, float]] = field(default_factory=list)
    # GradientStats.arrays() (one record per epoch), with "parameter_names", "activation_names",
    # "activation_kinds", "histogram_edges" and "record_every" added
    stats: dict[str, Any] = field(default_factory=dict)
    # 2-D datasets: "epochs" (the snapshot epochs), "xs", "ys" (the grid's axes) and "predicted",
    # (snapshots, len(ys), len(xs)), the class predicted at each grid point after that epoch, and "hidden",
    # (snapshots, units, rows, columns), the activation of each of the first hidden layer's first HIDDEN_UNITS
    # units at the points ys[::HIDDEN_STEP] × xs[::HIDDEN_STEP]
    snapshots: dict[str, np.ndarray] = field(default_factory=dict)


def build_model(in_features: int, classes: int, hidden: Iterable[int], activation: str) -> nn.Sequential:
    """An MLP: Linear, activation, ..., Linear to one logit per class.

    >>> build_model(2, 3, (8,), "tanh")
    Sequential(
      (0): Linear(in_features=2, out_features=8, bias=True)
      (1): Tanh()
      (2): Linear(in_features=8, out_features=3, bias=True)
    )
    """
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(in_features, width), ACTIVATIONS[activation]()]
        in_features = width
    return nn.Sequential(*layers, nn.Linear(in_features, classes))


def build_cnn(image_size: tuple[int, int], classes: int, channels: Iterable[int]) -> nn.Sequential:
    """A small CNN on one-channel images: for each width in `channels`, Conv2d (3×3,
    padding 1), ReLU, MaxPool2d(2); then Flatten and Linear to one logit per class.

    >>> build_cnn((8, 8), 10, (4,))
    Sequential(
      (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), bias=True)
      (1): ReLU()
      (2): MaxPool2d(kernel_size=(2, 2), stride=(2, 2))
      (3): Flatten()
      (4): Linear(in_features=64, out_features=10, bias=True)
    )
    """
    layers: list[nn.Module] = []
    (height, width), in_channels = image_size, 1
    for out_channels in channels:
        layers += [nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
        in_channels, height, width = out_channels, height // 2, width // 2
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(in_channels * height * width, classes))


def as_images(X: np.ndarray, config: TrainConfig) -> np.ndarray:
    """Flat square images (N, side²) as (N, 1, side, side), times config.image_scale,
    for a CNN (a ValueError for data that are not images); an MLP's X unchanged."""
    if config.model != "cnn":
        return X
    side = math.isqrt(X.shape[1])
    if X.shape[1] < 16 or side * side != X.shape[1]:
        raise ValueError(f"--model cnn needs image data (such as --dataset digits), not {config.dataset}, whose "
                         f"samples have {X.shape[1]} features")
    return (X.reshape(-1, 1, side, side) * np.float32(config.image_scale)).astype(X.dtype)


def loss_function(kind: str, classes: int) -> Callable[[Tensor, np.ndarray], Tensor]:
    """Cross-entropy on the logits, or MSE between softmax(logits) and the one-hot
    target (averaged over all N·C entries, as PyTorch's MSELoss).

    >>> round(loss_function("mse", 2)(Tensor([[0.0, 0.0]]), np.array([0])).item(), 4)
    0.25
    """
    if kind == "ce":
        return nn.CrossEntropyLoss()
    one_hot = np.eye(classes, dtype=np.float32)
    return lambda logits, labels: F.mse_loss(logits.softmax(axis=1), take(one_hot, labels, axis=0))  # one_hot[labels]


def make_optimizer(config: TrainConfig, model: nn.Module) -> optim.Optimizer:
    """SGD with momentum or Adam over the model's parameters, as the config says.

    >>> type(make_optimizer(TrainConfig(optimizer="sgd"), nn.Linear(2, 2))).__name__
    'SGD'
    """
    if config.optimizer == "sgd":
        return optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    return optim.Adam(model.parameters(), lr=config.lr)


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction classified correctly: one forward pass, no graph recorded.

    >>> model = nn.Linear(2, 2); model.load_state_dict({"weight": np.eye(2), "bias": np.zeros(2)})
    >>> accuracy(model, np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32), np.array([0, 0]))
    0.5
    """
    with no_grad():
        return float((model(Tensor(X)).data.argmax(axis=1) == y).mean())


class TrainingDiverged(ArithmeticError):
    """The loss stopped being a finite number: the steps were too large. Holds
    the loss, the epoch it happened in and the learning rate.

    >>> fit(TrainConfig(dataset="xor", optimizer="sgd", lr=50))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    minigrad.training.TrainingDiverged: the loss became nan in epoch 2: lr 50 is too large for this model and ...
    """

    __module__ = "minigrad.training"  # raised as minigrad.training.TrainingDiverged, where users import it

    def __init__(self, loss: float, epoch: int, lr: float) -> None:
        super().__init__(f"the loss became {loss} in epoch {epoch}: lr {lr:g} is too large for this model "
                         f"and data (try {lr / 10:g})")
        self.loss, self.epoch, self.lr = loss, epoch, lr


def fit(config: TrainConfig, on_epoch: Callable[[dict[str, float]], None] | None = None,
        record_every: int = RECORD_EVERY, compiled: bool = False) -> TrainResult:
    """Train as `config` says; call `on_epoch(row)` after each epoch (for a progress display).
    Stops with TrainingDiverged at the first minibatch whose loss is not finite. Gradient
    statistics are recorded on one step in `record_every`, one record per epoch (result.stats);
    for 2-D data, the predictions over the plane after every epoch, or SNAPSHOTS epochs evenly
    spread in a longer run (result.snapshots). `compiled`: the steps that record no statistics run
    as `minigrad.compile`'s straight-line NumPy (the same numbers, faster on small networks).

    >>> result = fit(TrainConfig(dataset="xor", epochs=2))
    >>> sorted(result.history[-1])
    ['epoch', 'test_accuracy', 'test_error', 'test_wrong', 'train_accuracy', 'train_loss']
    """
    if config.model not in MODELS:
        raise ValueError(f"fit: model must be one of {', '.join(MODELS)}, got {config.model!r}")
    manual_seed(config.seed)  # initialisation and batch order: the same config gives the same run
    X, y = data.load_dataset(config.dataset, seed=config.seed)
    X_train, X_test, y_train, y_test = data.train_test_split(X, y, test_size=0.25, seed=config.seed)
    X_train, X_test = as_images(X_train, config), as_images(X_test, config)  # the same split as the MLP's
    classes = int(y.max()) + 1
    model = _build(config, X_train.shape[1:], classes)
    loss_fn = loss_function(config.loss, classes)
    optimizer = make_optimizer(config, model)
    result = TrainResult(config, model, (X_train, X_test, y_train, y_test))
    if not len(y_train) or not config.epochs:
        raise ValueError(f"fit: nothing to train on ({len(y_train)} samples, {config.epochs} epochs)")
    recorder = GradientStats(model, record_every=record_every)

    def step(X_batch: np.ndarray, y_batch: np.ndarray) -> float:  # a step that records no statistics
        return _train_step(model, loss_fn, optimizer, X_batch, y_batch, optimizer.step)

    steps = (compile(step), recorder) if compiled else (None, recorder)
    snapshot_epochs = set(snapshot_epochs_of(config.epochs)) if X.ndim == 2 and X.shape[1] == 2 else set()
    grid = _snapshot_grid(X) if snapshot_epochs else None
    predicted, hidden = [], []
    try:
        for epoch in range(1, config.epochs + 1):
            with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows: the loss check says so
                result.history.append(_train_one_epoch(model, loss_fn, steps, optimizer, result.splits, epoch,
                                                       config))
            recorder.end_epoch()
            if epoch in snapshot_epochs:
                first_layer, logits = _forward_over_grid(model, grid[2])
                predicted.append(logits.argmax(axis=1).reshape(len(grid[1]), len(grid[0])))
                plane = first_layer.reshape(len(grid[1]), len(grid[0]), -1)  # (ys, xs, units)
                # a copy of the heat maps' points only: the whole grid's activations are not kept alive
                hidden.append(plane[::HIDDEN_STEP, ::HIDDEN_STEP, :HIDDEN_UNITS].transpose(2, 0, 1).copy())
            if on_epoch:
                on_epoch(result.history[-1])
    finally:
        recorder.remove()  # the model runs as if never recorded: pictures, checkpoints
    result.stats = {**recorder.arrays(), "parameter_names": recorder.parameter_names,
                    "activation_names": recorder.activation_names, "activation_kinds": recorder.activation_kinds,
                    "histogram_edges": recorder.histogram_edges, "record_every": record_every}
    if grid is not None:
        result.snapshots = {"epochs": np.array(sorted(snapshot_epochs)), "xs": grid[0], "ys": grid[1],
                            "predicted": np.array(predicted, dtype=np.int8)}
        if config.hidden:
            result.snapshots["hidden"] = np.array(hidden, dtype=np.float32)
    return result


def _build(config: TrainConfig, sample_shape: tuple[int, ...], classes: int) -> nn.Sequential:
    """The model `config` asks for, for samples of `sample_shape`."""
    if config.model == "cnn":
        return build_cnn(sample_shape[-2:], classes, config.channels)
    return build_model(sample_shape[0], classes, config.hidden, config.activation)


def _forward_over_grid(model: nn.Sequential, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the first hidden layer's activations, the logits) at `points`, no graph recorded."""
    first, out = None, Tensor(points)
    with no_grad():
        for i, layer in enumerate(model):
            out = layer(out)
            if i == 1:
                first = out.data
    return (out.data if first is None else first), out.data


def snapshot_epochs_of(epochs: int, count: int = SNAPSHOTS) -> list[int]:
    """The epochs after which the predictions over the plane are kept: every
    epoch, or in a run of more than `count` epochs `count` of them, evenly
    spread, the first and the last included.

    >>> snapshot_epochs_of(3)
    [1, 2, 3]
    >>> snapshot_epochs_of(150) == list(range(1, 151))
    True
    >>> snapshot_epochs_of(1000, count=5)
    [1, 251, 500, 750, 1000]
    """
    return sorted({int(e) for e in np.rint(np.linspace(1, epochs, min(count, epochs)))})


def _snapshot_grid(X: np.ndarray, size: int = SNAPSHOT_GRID) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, points): a size × size grid over the data's range plus a 10% margin
    (the range of plots.decision_boundary), points row by row (y outer, x inner)."""
    margin = 0.1 * (X.max(axis=0) - X.min(axis=0))
    low, high = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(low[0], high[0], size), np.linspace(low[1], high[1], size)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(X.dtype)


def _train_step(model: nn.Module, loss_fn: Callable[[Tensor, np.ndarray], Tensor], optimizer: optim.Optimizer,
                X_batch: np.ndarray, y_batch: np.ndarray, update: Callable[[], None]) -> float:
    """One minibatch: zero_grad, loss, backward, `update()`; the loss, or a loss that is not finite before any
    update (compiled, the check runs at every call: a call whose loss is not finite runs eagerly)."""
    optimizer.zero_grad()
    loss = loss_fn(model(Tensor(X_batch)), y_batch)
    if not np.isfinite(loss.data):
        return loss.item()
    loss.backward()
    update()
    return loss.item()


def _train_one_epoch(model: nn.Module, loss_fn: Callable[[Tensor, np.ndarray], Tensor],
                     steps: tuple[Callable | None, GradientStats], optimizer: optim.Optimizer,
                     splits: tuple[np.ndarray, ...], epoch: int, config: TrainConfig) -> dict[str, float]:
    """One pass over the training data in minibatches, then the epoch's row of numbers. The recorder
    samples one step in record_every (its `step` calls optimizer.step()); with a compiled step, the
    others run compiled and the recorder only counts them."""
    X_train, X_test, y_train, y_test = splits
    compiled, recorder = steps
    total, count = 0.0, 0
    for X_batch, y_batch in data.minibatches(X_train, y_train, config.batch_size, seed=None):
        if compiled is not None and not recorder.records_next_step:
            loss = compiled(X_batch, y_batch)
            recorder.step(lambda: None)  # counted: the compiled step has updated the parameters
        else:
            loss = _train_step(model, loss_fn, optimizer, X_batch, y_batch, lambda: recorder.step(optimizer))
        if not math.isfinite(loss):
            raise TrainingDiverged(loss, epoch, config.lr)
        total, count = total + loss * len(y_batch), count + len(y_batch)
    test_accuracy = accuracy(model, X_test, y_test)
    return {"epoch": epoch, "train_loss": total / count, "train_accuracy": accuracy(model, X_train, y_train),
            "test_accuracy": test_accuracy, "test_error": 1 - test_accuracy,
            "test_wrong": round((1 - test_accuracy) * len(y_test))}
