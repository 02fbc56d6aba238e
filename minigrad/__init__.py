"""minigrad: reverse-mode automatic differentiation on NumPy, written to be read.

>>> from minigrad import Tensor
>>> x = Tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad.item()
8.0
"""

from minigrad.creation import generator, manual_seed, ones, randn, tensor, zeros
from minigrad.gradcheck import GradcheckError, gradcheck
from minigrad.shape_ops import concatenate, stack, where
from minigrad.errors import BadIndexError, ShapeError
from minigrad.grad_mode import no_grad
from minigrad.engine import Tensor, topological_order, unbroadcast

__all__ = [
    "BadIndexError", "GradcheckError", "ShapeError", "Tensor", "concatenate", "generator", "gradcheck", "manual_seed",
    "no_grad", "ones", "randn", "stack", "tensor", "topological_order", "unbroadcast", "where", "zeros",
]
__version__ = "0.1.0"
