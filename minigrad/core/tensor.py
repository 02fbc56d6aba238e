"""The Tensor: an n-dimensional array that remembers how it was computed.

A Tensor wraps a NumPy array. Every operation on tensors that require grad
records an `Op` (core/op.py; the ops themselves are in the ops package): the
op keeps its inputs, so the result knows where it came from. `backward()`
walks that graph from the result back to the leaves, in reverse topological
order, and asks each op for the vector-Jacobian product of its inputs (the
walk is core/backward.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.core.arguments import DEFAULT_DTYPE, array_from, operand_array, shape_from_args, type_name
from minigrad.core.hooks import RemovableHandle
from minigrad.core.trace import tensor_data, tracing
from minigrad.core.versions import versions

if TYPE_CHECKING:  # core/op.py imports this module
    from minigrad.core.op import Op


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0, 6.0]
    """

    __slots__ = ("data", "grad", "_requires_grad", "name", "_op", "_retains_grad", "_hooks", "__weakref__")
    __array_ufunc__ = None  # make `np_array + tensor` call Tensor.__radd__
    __hash__ = object.__hash__  # hash by identity, so tensors can be set members

    def __init__(self, data: Any, requires_grad: bool = False, name: str | None = None) -> None:
        array = data.data if isinstance(data, Tensor) else array_from(data)
        self.data = array if type(array) is np.ndarray else tensor_data(array, self, None)
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.name = name
        self._op: Op | None = None
        self._retains_grad = False
        self._hooks: dict[int, Callable] | None = None  # register_hook's, by handle id; None until the first

    @classmethod
    def _from_op(cls, data: Any, op: Op | None) -> Tensor:
        """The constructor for op results: no dtype rules (the data comes from NumPy) and no
        property setter, which every op pays for (measured: benchmarks/README.md)."""
        tensor = object.__new__(cls)
        tensor.data = data if type(data) is np.ndarray else tensor_data(data, tensor, op)
        tensor.grad = None
        tensor._requires_grad = op is not None
        tensor.name = None
        tensor._op = op
        tensor._retains_grad = False
        tensor._hooks = None
        return tensor

    # ---------------------------------------------------------- attributes --
    def _set_requires_grad(self, value: bool) -> None:
        if value and self.data.dtype.kind != "f":
            raise TypeError(f"Tensor: requires_grad=True needs a float dtype, got {self.data.dtype} "
                            "(integer tensors hold labels and indices; use .astype(np.float32) to differentiate)")
        self._requires_grad = bool(value)

    # read by attrgetter, in C: ops' backward rules read it (measured: benchmarks/README.md)
    requires_grad = property(attrgetter("_requires_grad"), _set_requires_grad,
                             doc="Whether backward computes a gradient for this tensor.")

    @property
    def _version(self) -> int:
        """How many times this tensor's memory was changed in place (as PyTorch's; see core/versions.py)."""
        return versions.version(self.data)

    shape = property(lambda self: self.data.shape, doc="The shape of .data.")
    ndim = property(lambda self: self.data.ndim, doc="The number of dimensions.")
    dtype = property(lambda self: self.data.dtype, doc="The dtype of .data.")
    size = property(lambda self: self.data.size, doc="The number of elements.")
    is_leaf = property(lambda self: self._op is None, doc="True if no recorded op made this tensor.")
    grad_fn = property(lambda self: self._op, doc="The recorded op that made this tensor, or None.")
    T = property(lambda self: self.transpose(), doc="The tensor with its axes reversed.")

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = "" if self.dtype == DEFAULT_DTYPE else f", dtype={self.dtype}"
        extras += f", name={self.name!r}" if self.name else ""
        extras += ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{extras})"

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item: tensor has shape {self.shape}; expected exactly one element")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A tensor sharing this data but cut from the graph (requires_grad=False).

        >>> Tensor([1.0], requires_grad=True).detach().requires_grad
        False
        """
        return Tensor._from_op(self.data, None)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (`.grad` becomes None)."""
        self.grad = None

    def retain_grad(self) -> None:
        """Keep `.grad` on this intermediate tensor too (leaves always keep theirs).

        >>> x = Tensor(2.0, requires_grad=True)
        >>> h = x * 3; h.retain_grad(); (h * h).backward()
        >>> h.grad.item(), x.grad.item()
        (12.0, 36.0)
        """
        self._retains_grad = True

    def register_hook(self, hook: Callable[[Tensor], Any]) -> RemovableHandle:
        """Call `hook(grad)` during backward once this tensor's gradient is
        complete (every path's contribution added), before it is passed on to
        the tensors it came from; as PyTorch's `Tensor.register_hook`.

        `grad` is a Tensor without graph whose array is read-only (ops may
        share it): to change the gradient, return the new one (a Tensor or an
        array of this tensor's shape) and it replaces the gradient for the
        hooks after this one, for everything upstream, and for `.grad`.
        Returning None leaves it as it is. Hooks run in the order they were
        registered, in `backward()` and in `minigrad.grad`; under
        `grad(..., create_graph=True)` a hook gets the recorded gradient
        itself, which it may use in a differentiable computation, as in PyTorch.
        Returns a handle whose `remove()` takes the hook out.

        >>> x = Tensor(3.0, requires_grad=True)
        >>> h = x * x
        >>> seen = []
        >>> handle = h.register_hook(lambda grad: seen.append(grad.item()))
        >>> doubled = x.register_hook(lambda grad: grad * 2)
        >>> (h * 5).backward()
        >>> seen, x.grad.item()                  # dL/dh = 5; dL/dx = 5 · 2x, then doubled
        ([5.0], 60.0)
        >>> handle.remove(); doubled.remove()
        """
        if not self._requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so backward never reaches it; "
                               "register hooks on tensors created with requires_grad=True or computed from them")
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {type_name(hook)}")
        if self._hooks is None:
            self._hooks = {}
        handle = RemovableHandle(self._hooks)
        self._hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------ backward --
    def backward(self, grad: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        `grad` is the gradient flowing into this tensor (same shape); it may be
        omitted only for a one-element tensor, where it is 1. Gradients add up
        over calls until `zero_grad()`. The graph stays intact, so backward may
        run again; only the intermediate gradients are released as they are used.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).backward(np.array([1.0, 0.5]))
        >>> x.grad.tolist()
        [2.0, 2.0]
        """
        if not self._requires_grad:
            raise RuntimeError("backward: this tensor does not require grad; create the leaves "
                               "with requires_grad=True (and not under no_grad)")
        seed = self._seed_gradient(grad)
        if tracing.active is not None:  # inside mg.compile's trace: the same walk, written down (core/trace.py)
            return tracing.active.backward(self, seed, backward_pass)
        finished = [(node, node_grad) for node, node_grad in backward_pass(self, seed)
                    if node._op is None or node._retains_grad]
        for node, node_grad in finished:  # only now touch .grad: an error above changes nothing
            if node.grad is None:  # a copy, in the tensor's dtype: .grad is always the tensor's own array
                node.grad = np.array(node_grad, dtype=node.data.dtype)
            else:
                node.grad += node_grad

    def _seed_gradient(self, grad: Any) -> np.ndarray:
        if grad is None:
            if self.data.size != 1:
                raise ValueError(f"backward: grad can be omitted only for a one-element tensor, "
                                 f"but this one has shape {self.shape}; pass grad=np.ones({self.shape}) "
                                 "(or call .sum().backward()) to differentiate the sum of its elements")
            return np.array(1, dtype=self.data.dtype).reshape(self.data.shape)  # np.ones: twice the instructions
        seed = grad.data if isinstance(grad, Tensor) else np.asarray(grad)
        if seed.shape != self.shape:
            raise ValueError(f"backward: grad has shape {seed.shape}, expected the tensor's shape {self.shape}")
        return seed.astype(self.dtype, copy=False)

    # ----------------------------------------------------------- operators --
    def __add__(self, other: Any) -> Tensor:
        return ops.Add.apply(*operands(self, other))

    def __radd__(self, other: Any) -> Tensor:
        return ops.Add.apply(*operands(self, other)[::-1])

    def __sub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(*operands(self, other))

    def __rsub__(self, other: Any) -> Tensor:
        return ops.Sub.apply(*operands(self, other)[::-1])

    def __mul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(*operands(self, other))

    def __rmul__(self, other: Any) -> Tensor:
        return ops.Mul.apply(*operands(self, other)[::-1])

    def __truediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(*operands(self, other))

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.Div.apply(*operands(self, other)[::-1])

    def __pow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(*operands(self, other))

    def __rpow__(self, other: Any) -> Tensor:
        return ops.Pow.apply(*operands(self, other)[::-1])

    def __matmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(*operands(self, other))

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.MatMul.apply(*operands(self, other)[::-1])

    # In place, as PyTorch's: the tensor's own array changes (see ops.in_place for when that is allowed).
    def __iadd__(self, other: Any) -> Tensor:
        return ops.in_place("+=", self, other)

    def __isub__(self, other: Any) -> Tensor:
        return ops.in_place("-=", self, other)

    def __imul__(self, other: Any) -> Tensor:
        return ops.in_place("*=", self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return ops.in_place("/=", self, other)

    def __setitem__(self, index: Any, value: Any) -> None:
        ops.in_place("[]=", self, value, index=ops.index_arrays(index))

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.GetItem.apply(self, index=ops.index_arrays(index))

    # Comparisons are not differentiable: they return a plain boolean Tensor.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor(self.data < as_operand(other, self).data)

    def __le__(self, other: Any) -> Tensor:
        return Tensor(self.data <= as_operand(other, self).data)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor(self.data > as_operand(other, self).data)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor(self.data >= as_operand(other, self).data)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data == as_operand(other, self).data)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return Tensor(self.data != as_operand(other, self).data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    # ------------------------------------------------------ method-form ops --
    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over `axis` (all axes if None)."""
        return ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over `axis` (all axes if None)."""
        return ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over `axis`; tied maxima share the gradient equally."""
        return ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        """Elementwise |x| (gradient 0 at 0)."""
        return ops.Abs.apply(self)

    def clip(self, lo: float | None, hi: float | None) -> Tensor:
        """Clamp into [lo, hi] (either may be None); gradient passes inside the range."""
        as_number = lambda bound: None if bound is None else as_operand(bound, self).data
        return ops.Clip.apply(self, lo=as_number(lo), hi=as_number(hi))

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return ops.TanhOp.apply(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic function 1 / (1 + e**-x), stable for any x."""
        return ops.SigmoidOp.apply(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0) (gradient 0 at 0)."""
        return ops.ReLUOp.apply(self)

    def softmax(self, axis: int = -1) -> Tensor:
        """exp(x) / sum(exp(x)) along `axis`, computed with the max subtracted first."""
        return ops.SoftmaxOp.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log(softmax(x)) along `axis`, computed with log-sum-exp."""
        return ops.LogSoftmaxOp.apply(self, axis=axis)

    def astype(self, dtype: Any) -> Tensor:
        """This tensor in another dtype, as np.ndarray.astype. A float result stays in
        the graph (its gradient comes back in this tensor's dtype); any other is cut
        from it, as in PyTorch. The same dtype gives the tensor itself.

        >>> x = Tensor([1.5, 2.0], requires_grad=True)
        >>> x.astype(np.float64).dtype, x.astype(np.int64).requires_grad
        (dtype('float64'), False)
        """
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f":
            return Tensor._from_op(self.data.astype(dtype), None)
        return ops.Cast.apply(self, dtype=dtype)

    def reshape(self, *shape: int | tuple[int, ...]) -> Tensor:
        """The same elements in a new shape (one dimension may be -1)."""
        return ops.Reshape.apply(self, shape=shape_from_args(shape))

    def transpose(self, *axes: int | tuple[int, ...]) -> Tensor:
        """Permute the axes (reverse them when none are given), as np.transpose."""
        return ops.Transpose.apply(self, axes=shape_from_args(axes) or None)


def as_operand(value: Any, like: Tensor) -> Tensor:
    """The other side of an operator as a Tensor that does not upcast `like`
    (the rule is operand_array's, in core/arguments.py, and a 0-d float tensor follows it as
    a number does, keeping its gradient; a tensor that needs no cast stays itself).

    >>> as_operand(2, like=Tensor(np.ones(2, dtype=np.float32))).dtype
    dtype('float32')
    """
    if not isinstance(value, Tensor):
        return Tensor._from_op(operand_array(value, like.data.dtype), None)
    dtype, like_dtype = value.data.dtype, like.data.dtype
    if dtype is like_dtype or like_dtype.kind != "f":
        return value
    if dtype.kind in "biu":  # e.g. integer labels * x: the labels take x's dtype
        return Tensor._from_op(value.data.astype(like_dtype), None)
    if value.data.ndim == 0 < like.data.ndim and dtype != like_dtype:  # as torch: a 0-d tensor acts as a number
        return ops.Cast.apply(value, dtype=like_dtype)
    return value


def operands(tensor: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    """Both sides of a binary operator, neither upcasting the other (see as_operand)."""
    other = as_operand(other, like=tensor)
    return as_operand(tensor, like=other), other


# Imported last: the ops need Tensor first (the one import circle of minigrad: Tensor <-> ops).
from minigrad import ops  # noqa: E402
from minigrad.core.backward import backward_pass  # noqa: E402
