"""replay.html of `minigrad explain`: backward through both losses of one neuron, step by step.

One sigmoid neuron, a = σ(w·x + b), with both losses built on it from
primitive ops, ½(a − y)² and −[y ln a + (1 − y) ln(1 − a)]. `viz.replay`
replays backward through each; a switch shows either graph at the same step.
The loss's own ops (clip, ln, 1 − a, the y and 1 − y branches) only turn L
into ∂L/∂a, so they are folded into one step, and σ′ comes at step 3. There
the caption puts both losses' numbers side by side: σ′(z) multiplies both
∂L/∂a, and cross-entropy's was 1/σ′ times bigger, so σ′ cancels. A last step
sums up ∂L/∂z under each loss. Every number is minigrad's: the gradients
from its backward pass, σ′ from the sigmoid op's own backward.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from minigrad import viz
from minigrad.lessons import explain
from minigrad.viz import graph_picture
from minigrad.viz.dot import number_text
from minigrad.viz.replay_page import Said

NAMES = {"ce": "cross-entropy", "mse": "MSE"}  # the roots' names on the switch, in this order


@dataclass
class Numbers:
    """What backward computes at z and a for each loss ("mse", "ce"), and σ′(z)."""

    a: float
    y: float
    sigma_prime: float
    dL_da: dict[str, float]
    dL_dz: dict[str, float]

    @property
    def cancels(self) -> bool:
        """Whether cross-entropy's ∂L/∂a is MSE's divided by σ′ (not where a rounds to 0 or 1, or a = y)."""
        return self.sigma_prime > 0 and self.dL_da["mse"] != 0 and bool(
            np.isclose(self.dL_da["ce"] / self.dL_da["mse"], 1 / self.sigma_prime, rtol=1e-6))


def numbers(n: explain.Neuron, losses: dict[str, object], y: float) -> Numbers:
    """σ′(z) from the sigmoid op's backward, and each loss's ∂L/∂a and ∂L/∂z from the backward pass.

    >>> n = explain.neuron(1.0, 2.0, 2.0)
    >>> found = numbers(n, {"mse": explain.mse_of(n, 0.0), "ce": explain.cross_entropy_of(n, 0.0)}, 0.0)
    >>> round(found.dL_dz["mse"], 5), round(found.dL_dz["ce"], 4), found.cancels
    (0.01735, 0.982, True)
    """
    grads = {key: graph_picture.gradients(loss) for key, loss in losses.items()}
    return Numbers(n.a.item(), float(y), graph_picture.local_derivatives(n.a)[0].item(),
                   {key: g[n.a].item() for key, g in grads.items()}, {key: g[n.z].item() for key, g in grads.items()})


def text(value: float) -> str:
    """A number as the replay writes every number (4 significant digits)."""
    return number_text(np.asarray(value))


def fold_caption() -> list[Said]:
    """Why step 2 folds the loss's own ops."""
    return ["Step 2 folds the loss's own ops (for cross-entropy clip, ln, 1 − a and the y and 1 − y branches): "
            "all they do is turn L into ∂L/∂a, the one number that differs between the losses before σ′."]


def sigma_caption(found: Numbers) -> list[Said]:
    """The σ′ step: the same σ′(z) multiplies both losses' ∂L/∂a."""
    s = text(found.sigma_prime)
    lines: list[Said] = [
        f"σ′(z) = {s} multiplies both losses' ∂L/∂a:",
        (NAMES["mse"], f"under MSE ∂L/∂z = {text(found.dL_da['mse'])} × {s} = {text(found.dL_dz['mse'])}"),
        (NAMES["ce"], f"under cross-entropy ∂L/∂z = {text(found.dL_da['ce'])} × {s} = {text(found.dL_dz['ce'])}")]
    if found.cancels:
        lines.append(f"Cross-entropy's ∂L/∂a was 1/σ′ = {text(found.dL_da['ce'] / found.dL_da['mse'])} times "
                     f"MSE's, so σ′ cancels: ∂L/∂z = a − y = {text(found.dL_dz['ce'])}.")
    else:
        lines.append(_no_cancelling(found))
    return lines


def _no_cancelling(found: Numbers) -> str:
    """Why σ′ does not cancel at this neuron: a = y, or a rounds to 0 or 1 in float64."""
    if found.dL_da["mse"] == 0:
        return f"Here a = y = {text(found.y)}: the error a − y is 0, so both losses pass back 0."
    return (f"Here a rounds to {text(found.a)} in float64, σ′ = {text(found.sigma_prime)}, and the expanded "
            "cross-entropy's clamped log stops the gradient: nothing is left to cancel (the fused loss on z, "
            "fused_ce, gives a − y).")


def summary(found: Numbers) -> tuple[str, list[Said]]:
    """The last step: ∂L/∂z under each loss, and why they differ."""
    s, error = text(found.sigma_prime), text(found.dL_da["mse"])
    lines: list[Said] = [
        (NAMES["mse"], f"MSE: ∂L/∂z = (a − y)·σ′(z) = {error} × {s} = {text(found.dL_dz['mse'])}"),
        (NAMES["ce"], f"cross-entropy: ∂L/∂z = a − y = {text(found.dL_dz['ce'])}")]
    if found.cancels:
        lines.append(f"They differ by the factor σ′(z) = {s}, which nears 0 as a nears 0 or 1 (here a = "
                     f"{text(found.a)}): under MSE ∂L/∂z, and with it ∂L/∂w and ∂L/∂b, is "
                     f"{text(found.dL_dz['ce'] / found.dL_dz['mse'])} times smaller, so w and b learn that much "
                     "slower.")
    else:
        lines.append(_no_cancelling(found))
    return "∂L/∂z under each loss", lines


def replay(x: float, w: float, b: float, y: float, path: str | os.PathLike[str] | None = None) -> viz.Replay:
    """Backward through the cross-entropy and the MSE graph of the neuron (x, w, b) with target y.

    >>> page = replay(1.0, 2.0, 2.0, 0.0)
    >>> [frame.heading for frame in page.tracks["MSE"]]
    ['∂L/∂L', '∂L/∂a', '∂L/∂z', '∂L/∂(w·x)', '∂L/∂w', '∂L/∂b']
    """
    n = explain.neuron(x, w, b)
    losses = {"ce": explain.cross_entropy_of(n, y), "mse": explain.mse_of(n, y)}
    found = numbers(n, losses, y)
    return viz.replay({NAMES[key]: loss for key, loss in losses.items()}, path,
                      title="Backward through cross-entropy and MSE, step by step", fold_to=n.a,
                      highlight={n.a: "σ′"}, captions={n.a: fold_caption(), n.z: sigma_caption(found)},
                      summary=summary(found), colours={name: key for key, name in NAMES.items()})
