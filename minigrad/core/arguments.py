"""How Python values become arrays: the default dtype, the operands of
operators, and the shape and axis arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.core.errors import ShapeError
from minigrad.core.stand_in import StandIn

DEFAULT_DTYPE = np.float32


def array_from(data: Any) -> np.ndarray:
    """The construction rules: NumPy data keeps its dtype, Python numbers and
    lists become float32 (bool lists stay bool); only numbers are accepted.

    >>> array_from([1, 2]).dtype, array_from(np.arange(2)).dtype
    (dtype('float32'), dtype('int64'))
    """
    if isinstance(data, StandIn):  # an array under mg.compile's trace (core/trace.py): NumPy data
        return data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise ValueError(f"Tensor: cannot make an array of {type(data).__name__} ({error}); "
                             "expected a number, a rectangular nested list or an np.ndarray") from None
        if array.dtype.kind in "iuf":
            array = array.astype(DEFAULT_DTYPE)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Tensor: unsupported dtype {array.dtype}; expected numbers")
    return array


def operand_array(value: Any, like_dtype: np.dtype) -> np.ndarray:
    """The other side of an operator as an array that does not upcast a tensor of `like_dtype`.

    As in PyTorch, a number (Python or NumPy) or an integer array meeting a
    float tensor takes that tensor's dtype: `x * 2`, `x / np.sqrt(2)` and
    `labels * x` all keep float32. Float arrays keep their own dtype; lists
    follow the construction rules (float32).

    >>> operand_array(2, np.dtype(np.float32)).dtype, operand_array(np.arange(2), np.dtype(np.float32)).dtype
    (dtype('float32'), dtype('float32'))
    """
    float_dtype = like_dtype if like_dtype.kind == "f" else None
    if isinstance(value, (int, float, np.generic)) or (isinstance(value, np.ndarray) and value.ndim == 0):
        number = np.asarray(value)
        return number.astype(float_dtype or (DEFAULT_DTYPE if number.dtype.kind == "f" else number.dtype))
    array = array_from(value)
    if float_dtype is not None and array.dtype.kind in "biu":  # e.g. integer labels * x
        return array.astype(float_dtype)
    return array


def shape_from_args(args: tuple[Any, ...]) -> tuple[int, ...]:
    """Accept a shape written as separate ints, `f(2, 3)`, or as one tuple, `f((2, 3))`.

    >>> shape_from_args((2, 3)), shape_from_args(((2, 3),))
    ((2, 3), (2, 3))
    """
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if not all(isinstance(n, (int, np.integer)) for n in args):
        raise TypeError(f"shape must be ints or one tuple of ints, got {args!r}")
    return tuple(int(n) for n in args)


def axis_from(op_name: str, axis: Any, ndim: int, shapes: Sequence[tuple[int, ...]]) -> int:
    """`axis` checked to be an int naming one of `ndim` axes, made non-negative;
    `shapes` (the inputs' shapes) is for the message.

    >>> axis_from("concatenate", -1, 2, [(2, 3), (2, 3)])
    1
    """
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op_name}: axis must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ShapeError(f"{op_name}: cannot apply to shapes {' and '.join(str(s) for s in shapes)}: "
                         f"axis {axis} is out of range; expected an axis from {-ndim} to {ndim - 1}")
    return int(axis) % ndim


def reduced_axes(op_name: str, axis: Any, shape: tuple[int, ...]) -> int | tuple[int, ...] | None:
    """The axes a reduction runs over, checked (None: all). As in PyTorch, a 0-d
    array has one axis to name, 0 or -1, and reducing over it leaves the value
    as it is.

    >>> reduced_axes("sum", (-1, 0), (2, 3)), reduced_axes("sum", 0, ())
    ((1, 0), None)
    """
    if axis is None or (type(axis) is int and -len(shape) <= axis < len(shape)):
        return axis  # the usual cases, in two quick checks
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise TypeError(f"{op_name}: axis must be None, an int or a tuple of ints, got {axis!r}")
    checked = tuple(axis_from(op_name, a, max(len(shape), 1), [shape]) for a in axes)
    for a in set(checked):
        if checked.count(a) > 1:
            raise ShapeError(f"{op_name}: cannot apply to shapes {shape}: axis {a} appears twice in axis={axis!r}")
    return checked if shape else None


def type_name(value: Any) -> str:
    """A value's type as messages name it.

    >>> type_name([1.0]), type_name(np.ones(1))
    ('list', 'numpy.ndarray')
    """
    kind = type(value)
    return kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
