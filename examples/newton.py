"""Newton's method against gradient descent, on the convex cross-entropy of logistic regression.

Gradient descent steps along −g, the gradient, with one step size for every
direction: how far it may go is set by the most curved direction, so it
creeps along the flat ones. Newton's method also uses the curvature: it solves
H Δ = g for the step, with H the Hessian (the exact one, from `mg.hessian`),
which jumps to the minimum of the local quadratic model. Near the minimum each
step roughly squares the error, so the gradient norm goes 1e-3, 1e-5, 1e-9.
On cross-entropy, a convex loss (claim 3 in docs/claims.md), H is positive
definite and the Newton step always points downhill.

The problem is the one of examples/loss_surface.py: a = σ(w·x + b) on forty
points of two moons, three parameters (w₁, w₂, b), starting from 0. Both
methods run until the gradient norm is below 1e-8. Gradient descent uses the
step 1/L, with L = λ_max(XᵀX) / (4n) a bound on the curvature of the loss
everywhere (σ′ ≤ ¼), the classic safe choice.

    python examples/newton.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("newton.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad as mg  # noqa: E402
import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402
from minigrad.training import data

X, Y = (array.astype(np.float64) for array in data.make_moons(40, noise=0.2, seed=0))  # as in loss_surface.py
TOLERANCE = 1e-8       # stop once the gradient norm is below this
MAX_ITERATIONS = 100_000


def ce_loss(theta):
    """Mean cross-entropy of a = σ(w·x + b), with theta = (w₁, w₂, b)."""
    return F.binary_cross_entropy_with_logits(Tensor(X) @ theta[:2] + theta[2], Y)


def loss_and_gradient(theta):
    """The loss at theta (an array) and its gradient, from mg.grad."""
    theta = Tensor(theta, requires_grad=True)
    loss = ce_loss(theta)
    (gradient,) = mg.grad(loss, theta)
    return loss.item(), gradient.data


def minimise(step, theta):
    """Apply step(theta, gradient) -> new theta until the gradient norm is below TOLERANCE.
    Returns the final theta, the losses and the gradient norms, one per iterate (the start included)."""
    losses, norms = [], []
    for _ in range(MAX_ITERATIONS + 1):
        loss, gradient = loss_and_gradient(theta)
        losses.append(loss)
        norms.append(float(np.linalg.norm(gradient)))
        if norms[-1] < TOLERANCE:
            break
        theta = step(theta, gradient)
    return theta, losses, norms


def newton_step(theta, gradient):
    hessian = mg.hessian(ce_loss, Tensor(theta)).data   # 3 × 3, exact
    return theta - np.linalg.solve(hessian, gradient)     # solve H Δ = g; never invert H


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="accepted for symmetry: the full run takes a second")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    inputs = np.column_stack([X, np.ones(len(X))])                  # the bias as a weight on a constant 1
    curvature_bound = np.linalg.eigvalsh(inputs.T @ inputs)[-1] / (4 * len(X))
    lr = 1 / curvature_bound
    start = np.zeros(3)
    newton_theta, newton_losses, newton_norms = minimise(newton_step, start)
    gd_theta, gd_losses, gd_norms = minimise(lambda theta, gradient: theta - lr * gradient, start)
    newton_iterations, gd_iterations = len(newton_losses) - 1, len(gd_losses) - 1
    converged = gd_norms[-1] < TOLERANCE
    gap = float(np.abs(newton_theta - gd_theta).max())

    print(f"cross-entropy logistic regression on {len(X)} points, from (w1, w2, b) = (0, 0, 0), "
          f"until the gradient norm is below {TOLERANCE:g}:")
    print(f"  Newton (exact Hessian):          {newton_iterations:>6} iterations, gradient norms "
          + ", ".join(f"{norm:.0e}" for norm in newton_norms))
    print(f"  gradient descent (lr 1/L = {lr:.3f}): {gd_iterations:>6} iterations"
          + ("" if converged else f" (stopped, gradient norm {gd_norms[-1]:.1e})"))
    print(f"  both end at loss {newton_losses[-1]:.6f}, (w1, w2, b) = ({newton_theta[0]:.4f}, {newton_theta[1]:.4f}, "
          f"{newton_theta[2]:.4f}); they differ by {gap:.0e} at most")

    best = min(newton_losses[-1], gd_losses[-1])
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for losses, norms, label, style in ((gd_losses, gd_norms, f"gradient descent, lr 1/L = {lr:.2f}", "-"),
                                        (newton_losses, newton_norms, "Newton, exact Hessian", "o-")):
        above = np.array(losses) - best
        left.semilogy(np.where(above > 0, above, np.nan), style, label=label)   # the minimum itself: 0, not drawn
        right.semilogy(norms, style, label=label)
    right.axhline(TOLERANCE, color="grey", linestyle=":", label=f"stop: gradient norm {TOLERANCE:g}")
    left.set(xlabel="iteration", ylabel="loss − final loss", title="Loss above the minimum")
    right.set(xlabel="iteration", ylabel="‖gradient‖", title="Gradient norm")
    for panel in (left, right):
        panel.legend()
    figure.suptitle(f"Logistic regression with cross-entropy: Newton converges in {newton_iterations} iterations, "
                    f"gradient descent in {gd_iterations}")
    figure.tight_layout()
    path = out / "newton.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "newton_iterations": newton_iterations,
        "gd_iterations": gd_iterations if converged else None,
        "newton_gradient_norms": newton_norms,
        "final_loss": newton_losses[-1],
        "gd_final_loss": gd_losses[-1],
        "parameter_gap": gap,
        "lr": lr,
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
