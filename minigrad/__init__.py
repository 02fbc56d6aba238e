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

__all__ = [  # in reading order (the API reference follows it)
    "Tensor", "tensor", "zeros", "ones", "randn", "manual_seed", "generator",
    "no_grad", "grad", "hvp", "hessian", "gradcheck", "gradgradcheck",
    "concatenate", "stack", "where", "topological_order", "unbroadcast", "save", "load",
    "ShapeError", "BadIndexError", "GradcheckError",
    "functional", "information", "nn", "optim",
]
__version__ = "0.1.0"
