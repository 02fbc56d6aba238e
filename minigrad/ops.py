"""Primitive ops: arithmetic, elementwise math and reductions; and the in-place operators.

Each op is a forward and a backward side by side. `forward` gets NumPy arrays
and saves on `self` what the backward needs; `backward` gets dL/d(output) and
returns dL/d(input) for each input: the vector-Jacobian product, whose math is
the comment on its return line. Gradients may keep the broadcast shape of the
output; the engine (engine.py) sums them back to each input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad.array_or_tensor import astype, broadcast_to, data, expand_dims, log, matrix_transpose, sign, where
from minigrad.coercion import reduced_axes
from minigrad.engine import Op, Tensor, as_operand
from minigrad.errors import BadIndexError, ShapeError
from minigrad.grad_mode import grad_mode

BROADCASTING = "shapes that broadcast: compared from the right, each pair of dimensions equal or one of them 1"


# -------------------------------------------------------------- arithmetic --

class Add(Op):
    shape_rule = BROADCASTING

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad  # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Op):
    shape_rule = BROADCASTING

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad  # d(a-b)/da = 1, d(a-b)/db = -1


class Neg(Op):
    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)  # d(-a)/da = -1


class Mul(Op):
    shape_rule = BROADCASTING

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, grad):
        return grad * self.b, grad * self.a  # d(ab)/da = b, d(ab)/db = a


class Div(Op):
    shape_rule = BROADCASTING

    def forward(self, a, b):
        self.b = b
        self.out = a / b
        return self.out

    def backward(self, grad):
        grad_a = grad / self.b
        return grad_a, -grad_a * self.out  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(1/b)(a/b)


class Pow(Op):
    """a ** b. Where b = 0 the gradient for a is 0 (a^0 = 1 is constant). The
    gradient for b uses ln a: it is 0 where a = 0 and b >= 0 (as in PyTorch),
    and NaN where a < 0, where a**b has no derivative in b."""

    shape_rule = BROADCASTING

    def forward(self, a, b):
        self.a, self.b = a, b
        self.out = a ** b
        return self.out

    def backward(self, grad):
        a, b = self.a, self.b
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad * where(data(b) == 0, 0, b * a ** (b - 1))  # d(a^b)/da = b a^(b-1)
            if not self.inputs[1].requires_grad:
                return grad_a, None
            log_a = where((data(a) == 0) & (data(b) >= 0), 0, log(a))
        return grad_a, grad * self.out * log_a  # d(a^b)/db = a^b ln a


class Cast(Op):
    """a in another float dtype: a 0-d float64 tensor meeting float32 data (see engine.as_operand)."""

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (astype(grad, self.dtype),)  # da/da = 1, in a's own dtype


class MatMul(Op):
    """a @ b for 1-D, 2-D and batched (broadcast) operands, as np.matmul."""

    shape_rule = "batch dimensions (all but the last two) that broadcast"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise_matmul_error(a.shape, b.shape, "both operands to have at least one dimension")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise_matmul_error(a.shape, b.shape, "the last dimension of the first to equal "
                                                 "the first of the last two of the second")
        self.a, self.b = a, b
        return a @ b

    def backward(self, grad):
        # Read a 1-D operand as a matrix (a row for a, a column for b), so that
        # dL/da = dL/dout @ bᵀ and dL/db = aᵀ @ dL/dout hold in every case;
        # the engine then sums any broadcast batch dimensions away.
        a = self.a[None, :] if self.a.ndim == 1 else self.a
        b = self.b[:, None] if self.b.ndim == 1 else self.b
        if self.b.ndim == 1:
            grad = grad[..., None]
        if self.a.ndim == 1:
            grad = grad[..., None, :]
        grad_a = grad_b = None
        if self.inputs[0].requires_grad:
            grad_a = grad @ matrix_transpose(b)  # d(ab)/da = (·) bᵀ
            grad_a = grad_a[..., 0, :] if self.a.ndim == 1 else grad_a
        if self.inputs[1].requires_grad:
            grad_b = matrix_transpose(a) @ grad  # d(ab)/db = aᵀ (·)
            grad_b = grad_b[..., 0] if self.b.ndim == 1 else grad_b
        return grad_a, grad_b


class Affine(Op):
    """x Wᵀ + b, a linear layer's whole computation as one op (W is (out, in), as in
    PyTorch; b may be left out). x may have any leading batch dimensions."""

    def forward(self, x, W, b=None):
        self.x, self.W = x, W
        out = x @ W.T
        return out if b is None else out + b

    def backward(self, grad):
        x, rows = self.x, grad
        if grad.ndim != 2:  # every batch position is one row
            x, rows = x.reshape(-1, x.shape[-1]), grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ self.W if self.inputs[0].requires_grad else None  # d(xWᵀ)/dx = (·) W
        grad_W = rows.T @ x                                              # d(xWᵀ)/dW = (·)ᵀ x, summed over rows
        grad_b = rows.sum(axis=0) if len(self.inputs) == 3 else None     # d(b)/db = 1, summed over rows
        return grad_x, grad_W, grad_b


def raise_matmul_error(shape_a, shape_b, expected):
    raise ShapeError(f"matmul: cannot multiply shapes {shape_a} and {shape_b}; expected {expected}")


# -------------------------------------------------------- elementwise math --

class Exp(Op):
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)  # d/da e^a = e^a


class Log(Op):
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, grad):
        return (grad / self.a,)  # d/da ln a = 1/a


class Sqrt(Op):
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)  # d/da √a = 1/(2√a)


class Abs(Op):
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * sign(self.a),)  # d/da |a| = sign(a), taken as 0 at 0


class Clip(Op):
    def forward(self, a, lo, hi):
        self.lo, self.hi = lo, hi  # for the pictures' labels
        self.inside = (a >= (-np.inf if lo is None else lo)) & (a <= (np.inf if hi is None else hi))
        return np.clip(a, lo, hi)

    def backward(self, grad):
        return (where(self.inside, grad, 0),)  # 1 inside [lo, hi] (ends included), 0 outside, even for inf


# -------------------------------------------------------------- reductions --

def expand_reduced(grad, axis, keepdims, shape):
    """Undo a reduction's shape: put the reduced axes back and broadcast to `shape`."""
    if not keepdims and axis is not None:
        grad = expand_dims(grad, axis)
    return broadcast_to(grad, shape)


class Sum(Op):
    def forward(self, a, axis, keepdims):
        axis = reduced_axes("sum", axis, a.shape)
        self.shape, self.axis, self.keepdims = a.shape, axis, keepdims
        return a.sum(axis=axis, keepdims=keepdims)

    def backward(self, grad):
        return (expand_reduced(grad, self.axis, self.keepdims, self.shape),)  # d(Σa)/da_i = 1


class Mean(Op):
    def forward(self, a, axis, keepdims):
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

    def forward(self, a, axis, keepdims):
        axis = reduced_axes("max", axis, a.shape)
        self.axis, self.keepdims = axis, keepdims
        out = a.max(axis=axis, keepdims=True)
        is_max = (a == out).astype(a.dtype)
        self.share = is_max / is_max.sum(axis=axis, keepdims=True)
        return out if keepdims else out.squeeze(axis)

    def backward(self, grad):
        return (expand_reduced(grad, self.axis, self.keepdims, self.share.shape) * self.share,)  # 1/(number of maxima) at each maximum


# ---------------------------------------------------------------- in place --

IN_PLACE = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide}


def in_place(symbol: str, tensor: Tensor, other: Any, index: Any = None) -> Tensor:
    """`tensor -= other` and the like (symbol "[]=": `tensor[index] = other`), as in
    PyTorch: `tensor.data` itself changes, keeping its shape and dtype (a float32
    tensor stays float32).

    The graph records no in-place change, so outside `no_grad()` it is refused on
    a tensor that requires grad (a leaf, as in PyTorch, and a recorded result
    too) and with a right-hand side that requires grad. Under `no_grad()` it is
    how parameters are updated. A graph recorded earlier keeps the arrays its
    ops saved, not copies: backward through it after such a change would use
    the new values (PyTorch counts versions and raises), so change a tensor in
    place only after the backward that needs it, as a training step does.

    >>> import minigrad as mg
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> with mg.no_grad():
    ...     w -= 0.5 * w.grad
    >>> w
    Tensor([0., 0.], requires_grad=True)
    """
    other = as_operand(other, like=tensor)
    if grad_mode.enabled and (tensor._requires_grad or other._requires_grad):
        raise RuntimeError(in_place_refusal(symbol, tensor))
    try:
        if symbol == "[]=":
            tensor.data[index] = other.data
        else:
            IN_PLACE[symbol](tensor.data, other.data, out=tensor.data)
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
