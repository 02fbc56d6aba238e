"""How Python values become arrays: the default dtype and the shape arguments."""

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
