"""Primitive ops that move elements around: reshape, transpose, indexing,
concatenate, stack and where. Their backward puts each gradient back where its
element came from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.core.arguments import axis_from
from minigrad.core.op import Op
from minigrad.core.stand_in import as_array
from minigrad.core.tensor import Tensor, as_operand
from minigrad.ops import rule_math
from minigrad.ops.rule_math import scatter_add, split, unstack


class Reshape(Op):
    symbol, expression = "reshape", "reshape({0})"

    def forward(self, a, *, shape):
        self.shape = a.shape
        return a.reshape(shape)

    def backward(self, grad):
        return (grad.reshape(self.shape),)  # same elements, old shape


class Transpose(Op):
    symbol, expression = "transpose", "{0}ᵀ"

    def forward(self, a, *, axes):
        out = a.transpose(axes)  # NumPy checks the axes
        self.axes = None if axes is None else tuple(axis % a.ndim for axis in axes)
        return out

    def backward(self, grad):
        undo = () if self.axes is None else tuple(int(i) for i in np.argsort(self.axes))
        return (grad.transpose(*undo),)  # the inverse permutation


def index_arrays(index: Any) -> Any:
    """Indices may contain Tensors (of ints or bools); NumPy wants their arrays.

    >>> index_arrays((Tensor([True, False]), 0))
    (array([ True, False]), 0)
    """
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index


def selects_repeatedly(index: Any) -> bool:
    """Integer-array indices may pick one element twice; ints, slices and masks cannot.
    Inside an index tuple, a list or a tuple is an integer array too, as in NumPy.

    >>> selects_repeatedly((slice(None), (1, 1))), selects_repeatedly((slice(None), 1))
    (True, False)
    """
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, tuple, np.ndarray)) and np.asarray(p).dtype != bool for p in parts)


class GetItem(Op):
    symbol = "[ ]"
    constants = ("index",)  # an integer or boolean array, when the index is one

    def forward(self, a, *, index):
        self.shape, self.index = a.shape, index
        return a[index]

    def backward(self, grad):
        if selects_repeatedly(self.index) or isinstance(grad, Tensor):
            return (scatter_add(grad, self.index, self.shape),)  # an element picked k times gets k gradients
        full = np.zeros_like(grad, shape=self.shape)  # np.add.at is slow (measured: benchmarks/README.md)
        full[self.index] = grad  # each picked element gets its gradient, the rest 0
        return (full,)


class ScatterAdd(Op):
    """Zeros of a shape with values added at an index (repeats add up): GetItem's backward, as an op."""

    constants = ("index",)

    def forward(self, values, *, index, shape):
        self.index = index
        full = np.zeros_like(values, shape=shape)
        np.add.at(full, index, values)
        return full

    def backward(self, grad):
        return (grad[self.index],)  # each value went to its place: read it back


class BroadcastTo(Op):
    """a repeated along new or size-1 axes (a reduction's backward, as an op)."""

    def forward(self, a, *, shape):
        return np.broadcast_to(a, shape).copy()

    def backward(self, grad):
        return (grad,)  # each copy passes its gradient back; the backward walk sums them (unbroadcast)


class Concatenate(Op):
    shape_rule = "equal shapes except along the concatenation axis"
    constants = ("ends",)  # where each input's slice ends

    def forward(self, *arrays, axis):
        self.axis = axis = axis_from("concatenate", axis, arrays[0].ndim or 1, [a.shape for a in arrays])
        self.ends = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad):
        return tuple(split(grad, self.ends, axis=self.axis))  # each input its own slice


class Stack(Op):
    shape_rule = "all shapes equal"

    def forward(self, *arrays, axis):
        # the new axis may be the last one: one more than the inputs have
        self.axis = axis = axis_from("stack", axis, arrays[0].ndim + 1, [a.shape for a in arrays])
        return np.stack(arrays, axis=axis)

    def backward(self, grad):
        return tuple(unstack(grad, self.axis))  # each input its own slice


class Where(Op):
    shape_rule = "condition, a and b of shapes that broadcast together"
    constants = ("condition",)  # booleans: no derivative

    def forward(self, condition, a, b):
        self.condition = condition
        return np.where(condition, a, b)

    def backward(self, grad):
        chosen = self.condition
        choose = rule_math.where  # np.where, or this op again when grad is a Tensor
        return None, choose(chosen, grad, 0), choose(chosen, 0, grad)  # 1 where chosen, else 0


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    >>> concatenate([Tensor([1.0, 2.0]), Tensor([3.0])]).data.tolist()
    [1.0, 2.0, 3.0]
    """
    return Concatenate.apply(*_tensors("concatenate", tensors), axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    return Stack.apply(*_tensors("stack", tensors), axis=axis)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise `a` where `condition` is True, else `b`; the gradient follows the choice.

    >>> x = Tensor([-1.0, 2.0])
    >>> where(x > 0, x, 0.0).data.tolist()
    [0.0, 2.0]
    """
    condition = condition if isinstance(condition, Tensor) else Tensor(as_array(condition))
    if condition.dtype != bool:
        raise TypeError(f"where: condition must be boolean, got dtype {condition.dtype}")
    like = a if isinstance(a, Tensor) else b if isinstance(b, Tensor) else Tensor(a)
    return Where.apply(condition, as_operand(a, like), as_operand(b, like))


def _tensors(op_name: str, tensors: Sequence[Any]) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op_name}: expected a non-empty list or tuple of tensors, got {type(tensors).__name__}")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
