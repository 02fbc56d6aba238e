"""Activation functions as primitive ops: sigmoid, tanh, relu, softmax, log_softmax.

Each is written to be stable for any input: sigmoid never exponentiates a
positive number, softmax subtracts the maximum first, log_softmax uses
log-sum-exp. Along an empty axis both softmaxes are empty, as in PyTorch: the
maximum they subtract starts from -inf, so an empty axis has one. The
functional API (`minigrad.functional`) and the Tensor methods both call these;
the ops are named SigmoidOp and so on, so that a node of the graph is never
mistaken for the nn module (nn.Sigmoid) that puts it there.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.op import Op
from minigrad.ops.rule_math import exp


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


class SigmoidOp(Op):
    symbol, expression = "σ", "σ({0})"
    elementwise, derivative_name = True, "σ′"
    saves = ("out",)

    def forward(self, z):
        return stable_sigmoid(z)

    def backward(self, grad):
        (out,) = self.saved
        return (grad * out * (1 - out),)  # σ'(z) = σ(z)(1 - σ(z))


class TanhOp(Op):
    symbol, expression = "tanh", "tanh({0})"
    elementwise, derivative_name = True, "tanh′"
    saves = ("out",)

    def forward(self, z):
        return np.tanh(z)

    def backward(self, grad):
        (out,) = self.saved
        return (grad * (1 - out * out),)  # tanh'(z) = 1 - tanh²(z)


class ReLUOp(Op):
    symbol, expression = "relu", "relu({0})"
    elementwise, derivative_name = True, "relu′"
    constants = ("positive",)  # where z > 0

    def forward(self, z):
        self.positive = z > 0
        return np.maximum(z, 0)

    def backward(self, grad):
        return (grad * self.positive,)  # 1 where z > 0, else 0 (also at 0)


class SoftmaxOp(Op):
    symbol, expression = "softmax", "softmax({0})"
    saves = ("out",)

    def forward(self, z, *, axis):
        self.axis = axis
        e = np.exp(z - z.max(axis=axis, keepdims=True, initial=-np.inf))  # exp(z - max) <= 1: no overflow
        return e / e.sum(axis=axis, keepdims=True)

    def backward(self, grad):
        (s,) = self.saved
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)  # ∂s_i/∂z_j = s_i(δ_ij - s_j)


class LogSoftmaxOp(Op):
    symbol, expression = "log_softmax", "log_softmax({0})"
    saves = ("out",)

    def forward(self, z, *, axis):
        self.axis = axis
        return stable_log_softmax(z, axis)

    def backward(self, grad):
        (log_s,) = self.saved
        return (grad - exp(log_s) * grad.sum(axis=self.axis, keepdims=True),)  # ∂log s_i/∂z_j = δ_ij - s_j
