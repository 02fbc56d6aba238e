"""Losses as functions: each loss a node of the graph, fused or built from primitive ops.

With `fused=True` (the default) a loss is ONE node whose backward is the
closed-form gradient (ops/fused_losses.py); with `fused=False` the same loss
is built here from primitive ops, so that a picture of the graph shows every
factor of the chain rule. Both give the same value and gradient wherever the
expanded form is finite.

Targets and weights may be Tensors, NumPy arrays or lists. As in PyTorch, a
float target that requires grad gets its gradient, fused or not (a teacher's
probabilities, say); class indices and weights are constants, and a weight
that requires grad is refused. A target must have exactly the prediction's
shape: a (N,) target against a (N, 1) prediction is an error, not a broadcast.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import ops
from minigrad.core.stand_in import take
from minigrad.core.tensor import Tensor
from minigrad.functional.loss_inputs import (REDUCTIONS, broadcast_weight, check_reduction, class_labels, class_targets,
                                             float_target, logits_matrix, masked_logits, mean_divisor, prediction)
from minigrad.ops.fused_losses import LOG_FLOOR
from minigrad.ops.shape import where


def _reduce(per_element: Tensor, reduction: str, divisor: float) -> Tensor:
    """The reductions, for losses built from primitive ops."""
    if reduction == "none":
        return per_element
    total = per_element.sum()
    return total / divisor if reduction == "mean" else total


def _weighted_log(t: Any, log_p: Tensor) -> Tensor:
    """t · log p with 0 · log 0 = 0, for losses built from primitive ops (see ops/fused_losses.weighted_log): where
    log p is -inf (a masked class) and t is 0, a `where` node puts 0 in its place, so no NaN and no gradient."""
    t = t if isinstance(t, Tensor) else Tensor(t)
    if log_p.data.min(initial=0) == -np.inf:  # only then: the usual graph has no `where` node
        log_p = where((t.data != 0) | (log_p.data != -np.inf), log_p, 0.0)
    return t * log_p


def mse_loss(input: Tensor, target: Any, reduction: str = "mean", fused: bool = True) -> Tensor:
    """Mean squared error (x - y)².

    >>> mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
    5.0
    """
    check_reduction("mse_loss", reduction)
    x = prediction("mse_loss", input)
    y = float_target("mse_loss", target, x)
    divisor = mean_divisor("mse_loss", reduction, x.size, "number of elements")
    if fused:
        return ops.FusedMSE.apply(x, y, reduction=reduction, divisor=divisor)
    return _reduce((x - y) ** 2, reduction, divisor)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean", fused: bool = True) -> Tensor:
    """Mean absolute error |x - y|.

    >>> l1_loss(Tensor([1.0, -3.0]), [0.0, 0.0]).item()
    2.0
    """
    check_reduction("l1_loss", reduction)
    x = prediction("l1_loss", input)
    y = float_target("l1_loss", target, x)
    divisor = mean_divisor("l1_loss", reduction, x.size, "number of elements")
    if fused:
        return ops.FusedL1.apply(x, y, reduction=reduction, divisor=divisor)
    return _reduce((x - y).abs(), reduction, divisor)


def huber_loss(input: Tensor, target: Any, delta: float = 1.0, reduction: str = "mean",
               fused: bool = True) -> Tensor:
    """½(x - y)² where |x - y| < delta, else delta (|x - y| - ½ delta): MSE near, L1 far.

    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").data.tolist()
    [0.125, 2.5]
    """
    check_reduction("huber_loss", reduction)
    delta = float(delta)  # a Python float: a NumPy float64 would upcast float32 losses
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    x = prediction("huber_loss", input)
    y = float_target("huber_loss", target, x)
    divisor = mean_divisor("huber_loss", reduction, x.size, "number of elements")
    if fused:
        return ops.FusedHuber.apply(x, y, reduction=reduction, divisor=divisor, delta=delta)
    error = x - y
    size = error.abs()
    per_element = where(size < delta, 0.5 * error ** 2, delta * (size - 0.5 * delta))
    return _reduce(per_element, reduction, divisor)


def binary_cross_entropy(prob: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                         fused: bool = True) -> Tensor:
    """-w [y log p + (1 - y) log(1 - p)] on probabilities p in [0, 1].

    Each log is clamped at -100, as in PyTorch, so p = 0 or 1 gives a finite
    loss. Expanded (`fused=False`), the graph shows dL/dp = (p - y) / (p(1 - p)).
    At p exactly 0 or 1 the two forms differ in gradient only: fused follows
    PyTorch, (p - y) / max(p(1 - p), 1e-12), huge but finite; expanded gives
    the slope of the clamped formula, 0 where the clamp is active (in float32
    NumPy warns there that 1/p overflowed before the clamp zeroed it). A target
    that requires grad gets w [log(1 - p) - log p], the logs clamped as in the
    loss, fused and expanded: ±100 w at p = 0 or 1 (PyTorch: ±inf).

    >>> round(binary_cross_entropy(Tensor([0.9]), [1.0]).item(), 4)
    0.1054
    """
    check_reduction("binary_cross_entropy", reduction)
    p = prediction("binary_cross_entropy", prob)
    outside = p.data[~((p.data >= 0) & (p.data <= 1))]
    if outside.size:
        raise ValueError(f"binary_cross_entropy: input must hold probabilities in [0, 1], found {outside[0]}; "
                         "for logits use binary_cross_entropy_with_logits")
    y = float_target("binary_cross_entropy", target, p)
    w = broadcast_weight("binary_cross_entropy", weight, p.shape, p.dtype)
    divisor = mean_divisor("binary_cross_entropy", reduction, p.size, "number of elements")
    if fused:
        return ops.FusedBCE.apply(p, y, reduction=reduction, divisor=divisor, weight=1.0 if w is None else w)
    smallest = np.exp(LOG_FLOOR)  # clamping p here clamps log p at -100, and keeps 1/p finite
    not_y = 1 - y
    not_y.name = f"1 − {y.name}" if y.name else None  # so that a picture can say (1 − y)
    per_element = -(y * p.clip(smallest, None).log() + not_y * (1 - p).clip(smallest, None).log())
    return _reduce(per_element if weight is None else Tensor(w) * per_element, reduction, divisor)


def binary_cross_entropy_with_logits(logits: Tensor, target: Any, weight: Any = None, pos_weight: Any = None,
                                     reduction: str = "mean", fused: bool = True) -> Tensor:
    """Binary cross-entropy of σ(z) against y, computed from the logits z without
    forming σ(z), so it is exact for any |z|. `pos_weight` (broadcast over the
    last axis, one per class) multiplies the loss of positive labels: a
    pos_weight of 100 counts each positive like 100 negatives.

    >>> binary_cross_entropy_with_logits(Tensor([1e4, -1e4]), [1.0, 0.0]).item()
    0.0
    """
    check_reduction("binary_cross_entropy_with_logits", reduction)
    z = prediction("binary_cross_entropy_with_logits", logits)
    y = float_target("binary_cross_entropy_with_logits", target, z)
    w = broadcast_weight("binary_cross_entropy_with_logits", weight, z.shape, z.dtype)
    pw = broadcast_weight("binary_cross_entropy_with_logits", pos_weight, z.shape, z.dtype, what="pos_weight")
    divisor = mean_divisor("binary_cross_entropy_with_logits", reduction, z.size, "number of elements")
    if fused:
        return ops.FusedBCEWithLogits.apply(z, y, reduction=reduction, divisor=divisor,
                                               weight=1.0 if w is None else w, pos_weight=1.0 if pw is None else pw)
    shift = (-z).relu().detach()  # log(e^0 + e^-z) by log-sum-exp; the shift carries no gradient
    softplus_of_minus_z = shift + ((-z - shift).exp() + (-shift).exp()).log()  # = -log σ(z)
    y_weight = 1 if pos_weight is None else 1 + (Tensor(pw) - 1) * y
    per_element = (1 - y) * z + y_weight * softplus_of_minus_z
    return _reduce(per_element if weight is None else Tensor(w) * per_element, reduction, divisor)


def cross_entropy(logits: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0, fused: bool = True) -> Tensor:
    """Softmax cross-entropy -Σ_c t_c log softmax(z)_c over logits z of shape (N, C).

    `target` is integer class indices (N,) or class probabilities (N, C),
    one-hot or soft (rows need not sum to 1); `weight` (C,) weights each class
    (for imbalanced data). Fused, the backward is the closed form softmax(z) - y.
    Unlike PyTorch: no `ignore_index`, and the input must be (N, C).

    A logit of -inf masks its class out: probability 0, gradient 0, and no
    cost unless the target gives it weight (then the loss is inf, as in
    PyTorch). With probability targets, 0 · log 0 counts as 0, where PyTorch
    returns nan. Probabilities that require grad get -log softmax(z) (times
    the class weight and 1 - label_smoothing), and 0 at such a masked class
    (PyTorch: inf). A row with every logit -inf has no softmax at all: it is
    refused with a ValueError naming the row (PyTorch returns nan).

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), np.array([1])).item(), 4)
    0.6931
    >>> round(cross_entropy(Tensor([[0.0, -np.inf, 1.0]]), np.array([0])).item(), 4)
    1.3133
    """
    check_reduction("cross_entropy", reduction)
    z = logits_matrix("cross_entropy", logits)
    masked = masked_logits("cross_entropy", z)  # and refuses a row masked in every class
    t, divisor, rows_sum_to_one = class_targets("cross_entropy", z, target, weight, label_smoothing)
    divisor = mean_divisor("cross_entropy", reduction, divisor, "summed weight of the true classes")
    if not isinstance(t, Tensor):  # a Tensor here is computed from a target that requires grad
        t = Tensor(t, name=target.name if isinstance(target, Tensor) else None)  # pictures keep the target's name
    if fused:
        return ops.FusedCrossEntropy.apply(z, t, reduction=reduction, divisor=divisor,
                                              rows_sum_to_one=rows_sum_to_one, masked=masked)
    shifted = z - z.max(axis=1, keepdims=True).detach()  # softmax ignores shifts: no gradient through the max
    log_p = shifted - shifted.exp().sum(axis=1, keepdims=True).log()
    return _reduce(-_weighted_log(t, log_p).sum(axis=1), reduction, divisor)


def nll_loss(log_probs: Tensor, target: Any, weight: Any = None, reduction: str = "mean",
             fused: bool = True) -> Tensor:
    """Negative log-likelihood -w_y log_p[y] of log-probabilities (N, C) at integer labels.
    log_softmax followed by nll_loss is cross_entropy. A class of weight 0
    adds nothing, even where its log-probability is -inf (PyTorch: nan).

    >>> nll_loss(Tensor([[-0.5, -2.0]]), np.array([1])).item()
    2.0
    """
    check_reduction("nll_loss", reduction)
    log_p = logits_matrix("nll_loss", log_probs)
    labels = class_labels("nll_loss", target, log_p)
    class_weight = broadcast_weight("nll_loss", weight, (log_p.shape[1],), log_p.dtype)
    if class_weight is None:
        class_weight = np.ones(log_p.shape[1], dtype=log_p.dtype)
    divisor = mean_divisor("nll_loss", reduction, float(take(class_weight, labels, axis=0).sum()),
                           "summed weight of the true classes")
    if fused:
        return ops.FusedNLL.apply(log_p, Tensor(labels), reduction=reduction, divisor=divisor,
                                     class_weight=class_weight)
    picked = log_p[np.arange(len(labels)), labels]
    return _reduce(-_weighted_log(take(class_weight, labels, axis=0), picked), reduction, divisor)


def kl_div(log_q: Tensor, p: Any, reduction: str = "mean", fused: bool = True) -> Tensor:
    """Pointwise KL divergence p (log p - log q), with PyTorch's argument order:
    the input is log-probabilities log q, the target is probabilities p.
    'batchmean' divides the sum by the batch size (the true mean KL per
    sample); 'mean' divides by the number of elements, as PyTorch does.
    Where p = 0 the term is 0, even where log q is -inf (PyTorch: nan). A p
    that requires grad gets log p + 1 - log q, with the derivative of p log p
    (-inf at p = 0) taken as 0 there (PyTorch: nan).

    >>> kl_div(Tensor(np.log([0.5, 0.5])), [0.5, 0.5], reduction="sum").item()
    0.0
    """
    check_reduction("kl_div", reduction, REDUCTIONS + ("batchmean",))
    x = prediction("kl_div", log_q)
    target = float_target("kl_div", p, x)
    divisor = x.shape[0] if reduction == "batchmean" and x.ndim else x.size
    reduction = "mean" if reduction == "batchmean" else reduction
    divisor = mean_divisor("kl_div", reduction, divisor, "number of elements (or rows, for 'batchmean')")
    if fused:
        return ops.FusedKLDiv.apply(x, target, reduction=reduction, divisor=divisor)
    p_log_p = target * where(target.data > 0, target, 1.0).log()  # log 1 = 0 where p ≤ 0: no log 0
    return _reduce(p_log_p - _weighted_log(target, x), reduction, divisor)


def multi_margin_loss(logits: Tensor, target: Any, margin: float = 1.0, reduction: str = "mean",
                      fused: bool = True) -> Tensor:
    """Multi-class hinge (SVM) loss: Σ over i ≠ y of max(0, margin - z_y + z_i) / C.

    >>> multi_margin_loss(Tensor([[3.0, 0.0, 2.5]]), np.array([0])).item()
    0.1666666716337204
    """
    check_reduction("multi_margin_loss", reduction)
    z = logits_matrix("multi_margin_loss", logits)
    labels = class_labels("multi_margin_loss", target, z)
    n, classes = z.shape
    margin = float(margin)  # a Python float: a NumPy float64 would upcast float32 losses
    divisor = mean_divisor("multi_margin_loss", reduction, n, "number of rows")
    if fused:
        return ops.FusedMultiMargin.apply(z, Tensor(labels), reduction=reduction, divisor=divisor, margin=margin)
    true_score = z[np.arange(n), labels].reshape(n, 1)
    others = Tensor(1 - np.eye(classes, dtype=z.dtype)[labels])
    hinge = (margin - true_score + z).relu() * others
    return _reduce(hinge.sum(axis=1) / classes, reduction, divisor)
