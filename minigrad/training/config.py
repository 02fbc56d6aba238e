"""What defines a training run: TrainConfig (the options of `minigrad train`) and the settings that suit a dataset."""

from __future__ import annotations

from dataclasses import dataclass

LOSS_NAMES = {"ce": "cross-entropy", "mse": "MSE"}
MODELS = ("mlp", "cnn")
# Settings that suit a dataset better than TrainConfig's defaults (which suit the 2-D toys); "digits-cnn"
# is for --model cnn on digits (with TrainConfig's channels and image_scale), chosen by experiment.
RECOMMENDED = {"digits": {"optimizer": "sgd", "lr": 0.05, "epochs": 40},
               "digits-cnn": {"optimizer": "sgd", "lr": 0.02, "epochs": 20, "batch_size": 16}}


@dataclass
class TrainConfig:
    """Everything that defines a run (the options of `minigrad train`)."""

    dataset: str = "spirals"
    loss: str = "ce"                       # "ce": softmax cross-entropy; "mse": MSE between softmax and one-hot
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "relu"
    optimizer: str = "adam"
    lr: float = 0.01
    momentum: float = 0.9                  # SGD only
    epochs: int = 150
    batch_size: int = 32
    seed: int = 0
    model: str = "mlp"                     # "cnn": a small convolutional net, for image datasets (digits)
    channels: tuple[int, ...] = (32, 64)   # CNN only: out_channels of each Conv2d (3×3, padding 1) + MaxPool2d(2)
    image_scale: float = 4.0               # CNN only: the pixels (in [0, 1]) are multiplied by this


def settings_for(dataset: str, optimizer: str | None = None, lr: float | None = None,
                 epochs: int | None = None, model: str = "mlp", batch_size: int | None = None) -> dict:
    """Optimizer, learning rate and epochs (and, for a CNN, batch size) for `dataset`:
    what was given, else what RECOMMENDED says for it ("digits-cnn" for model="cnn"),
    else TrainConfig's defaults. A recommended learning rate goes with its optimizer
    only: choosing another optimizer brings back the default.

    >>> settings_for("digits"), settings_for("digits", optimizer="adam")["lr"]
    ({'optimizer': 'sgd', 'lr': 0.05, 'epochs': 40}, 0.01)
    >>> settings_for("digits", model="cnn")
    {'optimizer': 'sgd', 'lr': 0.02, 'epochs': 20, 'batch_size': 16}
    """
    defaults = TrainConfig()
    recommended = RECOMMENDED.get(dataset if model == "mlp" else f"{dataset}-{model}", {})
    optimizer = optimizer or recommended.get("optimizer", defaults.optimizer)
    if lr is None:
        lr = recommended["lr"] if optimizer == recommended.get("optimizer") else defaults.lr
    settings = {"optimizer": optimizer, "lr": lr, "epochs": epochs or recommended.get("epochs", defaults.epochs)}
    if batch_size or "batch_size" in recommended:
        settings["batch_size"] = batch_size or recommended["batch_size"]
    return settings
