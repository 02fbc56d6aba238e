"""minigrad: reverse-mode automatic differentiation on NumPy, written to be read.

The package in reading order, each part using only the parts before it (but
for the one import circle: the Tensor, in core, calls the ops, which make Tensors):

    core/         the Tensor, the Op, the backward walk, grad mode, higher order, gradient checks
    ops/          the primitive ops, each a forward and a backward side by side
    functional/   layers, activations and losses as functions (import minigrad.functional as F)
    nn/           modules in PyTorch's shape: Linear, Conv2d, Sequential, the activations and losses
    optim.py, checkpoint.py, interop.py, information.py   optimizers, save and load, PyTorch, entropy
    compiler/     mg.compile: a training step traced once and run as the straight-line NumPy it prints
    pages/        the one builder of every HTML page minigrad writes
    viz/          pictures of the graph, and the backward replay (loaded on first use: the viz extra)
    training/     data, the training loop, gradient statistics, and what a run writes
    lessons/      `minigrad explain`, `compare`: the σ′ story, told with these numbers; `exercises`: the workbook
    cli.py        the `minigrad` command

>>> from minigrad import Tensor
>>> x = Tensor(3.0, requires_grad=True)
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad.item()
8.0
"""

from typing import Any

from minigrad import functional, information, nn, optim
from minigrad.checkpoint import load, save
from minigrad.compiler import compile
from minigrad.core.backward import topological_order, unbroadcast
from minigrad.core.blame import BlameReport, blame
from minigrad.core.creation import generator, manual_seed, ones, randn, tensor, zeros
from minigrad.core.errors import BadIndexError, ShapeError
from minigrad.core.grad_mode import enable_grad, no_grad
from minigrad.core.gradient_check import GradcheckError, gradcheck, gradgradcheck
from minigrad.core.higher_order import grad, hessian, hvp
from minigrad.core.op import Op
from minigrad.core.tensor import Tensor
from minigrad.ops.shape import concatenate, stack, where

__all__ = [  # in reading order (the API reference follows it)
    "Tensor", "tensor", "zeros", "ones", "randn", "manual_seed", "generator",
    "no_grad", "enable_grad", "grad", "hvp", "hessian", "gradcheck", "gradgradcheck", "blame", "BlameReport",
    "concatenate", "stack", "where", "topological_order", "unbroadcast", "Op", "compile", "save", "load",
    "ShapeError", "BadIndexError", "GradcheckError",
    "functional", "information", "nn", "optim", "viz",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """`minigrad.viz` on first use: it needs the viz extra (graphviz), and says so when it is missing."""
    if name == "viz":
        import minigrad.viz
        return minigrad.viz
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
