"""A rare class (1 in 100) is ignored by an unweighted loss and found by a weighted one.

2000 points of a common class 0 around (0, 0) and 20 points of a rare class 1
around (1.25, 1.25), overlapping. Predicting "class 0" everywhere is right 99%
of the time, so that is where plain cross-entropy leads. Weighting the loss
inversely to class frequency makes each rare point count as much as 100
common ones. We train the same small model (logistic regression) three ways:

    unweighted softmax cross-entropy      F.cross_entropy(logits, y)
    class-weighted softmax cross-entropy  F.cross_entropy(logits, y, weight=...)
    sigmoid cross-entropy, pos_weight     F.binary_cross_entropy_with_logits(logit, y, pos_weight=...)

and report the recall of each class (the fraction of its points predicted as
it) on fresh test points from the same two distributions. The unweighted
model scores 99% accuracy while finding (almost) none of the rare points.

    python examples/class_imbalance.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("class_imbalance.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from minigrad import Tensor, nn, optim  # noqa: E402

RARE_CENTRE = (1.25, 1.25)


def imbalanced_blobs(n_common, n_rare, seed):
    """Class 0: n_common points around (0, 0); class 1: n_rare points around RARE_CENTRE (both spread 1)."""
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(0.0, 1.0, (n_common, 2)), rng.normal(RARE_CENTRE, 1.0, (n_rare, 2))])
    y = np.concatenate([np.zeros(n_common, dtype=np.int64), np.ones(n_rare, dtype=np.int64)])
    return X.astype(np.float32), y


def make_model(outputs):
    """The same small model each time: logistic regression, a linear layer from 2 inputs to the logits
    (2 for softmax, 1 for sigmoid). Two round blobs of equal spread are best split by a straight line."""
    mg.manual_seed(0)
    return nn.Linear(2, outputs)


def train(loss_name, X, y, steps):
    counts = np.bincount(y)
    class_weight = (len(y) / (len(counts) * counts)).astype(np.float32)  # inverse frequency: [0.505, 50.5]
    pos_weight = np.float32(counts[0] / counts[1])                        # negatives per positive: 100
    model = make_model(1 if loss_name == "BCE + pos_weight" else 2)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    inputs = Tensor(X)
    for step in range(steps):  # full batch: the whole (small) training set each step
        optimizer.zero_grad()
        logits = model(inputs)
        if loss_name == "unweighted CE":
            loss = F.cross_entropy(logits, y)
        elif loss_name == "weighted CE":
            loss = F.cross_entropy(logits, y, weight=class_weight)
        else:  # one logit per point, for "is it class 1?"
            loss = F.binary_cross_entropy_with_logits(logits, y[:, None].astype(np.float32), pos_weight=pos_weight)
        loss.backward()
        optimizer.step()
    return model


def predict(model, X):
    with mg.no_grad():
        logits = model(Tensor(X)).data
    return (logits[:, 0] > 0).astype(np.int64) if logits.shape[1] == 1 else logits.argmax(axis=1)


def recall(predicted, y, label):
    """The fraction of the points of class `label` that are predicted as `label`."""
    return float((predicted[y == label] == label).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer training steps")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps = 150 if args.fast else 1000

    X, y = imbalanced_blobs(2000, 20, seed=0)
    X_test, y_test = imbalanced_blobs(20000, 200, seed=1)  # fresh points, also 1 in 100
    names = ("unweighted CE", "weighted CE", "BCE + pos_weight")
    models, recalls, accuracies = {}, {}, {}
    print(f"training set: {np.bincount(y).tolist()} points per class; test set: {np.bincount(y_test).tolist()}")
    for name in names:
        models[name] = train(name, X, y, steps)
        predicted = predict(models[name], X_test)
        recalls[name] = recall(predicted, y_test, 0), recall(predicted, y_test, 1)
        accuracies[name] = float((predicted == y_test).mean())
        print(f"{name:>17}: test recall  class 0 (common) {recalls[name][0]:.3f}   "
              f"class 1 (rare) {recalls[name][1]:.3f}   (accuracy {accuracies[name]:.3f})")

    figure, panels = plt.subplots(1, 3, figsize=(14, 4.5), sharey=True)
    xs, ys = np.meshgrid(np.linspace(-4, 5, 200), np.linspace(-4, 5, 200))
    grid = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)
    for panel, name in zip(panels, names):
        region = predict(models[name], grid).reshape(xs.shape)
        panel.contourf(xs, ys, region, levels=[-0.5, 0.5, 1.5], colors=["#dde8f5", "#f8d8c8"])
        panel.scatter(*X[y == 0].T, s=3, color="tab:blue", alpha=0.4, label="class 0 (2000)")
        panel.scatter(*X[y == 1].T, s=25, color="tab:red", edgecolors="k", label="class 1 (20)")
        panel.set(title=f"{name}\nrecall: class 0 {recalls[name][0]:.2f}, class 1 {recalls[name][1]:.2f}",
                  xlabel="x1", aspect="equal")
    panels[0].set_ylabel("x2")
    panels[0].legend(loc="upper left")
    figure.suptitle("Where each model predicts the rare class (shaded red)")
    figure.tight_layout()
    path = out / "class_imbalance.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "unweighted_recall": recalls["unweighted CE"],  # (class 0, class 1)
        "unweighted_accuracy": accuracies["unweighted CE"],
        "weighted_recall": recalls["weighted CE"],
        "pos_weight_recall": recalls["BCE + pos_weight"],
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
