"""Fused losses: each loss is ONE node of the graph with a closed-form gradient.

A fused loss op computes, for every element (or sample), the loss and its
derivative with respect to the prediction, side by side in
`loss_and_gradient`; the shared `FusedLoss` applies the reduction ('none',
'sum' or 'mean') to both. The ops are named Fused…, so that they are never
mistaken for the nn loss modules (`FusedCrossEntropy` is the node that
`nn.CrossEntropyLoss` puts in the graph). The functional API (functional/losses.py)
validates the inputs, prepares targets and weights, and can build the same
losses from primitive ops instead (`fused=False`), so that a graph shows
every factor of the chain rule.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.op import Op
from minigrad.core.tensor import Tensor
from minigrad.ops.rule_math import absolute, data, detached, exp, log, log1p, maximum, sigmoid, sign, where

LOG_FLOOR = -100.0  # log(p) is clamped here, as PyTorch does, so p = 0 or 1 stays finite


def weighted_log(t: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """t · log p elementwise, with 0 · log 0 = 0: a class of probability 0 (a
    logit of -inf, masked out) costs nothing when the target gives it no weight.

    >>> weighted_log(np.array([1.0, 0.0]), np.array([-0.5, -np.inf])).tolist()
    [-0.5, 0.0]
    """
    if data(log_p).min(initial=0) == -np.inf:  # mask only then (one pass fewer otherwise: benchmarks/README.md)
        return t * where(data(t) != 0, log_p, 0)
    return t * log_p


class FusedLoss(Op):
    """inputs: the prediction x and the target (a constant: it gets no gradient)."""

    saves = ("x", "target")
    caches = ("local_grad",)  # dloss/dx from forward; under create_graph computed again, recorded, on x

    def forward(self, x, target, *, reduction, divisor, **options):
        losses, self.local_grad = self.loss_and_gradient(x, target, **options)
        self.options, self.reduction = options, reduction
        self.scale = 1 / float(divisor) if reduction == "mean" else 1  # a number: it has no derivative
        return losses if reduction == "none" else losses.sum() * self.scale

    def backward(self, grad):
        x, target = self.saved
        local_grad = self.local_grad
        if local_grad is None:  # create_graph: the same rule, recorded on the Tensor x
            local_grad = self.loss_and_gradient(x, data(target), **self.options)[1]
        if self.reduction == "none":  # one loss per sample: spread it over that sample's elements
            grad = grad.reshape(grad.shape + (1,) * (local_grad.ndim - grad.ndim))
            return grad * self.scale * local_grad, None
        if isinstance(grad, Tensor):
            return grad * self.scale * local_grad, None
        return (grad.item() * self.scale) * local_grad, None  # dL/dx = dL/dloss · dloss/dx; one number

    def loss_and_gradient(self, x, target, **options):
        """The unreduced losses, and their derivative with respect to x (x's shape)."""
        raise NotImplementedError


class FusedMSE(FusedLoss):
    symbol = "MSE"

    def loss_and_gradient(self, x, y):
        return (x - y) ** 2, 2 * (x - y)  # d/dx (x - y)² = 2(x - y)


class FusedL1(FusedLoss):
    symbol = "L1"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, x, y):
        return np.abs(x - y), np.sign(x - y)  # d/dx |x - y| = sign(x - y)


class FusedHuber(FusedLoss):
    symbol = "Huber"

    def loss_and_gradient(self, x, y, delta):
        d = x - y
        quadratic = np.abs(data(d)) < delta
        loss = where(quadratic, 0.5 * d * d, delta * (absolute(d) - 0.5 * delta))
        return loss, where(quadratic, d, delta * sign(d))  # d inside ±delta, ±delta outside


class FusedBCE(FusedLoss):
    """Binary cross-entropy on probabilities p: -w [y log p + (1 - y) log(1 - p)]."""

    symbol = "BCE"

    def loss_and_gradient(self, p, y, weight):
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            log_p = maximum(log(p), LOG_FLOOR)
            log_not_p = maximum(log(1 - p), LOG_FLOOR)
        loss = -weight * (y * log_p + (1 - y) * log_not_p)
        return loss, weight * (p - y) / maximum(p * (1 - p), 1e-12)  # dL/dp = (p - y) / (p(1 - p))


class FusedBCEWithLogits(FusedLoss):
    """Binary cross-entropy on logits z, with p = σ(z) never formed:
    -w [pw·y log σ(z) + (1 - y) log(1 - σ(z))] = w [(1 - y) z + (1 + (pw - 1) y) softplus(-z)]."""

    symbol = "BCE on logits"

    def loss_and_gradient(self, z, y, weight, pos_weight):
        softplus_of_minus_z = maximum(-z, 0) + log1p(exp(-absolute(z)))  # log(1 + e^-z), stable
        y_weight = 1 + (pos_weight - 1) * y
        loss = weight * ((1 - y) * z + y_weight * softplus_of_minus_z)
        return loss, weight * (y_weight * sigmoid(z) - pos_weight * y)  # pw = 1: dL/dz = σ(z) - y


class FusedCrossEntropy(FusedLoss):
    """Softmax cross-entropy on logits z (N, C) against per-class target weights t (N, C):
    -Σ_c t_c log softmax(z)_c, whose gradient is softmax(z)·Σ_c t_c - t. Integer labels, soft labels, label
    smoothing and class weights all arrive here folded into t (see class_targets in functional/loss_inputs.py).
    A logit of -inf masks its class out: its probability is 0, and it costs nothing unless t names it (then the
    loss is inf). The caller says whether the rows of t sum to 1 and whether some logit is -inf (masked_logits)."""

    symbol = "cross-entropy"

    @property
    def passes(self) -> str:
        """Its gradient on the logits, in words: the error itself, with no σ′ factor (for pictures)."""
        error = "softmax(z) − y" if self.params["rows_sum_to_one"] else "softmax(z)·Σy − y"
        divisor = self.params["divisor"]
        return f"({error})/{divisor:.4g}" if self.params["reduction"] == "mean" and divisor != 1 else error

    def loss_and_gradient(self, z, t, rows_sum_to_one, masked):
        shifted = z - detached(z.max(axis=1, keepdims=True))  # log-sum-exp, with the max subtracted first
        e = exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_p, p = shifted - log(total), e / total  # log softmax(z) and softmax(z)
        grad = p - t if rows_sum_to_one else p * t.sum(axis=1, keepdims=True) - t  # Σ_c t_c = 1: softmax(z) - t
        return -(weighted_log(t, log_p) if masked else t * log_p).sum(axis=1), grad


class FusedNLL(FusedLoss):
    """Negative log-likelihood of log-probabilities (N, C) at integer labels: -w_y log_p[y]."""

    symbol = "NLL"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, log_p, target, class_weight):
        rows = np.arange(len(target))
        weight = class_weight[target]
        local_grad = np.zeros_like(log_p)
        local_grad[rows, target] = -weight  # only the true class's log-probability counts
        return -weighted_log(weight, log_p[rows, target]), local_grad  # a weight of 0: no term, even at log 0


class FusedKLDiv(FusedLoss):
    """D_KL(p ‖ q) pointwise from log q and p: p (log p - log q), taken as 0 where p = 0."""

    symbol = "KL"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, log_q, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            p_log_p = np.where(p > 0, p * np.log(p), 0)
        return p_log_p - weighted_log(p, log_q), -p  # d/d(log q) [p log p - p log q] = -p


class FusedMultiMargin(FusedLoss):
    """Multi-class hinge: Σ over i ≠ y of max(0, margin - z_y + z_i) / C."""

    symbol = "hinge"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, z, target, margin):
        rows = np.arange(len(target))
        classes = z.shape[1]
        hinge = np.maximum(0, margin - z[rows, target][:, None] + z)
        hinge[rows, target] = 0
        active = (hinge > 0).astype(z.dtype) / classes
        active[rows, target] = -active.sum(axis=1)  # z_y appears, negated, in every active term
        return hinge.sum(axis=1) / classes, active  # d/dz_i = 1/C where active, d/dz_y = -(active count)/C
