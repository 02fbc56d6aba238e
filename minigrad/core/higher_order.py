"""Gradients as values: `grad`, and with it derivatives of derivatives.

`grad(outputs, inputs)` is `torch.autograd.grad`: it returns d(outputs)/d(inputs)
as new Tensors and never touches `.grad`. With `create_graph=True` the
engine runs every op's backward rule on Tensors instead of arrays (the same
rule; see Op.on_tensors), so the gradient is itself a graph: `grad` can be
applied to it again for second, third, … derivatives. `hvp` and `hessian`
are built on that.

>>> x = Tensor(2.0, requires_grad=True)
>>> (dy,) = grad(x ** 3, x, create_graph=True)     # 3x² = 12
>>> (d2y,) = grad(dy, x)                            # 6x = 12
>>> dy.item(), d2y.item()
(12.0, 12.0)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from minigrad.core.backward import backward_pass
from minigrad.core.trace import tracing
from minigrad.core.grad_mode import enable_grad, no_grad
from minigrad.core.op import Op
from minigrad.core.tensor import Tensor

__all__ = ["grad", "hessian", "hvp"]


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """d(outputs)/d(inputs), one Tensor per input (its shape and dtype), as torch.autograd.grad.

    `grad_outputs` (one per output; a Tensor, array or None) weights each
    output, as backward's `grad` does; it may be omitted only for one-element
    outputs. With `create_graph=True` the gradients are recorded (they require
    grad when the inputs do) and can be differentiated again: one that does not
    vary with its input (relu's mask, a linear map's slope) differentiates to
    zeros. An input listed twice gets its gradient twice. An input the outputs
    do not depend on is an error unless `allow_unused=True` (its entry is then
    None). No `.grad` is read or written.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> grad((x * x).sum(), x)[0].data.tolist(), x.grad
    ([2.0, 4.0], None)
    """
    outputs, inputs = _tensors("outputs", outputs), _tensors("inputs", inputs)
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise ValueError(f"grad: input {i} does not require grad; expected tensors created with "
                             "requires_grad=True (or results of ops on them)")
    for i, y in enumerate(outputs):
        if not y.requires_grad:
            raise ValueError(f"grad: output {i} does not require grad: nothing in its graph does, "
                             "so it has no gradient (was it computed under no_grad?)")
    seeds = _seeds(outputs, grad_outputs, create_graph)
    wanted = set(inputs)  # an input may be listed twice: it gets its gradient twice, as in PyTorch
    found: dict[Tensor, Any] = {}
    with enable_grad() if create_graph else no_grad():  # record the rules' ops only when asked to
        try:
            trace = tracing.active  # under mg.compile's trace: the seeds stand-ins, each gradient named
            if trace is not None and not create_graph:
                seeds = [trace.seed(seed) for seed in seeds]
            pairs = backward_pass(outputs, seeds, create_graph=create_graph) if trace is None else \
                trace.named_gradients(backward_pass(outputs, seeds, create_graph=create_graph))
            for tensor, gradient in pairs:
                if tensor in wanted:
                    found[tensor] = gradient
        except TypeError as error:  # e.g. np.exp in a custom op's backward, on a saved input now a Tensor
            op = _failing_op(error)
            if not create_graph or op is None:  # not raised inside an op's backward: it says what it means
                raise
            caches = f"; its caches ({', '.join(op.caches)}) are None here, to be computed again from " \
                     "self.saved" if op.caches else ""
            raise TypeError(f"grad: the backward of {type(op).__name__} cannot run on Tensors, as create_graph=True "
                            f"needs ({error}); on saved inputs, use arithmetic and minigrad.ops.rule_math's "
                            f"functions instead of NumPy's{caches}") from error
        gradients = {x: _returned(x, gradient, create_graph) for x, gradient in found.items()}
    for i, x in enumerate(inputs):
        if x not in gradients and not allow_unused:
            raise ValueError(f"grad: input {i} is not used to compute the outputs; pass allow_unused=True "
                             "to get None for it")
    return tuple(gradients.get(x) for x in inputs)


def _returned(x: Tensor, gradient: Any, create_graph: bool) -> Tensor:
    """dL/dx as `grad` returns it, in x's dtype (as .grad would be). Without create_graph, a Tensor of its
    own without graph. With it, the recorded gradient, which must be a function of x to be differentiated
    with respect to x: one that has no path back to x (relu's 0/1 mask, a linear map's constant slope)
    gets one through ConstantIn, whose derivative is zero, so that differentiating it again gives zeros."""
    if not create_graph:
        return Tensor._from_op(gradient.astype(x.dtype), None)  # its own copy (astype copies)
    gradient = gradient.astype(x.dtype)
    return gradient if _leads_to(gradient, x) else ConstantIn.apply(gradient, x)


def _leads_to(tensor: Tensor, target: Tensor) -> bool:
    """Whether `target` is among the tensors that `tensor` was computed from: a depth-first search
    through the tensors that require grad, which stops once it finds it."""
    stack, seen = [tensor], {tensor}
    while stack:
        node = stack.pop()
        if node is target:
            return True
        if node._op is not None:
            for parent in node._op.inputs:
                if parent._requires_grad and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return False


class ConstantIn(Op):
    """`value`, recorded as a function of `x` that does not vary with it: a
    gradient that `grad(..., create_graph=True)` found with no path back to
    its input x, made differentiable with respect to x (its derivative is zero).

    >>> x = Tensor([1.0, -2.0], requires_grad=True)
    >>> (slope,) = grad(x.relu().sum(), x, create_graph=True)   # the mask [1, 0]: no path back to x
    >>> type(slope.grad_fn).__name__, grad(slope.sum(), x)[0].data.tolist()
    ('ConstantIn', [0.0, 0.0])
    """

    symbol = "const"

    def forward(self, value, x):
        self.shape, self.dtype = x.shape, x.dtype
        return value

    def backward(self, grad):
        return grad, np.zeros(self.shape, self.dtype)  # d/dvalue = 1, d/dx = 0


def hvp(fn: Callable[[Tensor], Tensor], x: Tensor, v: Any) -> tuple[Tensor, Tensor]:
    """(fn(x), H·v): the Hessian of a scalar fn at x times v, without forming H,
    as torch.autograd.functional.hvp (two backward passes, the first recorded).
    As there, fn runs with grad enabled even inside no_grad, and an fn whose
    gradient does not vary with x (a linear map, relu), or that ignores x, gives zeros.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> value, product = hvp(lambda t: (t ** 3).sum(), x, Tensor([1.0, 0.0]))
    >>> value.item(), product.data.tolist()          # H = diag(6x)
    (9.0, [6.0, 0.0])
    """
    x = _single_input("hvp", x)
    v = v.data if isinstance(v, Tensor) else np.asarray(v, dtype=x.dtype)
    if v.shape != x.shape:
        raise ValueError(f"hvp: v has shape {v.shape}; expected x's shape {x.shape}")
    with enable_grad():
        x, value, gradient = _recorded_gradient("hvp", fn, x)
        if gradient is None:  # fn ignores x: H = 0
            return value.detach(), Tensor(np.zeros_like(x.data))
        (product,) = grad((gradient * Tensor(v.astype(x.dtype, copy=False))).sum(), x)
    return value.detach(), product


def hessian(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The Hessian of a scalar fn at x, of shape x.shape + x.shape (one backward
    pass of the recorded gradient per element of x), as
    torch.autograd.functional.hessian: fn runs with grad enabled even inside
    no_grad, and an fn whose gradient does not vary with x, or that ignores x, gives zeros.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> hessian(lambda t: (t[0] * t[1]) ** 2, x).data.tolist()
    [[8.0, 8.0], [8.0, 2.0]]
    """
    with enable_grad():
        x, _, gradient = _recorded_gradient("hessian", fn, _single_input("hessian", x))
        if gradient is None:  # fn ignores x: H = 0
            return Tensor(np.zeros(x.shape + x.shape, dtype=x.dtype))
        flat = gradient.reshape(-1)
        rows = [grad(flat[i], x)[0].data for i in range(x.size)]
    return Tensor(np.stack(rows).reshape(x.shape + x.shape))


def _recorded_gradient(name: str, fn: Callable[[Tensor], Tensor], x: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
    """(a fresh leaf on x's data, fn of it, its gradient recorded), for hvp and hessian; the gradient is
    None when fn ignores x: its value is a constant, or is built from x.detach() or other tensors only."""
    x = Tensor(x.data, requires_grad=True)  # a fresh leaf: the caller's graph is left alone
    value = _scalar(name, fn(x))
    if not value.requires_grad:
        return x, value, None
    (gradient,) = grad(value, x, create_graph=True, allow_unused=True)
    return x, value, gradient


# ------------------------------------------------------------------ checks --

def _failing_op(error: BaseException) -> Op | None:
    """The op whose backward raised `error`, read off its traceback (None: no backward did)."""
    found, frame = None, error.__traceback__
    while frame is not None:
        owner = frame.tb_frame.f_locals.get("self")
        if frame.tb_frame.f_code.co_name == "backward" and isinstance(owner, Op):
            found = owner
        frame = frame.tb_next
    return found


def _tensors(what: str, values: Tensor | Sequence[Tensor]) -> list[Tensor]:
    found = [values] if isinstance(values, Tensor) else list(values) if isinstance(values, Iterable) else None
    if not found or not all(isinstance(t, Tensor) for t in found):
        raise TypeError(f"grad: {what} must be a Tensor or a sequence of Tensors, got {type(values).__name__}")
    return found


def _seeds(outputs: list[Tensor], grad_outputs: Any, create_graph: bool) -> list[Any]:
    given = [None] * len(outputs) if grad_outputs is None else \
        [grad_outputs] if isinstance(grad_outputs, (Tensor, np.ndarray)) else list(grad_outputs)
    if len(given) != len(outputs):
        raise ValueError(f"grad: {len(given)} grad_outputs for {len(outputs)} outputs; expected one each")
    seeds = []
    for i, (y, g) in enumerate(zip(outputs, given)):
        if g is None:
            if y.size != 1:
                raise ValueError(f"grad: output {i} has shape {y.shape}; grad_outputs may be left out only for "
                                 "one-element outputs (pass one of the output's shape)")
            g = np.ones(y.shape, dtype=y.dtype)
        if isinstance(g, Tensor) and create_graph:
            seed = g
        else:
            seed = np.asarray(g.data if isinstance(g, Tensor) else g, dtype=y.dtype)
            seed = Tensor._from_op(seed, None) if create_graph else seed
        if seed.shape != y.shape:
            raise ValueError(f"grad: grad_outputs[{i}] has shape {seed.shape}; expected the output's {y.shape}")
        seeds.append(seed)
    return seeds


def _single_input(name: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: x must be a Tensor, got {type(x).__name__}; wrap it: Tensor(x)")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: x must hold floats, got dtype {x.dtype}")
    return x


def _scalar(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor) or value.size != 1:
        shape = value.shape if isinstance(value, Tensor) else type(value).__name__
        raise ValueError(f"{name}: fn must return a one-element Tensor, got {shape}")
    return value
