"""Fused losses: each loss is ONE node of the graph with a closed-form gradient.

A fused loss op computes, for every element (or sample), the loss and its
derivative with respect to the prediction, side by side in
`loss_and_gradient`, and, in `target_gradient`, its derivative with respect
to a float target, for a target that requires grad (as in PyTorch; class
indices get none); the shared `FusedLoss` applies the reduction ('none',
'sum' or 'mean') to all three. The ops are named Fused…, so that they are never
mistaken for the nn loss modules (`FusedCrossEntropy` is the node that
`nn.CrossEntropyLoss` puts in the graph). The functional API (functional/losses.py)
validates the inputs, prepares targets and weights, and can build the same
losses from primitive ops instead (`fused=False`), so that a graph shows
every factor of the chain rule.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.op import Op
from minigrad.core.stand_in import take
from minigrad.core.tensor import Tensor
from minigrad.ops.rule_math import (absolute, clamped_log, data, detached, exp, log, log1p, maximum, sigmoid,
                                   sign, where)

LOG_FLOOR = -100.0  # log(p) is clamped here, as PyTorch does, so p = 0 or 1 stays finite


def weighted_log(t: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """t · log p elementwise, with 0 · log 0 = 0: a class of probability 0 (a
    logit of -inf, masked out) costs nothing when the target gives it no weight.

    >>> weighted_log(np.array([1.0, 0.0]), np.array([-0.5, -np.inf])).tolist()
    [-0.5, 0.0]
    """
    return t * absent_as_zero(t, log_p)


def absent_as_zero(t: np.ndarray, log_p: np.ndarray) -> np.ndarray:
    """log p, with 0 where t = 0 and log p = -inf: there the term t · log p is absent, and so is its
    derivative in t, log p (PyTorch: nan for the term, inf for that derivative).

    >>> absent_as_zero(np.array([1.0, 0.0, 0.0]), np.array([-0.5, -np.inf, -2.0])).tolist()
    [-0.5, 0.0, -2.0]
    """
    if data(log_p).min(initial=0) == -np.inf:  # mask only then (one pass fewer otherwise: benchmarks/README.md)
        return where((data(t) != 0) | (data(log_p) != -np.inf), log_p, 0)
    return log_p


def x_log_x(p: np.ndarray) -> np.ndarray:
    """p log p elementwise, 0 where p ≤ 0; its derivative log p + 1 (-inf at p = 0) is taken as 0 there.

    >>> x_log_x(np.array([1.0, 0.0])).tolist()
    [0.0, 0.0]
    """
    return p * log(where(data(p) > 0, p, 1))  # log 1 = 0 where p ≤ 0: no log 0, no 0/0 in the derivative


def softplus(v: np.ndarray) -> np.ndarray:
    """log(1 + e^v), stable for any v: max(v, 0) + log(1 + e^-|v|).

    >>> softplus(np.array([-1e4, 0.0, 1e4])).round(4).tolist()
    [0.0, 0.6931, 10000.0]
    """
    return maximum(v, 0) + log1p(exp(-absolute(v)))


def log_softmax_and_softmax(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log softmax(z) and softmax(z) along axis 1, by log-sum-exp: the max subtracted first, so no e^z overflows."""
    shifted = z - detached(z.max(axis=1, keepdims=True))  # softmax ignores shifts: no gradient through the max
    e = exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    return shifted - log(total), e / total


def clamped_logs(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log p and log(1 - p), each clamped at LOG_FLOOR, so that p = 0 or 1 gives a finite loss."""
    return clamped_log(p, LOG_FLOOR), clamped_log(1 - p, LOG_FLOOR)


class FusedLoss(Op):
    """inputs: the prediction x and the target (a gradient reaches the target only when it requires grad)."""

    saves = ("x", "target")
    caches = ("local_grad",)  # dloss/dx from forward; under create_graph computed again, recorded, on x and target

    def forward(self, x, target, *, reduction, divisor, **options):
        losses, self.local_grad = self.loss_and_gradient(x, target, **options)
        self.options, self.reduction = options, reduction
        self.scale = 1 / float(divisor) if reduction == "mean" else 1  # a number: it has no derivative
        return losses if reduction == "none" else losses.sum() * self.scale

    def backward(self, grad):
        x, target = self.saved
        local_grad = self.local_grad
        if local_grad is None:  # create_graph: the same rule, recorded on the Tensors x and target
            local_grad = self.loss_and_gradient(x, target, **self.options)[1]
        if self.reduction == "none":  # one loss per sample: spread it over that sample's elements
            grad = grad.reshape(grad.shape + (1,) * (local_grad.ndim - grad.ndim))
        elif isinstance(grad, Tensor):
            grad = grad * self.scale
        else:
            grad = grad.item() * self.scale  # one number
        grad_target = None
        if self.inputs[1].requires_grad:  # dL/dtarget = dL/dloss · dloss/dtarget
            grad_target = grad * self.target_gradient(x, target, local_grad, **self.options)
        return grad * local_grad, grad_target  # dL/dx = dL/dloss · dloss/dx

    def loss_and_gradient(self, x, target, **options):
        """The unreduced losses, and their derivative with respect to x (x's shape)."""
        raise NotImplementedError

    def target_gradient(self, x, target, local_grad, **options):
        """The derivative of the unreduced losses with respect to the target (its shape), given local_grad,
        their derivative with respect to x. Asked only when the target requires grad: class indices never do."""
        raise NotImplementedError


class FusedMSE(FusedLoss):
    symbol = "MSE"

    def loss_and_gradient(self, x, y):
        d = x - y
        return d ** 2, 2 * d  # d/dx (x - y)² = 2(x - y)

    def target_gradient(self, x, y, local_grad):
        return -local_grad  # d/dy (x - y)² = -2(x - y)


class FusedL1(FusedLoss):
    symbol = "L1"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, x, y):
        d = x - y
        return np.abs(d), np.sign(d)  # d/dx |x - y| = sign(x - y)

    def target_gradient(self, x, y, local_grad):
        return -local_grad  # d/dy |x - y| = -sign(x - y)


class FusedHuber(FusedLoss):
    symbol = "Huber"

    def loss_and_gradient(self, x, y, delta):
        d = x - y
        quadratic = np.abs(data(d)) < delta
        loss = where(quadratic, 0.5 * d * d, delta * (absolute(d) - 0.5 * delta))
        return loss, where(quadratic, d, delta * sign(d))  # d inside ±delta, ±delta outside

    def target_gradient(self, x, y, local_grad, delta):
        return -local_grad  # a function of d = x - y: d/dy = -d/dx


class FusedBCE(FusedLoss):
    """Binary cross-entropy on probabilities p: -w [y log p + (1 - y) log(1 - p)]."""

    symbol = "BCE"

    def loss_and_gradient(self, p, y, weight):
        log_p, log_not_p = clamped_logs(p)
        loss = -weight * (y * log_p + (1 - y) * log_not_p)
        return loss, weight * (p - y) / maximum(p * (1 - p), 1e-12)  # dL/dp = (p - y) / (p(1 - p))

    def target_gradient(self, p, y, local_grad, weight):
        log_p, log_not_p = clamped_logs(p)
        return weight * (log_not_p - log_p)  # dL/dy = -w [log p - log(1 - p)], the logs clamped as in the loss


class FusedBCEWithLogits(FusedLoss):
    """Binary cross-entropy on logits z, with p = σ(z) never formed:
    -w [pw·y log σ(z) + (1 - y) log(1 - σ(z))] = w [(1 - y) z + (1 + (pw - 1) y) softplus(-z)]."""

    symbol = "BCE on logits"

    def loss_and_gradient(self, z, y, weight, pos_weight):
        softplus_of_minus_z = softplus(-z)  # log(1 + e^-z) = -log σ(z)
        y_weight = 1 + (pos_weight - 1) * y
        loss = weight * ((1 - y) * z + y_weight * softplus_of_minus_z)
        return loss, weight * (y_weight * sigmoid(z) - pos_weight * y)  # pw = 1: dL/dz = σ(z) - y

    def target_gradient(self, z, y, local_grad, weight, pos_weight):
        return weight * ((pos_weight - 1) * softplus(-z) - z)  # dL/dy = w [(pw - 1) softplus(-z) - z]


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
        log_p, p = log_softmax_and_softmax(z)
        grad = p - t if rows_sum_to_one else p * t.sum(axis=1, keepdims=True) - t  # Σ_c t_c = 1: softmax(z) - t
        return -(weighted_log(t, log_p) if masked else t * log_p).sum(axis=1), grad

    def target_gradient(self, z, t, local_grad, rows_sum_to_one, masked):
        log_p = log_softmax_and_softmax(z)[0]
        return -(absent_as_zero(t, log_p) if masked else log_p)  # d/dt_c [-Σ_c t_c log p_c] = -log p_c


class FusedNLL(FusedLoss):
    """Negative log-likelihood of log-probabilities (N, C) at integer labels: -w_y log_p[y]."""

    symbol = "NLL"
    constants, caches = ("local_grad",), ()  # piecewise linear in x: its gradient has no derivative

    def loss_and_gradient(self, log_p, target, class_weight):
        rows = np.arange(len(target))
        weight = take(class_weight, target, axis=0)  # class_weight[target]
        local_grad = np.zeros_like(log_p)
        local_grad[rows, target] = -weight  # only the true class's log-probability counts
        return -weighted_log(weight, log_p[rows, target]), local_grad  # a weight of 0: no term, even at log 0


class FusedKLDiv(FusedLoss):
    """D_KL(p ‖ q) pointwise from log q and p: p (log p - log q), taken as 0 where p = 0."""

    symbol = "KL"

    def loss_and_gradient(self, log_q, p):
        return x_log_x(p) - weighted_log(p, log_q), -p  # d/d(log q) [p log p - p log q] = -p

    def target_gradient(self, log_q, p, local_grad):
        log_p_plus_1 = where(data(p) > 0, log(where(data(p) > 0, p, 1)) + 1, 0)  # 0 where p ≤ 0, as x_log_x
        return log_p_plus_1 - absent_as_zero(p, log_q)  # d/dp [p log p - p log q] = log p + 1 - log q


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
