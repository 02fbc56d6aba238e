"""Check an analytic gradient against central finite differences."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad.core.blame import blame
from minigrad.core.grad_mode import enable_grad, no_grad
from minigrad.core.higher_order import grad
from minigrad.core.tensor import Tensor


class GradcheckError(RuntimeError):
    """The analytic and the numeric gradient disagree (the message says where)."""

    __module__ = "minigrad"  # raised as minigrad.GradcheckError, where users import it


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare backward's gradient of `fn(*inputs)` with central differences.

    Every input Tensor with requires_grad=True is checked, element by element:
    the analytic dL/dx from backward against (L(x + eps) - L(x - eps)) / 2eps.
    For a one-element output, L is that output, so dL/dx is its derivative.
    For a larger output f, L = sum(v * f) for a fixed random v, so that every
    output element takes part; dL/dx is then the projected gradient
    d(sum(v·f))/dx. The inputs are copied first: their .grad and data stay as
    they were. Inputs to check must be float64 (float32 is too coarse for
    finite differences). Returns True, or raises GradcheckError naming the
    input, the index and both values, and the op whose backward is to blame
    (`blame`), when the graph of fn has one.

    >>> x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    >>> gradcheck(lambda t: (t * t.log()).sum(), [x])
    True
    """
    originals = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    for i, x in enumerate(originals):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {x.dtype}; expected float64 "
                            "(use x.data.astype(np.float64))")
    xs = [Tensor(x.data.copy(), requires_grad=x.requires_grad) if isinstance(x, Tensor) else x
          for x in originals]
    checked = [i for i, x in enumerate(xs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")

    out = fn(*xs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    one_element = out.size == 1
    v = np.ones(out.shape) if one_element else np.random.default_rng(0).standard_normal(out.shape)

    def projected(*args: Any) -> float:
        with no_grad():
            return float(np.sum(v * fn(*args).data))

    if out.requires_grad:
        out.backward(v)
    for i in checked:
        x = xs[i]
        analytic = x.grad if x.grad is not None else np.zeros_like(x.data)
        flat = x.data.reshape(-1)  # a view: writing to it perturbs the input
        for j in range(flat.size):
            original = flat[j]
            flat[j] = original + eps
            plus = projected(*xs)
            flat[j] = original - eps
            minus = projected(*xs)
            flat[j] = original
            numeric = (plus - minus) / (2 * eps)
            value = analytic.reshape(-1)[j]
            if not abs(value - numeric) <= atol + rtol * abs(numeric):
                index = np.unravel_index(j, x.shape) if x.ndim else ()
                projected_note = "" if one_element else (" (both are d(sum(v·f))/dx: the gradient of the output "
                                                         "f projected on a fixed random v)")
                raise GradcheckError(f"gradcheck: input {i}, index {tuple(map(int, index))}: "
                                     f"analytic gradient {value:.10g}, numeric {numeric:.10g}{projected_note}"
                                     f"{_blamed(out, v)}")
    return True


def _blamed(out: Tensor, seed: np.ndarray) -> str:
    """The op to blame for a failed gradcheck, as a sentence to add to its message (blame.py), if one is."""
    if out.grad_fn is None:
        return ""
    report = blame(out, seed)
    return f". To blame: {report.wrong[0]}" if report.wrong else ""


def gradgradcheck(fn: Callable[..., Tensor], inputs: Sequence[Any], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Compare second derivatives of `fn(*inputs)` with finite differences of the first.

    The first derivatives come from `minigrad.grad(..., create_graph=True)`,
    weighted by a fixed random v when the output has several elements; their
    sum against a fixed random u is then checked by `gradcheck`, so every
    second derivative takes part. Returns True or raises GradcheckError.

    >>> x = Tensor(np.array([0.5, 2.0]), requires_grad=True)
    >>> gradgradcheck(lambda t: (t * t.log()).sum(), [x])
    True
    """

    originals = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    checked = [i for i, x in enumerate(originals) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradgradcheck: no input has requires_grad=True; nothing to check")
    rng = np.random.default_rng(1)

    def first_derivatives(*xs: Any) -> Tensor:
        with enable_grad():  # gradcheck evaluates this under no_grad; the first derivatives need their graph
            return weighted_sum_of_gradients(*xs)

    def weighted_sum_of_gradients(*xs: Any) -> Tensor:
        out = fn(*xs)
        v = None if out.size == 1 else rng_v.setdefault("v", rng.standard_normal(out.shape))
        gradients = grad(out, [xs[i] for i in checked], grad_outputs=v, create_graph=True, allow_unused=True)
        total = Tensor(np.zeros((), dtype=np.float64))
        for i, g in zip(checked, gradients):
            if g is not None:
                u = rng_u.setdefault(i, rng.standard_normal(g.shape))
                total = total + (g * Tensor(u)).sum()
        return total

    rng_v: dict[str, np.ndarray] = {}
    rng_u: dict[int, np.ndarray] = {}
    return gradcheck(first_derivatives, originals, eps=eps, atol=atol, rtol=rtol)
