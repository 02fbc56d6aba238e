"""Why cross-entropy learns where MSE stalls, shown on one sigmoid neuron.

For a = σ(z), z = w·x + b and a target y, the chain rule gives
    ∂L/∂z = ∂L/∂a · ∂a/∂z,   with ∂a/∂z = σ′(z) = a(1 − a) ≤ ¼.
Under MSE, L = ½(a − y)², ∂L/∂a = a − y, so ∂L/∂z = (a − y)·a(1 − a): when the
neuron saturates (a near 0 or 1), σ′ is near 0 and the neuron barely learns,
however wrong it is. Under cross-entropy, L = −[y ln a + (1 − y) ln(1 − a)],
∂L/∂a = (a − y) / (a(1 − a)), and the σ′ factor cancels: ∂L/∂z = a − y.

`write_explanation` builds both losses from primitive ops (fused=False),
draws their graphs side by side with the local derivatives on the edges,
draws the fused cross-entropy node (where σ′ never appears), and tabulates
∂L/∂z over z, every number computed by minigrad's own backward.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

import minigrad.functional as F
from minigrad import viz
from minigrad.core.tensor import Tensor
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.viz import graph_picture
from minigrad.viz.dot import legend_text, number_text, picture_to_dot

TABLE_COLUMNS = ("z", "a", "sigma_prime", "dL/dz MSE", "dL/dz CE")


@dataclass
class Neuron:
    """The tensors of a = σ(w·x + b), named for the pictures."""

    x: Tensor
    w: Tensor
    b: Tensor
    z: Tensor
    a: Tensor


def neuron(x: float, w: float, b: float) -> Neuron:
    """A fresh sigmoid neuron in float64 (its own tensors, so two pictures never share nodes).

    >>> round(neuron(1.0, 2.0, 2.0).a.item(), 4)
    0.982
    """
    x_, w_, b_ = (Tensor(np.array(v, dtype=np.float64), requires_grad=name != "x", name=name)
                  for v, name in ((x, "x"), (w, "w"), (b, "b")))
    z = w_ * x_ + b_
    z.name = "z"
    a = z.sigmoid()
    a.name = "a"
    return Neuron(x_, w_, b_, z, a)


def half_squared_error(a: Tensor, y: float | np.ndarray) -> Tensor:
    """½(a − y)², elementwise, built from primitive ops."""
    return 0.5 * F.mse_loss(a, Tensor(np.array(y), name="y"), reduction="none", fused=False)


def expanded_cross_entropy(a: Tensor, y: float | np.ndarray) -> Tensor:
    """−[y ln a + (1 − y) ln(1 − a)], elementwise, built from primitive ops."""
    return F.binary_cross_entropy(a, Tensor(np.array(y), name="y"), reduction="none", fused=False)


def mse_of(n: Neuron, y: float | np.ndarray) -> Tensor:
    """L = ½(a − y)² of the neuron, named for the pictures."""
    loss = half_squared_error(n.a, y)
    loss.name = "L"
    return loss


def cross_entropy_of(n: Neuron, y: float | np.ndarray, fused: bool = False) -> Tensor:
    """L = −[y ln a + (1 − y) ln(1 − a)]: built from primitive ops on a, or
    (fused) one node on the logit z, whose backward is ∂L/∂z = σ(z) − y."""
    if fused:
        loss = F.binary_cross_entropy_with_logits(n.z, Tensor(np.array(y), name="y"), reduction="none")
    else:
        loss = expanded_cross_entropy(n.a, y)
    loss.name = "L"
    return loss


def gradient_table(y: float, zs: Sequence[float] = tuple(range(-6, 7))) -> list[tuple[float, ...]]:
    """For each z (by default -6, -5, ..., 6): a, σ′(z), and ∂L/∂z under MSE and
    under cross-entropy, each from backward.

    >>> z, a, sigma_prime, mse, ce = gradient_table(y=0.0, zs=np.array([4.0]))[0]
    >>> round(mse, 4), round(ce, 4), round(ce - a, 12)
    (0.0173, 0.982, 0.0)
    """
    mse = lambda a: 0.5 * F.mse_loss(a, np.array(y), reduction="sum")
    ce = lambda a: F.binary_cross_entropy(a, np.array(y), reduction="sum")
    return [(float(z), Tensor(np.array(z)).sigmoid().item(), _dz(z, lambda a: a), _dz(z, mse), _dz(z, ce))
            for z in zs]


def _dz(z: float, function_of_a) -> float:
    """d f(σ(z)) / dz, by backward."""
    z_ = Tensor(np.array(z, dtype=np.float64), requires_grad=True)
    function_of_a(z_.sigmoid()).backward()
    return z_.grad.item()


def shown(value: float, spec: str) -> str:
    """`value` formatted by `spec`, without the minus sign of a value that shows as zero (-0.0, or -1e-7 to
    5 decimals): "0", never "-0".

    >>> shown(-0.0, "g"), shown(-1e-7, ">9.5f"), shown(-1e-7, ".4g")
    ('0', '  0.00000', '-1e-07')
    """
    text = format(value, spec)
    return format(0.0, spec) if "-" in text and float(text) == 0 else text


def table_text(rows: list[tuple[float, ...]]) -> str:
    """The gradient table, aligned for a terminal.

    >>> print(table_text([(0.0, 0.5, 0.25, -1e-9, -0.0)]))
        z         a     σ′(z)   ∂L/∂z MSE   ∂L/∂z CE
      0.0   0.50000   0.25000    0.000000    0.00000
    """
    header = f"{'z':>5} {'a':>9} {'σ′(z)':>9} {'∂L/∂z MSE':>11} {'∂L/∂z CE':>10}"
    specs = (">5.1f", ">9.5f", ">9.5f", ">11.6f", ">10.5f")
    lines = [" ".join(shown(value, spec) for value, spec in zip(row, specs)) for row in rows]
    return "\n".join([header, *lines])


def summary(x: float, w: float, b: float, y: float) -> str:
    """What happens at the given neuron, in numbers from backward, each to 4
    significant digits as in the pictures. The cross-entropy line uses the
    fused loss on z, exact even where a rounds to exactly 0 or 1 (there the
    expanded form's log clamp stops the gradient).

    >>> print(summary(1, 2, 2, 0).splitlines()[-1])
    CE:  ∂L/∂z = a − y          = 0.982   (loss 4.018)
    """
    under_mse, under_ce = neuron(x, w, b), neuron(x, w, b)
    for n in (under_mse, under_ce):
        n.z.retain_grad()
    mse, ce = mse_of(under_mse, y), cross_entropy_of(under_ce, y, fused=True)
    mse.backward()
    ce.backward()
    a, z = under_mse.a.item(), under_mse.z.item()
    sigma_prime = graph_picture.local_derivatives(under_mse.a)[0].item()  # the sigmoid's own backward
    g, four = (lambda value: shown(value, "g")), (lambda value: shown(value, ".4g"))  # 0, never -0
    lines = [f"neuron: x = {g(x)}, w = {g(w)}, b = {g(b)}, target y = {g(y)}  ->  z = {four(z)}, a = σ(z) = {four(a)}",
             f"σ′(z) = a(1 − a) = {four(sigma_prime)}",
             f"MSE: ∂L/∂z = (a − y)·σ′(z) = {four(under_mse.z.grad.item())}   (loss {four(mse.item())})",
             f"CE:  ∂L/∂z = a − y          = {four(under_ce.z.grad.item())}   (loss {four(ce.item())})"]
    if a in (0.0, 1.0) and a != y:  # there the clamp changes the expanded form's gradient
        lines.append(f"(a rounds to exactly {a:g} in float64: in the pictures the expanded cross-entropy's "
                     "clamped log stops the gradient; the fused loss on z, above, does not)")
    return "\n".join(lines)


FIGURE_TITLE = "σ′(z) multiplies the gradient under MSE, and cancels under cross-entropy"
TITLES = {"mse_": "MSE: L = ½(a − y)²", "ce_": "cross-entropy: L = −[y ln a + (1 − y) ln(1 − a)]"}


def side_by_side_graph(x: float, w: float, b: float, y: float) -> viz.GradientGraph:
    """The MSE and the cross-entropy graphs of the same neuron, both built from
    primitive ops, in one figure, with σ′ highlighted in both."""
    pictures = []
    for prefix, loss_of in (("mse_", mse_of), ("ce_", cross_entropy_of)):
        n = neuron(x, w, b)
        pictures.append((prefix, graph_picture.describe(loss_of(n, y), highlight={n.a: "σ′"})))
    return figure_of(pictures)


def figure_of(pictures: list[tuple[str, graph_picture.Picture]]) -> viz.GradientGraph:
    """The MSE and cross-entropy pictures side by side, under one title and legend."""
    figure = viz.GradientGraph(graph_attr={"rankdir": "TB", "fontname": "Helvetica", "labelloc": "t",
                                           "fontsize": "16", "label": FIGURE_TITLE + "\\n" + legend_text()})
    for prefix, picture in pictures:
        figure.subgraph(loss_cluster(prefix, picture))
    return figure


def loss_cluster(prefix: str, picture: graph_picture.Picture) -> viz.GradientGraph:
    """One loss's picture ("mse_" or "ce_") in its own box, under its title in that loss's colour.

    >>> part = loss_cluster("ce_", graph_picture.describe(cross_entropy_of(neuron(1, 2, 2), 0)))
    >>> part.name, part.graph_attr["fontcolor"] == LOSS_COLOURS["ce"]
    ('cluster_ce_', True)
    """
    part = picture_to_dot(picture, number_text, title=TITLES[prefix], id_prefix=prefix)
    part.name = f"cluster_{prefix}"  # a subgraph named cluster_* is drawn in its own box
    part.graph_attr["fontcolor"] = LOSS_COLOURS[prefix.rstrip("_")]
    return part


def fused_graph(x: float, w: float, b: float, y: float) -> viz.GradientGraph:
    """Cross-entropy as one node on the logit: σ′ never appears."""
    loss = cross_entropy_of(neuron(x, w, b), y, fused=True)
    return viz.draw_graph(loss, title="fused cross-entropy on the logit: ∂L/∂z = σ(z) − y")
