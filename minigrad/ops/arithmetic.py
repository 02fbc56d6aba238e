"""Arithmetic as primitive ops: + − × ÷ and powers, matrix products, and a linear layer's x·Wᵀ + b.

Each op is a forward and a backward side by side. `forward` gets NumPy arrays
and computes the output; `backward` gets dL/d(output) and returns dL/d(input)
for each input: the vector-Jacobian product, whose math is the comment on its
return line. Gradients may keep the broadcast shape of the output; the
backward walk (core/backward.py) sums them back to each input's shape.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.errors import ShapeError
from minigrad.core.op import Op
from minigrad.ops.rule_math import data, log, matrix_transpose, where

BROADCASTING = "shapes that broadcast: compared from the right, each pair of dimensions equal or one of them 1"


class Add(Op):
    symbol, expression, precedence = "+", "{0} + {1}", 1
    infix = elementwise = True
    shape_rule = BROADCASTING

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        return grad, grad  # d(a+b)/da = 1, d(a+b)/db = 1


class Sub(Op):
    symbol, expression, precedence = "−", "{0} − {1}", 1
    infix = elementwise = True
    shape_rule = BROADCASTING

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        return grad, -grad  # d(a-b)/da = 1, d(a-b)/db = -1


class Neg(Op):
    symbol, expression, precedence = "−", "−{0}", 3
    elementwise = True

    def forward(self, a):
        return -a

    def backward(self, grad):
        return (-grad,)  # d(-a)/da = -1


class Mul(Op):
    symbol, expression, precedence = "×", "{0}·{1}", 2
    infix = elementwise = True
    shape_rule = BROADCASTING
    saves = ("a", "b")

    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.saved
        return grad * b, grad * a  # d(ab)/da = b, d(ab)/db = a


class Div(Op):
    symbol, expression, precedence = "÷", "{0}/{1}", 2
    infix = elementwise = True
    shape_rule = BROADCASTING
    saves = ("b", "out")

    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        b, out = self.saved
        grad_a = grad / b
        return grad_a, -grad_a * out  # d(a/b)/da = 1/b, d(a/b)/db = -a/b² = -(1/b)(a/b)


class Pow(Op):
    """a ** b. Where b = 0 the gradient for a is 0 (a^0 = 1 is constant). The
    gradient for b uses ln a: it is 0 where a = 0 and b >= 0 (as in PyTorch),
    and NaN where a < 0, where a**b has no derivative in b."""

    symbol, expression, precedence = "^", "{0}^{1}", 4
    infix = elementwise = True
    shape_rule = BROADCASTING
    saves = ("a", "b", "out")

    def forward(self, a, b):
        return a ** b

    def backward(self, grad):
        a, b, out = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            grad_a = grad * where(data(b) == 0, 0, b * a ** (b - 1))  # d(a^b)/da = b a^(b-1)
            if not self.inputs[1].requires_grad:
                return grad_a, None
            log_a = where((data(a) == 0) & (data(b) >= 0), 0, log(a))
        return grad_a, grad * out * log_a  # d(a^b)/db = a^b ln a


class Cast(Op):
    """a in another float dtype: a 0-d float64 tensor meeting float32 data (see as_operand in core/tensor.py)."""

    def forward(self, a, *, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, grad):
        return (grad.astype(self.dtype),)  # da/da = 1, in a's own dtype


class MatMul(Op):
    """a @ b for 1-D, 2-D and batched (broadcast) operands, as np.matmul."""

    symbol, expression, precedence = "@", "{0} @ {1}", 2
    infix = True
    shape_rule = "batch dimensions (all but the last two) that broadcast"
    saves = ("a", "b")

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise_matmul_error(a.shape, b.shape, "both operands to have at least one dimension")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise_matmul_error(a.shape, b.shape, "the last dimension of the first to equal "
                                                 "the first of the last two of the second")
        return a @ b

    def backward(self, grad):
        # Read a 1-D operand as a matrix (a row for a, a column for b), so that
        # dL/da = dL/dout @ bᵀ and dL/db = aᵀ @ dL/dout hold in every case;
        # the backward walk then sums any broadcast batch dimensions away.
        a, b = self.saved
        a_is_a_vector, b_is_a_vector = a.ndim == 1, b.ndim == 1
        if b_is_a_vector:
            b, grad = b[:, None], grad[..., None]
        if a_is_a_vector:
            a, grad = a[None, :], grad[..., None, :]
        grad_a = grad_b = None
        if self.inputs[0].requires_grad:
            grad_a = grad @ matrix_transpose(b)  # d(ab)/da = (·) bᵀ
            grad_a = grad_a[..., 0, :] if a_is_a_vector else grad_a
        if self.inputs[1].requires_grad:
            grad_b = matrix_transpose(a) @ grad  # d(ab)/db = aᵀ (·)
            grad_b = grad_b[..., 0] if b_is_a_vector else grad_b
        return grad_a, grad_b


def raise_matmul_error(shape_a, shape_b, expected):
    raise ShapeError(f"matmul: cannot multiply shapes {shape_a} and {shape_b}; expected {expected}")


class Affine(Op):
    """x Wᵀ + b, a linear layer's whole computation as one op (W is (out, in), as in
    PyTorch; b may be left out). x may have any leading batch dimensions."""

    saves = ("x", "W")

    def forward(self, x, W, b=None):
        out = x @ W.T
        return out if b is None else out + b

    def backward(self, grad):
        x, W = self.saved
        rows = grad
        if grad.ndim != 2:  # every batch position is one row
            x, rows = x.reshape(-1, x.shape[-1]), grad.reshape(-1, grad.shape[-1])
        grad_x = grad @ W if self.inputs[0].requires_grad else None  # d(xWᵀ)/dx = (·) W
        grad_W = rows.T @ x                                         # d(xWᵀ)/dW = (·)ᵀ x, summed over rows
        grad_b = rows.sum(axis=0) if len(self.inputs) == 3 else None  # d(b)/db = 1, summed over rows
        return grad_x, grad_W, grad_b

    @property
    def symbol(self) -> str:
        return "x·Wᵀ + b" if len(self.inputs) == 3 else "x·Wᵀ"

    @property
    def expression(self) -> str:
        return "{0}·{1}ᵀ + {2}" if len(self.inputs) == 3 else "{0}·{1}ᵀ"

    @property
    def precedence(self) -> int:
        return 1 if len(self.inputs) == 3 else 2  # a sum, or a product
