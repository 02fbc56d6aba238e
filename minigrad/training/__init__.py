"""Training a classifier, and seeing how its gradients fare: what `minigrad train` runs.

    config.py           TrainConfig: the options of a run, and the settings that suit a dataset
    data.py             the toy datasets (moons, spirals, ...), the digits, splits and minibatches
    loop.py             the model, the loss and the loop: fit
    gradient_stats.py   GradientStats: each layer's gradient health while training
    outputs.py          what a run leaves behind: checkpoint, history, pictures, report.html
    report.py           report.html: the run's gradient health, epoch by epoch, on one page
    plots.py            learning curves, decision boundaries and gradient flow (matplotlib)

>>> from minigrad import training
>>> result = training.fit(training.TrainConfig(dataset="xor", epochs=2))
>>> len(result.history)
2
"""

from minigrad.training.config import LOSS_NAMES, MODELS, RECOMMENDED, TrainConfig, settings_for
from minigrad.training.loop import (RECORD_EVERY, SNAPSHOT_GRID, TrainingDiverged, TrainResult, accuracy, as_images,
                                    build_cnn, build_model, fit, loss_function, make_optimizer, snapshot_epochs_of)
from minigrad.training.outputs import OUTPUTS, decision_boundary_picture, load_trained, write_outputs

__all__ = [  # in reading order (the API reference follows it)
    "TrainConfig", "settings_for", "RECOMMENDED", "fit", "TrainResult", "TrainingDiverged", "build_model",
    "build_cnn", "as_images", "loss_function", "make_optimizer", "accuracy", "snapshot_epochs_of",
    "write_outputs", "load_trained", "decision_boundary_picture",
    "LOSS_NAMES", "MODELS", "OUTPUTS", "RECORD_EVERY", "SNAPSHOT_GRID",
]
