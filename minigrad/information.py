"""Entropy, cross-entropy and KL divergence between probability vectors.

These are the numbers behind the cross-entropy loss, computed on plain
distributions (NumPy arrays, lists or Tensors) and returned as Python floats:

    H(p)      = −Σ p·log p            the average surprise of outcomes drawn from p
    H(p, q)   = −Σ p·log q            the average cost of coding outcomes of p with a code made for q
    D(p ‖ q)  =  Σ p·log(p/q)         = H(p, q) − H(p) ≥ 0, the extra cost of the wrong code

A distribution is a vector of probabilities, one per outcome, summing to 1
(or any array of them: a 2-D table is a joint distribution); p and q must have
the same shape. In nats by default; `base=2` gives bits. Conventions: 0·log 0 = 0, so outcomes
with p = 0 cost nothing; an outcome with p > 0 and q = 0 costs infinitely much,
so H(p, q) and D(p ‖ q) are inf there (without NumPy warnings).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from minigrad.core.tensor import Tensor

__all__ = ["cross_entropy", "entropy", "kl_divergence"]

SUM_TOLERANCE = 1e-6  # how far from 1 a distribution's sum may be (rounding, a float32 softmax)


def entropy(p: Any, base: float | None = None) -> float:
    """H(p) = −Σ p·log p: the average surprise of an outcome drawn from p.

    >>> entropy([0.5, 0.5], base=2)   # a fair coin: one bit
    1.0
    """
    _check_base("entropy", base)
    p = _distribution("entropy", "p", p)
    p = p[p > 0]  # 0·log 0 = 0
    return _in_base(-np.sum(p * np.log(p)), base)


def cross_entropy(p: Any, q: Any, base: float | None = None) -> float:
    """H(p, q) = −Σ p·log q: the average cost of outcomes of p, coded for q.

    The true distribution comes first, as in the formula; the loss
    `functional.cross_entropy(logits, target)` takes the model's output first,
    as PyTorch does.

    >>> cross_entropy([1.0, 0.0], [0.25, 0.75], base=2)   # the outcome q gave 1/4 costs 2 bits
    2.0
    """
    _check_base("cross_entropy", base)
    p, q = _distributions("cross_entropy", p, q)
    happens = p > 0  # 0·log q = 0: outcomes that never happen cost nothing
    p, q = p[happens], q[happens]
    if np.any(q == 0):  # an outcome that happens, yet q says it cannot: its code is infinitely long
        return _in_base(math.inf, base)
    return _in_base(-np.sum(p * np.log(q)), base)


def kl_divergence(p: Any, q: Any, base: float | None = None) -> float:
    """D(p ‖ q) = Σ p·log(p/q) = H(p, q) − H(p): what coding for q instead of p costs extra.

    Never negative, and 0 only when q = p (Gibbs' inequality).

    >>> kl_divergence([0.5, 0.5], [0.5, 0.5])
    0.0
    """
    _check_base("kl_divergence", base)
    p, q = _distributions("kl_divergence", p, q)
    happens = p > 0  # 0·log(0/q) = 0
    p, q = p[happens], q[happens]
    if np.any(q == 0):
        return _in_base(math.inf, base)
    nats = np.sum(p * (np.log(p) - np.log(q)))  # log p − log q, because p/q could overflow
    return _in_base(max(nats, 0.0), base)  # ≥ 0 by Gibbs' inequality; rounding can dip below it when q ≈ p


def _in_base(nats: float, base: float | None) -> float:
    """`nats` as a Python float, converted to log-`base` units (bits for 2) when a base is given."""
    value = float(nats) if base is None else float(nats) / math.log(base)
    return value + 0.0  # + 0.0 turns −0.0 (the entropy of a certain outcome) into 0.0


def _check_base(function: str, base: float | None) -> None:
    if base is not None and not (0 < base < math.inf and base != 1):
        raise ValueError(f"{function}: invalid base={base!r}; expected a number > 0 other than 1 "
                         "(2 for bits, None for nats)")


def _distribution(function: str, name: str, values: Any) -> np.ndarray:
    """`values` as a float64 array, checked to be a probability distribution."""
    p = np.asarray(values.data if isinstance(values, Tensor) else values, dtype=np.float64)
    negative = p[p < 0]
    if negative.size:
        raise ValueError(f"{function}: {name} has negative entries {negative.tolist()}; "
                         "expected probabilities >= 0")
    total = p.sum()
    if not abs(total - 1) <= SUM_TOLERANCE:  # written so that NaN fails too
        raise ValueError(f"{function}: {name} sums to {float(total)!r}; expected 1 (within {SUM_TOLERANCE})")
    return p


def _distributions(function: str, p: Any, q: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both distributions, checked, and checked to be over the same outcomes (equal shapes)."""
    p, q = _distribution(function, "p", p), _distribution(function, "q", q)
    if p.shape != q.shape:
        raise ValueError(f"{function}: p has shape {p.shape} and q has shape {q.shape}; "
                         "expected the same shape (one probability per outcome in both)")
    return p, q
