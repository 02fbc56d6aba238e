"""minigrad: reverse-mode automatic differentiation on NumPy, written to be read.

>>> from minigrad import Tensor
>>> x = Tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad.item()
8.0
"""

from minigrad import functional, information, nn, optim
from minigrad.autograd import grad, hessian, hvp
from minigrad.checkpoint import load, save
from minigrad.creation import generator, manual_seed, ones, randn, tensor, zeros
from minigrad.backward import topological_order, unbroadcast
from minigrad.engine import Tensor
from minigrad.errors import BadIndexError, ShapeError
from minigrad.grad_mode import no_grad
from minigrad.gradient_check import GradcheckError, gradcheck, gradgradcheck
from minigrad.shape_ops import concatenate, stack, where

__all__ = [
    "BadIndexError", "GradcheckError", "ShapeError", "Tensor", "concatenate", "functional", "generator", "grad",
    "gradcheck", "gradgradcheck", "hessian", "hvp",
    "information", "load", "manual_seed", "nn", "no_grad", "ones", "optim", "randn", "save", "stack", "tensor",
    "topological_order", "unbroadcast", "where", "zeros",
]
__version__ = "0.1.0"
