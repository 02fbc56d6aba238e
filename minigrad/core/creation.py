"""Making tensors: from data, filled with a constant, or random (seeded)."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.core.arguments import DEFAULT_DTYPE, shape_from_args
from minigrad.core.tensor import Tensor

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed `randn` and every layer initialisation, so that a run is reproducible.

    >>> manual_seed(0); a = randn(3).data
    >>> manual_seed(0); bool((randn(3).data == a).all())
    True
    """
    global _rng
    _rng = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The random generator that `manual_seed` seeds (for layers and data that draw numbers).

    >>> manual_seed(3); a = generator().uniform()
    >>> manual_seed(3); generator().uniform() == a
    True
    """
    return _rng


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new Tensor holding a copy of `data` (Tensor(data) shares a NumPy array instead).

    >>> tensor([1, 2]).dtype
    dtype('float32')
    """
    source = data.data if isinstance(data, Tensor) else data
    array = np.array(source, dtype=dtype) if dtype is not None else np.array(Tensor(source).data)
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape: int | tuple[int, ...], dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, float32 unless told otherwise.

    >>> zeros(2, 3).shape
    (2, 3)
    """
    return Tensor(np.zeros(_shape("zeros", shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: int | tuple[int, ...], dtype: Any = DEFAULT_DTYPE, requires_grad: bool = False) -> Tensor:
    """A tensor of ones, float32 unless told otherwise.

    >>> ones((2,)).data.tolist()
    [1.0, 1.0]
    """
    return Tensor(np.ones(_shape("ones", shape), dtype=dtype), requires_grad=requires_grad)


def randn(*shape: int | tuple[int, ...], requires_grad: bool = False) -> Tensor:
    """A float32 tensor of standard normal samples from the seeded generator.

    >>> randn(4, 2).dtype
    dtype('float32')
    """
    return Tensor(_rng.standard_normal(_shape("randn", shape), dtype=np.float32), requires_grad=requires_grad)


def _shape(function: str, args: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape given to `function`, as sizes >= 0, or an error naming `function`."""
    try:
        shape = shape_from_args(args)
    except TypeError as error:
        raise TypeError(f"{function}: {error}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{function}: got shape {shape}; expected sizes >= 0")
    return shape
