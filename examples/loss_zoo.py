"""The other losses (claim 9 in docs/claims.md): L1, L2 (MSE), Huber, hinge, KL divergence and NLL.

For a regression error d = prediction − target: L2 = d² punishes large errors
most and its gradient 2d grows with them; L1 = |d| has a gradient of ±1
whatever the size, robust to outliers; Huber is ½d² near 0 and linear past
delta: the best of both. For classification: the multi-class hinge (SVM)
loss Σ_{i≠y} max(0, margin − z_y + z_i) is 0 once the true class wins by the
margin; NLL of log-probabilities, after log-softmax, is exactly cross-entropy;
and KL divergence measures how far predicted probabilities are from target
ones.

    python examples/loss_zoo.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("loss_zoo.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402

REGRESSION = {"L2 (MSE)": F.mse_loss, "L1": F.l1_loss, "Huber, delta 1": F.huber_loss}


def value_and_slope(loss, d):
    """The loss of each error in `d` against target 0, and its derivative, by backward."""
    prediction = Tensor(d.copy(), requires_grad=True)
    values = loss(prediction, np.zeros_like(d), reduction="none")
    values.sum().backward()
    return values.data, prediction.grad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity; this example is fast")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    d = np.linspace(-3, 3, 601)
    curves = {name: value_and_slope(loss, d) for name, loss in REGRESSION.items()}
    for name, (values, slopes) in curves.items():
        print(f"{name:>15}: loss at d = 3: {values[-1]:.2f}, slope at d = 3: {slopes[-1]:.2f}")

    logits = Tensor(np.array([[2.0, 1.0, -1.0], [0.5, 2.5, 0.0]]))
    labels = np.array([0, 2])
    hinge = F.multi_margin_loss(logits, labels, reduction="none").data
    print(f"hinge loss per sample (margin 1): {np.round(hinge, 4).tolist()}  (0 when the true class wins by 1)")
    nll = F.nll_loss(logits.log_softmax(axis=1), labels).item()
    ce = F.cross_entropy(logits, labels).item()
    print(f"log-softmax + NLL = {nll:.6f}, cross-entropy = {ce:.6f}")
    target = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    kl = F.kl_div(logits.log_softmax(axis=1), target, reduction="batchmean").item()
    print(f"KL(target ‖ softmax(logits)), mean per sample: {kl:.4f} nats")

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for name, (values, slopes) in curves.items():
        left.plot(d, values, label=name)
        right.plot(d, slopes, label=name)
    left.set(xlabel="error d", title="loss", ylim=(0, 5))
    right.set(xlabel="error d", title="gradient (from backward)")
    left.legend()
    right.legend()
    figure.tight_layout()
    path = out / "loss_zoo.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    slopes_at_3 = {name: float(slopes[-1]) for name, (_, slopes) in curves.items()}
    return {"slopes_at_3": slopes_at_3, "hinge": hinge, "nll": nll, "cross_entropy": ce, "kl": kl,
            "figures": [str(path)]}


if __name__ == "__main__":
    main()
