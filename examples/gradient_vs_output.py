"""How hard each loss pushes: |∂L/∂z| against the output a = σ(z), for MSE and cross-entropy.

For every output a in (0, 1) we set the logit z = ln(a / (1 − a)), compute
a = σ(z), the loss against a target y (0 or 1), and let minigrad's backward
find ∂L/∂z. Under the squared error ½(a − y)², ∂L/∂z = (a − y)·a(1 − a): at
most 4/27 ≈ 0.148, and close to 0 both when a is right and when a is
completely wrong. Under cross-entropy the σ′ cancels and ∂L/∂z = a − y: the
push is proportional to the error.

    python examples/gradient_vs_output.py [--fast] [--out DIR]
"""

import argparse
import sys
from pathlib import Path

import numpy as np

try:
    import matplotlib
except ImportError:  # the plots extra is not installed
    sys.exit("gradient_vs_output.py needs matplotlib: pip install 'minigrad[plots]'")
matplotlib.use("Agg")  # draw into files, no window
import matplotlib.pyplot as plt  # noqa: E402

import minigrad.functional as F  # noqa: E402
from minigrad import Tensor  # noqa: E402
from minigrad.pages.colours import LOSS_COLOURS  # noqa: E402


def gradient_wrt_logit(outputs, target, loss_name):
    """∂L/∂z at each output a (float64), by backward through a = σ(z) and the loss."""
    z = Tensor(np.log(outputs / (1 - outputs)), requires_grad=True)  # the logit that gives each output
    a = z.sigmoid()
    targets = np.full_like(outputs, target)
    if loss_name == "MSE":
        loss = (0.5 * (a - Tensor(targets)) ** 2).sum()  # a sum: each z gets its own point's gradient
    else:
        loss = F.binary_cross_entropy(a, targets, reduction="sum")  # through a, so σ′ is on the path
    loss.backward()
    return z.grad


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="fewer points on the curves")
    parser.add_argument("--out", default="example-output", help="folder for the figure")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    steps = 300 if args.fast else 3000
    outputs = np.arange(1, steps) / steps  # a from 1/steps to 1 − 1/steps
    results = {}
    figure, panels = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for panel, target in zip(panels, (0, 1)):
        mse = np.abs(gradient_wrt_logit(outputs, target, "MSE"))
        ce = np.abs(gradient_wrt_logit(outputs, target, "cross-entropy"))
        peak = mse.argmax()
        worst = -1 if target == 0 else 0  # the output furthest from the target
        deviation = np.abs(ce - np.abs(outputs - target)).max()
        print(f"target {target}: MSE |dL/dz| is at most {mse[peak]:.4f}, at a = {outputs[peak]:.3f}; "
              f"at the worst output, a = {outputs[worst]:.4f}, it is {mse[worst]:.6f}")
        print(f"          cross-entropy |dL/dz| equals |a - y| to {deviation:.1e} (max abs deviation)")
        results[target] = mse[peak], outputs[peak], deviation
        panel.plot(outputs, mse, label="MSE: |a − y|·a(1 − a)", color=LOSS_COLOURS["mse"])
        panel.plot(outputs, ce, label="cross-entropy: |a − y|", color=LOSS_COLOURS["ce"])
        panel.set(xlabel="output a", title=f"target y = {target}")
        panel.legend(loc="upper center")
    panels[0].set_ylabel("|∂L/∂z|")
    figure.suptitle("Gradient reaching the logit z, against the output a = σ(z)")
    figure.tight_layout()
    path = out / "gradient_vs_output.png"
    figure.savefig(path, dpi=100)
    plt.close(figure)
    print(f"figure: {path}")

    return {
        "mse_max_gradient": float(max(results[0][0], results[1][0])),
        "mse_argmax_output_target_0": float(results[0][1]),
        "mse_argmax_output_target_1": float(results[1][1]),
        "ce_max_deviation_from_error": float(max(results[0][2], results[1][2])),
        "figures": [str(path)],
    }


if __name__ == "__main__":
    main()
