"""Two predictions with the same cross-entropy loss, but different gradients.

The target is class 0, one-hot [1, 0, 0, 0, 0]. Two models predict

    p1 = [0.1, 0.5, 0.1, 0.1, 0.2]
    p2 = [0.1, 0.6, 0.1, 0.1, 0.1]

Cross-entropy −Σ y log p only looks at the true class, so both losses are
−ln 0.1 ≈ 2.302585. But training moves the logits z, and the gradient with
respect to them is softmax(z) − y = p − y, which depends on every class:
the two models are pushed differently. We take z = ln p (softmax(ln p) = p)
and let minigrad's backward compute both gradients.

    python examples/softmax_ce_example.py [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("softmax_ce_example.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402

TARGET = np.array([[1.0, 0.0, 0.0, 0.0, 0.0]])  # one-hot: the true class is 0
PREDICTIONS = {
    "p1": np.array([[0.1, 0.5, 0.1, 0.1, 0.2]]),
    "p2": np.array([[0.1, 0.6, 0.1, 0.1, 0.1]]),
}


def loss_and_gradient(probabilities):
    """The cross-entropy of `probabilities` against TARGET, and its gradient with respect to the logits."""
    logits = Tensor(np.log(probabilities), requires_grad=True)  # float64; softmax(ln p) = p
    loss = F.cross_entropy(logits, TARGET)  # softmax, then −Σ y log, as one node
    loss.backward()
    return loss.item(), logits.grad[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity; this example is already fast")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    results = {name: loss_and_gradient(p) for name, p in PREDICTIONS.items()}
    print(f"target y = {TARGET[0].tolist()}, -ln 0.1 = {-np.log(0.1):.6f}")
    for name, (loss, gradient) in results.items():
        print(f"{name} = {PREDICTIONS[name][0].tolist()}: loss = {loss:.6f}, "
              f"dL/dz = softmax(z) - y = {np.round(gradient, 4).tolist()}")
    difference = np.abs(results["p1"][1] - results["p2"][1]).max()
    print(f"same loss, gradients differ by up to {difference:.4f}")

    figure, axes = plt.subplots(figsize=(7, 4))
    classes = np.arange(TARGET.shape[1])
    for shift, (name, (loss, gradient)) in zip((-0.2, 0.2), results.items()):
        axes.bar(classes + shift, gradient, width=0.4, label=f"{name}: loss {loss:.4f}")
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set(xlabel="class (the true class is 0)", ylabel="∂L/∂z = p − y", xticks=classes,
             title="Same loss, different gradients with respect to the logits")
    axes.legend()
    figure.tight_layout()
    path = out / "softmax_ce_gradients.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "loss_p1": results["p1"][0],
        "loss_p2": results["p2"][0],
        "gradient_p1": results["p1"][1].tolist(),
        "gradient_p2": results["p2"][1].tolist(),
        "max_gradient_difference": float(difference),
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
