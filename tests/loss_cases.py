"""The table of loss cases shared by the loss tests: each case is a loss call,
how to draw its prediction and target, and an independent NumPy reference that
returns the unreduced losses and the divisor of PyTorch's 'mean'."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import minigrad.functional as F

N, C = 4, 3
rng = np.random.default_rng(7)
LABELS = np.array([0, 2, 1, 2])
CLASS_WEIGHT = np.array([0.2, 1.0, 3.0])
ELEMENT_WEIGHT = np.array([0.5, 2.0, 1.0])
SOFT = rng.dirichlet(np.ones(C), size=N)


def _log_softmax(z):
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _smooth(t, eps):
    return t * (1 - eps) + eps / C


@dataclass
class LossCase:
    name: str
    loss: Callable            # loss(prediction, target, reduction=..., fused=...)
    prediction: Callable      # () -> float64 array
    target: np.ndarray
    reference: Callable       # (prediction, target) -> (unreduced losses, mean divisor)
    reductions: tuple = field(default=("mean", "sum", "none"))


def logits():
    return rng.standard_normal((N, C)) * 2


def probabilities():
    return rng.uniform(0.05, 0.95, (N, C))


CASES = [
    LossCase("mse", F.mse_loss, logits, rng.standard_normal((N, C)),
             lambda x, y: ((x - y) ** 2, x.size)),
    LossCase("l1", F.l1_loss, logits, rng.standard_normal((N, C)),
             lambda x, y: (np.abs(x - y), x.size)),
    LossCase("huber", F.huber_loss, logits, rng.standard_normal((N, C)),
             lambda x, y: (np.where(np.abs(x - y) < 1, 0.5 * (x - y) ** 2, np.abs(x - y) - 0.5), x.size)),
    LossCase("huber-delta-0.5", lambda x, y, **kw: F.huber_loss(x, y, delta=0.5, **kw), logits,
             rng.standard_normal((N, C)),
             lambda x, y: (np.where(np.abs(x - y) < 0.5, 0.5 * (x - y) ** 2, 0.5 * (np.abs(x - y) - 0.25)), x.size)),
    LossCase("bce", F.binary_cross_entropy, probabilities, rng.uniform(0, 1, (N, C)),
             lambda p, y: (-(y * np.log(p) + (1 - y) * np.log(1 - p)), p.size)),
    LossCase("bce-weight", lambda p, y, **kw: F.binary_cross_entropy(p, y, weight=ELEMENT_WEIGHT, **kw),
             probabilities, (rng.uniform(0, 1, (N, C)) > 0.5).astype(float),
             lambda p, y: (-ELEMENT_WEIGHT * (y * np.log(p) + (1 - y) * np.log(1 - p)), p.size)),
    LossCase("bce-logits", F.binary_cross_entropy_with_logits, logits, rng.uniform(0, 1, (N, C)),
             lambda z, y: (-(y * np.log(_sigmoid(z)) + (1 - y) * np.log(1 - _sigmoid(z))), z.size)),
    LossCase("bce-logits-weight-pos-weight",
             lambda z, y, **kw: F.binary_cross_entropy_with_logits(z, y, weight=ELEMENT_WEIGHT,
                                                                   pos_weight=CLASS_WEIGHT, **kw),
             logits, (rng.uniform(0, 1, (N, C)) > 0.5).astype(float),
             lambda z, y: (-ELEMENT_WEIGHT * (CLASS_WEIGHT * y * np.log(_sigmoid(z))
                                              + (1 - y) * np.log(1 - _sigmoid(z))), z.size)),
    LossCase("ce-labels", F.cross_entropy, logits, LABELS,
             lambda z, t: (-_log_softmax(z)[np.arange(N), t], N)),
    LossCase("ce-labels-weight", lambda z, t, **kw: F.cross_entropy(z, t, weight=CLASS_WEIGHT, **kw), logits, LABELS,
             lambda z, t: (-CLASS_WEIGHT[t] * _log_softmax(z)[np.arange(N), t], CLASS_WEIGHT[t].sum())),
    LossCase("ce-labels-smoothing", lambda z, t, **kw: F.cross_entropy(z, t, label_smoothing=0.1, **kw),
             logits, LABELS,
             lambda z, t: (-(_smooth(np.eye(C)[t], 0.1) * _log_softmax(z)).sum(axis=1), N)),
    LossCase("ce-labels-weight-smoothing",
             lambda z, t, **kw: F.cross_entropy(z, t, weight=CLASS_WEIGHT, label_smoothing=0.2, **kw), logits, LABELS,
             lambda z, t: (-(CLASS_WEIGHT * _smooth(np.eye(C)[t], 0.2) * _log_softmax(z)).sum(axis=1),
                           CLASS_WEIGHT[t].sum())),
    LossCase("ce-one-hot", F.cross_entropy, logits, np.eye(C)[LABELS],
             lambda z, t: (-(t * _log_softmax(z)).sum(axis=1), N)),
    LossCase("ce-soft", F.cross_entropy, logits, SOFT,
             lambda z, t: (-(t * _log_softmax(z)).sum(axis=1), N)),
    LossCase("ce-soft-weight-smoothing",
             lambda z, t, **kw: F.cross_entropy(z, t, weight=CLASS_WEIGHT, label_smoothing=0.3, **kw), logits, SOFT,
             lambda z, t: (-(CLASS_WEIGHT * _smooth(t, 0.3) * _log_softmax(z)).sum(axis=1), N)),
    LossCase("nll", F.nll_loss, lambda: _log_softmax(logits()), LABELS,
             lambda lp, t: (-lp[np.arange(N), t], N)),
    LossCase("nll-weight", lambda lp, t, **kw: F.nll_loss(lp, t, weight=CLASS_WEIGHT, **kw),
             lambda: _log_softmax(logits()), LABELS,
             lambda lp, t: (-CLASS_WEIGHT[t] * lp[np.arange(N), t], CLASS_WEIGHT[t].sum())),
    LossCase("kl-div", F.kl_div, lambda: _log_softmax(logits()), SOFT,
             lambda lq, p: (p * (np.log(p) - lq), p.size)),
    LossCase("kl-div-batchmean", F.kl_div, lambda: _log_softmax(logits()), SOFT,
             lambda lq, p: (p * (np.log(p) - lq), N), reductions=("batchmean",)),
    LossCase("multi-margin", F.multi_margin_loss, logits, LABELS,
             lambda z, t: ((np.maximum(0, 1 - z[np.arange(N), t][:, None] + z)
                            * (1 - np.eye(C)[t])).sum(axis=1) / C, N)),
    LossCase("multi-margin-0.5", lambda z, t, **kw: F.multi_margin_loss(z, t, margin=0.5, **kw), logits, LABELS,
             lambda z, t: ((np.maximum(0, 0.5 - z[np.arange(N), t][:, None] + z)
                            * (1 - np.eye(C)[t])).sum(axis=1) / C, N)),
]

# every (case, reduction) pair, drawn once so that all tests see the same numbers
PAIRS = [(case, reduction, case.prediction()) for case in CASES for reduction in case.reductions]
PAIR_IDS = [f"{case.name}-{reduction}" for case, reduction, _ in PAIRS]
