"""The few functions a backward rule calls besides arithmetic, for arrays and for Tensors.

Every op's derivative is written once, in its `backward`. The engine runs
that same rule in two ways: on NumPy arrays for an ordinary backward (fast),
and on Tensors when a gradient must itself be differentiable
(`mg.grad(..., create_graph=True)`), so that the rule's arithmetic is
recorded as a graph. Arithmetic, indexing and the methods arrays and
Tensors share (`sum`, `reshape`, `transpose`, `astype`, `T`) need nothing
more; the functions below are the rest, each choosing NumPy or the Tensor op.

>>> exp(np.zeros(2)).tolist(), exp(Tensor([0.0, 0.0])).data.tolist()
([1.0, 1.0], [1.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def data(x: Any) -> Any:
    """The array under a Tensor (a piecewise-constant factor, such as a mask, needs no graph)."""
    return x.data if isinstance(x, Tensor) else x


def detached(x: Any) -> Any:
    """x with no gradient flowing through it: a Tensor detached, an array as it is."""
    return x.detach() if isinstance(x, Tensor) else x


def exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def clamped_log(x: Any, floor: float) -> Any:
    """max(log x, floor), so that log 0 comes out as floor. On Tensors, its derivative is 1/x above the floor
    and 0 where the floor holds, at x = 0 too (there log's own 1/x would be 0/0 once multiplied by 0).

    >>> clamped_log(np.array([1.0, 0.0]), -100.0).tolist(), clamped_log(Tensor([1.0, 0.0]), -100.0).data.tolist()
    ([0.0, -100.0], [0.0, -100.0])
    """
    if isinstance(x, Tensor):
        positive = x.data > 0
        log_x = ops.shape.where(positive, x, 1.0).log()  # log 1 = 0 where x = 0: no -inf, and no 0/0 backward
        return ops.shape.where(positive & (log_x.data > floor), log_x, floor)
    with np.errstate(divide="ignore"):  # log 0 = -inf, clamped just below
        return np.maximum(np.log(x), floor)


def absolute(x: Any) -> Any:
    return x.abs() if isinstance(x, Tensor) else np.abs(x)


def sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Tensor) else ops.activations.stable_sigmoid(x)


def log1p(x: Any) -> Any:
    """log(1 + x); exact for tiny x on arrays (np.log1p), through log on Tensors."""
    return (1 + x).log() if isinstance(x, Tensor) else np.log1p(x)


def sign(x: Any) -> np.ndarray:
    """sign(x), a constant: its derivative is 0 wherever it exists."""
    return np.sign(data(x))


def where(condition: Any, a: Any, b: Any) -> Any:
    """np.where, or the Where op when a or b is a Tensor (the condition is always a constant)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return ops.shape.where(data(condition), a, b)
    return np.where(data(condition), a, b)


def maximum(a: Any, b: Any) -> Any:
    """Elementwise max; with Tensors, the larger one's gradient (ties go to a)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return where(data(a) >= data(b), a, b)
    return np.maximum(a, b)


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(x, Tensor):
        return ops.BroadcastTo.apply(x, shape=shape) if x.shape != shape else x
    return np.broadcast_to(x, shape)


def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    if isinstance(x, Tensor):
        return x.reshape(np.expand_dims(x.data, axis).shape)
    return np.expand_dims(x, axis)


def scatter_add(values: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of `shape` with `values` added at `index`, repeats adding up (np.add.at)."""
    if isinstance(values, Tensor):
        return ops.ScatterAdd.apply(values, index=index, shape=shape)
    full = np.zeros_like(values, shape=shape)
    np.add.at(full, index, values)
    return full


def matrix_transpose(x: Any) -> Any:
    """The last two axes swapped: Aᵀ for a matrix, each matrix transposed in a batch."""
    if isinstance(x, Tensor):
        return x.transpose(tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2))
    return x.swapaxes(-1, -2)


def split(x: Any, ends: Sequence[int], axis: int) -> list[Any]:
    """x cut along `axis` before each position in `ends`."""
    if isinstance(x, Tensor):
        starts, stops = [0, *ends], [*ends, x.shape[axis]]
        return [x[(slice(None),) * (axis % x.ndim) + (slice(start, stop),)] for start, stop in zip(starts, stops)]
    return np.split(x, ends, axis=axis)


def unstack(x: Any, axis: int) -> list[Any]:
    """The slices of x along `axis`, that axis removed (np.moveaxis then iterate)."""
    if isinstance(x, Tensor):
        return [x[(slice(None),) * (axis % x.ndim) + (i,)] for i in range(x.shape[axis])]
    return list(np.moveaxis(x, axis, 0))


def im2col(x: Any, kernel: tuple[int, int], stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    """The kh×kw patches of an image batch (N, C, H, W) as the rows of a matrix (N·OH·OW, C·kh·kw)."""
    if isinstance(x, Tensor):
        return ops.Im2Col.apply(x, kernel=kernel, stride=stride, padding=padding)
    return ops.convolution.gather_patches(x, kernel, stride, padding)


def col2im(cols: Any, shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
           padding: tuple[int, int]) -> Any:
    """im2col's adjoint: each row added back onto an image of `shape` where its patch came from."""
    if isinstance(cols, Tensor):
        return ops.Col2Im.apply(cols, shape=shape, kernel=kernel, stride=stride, padding=padding)
    return ops.convolution.scatter_patches(cols, shape, kernel, stride, padding)


# Imported last: the ops import this module.
from minigrad import ops  # noqa: E402
from minigrad.core.tensor import Tensor  # noqa: E402
