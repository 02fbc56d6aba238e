"""The loss surface of logistic regression: convex under cross-entropy, not under MSE.

Logistic regression a = σ(w·x + b) on forty points of two moons (2-D inputs,
so three parameters: w₁, w₂ and b). A twice-differentiable function is convex
exactly when its Hessian, the matrix of second derivatives, is positive
semidefinite everywhere: no eigenvalue below 0, so the surface curves up (or
stays flat) in every direction. `mg.hessian` computes the exact Hessian of the
mean loss at a parameter point (the gradient is recorded as a graph and
differentiated once more, one row per parameter), so we can look.

At thousands of parameter points, the Hessian of the cross-entropy never has a
negative eigenvalue (it is Xᵀ diag(a(1 − a)) X / n, with the inputs extended
by a 1 for the bias, and the script checks mg.hessian against that closed
form). The squared error ½(a − y)² through the sigmoid has negative
eigenvalues at most of them: its surface has flat plateaus where σ saturates,
joined to the valley by concave stretches. The script prints the most negative
eigenvalue found and where, and draws both losses and the smallest Hessian
eigenvalue over the slice b = 0 of parameter space.

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
from matplotlib.colors import CenteredNorm  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402
from minigrad.training import data

# Forty points of two moons, in float64 so that rounding stays near 1e-16; the
# moons overlap a little, so the best (w, b) under cross-entropy is finite.
X, Y = (array.astype(np.float64) for array in data.make_moons(40, noise=0.2, seed=0))
BOX = 8.0            # parameter points are sampled with w₁, w₂ and b in [-BOX, BOX]
TOLERANCE = 1e-10    # float64 rounding is far smaller; a real dent is far larger


def mse_loss(theta):
    """½ mean (a − y)² of a = σ(w·x + b), with theta = (w₁, w₂, b)."""
    a = (Tensor(X) @ theta[:2] + theta[2]).sigmoid()
    return 0.5 * F.mse_loss(a, Y)


def ce_loss(theta):
    """Mean cross-entropy of a = σ(w·x + b), computed from the logits (exact for any w, b)."""
    return F.binary_cross_entropy_with_logits(Tensor(X) @ theta[:2] + theta[2], Y)


def ce_hessian_closed_form(theta):
    """Xᵀ diag(a(1 − a)) X / n with the inputs extended by a 1: the textbook Hessian of cross-entropy."""
    inputs = np.column_stack([X, np.ones(len(X))])
    a = 1 / (1 + np.exp(-(inputs @ theta)))
    return inputs.T @ (inputs * (a * (1 - a))[:, None]) / len(X)


def smallest_eigenvalue(loss, theta):
    """The smallest eigenvalue of the exact Hessian of `loss` at theta (a symmetric 3 × 3 matrix)."""
    return np.linalg.eigvalsh(mg.hessian(loss, Tensor(theta)).data)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="a coarser slice and fewer random points")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    grid_size, random_points = (21, 100) if args.fast else (51, 1000)

    # The points: a grid over the slice b = 0 (for the picture) and random points in the box.
    axis = np.linspace(-BOX, BOX, grid_size)
    w1, w2 = np.meshgrid(axis, axis)
    grid = np.column_stack([w1.ravel(), w2.ravel(), np.zeros(w1.size)])
    rng = np.random.default_rng(0)
    points = np.concatenate([grid, rng.uniform(-BOX, BOX, (random_points, 3))])

    smallest = {name: np.array([smallest_eigenvalue(loss, theta) for theta in points])
                for name, loss in (("MSE", mse_loss), ("CE", ce_loss))}
    closed_form_gap = max(np.abs(mg.hessian(ce_loss, Tensor(theta)).data - ce_hessian_closed_form(theta)).max()
                          for theta in points[::10])
    with mg.no_grad():
        surfaces = {name: np.array([loss(Tensor(theta)).item() for theta in grid]).reshape(w1.shape)
                    for name, loss in (("MSE", mse_loss), ("CE", ce_loss))}

    worst = int(smallest["MSE"].argmin())
    mse_min, mse_point = smallest["MSE"][worst], points[worst]
    ce_min = smallest["CE"].min()
    mse_negative = float((smallest["MSE"] < -TOLERANCE).mean())
    print(f"smallest eigenvalue of the exact Hessian (mg.hessian) at {len(points)} points "
          f"(negative = not convex there):")
    print(f"  MSE + sigmoid: {mse_min:+.4f} at (w1, w2, b) = ({mse_point[0]:.2f}, {mse_point[1]:.2f}, "
          f"{mse_point[2]:.2f}); below 0 at {mse_negative:.0%} of the points -> NOT convex")
    print(f"  cross-entropy: {ce_min:+.2e} at its lowest, never below -{TOLERANCE:g} -> "
          f"{'convex' if ce_min >= -TOLERANCE else 'NOT convex'}")
    print(f"cross-entropy Hessian against X^T diag(a(1 - a)) X / n: largest difference {closed_form_gap:.1e}")

    figure, panels = plt.subplots(2, 2, figsize=(11, 9))
    norm = CenteredNorm(0, halfrange=max(np.abs(values[:len(grid)]).max() for values in smallest.values()))
    for column, (name, title) in enumerate((("MSE", "MSE + sigmoid"), ("CE", "cross-entropy"))):
        top, bottom = panels[0, column], panels[1, column]
        filled = top.contourf(w1, w2, surfaces[name], levels=30, cmap="viridis")
        top.contour(w1, w2, surfaces[name], levels=15, colors="white", linewidths=0.4)
        figure.colorbar(filled, ax=top, label="mean loss")
        top.set(xlabel="w₁", ylabel="w₂", title=f"{title}: loss (b = 0)")
        eigenvalues = smallest[name][:len(grid)].reshape(w1.shape)
        shaded = bottom.pcolormesh(w1, w2, eigenvalues, cmap="RdBu", norm=norm, shading="auto")
        if (eigenvalues < 0).any():
            bottom.contour(w1, w2, eigenvalues, levels=[0], colors="black", linewidths=1)
        figure.colorbar(shaded, ax=bottom, label="smallest eigenvalue of the Hessian")
        bottom.set(xlabel="w₁", ylabel="w₂", title=f"{title}: smallest Hessian eigenvalue (b = 0)")
    figure.suptitle("Logistic regression a = σ(w·x + b) on two moons: the loss, and the smallest eigenvalue\n"
                    "of its exact Hessian (red: the surface curves down in some direction; black line: 0)")
    figure.tight_layout()
    path = out / "loss_surface.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "points": len(points),
        "mse_min_eigenvalue": float(mse_min),
        "mse_min_point": mse_point.tolist(),
        "mse_negative_fraction": mse_negative,
        "ce_min_eigenvalue": float(ce_min),
        "ce_closed_form_gap": float(closed_form_gap),
        "mse_convex": bool(mse_min >= -TOLERANCE),
        "ce_convex": bool(ce_min >= -TOLERANCE),
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
