"""What a wrong gradient looks like: the shapes of mistake that blame (blame.py) names.

A backward rule that is wrong is often wrong in a way that has a name. Given
the gradient the rule gave an input (`got`, as it returned it, and `summed`,
summed back to the input's shape) and the one finite differences give
(`expected`), `diagnose` tries, in order: a shape that cannot be the
input's (or is its transpose), a broadcast gradient not summed back, the
sign, a constant factor (N or 1/N: a mean taken twice, or not at all), a
transpose, a missing local derivative (the gradient passed through
unchanged: right divided by ∂out/∂in), and a local derivative not
multiplied by the incoming gradient. Anything else is a wrong local
derivative, shown at one element.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from minigrad.core.backward import unbroadcast
from minigrad.core.errors import ShapeError

__all__ = ["diagnose"]

ATOL, RTOL = 1e-5, 1e-3


def close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, atol=ATOL, rtol=RTOL))


def diagnose(op: Any, i: int, got: np.ndarray, summed: np.ndarray | None, expected: np.ndarray,
             gradient: np.ndarray, shape: tuple[int, ...]) -> tuple[str | None, str]:
    """(the name of the mistake or None, one or two sentences of advice) for a wrong gradient of input i.

    >>> diagnose(None, 0, np.array([-1.0, 2.0]), np.array([-1.0, 2.0]), np.array([1.0, -2.0]),
    ...          np.ones(2), (2,))[0]
    'sign'
    """
    if summed is None:
        if got.ndim == 2 and got.T.shape == shape and close(got.T, expected):
            return "transpose", (f"Its gradient is right but transposed: shape {got.shape} for an input of shape "
                                 f"{shape}. Swap the order of the product or transpose a factor (for C = A @ B: "
                                 "∂L/∂A = ∂L/∂C @ Bᵀ and ∂L/∂B = Aᵀ @ ∂L/∂C).")
        return "shape", (f"Its gradient has shape {got.shape}, which cannot be summed back to the input's shape "
                         f"{shape}: a gradient has the shape of what it is the gradient of.")
    if got.shape != shape and close(summed, expected):
        axes = _broadcast_axes(got.shape, shape)
        return "broadcast", (f"The values are right, but not summed back to the input's shape: it has shape {shape} "
                             f"and forward broadcast it to {got.shape}, so its gradient is the sum over the axes "
                             f"it was stretched along ({axes}): .sum(axis={axes}, keepdims=True), reshaped to "
                             f"{shape}.")
    if close(summed, -expected):
        return "sign", "It has the sign wrong everywhere: the negative of the right gradient."
    if np.abs(expected).max() > ATOL:
        factor = float(np.sum(summed * expected) / np.sum(expected * expected))
        if close(summed, factor * expected) and abs(factor - 1) > RTOL:
            return "factor", _factor_advice(factor, op)
    if summed.ndim == 2 and summed.shape[0] == summed.shape[1] and close(summed.T, expected):
        return "transpose", ("It is right but transposed. Swap the order of the product or transpose a factor "
                             "(for C = A @ B: ∂L/∂A = ∂L/∂C @ Bᵀ and ∂L/∂B = Aᵀ @ ∂L/∂C).")
    passed_through = _summed_or_none(gradient, shape)
    if passed_through is not None and close(summed, passed_through) and not close(expected, passed_through):
        return "missing factor", ("It passes the incoming gradient ∂L/∂out through unchanged: the chain rule "
                                  "multiplies it by the op's local derivative ∂out/∂in, which is missing.")
    if gradient.shape == shape and np.abs(gradient - 1).max() > ATOL and close(summed * gradient, expected):
        return "ignores grad", ("It returns the local derivative ∂out/∂in alone: the chain rule multiplies it by "
                                "the incoming gradient ∂L/∂out (grad), which it ignores.")
    if gradient.shape == shape and passed_through is not None:  # elementwise: show the local derivatives
        index = np.unravel_index(int(np.argmax(np.abs(summed - expected))), shape) if shape else ()
        if abs(gradient[index]) > ATOL:
            right, rule = expected[index] / gradient[index], summed[index] / gradient[index]
            return None, (f"Its local derivative ∂out/∂in is wrong: at index {tuple(map(int, index))} it should be "
                          f"{right:.6g}, the rule's is {rule:.6g}.")
    return None, "Its gradient is wrong, with no simple pattern: derive ∂out/∂in again, element by element."


def _factor_advice(factor: float, op: Any) -> str:
    """Advice for a gradient that is `factor` times the right one, naming N where it is a size."""
    fraction = Fraction(factor).limit_denominator(1000)
    sizes = _sizes(op)
    if abs(float(fraction) - factor) <= RTOL * abs(factor):
        if fraction in (2, Fraction(1, 2)):
            mean = (" or a mean's N (2 here) divided twice?" if fraction == Fraction(1, 2) else
                    " or a mean's N (2 here) not divided?") if 2 in sizes else "?"
            return (f"It is {'twice' if fraction == 2 else 'half'} the right gradient everywhere: a factor 2 is "
                    f"{'extra' if fraction == 2 else 'missing'} (the exponent of a square, a ½ in the loss{mean}).")
        if fraction.numerator == 1 and fraction.denominator in sizes:  # (2 has its own advice, above)
            n = fraction.denominator
            return (f"It is 1/{n} of the right gradient, and {n} is a size here: did you average twice (divide by "
                    "N in forward's mean and again in backward)?")
        if fraction.denominator == 1 and fraction.numerator in sizes:
            n = fraction.numerator
            return (f"It is {n} times the right gradient, and {n} is a size here: is a division by N (a mean) "
                    "missing, or a sum counted N times?")
        if fraction == -1:
            return "It has the sign wrong everywhere."
    return f"It is {factor:.6g} times the right gradient everywhere: a constant factor is wrong."


def _sizes(op: Any) -> set[int]:
    """The numbers of elements and the axis lengths of the op's inputs (what a mean divides by)."""
    sizes: set[int] = set()
    for tensor in getattr(op, "inputs", ()):
        sizes.add(int(tensor.data.size))
        sizes.update(int(n) for n in tensor.data.shape)
    return {n for n in sizes if n > 1}


def _broadcast_axes(big: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...] | int:
    """The axes of `big` that broadcasting added or stretched to make it from `shape`."""
    leading = len(big) - len(shape)
    axes = tuple(range(leading)) + tuple(leading + k for k, n in enumerate(shape) if n == 1 and big[leading + k] != 1)
    return axes[0] if len(axes) == 1 else axes


def _summed_or_none(gradient: np.ndarray, shape: tuple[int, ...]) -> np.ndarray | None:
    try:
        return unbroadcast(gradient, shape)
    except ShapeError:
        return None
