"""The same network trained with softmax + MSE and with softmax cross-entropy.

Everything else is equal: the same data, the same initial weights
(minigrad.manual_seed), the same optimizer, learning rate and mini-batches.
Only the loss differs:

    MSE:            ½ Σ_c (softmax(z)_c − y_c)² on one-hot targets y
    cross-entropy:  −Σ_c y_c ln softmax(z)_c

Cross-entropy's gradient on the logits is softmax(z) − y; MSE's is that error
multiplied by the softmax's slope, which shrinks whenever the network is
confident, right or wrong. We train on spirals and on scikit-learn's digits
(when scikit-learn is installed) and plot, per epoch, the training loss and the
classification error (wrong / total) on held-out test data.

    python examples/mse_vs_ce_classifier.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("mse_vs_ce_classifier.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from minigrad import Tensor, nn, optim  # noqa: E402
from minigrad.pages.colours import LOSS_COLOURS  # noqa: E402
from minigrad.training.data import load_digits, make_spirals, minibatches, train_test_split  # noqa: E402


def mse_on_softmax(logits, labels):
    """½ Σ_c (softmax(z)_c − y_c)² against one-hot y, averaged over the batch (as cross-entropy is)."""
    one_hot = np.eye(logits.shape[1], dtype=logits.dtype)[labels]
    return 0.5 * F.mse_loss(logits.softmax(axis=1), one_hot, reduction="sum") / len(labels)


LOSSES = {"MSE": mse_on_softmax, "cross-entropy": F.cross_entropy}


def train(loss_fn, X_train, y_train, X_test, y_test, epochs, lr):
    """Train a fresh MLP (always the same initial weights); return the training loss and test error per epoch."""
    mg.manual_seed(0)
    classes = int(y_train.max()) + 1
    model = nn.Sequential(nn.Linear(X_train.shape[1], 64), nn.ReLU(),
                          nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, classes))
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses, errors = [], []
    for epoch in range(1, epochs + 1):
        total = 0.0
        for X_batch, y_batch in minibatches(X_train, y_train, batch_size=32, seed=epoch):
            optimizer.zero_grad()
            loss = loss_fn(model(Tensor(X_batch)), y_batch)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y_batch)
        with mg.no_grad():
            predicted = model(Tensor(X_test)).data.argmax(axis=1)
        losses.append(total / len(y_train))
        errors.append(float((predicted != y_test).mean()))  # classification error: wrong / total
    return losses, errors


def first_epoch_below(errors, target):
    """The first epoch (from 1) whose test error is at most `target`, or None."""
    return next((epoch for epoch, error in enumerate(errors, start=1) if error <= target), None)


def compare(name, X, y, epochs, lr, target_error, out):
    """Train with both losses on one data set; print, plot and return the headline numbers."""
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0)
    curves = {loss: train(LOSSES[loss], X_train, y_train, X_test, y_test, epochs, lr) for loss in LOSSES}
    results = {}
    print(f"{name}: {len(y_train)} training and {len(y_test)} test samples, {epochs} epochs, SGD lr {lr}")
    for loss, (losses, errors) in curves.items():
        reached = first_epoch_below(errors, target_error)
        when = f"at epoch {reached}" if reached else f"not within {epochs} epochs"
        wrong = round(errors[-1] * len(y_test))
        print(f"  {loss:>13}: test error {errors[-1]:.4f} ({wrong}/{len(y_test)} wrong) after {epochs} epochs; "
              f"error <= {target_error} {when}")
        results[loss] = {"test_error": errors[-1], "epoch_reached": reached}

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    epoch_axis = range(1, epochs + 1)
    for loss, (losses, errors) in curves.items():
        colour = LOSS_COLOURS["mse" if loss == "MSE" else "ce"]
        left.plot(epoch_axis, losses, label=loss, color=colour)
        right.plot(epoch_axis, errors, label=loss, color=colour)
    right.axhline(target_error, color="gray", linestyle=":", label=f"error {target_error}")
    left.set(xlabel="epoch", ylabel="training loss (each its own)", title="Training loss")
    right.set(xlabel="epoch", ylabel="wrong / total", title="Test classification error", ylim=(0, 1))
    left.legend()
    right.legend()
    figure.suptitle(f"{name}: softmax + MSE against softmax cross-entropy, same network, init and SGD")
    figure.tight_layout()
    path = out / f"mse_vs_ce_{name}.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"  figure: {path}")
    return results, path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer epochs")
    parser.add_argument("--out", default="example-output", help="folder for the figures")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    X, y = make_spirals(n_samples=600, arms=3, noise=0.2, seed=0)
    spirals, path = compare("spirals", X, y, epochs=30 if args.fast else 150, lr=0.02, target_error=0.15, out=out)
    results = {"spirals": spirals, "figures": [str(path)]}
    try:
        X, y = load_digits()
    except ImportError as missing:
        print(f"digits skipped: {missing}")
    else:
        digits, path = compare("digits", X, y, epochs=3 if args.fast else 20, lr=0.02, target_error=0.1, out=out)
        results["digits"] = digits
        results["figures"].append(str(path))
    return results


if __name__ == "__main__":
    main()
