"""The loss surface of logistic regression: convex under cross-entropy, not under MSE.

Logistic regression a = σ(w·x + b) on a small 1-D data set. We compute the
mean loss over a grid of (w, b), once for the squared error ½(a − y)² and once
for the cross-entropy, and draw both. Then we check convexity numerically: along
many random straight lines through the grid, a convex function has only
non-negative second differences L(t − h) − 2 L(t) + L(t + h). Cross-entropy
(the negative log-likelihood of a Bernoulli model) passes; MSE has plateaus
where σ saturates, joined to the valley by clearly concave stretches.

    python examples/loss_surface.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("loss_surface.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402

# Ten points on a line; the classes overlap a little, so the best (w, b) is finite.
X = np.array([-3.0, -2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0, 3.0])
Y = np.array([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0])
BOX = 8.0  # the grid covers w and b in [-BOX, BOX]


def mean_losses(w, b):
    """Mean MSE and mean cross-entropy over the data set at every (w, b); w and b are arrays of one shape."""
    z = Tensor(w[..., None] * X + b[..., None])  # one logit per (w, b) and data point, float64
    targets = np.broadcast_to(Y, z.shape)
    with mg.no_grad():  # values only, no graph
        mse = (0.5 * (z.sigmoid() - Tensor(targets)) ** 2).mean(axis=-1)
        ce = F.binary_cross_entropy_with_logits(z, targets, reduction="none").mean(axis=-1)  # exact for any z
    return mse.data, ce.data


def min_second_differences(lines, points, rng):
    """The smallest second difference (L(t − h) − 2 L(t) + L(t + h)) / h² along `lines` random lines
    through the box, for MSE and for cross-entropy."""
    start = rng.uniform(-BOX, BOX, (lines, 1, 2))                      # a point in the box ...
    angle = rng.uniform(0, np.pi, (lines, 1))
    direction = np.stack([np.cos(angle), np.sin(angle)], axis=-1)       # ... and a unit direction
    t = np.linspace(-2 * BOX, 2 * BOX, points)[None, :, None]
    w_b = start + t * direction                                         # (lines, points, 2)
    h = t[0, 1, 0] - t[0, 0, 0]
    inside = np.all(np.abs(w_b) <= BOX, axis=-1)
    inside = inside[:, :-2] & inside[:, 1:-1] & inside[:, 2:]             # keep the stretches inside the box
    minima = []
    for losses in mean_losses(w_b[..., 0], w_b[..., 1]):
        second = (losses[:, :-2] - 2 * losses[:, 1:-1] + losses[:, 2:]) / h ** 2
        minima.append(second[inside].min())
    return minima


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a coarser grid and fewer lines")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid_size, lines, points = (41, 100, 201) if args.fast else (201, 1000, 801)

    axis = np.linspace(-BOX, BOX, grid_size)
    w, b = np.meshgrid(axis, axis)
    mse, ce = mean_losses(w, b)
    rng = np.random.default_rng(0)
    min_mse, min_ce = min_second_differences(lines, points, rng)
    tolerance = 1e-9  # float64 rounding is far smaller; a real dent is far larger
    print(f"smallest second difference along {lines} random lines (negative = not convex):")
    print(f"  MSE + sigmoid: {min_mse:+.6f}  -> {'convex' if min_mse >= -tolerance else 'NOT convex'}")
    print(f"  cross-entropy: {min_ce:+.6f}  -> {'convex' if min_ce >= -tolerance else 'NOT convex'}")
    best = np.unravel_index(ce.argmin(), ce.shape)
    print(f"cross-entropy grid minimum {ce[best]:.4f} at w = {w[best]:.2f}, b = {b[best]:.2f}")

    figure, panels = plt.subplots(1, 2, figsize=(11, 4.5))
    for panel, surface, title in zip(panels, (mse, ce), ("MSE + sigmoid (not convex)", "cross-entropy (convex)")):
        filled = panel.contourf(w, b, surface, levels=30, cmap="viridis")
        panel.contour(w, b, surface, levels=15, colors="white", linewidths=0.4)
        figure.colorbar(filled, ax=panel, label="mean loss")
        panel.set(xlabel="w", ylabel="b", title=title)
    figure.suptitle("Loss of logistic regression a = σ(w·x + b) over (w, b)")
    figure.tight_layout()
    path = out / "loss_surface.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "mse_min_second_difference": float(min_mse),
        "ce_min_second_difference": float(min_ce),
        "mse_convex": bool(min_mse >= -tolerance),
        "ce_convex": bool(min_ce >= -tolerance),
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
