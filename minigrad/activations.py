"""Activation functions as primitive ops: sigmoid, tanh, relu, softmax, log_softmax.

Each is written to be stable for any input: sigmoid never exponentiates a
positive number, softmax subtracts the maximum first, log_softmax uses
log-sum-exp. The functional API (`minigrad.functional`) and the Tensor methods
both call these.
"""

from __future__ import annotations

import numpy as np

from minigrad.engine import Op


class Sigmoid(Op):
    def forward(self, z):
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        self.out = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
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
        e = np.exp(z - z.max(axis=axis, keepdims=True))  # exp(z - max) <= 1: no overflow
        self.out = e / e.sum(axis=axis, keepdims=True)
        return self.out

    def backward(self, grad):
        s = self.out
        return (s * (grad - (grad * s).sum(axis=self.axis, keepdims=True)),)  # ∂s_i/∂z_j = s_i(δ_ij - s_j)


class LogSoftmax(Op):
    def forward(self, z, axis):
        self.axis = axis
        shifted = z - z.max(axis=axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))  # log-sum-exp
        return self.out

    def backward(self, grad):
        softmax = np.exp(self.out)
        return (grad - softmax * grad.sum(axis=self.axis, keepdims=True),)  # ∂log s_i/∂z_j = δ_ij - s_j
