"""How Python values become arrays: the default dtype, the operands of
operators, and the shape arguments."""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_DTYPE = np.float32


def array_from(data: Any) -> np.ndarray:
    """The construction rules: NumPy data keeps its dtype, Python numbers and
    lists become float32 (bool lists stay bool); only numbers are accepted.

    >>> array_from([1, 2]).dtype, array_from(np.arange(2)).dtype
    (dtype('float32'), dtype('int64'))
    """
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
    if isinstance(value, (int, float, np.generic)) or isinstance(value, np.ndarray) and value.ndim == 0:
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
