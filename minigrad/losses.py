"""Fused losses: each loss is ONE node of the graph with a closed-form gradient.

A loss op computes, for every element (or sample), the loss and its derivative
with respect to the prediction, side by side in `pointwise`; the shared
`LossOp` applies the reduction ('none', 'sum' or 'mean') to both. The
functional API (functional.py) validates the inputs, prepares targets and
weights, and can build the same losses from primitive ops instead
(`fused=False`), so that a graph shows every factor of the chain rule.
"""

from __future__ import annotations

import numpy as np

from minigrad.activations import stable_sigmoid
from minigrad.engine import Op

LOG_FLOOR = -100.0  # log(p) is clamped here, as PyTorch does, so p = 0 or 1 stays finite


class LossOp(Op):
    """inputs: the prediction and the target (a constant: it gets no gradient)."""

    def forward(self, x, target, reduction, divisor, **options):
        losses, self.local_grad = self.pointwise(x, target, **options)
        self.reduction = reduction
        self.scale = 1 / divisor if reduction == "mean" else 1
        return losses if reduction == "none" else losses.sum() * self.scale

    def backward(self, grad):
        if self.reduction == "none":  # one loss per sample: spread it over that sample's elements
            grad = grad.reshape(grad.shape + (1,) * (self.local_grad.ndim - grad.ndim))
            return grad * self.scale * self.local_grad, None
        return (grad.item() * self.scale) * self.local_grad, None  # dL/dx = dL/dloss · dloss/dx; one number

    def pointwise(self, x, target, **options):
        raise NotImplementedError


class MSELoss(LossOp):
    def pointwise(self, x, y):
        return (x - y) ** 2, 2 * (x - y)  # d/dx (x - y)² = 2(x - y)


class L1Loss(LossOp):
    def pointwise(self, x, y):
        return np.abs(x - y), np.sign(x - y)  # d/dx |x - y| = sign(x - y)


class HuberLoss(LossOp):
    def pointwise(self, x, y, delta):
        d = x - y
        quadratic = np.abs(d) < delta
        loss = np.where(quadratic, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))
        return loss, np.where(quadratic, d, delta * np.sign(d))  # d inside ±delta, ±delta outside


class BCELoss(LossOp):
    """Binary cross-entropy on probabilities p: -w [y log p + (1 - y) log(1 - p)]."""

    def pointwise(self, p, y, weight):
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
            log_p = np.maximum(np.log(p), LOG_FLOOR)
            log_not_p = np.maximum(np.log(1 - p), LOG_FLOOR)
        loss = -weight * (y * log_p + (1 - y) * log_not_p)
        return loss, weight * (p - y) / np.maximum(p * (1 - p), 1e-12)  # dL/dp = (p - y) / (p(1 - p))


class BCEWithLogitsLoss(LossOp):
    """Binary cross-entropy on logits z, with p = σ(z) never formed:
    -w [pw·y log σ(z) + (1 - y) log(1 - σ(z))] = w [(1 - y) z + (1 + (pw - 1) y) softplus(-z)]."""

    def pointwise(self, z, y, weight, pos_weight):
        softplus_of_minus_z = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))  # log(1 + e^-z), stable
        y_weight = 1 + (pos_weight - 1) * y
        loss = weight * ((1 - y) * z + y_weight * softplus_of_minus_z)
        return loss, weight * (y_weight * stable_sigmoid(z) - pos_weight * y)  # pw = 1: dL/dz = σ(z) - y


class CrossEntropyLoss(LossOp):
    """Softmax cross-entropy on logits z (N, C) against per-class target weights t (N, C):
    -Σ_c t_c log softmax(z)_c, whose gradient is softmax(z)·Σ_c t_c - t. One-hot labels, soft labels, label smoothing and
    class weights all arrive here folded into t (see loss_inputs.class_targets)."""

    def pointwise(self, z, t, one_hot):
        shifted = z - z.max(axis=1, keepdims=True)  # log-sum-exp, with the max subtracted first
        e = np.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_p, p = shifted - np.log(total), e / total  # log softmax(z) and softmax(z)
        grad = p - t if one_hot else p * t.sum(axis=1, keepdims=True) - t  # one-hot: softmax(z) - y
        return -(t * log_p).sum(axis=1), grad


class NLLLoss(LossOp):
    """Negative log-likelihood of log-probabilities (N, C) at integer labels: -w_y log_p[y]."""

    def pointwise(self, log_p, target, class_weight):
        rows = np.arange(len(target))
        weight = class_weight[target]
        local_grad = np.zeros_like(log_p)
        local_grad[rows, target] = -weight  # only the true class's log-probability counts
        return -weight * log_p[rows, target], local_grad


class KLDivLoss(LossOp):
    """D_KL(p ‖ q) pointwise from log q and p: p (log p - log q), taken as 0 where p = 0."""

    def pointwise(self, log_q, p):
        with np.errstate(divide="ignore", invalid="ignore"):
            p_log_p = np.where(p > 0, p * np.log(p), 0)
        return p_log_p - p * log_q, -p  # d/d(log q) [p log p - p log q] = -p


class MultiMarginLoss(LossOp):
    """Multi-class hinge: Σ_{i ≠ y} max(0, margin - z_y + z_i) / C."""

    def pointwise(self, z, target, margin):
        rows = np.arange(len(target))
        classes = z.shape[1]
        hinge = np.maximum(0, margin - z[rows, target][:, None] + z)
        hinge[rows, target] = 0
        active = (hinge > 0).astype(z.dtype) / classes
        active[rows, target] = -active.sum(axis=1)  # z_y appears, negated, in every active term
        return hinge.sum(axis=1) / classes, active  # d/dz_i = 1/C where active, d/dz_y = -(active count)/C
