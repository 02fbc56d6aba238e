"""Activation functions as primitive ops: sigmoid, tanh, relu, softmax, log_softmax.

Each is written to be stable for any input: sigmoid never exponentiates a
positive number, softmax subtracts the maximum first, log_softmax uses
log-sum-exp. Along an empty axis both softmaxes are empty, as in PyTorch: the
maximum they subtract starts from -inf, so an empty axis has one. The
functional API (`minigrad.functional`) and the Tensor methods both call these.
"""

from __future__ import annotations

import numpy as np

from minigrad.ops.rule_math import exp
from minigrad.core.op import Op


def stable_sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z) without overflow: only e^-|z|, which lies in (0, 1], is computed.

    >>> stable_sigmoid(np.array([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def stable_log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(z) = (z - max) - log Σ exp(z - max): the log-sum-exp trick.

    >>> stable_log_softmax(np.array([1000.0, 0.0]), axis=0).tolist()
    [0.0, -1000.0]
    """
    shifted = z - z.max(axis=axis, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True)) if shifted.size else shifted


class Sigmoid(Op):
    def forward(self, z):
        self.out = stable_sigmoid(z)
        return self.out

    def backward(self, grad):
        return (grad * self.out * (1 - self.out),)  # σ'(z) = σ(z)(1 - σ(z))


class Tanh(Op):
    def forward(self, z):
        self.out = np.tanh(z)
        return self.out

    def backward(self, grad):
        return (grad * (1 - self.out * self.out),)  # tanh'(z) = 1 - tanh²(z)


class ReLU(Op):
    def forward(self, z):
        self.positive = z > 0
        return np.maximum(z, 0)

    def backward(self, grad):
        return (grad * self.positive,)  # 1 where z > 0, else 0 (also at 0)


class Softmax(Op):
    def forward(self, z, axis):
        self.axis = axis
        e = np.exp(z - z.max(axis=axis, keepdims=True, initial=-np.inf))  # exp(z - max) <= 1: no overflow
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)  # ∂s_i/∂z_j = s_i(δ_ij - s_j)


class LogSoftmax(Op):
    def forward(self, z, axis):
        self.axis = axis
        self.out = stable_log_softmax(z, axis)
        return self.out

    def backward(self, grad):
        softmax = exp(self.out)
        return (grad - softmax * grad.sum(axis=self.axis, keepdims=True),)  # ∂log s_i/∂z_j = δ_ij - s_j
