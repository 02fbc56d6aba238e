"""The in-place operators of a Tensor: `x += y`, `x -= y`, `x *= y`, `x /= y` and `x[i] = v`.

They are not ops of the graph: they change a tensor's array itself, which the
graph does not record (see `in_place` for when that is allowed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.core.errors import BadIndexError, ShapeError
from minigrad.core.grad_mode import grad_mode
from minigrad.core.tensor import Tensor, as_operand
from minigrad.core.trace import tracing
from minigrad.core.versions import versions

IN_PLACE = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}


def in_place(symbol: str, tensor: Tensor, other: Any, index: Any = None) -> Tensor:
    """`tensor -= other` and the like (symbol "[]=": `tensor[index] = other`), as in
    PyTorch: `tensor.data` itself changes, keeping its shape and dtype (a float32
    tensor stays float32).

    The graph records no in-place change, so outside `no_grad()` it is refused on
    a tensor that requires grad (a leaf, as in PyTorch, and a recorded result
    too) and with a right-hand side that requires grad. Under `no_grad()` it is
    how parameters are updated. A graph recorded earlier keeps the arrays its
    ops saved, not copies, so each change counts a version of the memory it
    writes, and a backward through an op that saved that memory raises, as
    PyTorch's does (core/versions.py): change a tensor in place only after
    the backward that needs it, as a training step does.

    >>> import minigrad as mg
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> with mg.no_grad():
    ...     w -= 0.5 * w.grad
    >>> w
    Tensor([0., 0.], requires_grad=True)
    """
    other = as_operand(other, like=tensor)
    if grad_mode.enabled and (tensor.requires_grad or other.requires_grad):
        raise RuntimeError(in_place_refusal(symbol, tensor))
    target, value = tensor.data, other.data
    if tracing.active is not None:  # inside mg.compile's trace: the change is written down (core/trace.py)
        target, value = tracing.active.leaf_arrays((tensor, other), (target, value))
    try:
        if symbol == "[]=":
            target[index] = value
        else:
            IN_PLACE[symbol](target, value, out=target)
        versions.changed(tensor.data)  # a graph that saved this memory now refuses to backpropagate
    except TypeError as error:  # e.g. labels *= 0.5: float results do not fit integer data
        raise TypeError(f"{symbol}: in place, {tensor.dtype} data keeps its dtype, and its result with "
                        f"{other.dtype} values does not fit it ({error})") from None
    except (ValueError, IndexError) as error:
        error_type = ShapeError if isinstance(error, ValueError) else BadIndexError
        raise error_type(f"{symbol}: cannot apply to shapes {tensor.shape} and {other.shape} ({error}); "
                         f"expected a right-hand side that broadcasts to what it replaces") from None
    return tensor


def in_place_refusal(symbol: str, tensor: Tensor) -> str:
    """Why an in-place change is refused while recording, and what to write instead."""
    setting = symbol == "[]="
    if not tensor.requires_grad:
        reason = "the right-hand side requires grad, and minigrad records no in-place operation"
    elif tensor.is_leaf:
        update = "p[index] = ..." if setting else f"p {symbol} ..."
        reason = ("a leaf Tensor that requires grad is being used in an in-place operation; "
                  f"update it under no_grad() (with minigrad.no_grad(): {update})")
    else:
        reason = "this tensor requires grad, and minigrad records no in-place operation"
    new = "minigrad.where(mask, y, x)" if setting else f"x = x {symbol[0]} y"
    return f"{symbol}: {reason}; to record the change, write {new} (a new tensor)"
