"""Activations as functions: sigmoid, tanh, relu, softmax and log_softmax (the Tensor methods, by name)."""

from __future__ import annotations

from minigrad.core.tensor import Tensor


def sigmoid(x: Tensor) -> Tensor:
    """σ(x) = 1 / (1 + e^-x), stable for any x.

    >>> sigmoid(Tensor([0.0])).item()
    0.5
    """
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent.

    >>> tanh(Tensor([0.0])).item()
    0.0
    """
    return x.tanh()


def relu(x: Tensor) -> Tensor:
    """max(x, 0).

    >>> relu(Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
    """
    return x.relu()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along `axis`, with the max subtracted first (no overflow).

    >>> softmax(Tensor([123.0, 456.0, 789.0])).data.tolist()
    [0.0, 0.0, 1.0]
    """
    return x.softmax(axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log softmax(x) along `axis`, by log-sum-exp.

    >>> log_softmax(Tensor([0.0, 0.0]))
    Tensor([-0.6931472, -0.6931472])
    """
    return x.log_softmax(axis=axis)
