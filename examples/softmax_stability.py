"""Softmax is the sigmoid generalised, and must be computed stably (claims 6 and 7 in docs/claims.md).

With two classes, softmax([z, 0])[0] = e^z / (e^z + 1) = σ(z). Computed
naively, softmax overflows: exp(789) is inf in float64, so softmax([123, 456,
789]) comes out as NaN. Subtracting the maximum first changes nothing in
exact arithmetic (the factor e^-max cancels) and keeps every exponent <= 0.
Likewise log(softmax) must be taken as log-softmax (log-sum-exp), and
probabilities of exactly 0 must not reach a log: minigrad's losses work on
logits, or clamp the log at -100 as PyTorch does.

    python examples/softmax_stability.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("softmax_stability.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402


def naive_softmax(z):
    """exp(z) / Σ exp(z), exactly as written: overflows for large z."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(z)
        return e / e.sum()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="accepted for uniformity; this example is fast")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    z = np.linspace(-30, 30, 601)
    pairs = Tensor(np.stack([z, np.zeros_like(z)], axis=1))
    two_class = F.softmax(pairs, axis=1).data[:, 0]
    gap = float(np.abs(two_class - F.sigmoid(Tensor(z)).data).max())
    print(f"softmax([z, 0])[0] against σ(z) for z in [-30, 30]: largest difference {gap:.2e}")

    logits = np.array([123.0, 456.0, 789.0])
    naive, stable = naive_softmax(logits), F.softmax(Tensor(logits)).data
    print(f"softmax([123, 456, 789]) naive:  {naive}")
    print(f"softmax([123, 456, 789]) stable: {stable}")

    big = Tensor(np.array([[1e4, -1e4]]), requires_grad=True)
    loss = F.cross_entropy(big, np.array([1]))
    loss.backward()
    print(f"cross-entropy of logits [1e4, -1e4] for class 1: {loss.item():.1f}, gradient {big.grad.tolist()}")
    clamped = F.binary_cross_entropy(Tensor(np.array([0.0])), np.array([1.0]))
    print(f"BCE of a probability of exactly 0 for a positive label: {clamped.item():.1f} (log clamped at -100)")

    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(z, F.sigmoid(Tensor(z)).data, linewidth=4, alpha=0.4, label="σ(z)")
    axes.plot(z, two_class, linestyle="--", label="softmax([z, 0])[0]")
    axes.set(xlabel="z", title="two-class softmax is the sigmoid")
    axes.legend()
    figure.tight_layout()
    path = out / "softmax_stability.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")
    return {"sigmoid_gap": gap, "naive": naive, "stable": stable, "extreme_loss": loss.item(),
            "extreme_grad": big.grad.copy(), "clamped_bce": clamped.item(), "figures": [str(path)]}


if __name__ == "__main__":
    main()
