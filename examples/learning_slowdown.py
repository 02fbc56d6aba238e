"""A saturated sigmoid neuron learns slowly under MSE and quickly under cross-entropy.

One neuron a = σ(w·x + b) with x = 1, w = 2, b = 2 (so a ≈ 0.98) and target
y = 0: it is confidently wrong. We train it by plain gradient descent, lr 0.15,
for 300 epochs, once with the squared error L = ½(a − y)² and once with the
cross-entropy L = −[y ln a + (1 − y) ln(1 − a)], and watch a fall.

Under MSE, ∂L/∂z = (a − y)·σ′(z) and σ′(z) ≈ 0.018 here: the neuron barely
moves for a long time. Under cross-entropy, ∂L/∂z = a − y: it moves at once.

    python examples/learning_slowdown.py [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("learning_slowdown.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad.functional as F  # noqa: E402
from minigrad import Tensor, optim  # noqa: E402
from minigrad.pages.colours import LOSS_COLOURS  # noqa: E402

THRESHOLD = 0.2  # "learned": the output has come down below this


def train_neuron(loss_name, epochs, lr=0.15):
    """Train the neuron from w = b = 2; return the output a and the loss at every epoch."""
    x, y = Tensor(np.array(1.0)), Tensor(np.array(0.0))  # float64: tiny gradients stay exact
    w = Tensor(np.array(2.0), requires_grad=True)
    b = Tensor(np.array(2.0), requires_grad=True)
    optimizer = optim.SGD([w, b], lr=lr)  # plain gradient descent
    outputs, losses = [], []
    for epoch in range(epochs):
        optimizer.zero_grad()
        a = (w * x + b).sigmoid()
        if loss_name == "MSE":
            loss = 0.5 * (a - y) ** 2
        else:
            loss = F.binary_cross_entropy(a, y)  # −[y ln a + (1 − y) ln(1 − a)]
        loss.backward()
        optimizer.step()
        outputs.append(a.item())  # the output and loss *before* this epoch's update
        losses.append(loss.item())
    return outputs, losses


def first_epoch_below(outputs, threshold=THRESHOLD):
    """The first epoch whose output is below `threshold`, or None if it never gets there."""
    return next((epoch for epoch, a in enumerate(outputs) if a < threshold), None)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity; this example is already fast")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    runs = {name: train_neuron(name, args.epochs) for name in ("MSE", "cross-entropy")}
    results = {}
    for name, (outputs, losses) in runs.items():
        epoch = first_epoch_below(outputs)
        when = f"first at epoch {epoch}" if epoch is not None else f"never in {args.epochs} epochs"
        print(f"{name:>13}: output a below {THRESHOLD} {when}; "
              f"after {args.epochs} epochs a = {outputs[-1]:.4f}, loss = {losses[-1]:.4f}")
        results[name] = epoch, outputs[-1]

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, (outputs, losses) in runs.items():
        colour = LOSS_COLOURS["mse" if name == "MSE" else "ce"]
        left.plot(outputs, label=name, color=colour)
        right.plot(losses, label=name, color=colour)
    left.axhline(THRESHOLD, color="gray", linestyle=":", label=f"a = {THRESHOLD}")
    left.set(xlabel="epoch", ylabel="output a", title="Output of the neuron (target 0)")
    right.set(xlabel="epoch", ylabel="loss", title="Loss")
    left.legend()
    right.legend()
    figure.suptitle("x = 1, w = 2, b = 2, y = 0, gradient descent with lr 0.15")
    figure.tight_layout()
    path = out / "learning_slowdown.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "mse_epoch_below_threshold": results["MSE"][0],  # None: never within the epochs
        "ce_epoch_below_threshold": results["cross-entropy"][0],
        "mse_final_output": results["MSE"][1],
        "ce_final_output": results["cross-entropy"][1],
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
