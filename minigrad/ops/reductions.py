"""Reductions as primitive ops: sum, mean and max over axes.

Their backward undoes the reduction's shape: the gradient of each output
element goes back to every input element it was computed from.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.arguments import reduced_axes
from minigrad.core.op import Op
from minigrad.ops.rule_math import broadcast_to, expand_dims


def expand_reduced(grad, axis, keepdims, shape):
    """Undo a reduction's shape: put the reduced axes back and broadcast to `shape`."""
    if not keepdims and axis is not None:
        grad = expand_dims(grad, axis)
    return broadcast_to(grad, shape)


class Sum(Op):
    symbol, expression = "Σ", "Σ({0})"

    def forward(self, a, *, axis, keepdims):
        axis = reduced_axes("sum", axis, a.shape)
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return a.sum(axis=axis, keepdims=keepdims)

    def backward(self, grad):
        return (expand_reduced(grad, self.axis, self.keepdims, self.shape),)  # d(Σa)/da_i = 1


class Mean(Op):
    symbol, expression = "mean", "mean({0})"

    def forward(self, a, *, axis, keepdims):
        axis = reduced_axes("mean", axis, a.shape)
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        out = a.mean(axis=axis, keepdims=keepdims)
        self.count = a.size // max(np.size(out), 1)
        return out

    def backward(self, grad):
        return (expand_reduced(grad / self.count, self.axis, self.keepdims, self.shape),)  # d(Σa/n)/da_i = 1/n


class Max(Op):
    """Maximum over axes. Ties share the gradient equally (like torch.amax):
    for max([1, 3, 3]) the gradient is [0, ½, ½]."""

    symbol, expression = "max", "max({0})"
    constants = ("share",)  # each element's share of the gradient: 1/(number of maxima) at a maximum, else 0

    def forward(self, a, *, axis, keepdims):
        axis = reduced_axes("max", axis, a.shape)
        self.axis, self.keepdims = axis, keepdims
        out = a.max(axis=axis, keepdims=True)
        is_max = (a == out).astype(a.dtype)
        self.share = is_max / is_max.sum(axis=axis, keepdims=True)
        return out if keepdims else out.squeeze(axis)

    def backward(self, grad):
        return (expand_reduced(grad, self.axis, self.keepdims, self.share.shape) * self.share,)  # d max/da_i = share
