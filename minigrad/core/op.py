"""The Op: one primitive operation of the graph, its forward and its backward.

Every differentiable operation on tensors is a subclass of `Op` (the ops
package holds them all). `Op.apply` runs `forward` on the inputs' arrays and,
when the result needs a gradient, records the op on the result, so that
backward can ask it for the vector-Jacobian product of its inputs.

An op declares what its backward reads, because backward runs in two ways:
on NumPy arrays for an ordinary `backward()`, and on the Tensors themselves
for `minigrad.grad(..., create_graph=True)`, so that the rule's arithmetic
is recorded and the gradient can be differentiated again. The same rule,
written once, serves both.
"""

from __future__ import annotations

import copy
import inspect
from operator import attrgetter, itemgetter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad.core.arguments import type_name
from minigrad.core.errors import BadIndexError, ShapeError
from minigrad.core.grad_mode import grad_mode
from minigrad.core.tensor import Tensor
from minigrad.core.trace import tracing
from minigrad.core.versions import versions


class Op:
    """One primitive operation: `forward` on arrays, `backward` on gradients.

    A subclass writes
      forward(a, b, *, axis) -> array   the output, from the inputs' arrays (before the *) and
                                        parameters (after it), as apply(x, y, axis=0) passes them
      backward(grad) -> tuple           dL/d(input) for each input (None: no gradient), from dL/d(output)
    and declares, above them, what backward reads:
      saves = ("b", "out")      inputs of forward, by its parameter names, and "out", the output: backward
                                reads them, in that order, as `self.saved` (arrays; the Tensors under
                                create_graph, so that its arithmetic on them is recorded)
      constants = ("mask",)     arrays forward keeps on self that have no derivative: a mask, an index
      caches = ("cols",)        arrays forward computes from the inputs to spare backward the work; under
                                create_graph they are None, and backward computes them from self.saved
    Python numbers, shapes and axes kept on self need no declaration. An array
    (or a NumPy scalar, a Tensor, or a tuple or list holding one) kept on self
    and declared nowhere would pass for a constant under create_graph, and the
    second derivative would be silently wrong; minigrad refuses it instead.

    A gradient may have the output's broadcast shape: the backward walk sums it
    back to the input's shape (`unbroadcast`). It never writes into the arrays
    backward returns, so backward may return the grad it received.

    >>> import numpy as np
    >>> class Cube(Op):
    ...     saves = ("a",)
    ...     def forward(self, a):
    ...         return a ** 3
    ...     def backward(self, grad):
    ...         (a,) = self.saved
    ...         return (grad * 3 * a * a,)  # d/da a³ = 3a²
    >>> x = Tensor(2.0, requires_grad=True)
    >>> Cube.apply(x).backward()
    >>> x.grad.item()
    12.0
    """

    saves: tuple[str, ...] = ()
    constants: tuple[str, ...] = ()
    caches: tuple[str, ...] = ()
    shape_rule = ""  # what the op expects of its input shapes, for error messages

    # How a picture writes the op (viz/notation.py reads these; an op sets those that apply, as class
    # attributes, or as properties where they depend on its inputs or params, as Clip's bounds):
    symbol: str | None = None          # its node's label, "×" or "σ" (None: the class name)
    expression: str | None = None      # an unnamed result's name from its inputs' names: "{0} − {1}"
    precedence = 9                     # how tightly that expression binds: + 1, · 2, unary − 3, ^ 4
    infix = False                      # a constant operand joins its symbol: "− y", "0.5 ×"
    elementwise = False                # output element i depends on element i of same-shaped inputs alone
    derivative_name: str | None = None  # its local derivative's name on an edge: "σ′"
    passes: str | None = None          # a fused loss's gradient on its first input, in words

    # What apply records on the op, when the result needs a gradient (in slots: measured, benchmarks/README.md):
    __slots__ = ("inputs", "params", "saved", "recorded_at", "__dict__", "__weakref__")
    inputs: tuple[Tensor, ...]         # the input Tensors
    params: dict[str, Any]             # the parameters forward was given by keyword (axis=, lo=, ...)
    saved: Sequence                    # what `saves` names, in its order: arrays, or the Tensors under create_graph
                                       # (set only when `saves` names something)
    recorded_at: int                   # the version clock when recorded: how backward notices an in-place change

    # Read off `saves` once per class, by __init_subclass__:
    _saved_at: tuple[int, ...] = ()    # each saved value's position among the inputs (-1: the output)
    _saving: tuple[Callable, int] | None = None  # what picks them off [*inputs, output], and how many inputs
                                                  # that needs (one lookup in apply: benchmarks/README.md)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Read `saves` once per class: the position of each name among forward's inputs (-1: the output).
        An input is a parameter of forward before the `*`, without a default: one that is always given."""
        super().__init_subclass__(**kwargs)
        parameters = list(inspect.signature(cls.forward).parameters.values())[1:]  # after self
        inputs = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.default is p.empty]
        unknown = [name for name in cls.saves if name != "out" and name not in inputs]
        if unknown:
            raise TypeError(f"{cls.__name__}.saves names {', '.join(map(repr, unknown))}: expected inputs of "
                            f"forward ({', '.join(inputs) or 'none'}: parameters before the *, without a default) "
                            "or 'out', the output")
        at = cls._saved_at = tuple(-1 if name == "out" else inputs.index(name) for name in cls.saves)
        cls._saving = (_picker(at), max(at) + 1) if at else None

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on `inputs` with its `params`, and record it on the result when a gradient is needed."""
        try:  # map and attrgetter, not list comprehensions (measured: benchmarks/README.md)
            arrays = list(map(_data_of, inputs))
            requires_grad = any(map(_requires_grad_of, inputs))
        except AttributeError:  # a non-Tensor input, say a NumPy array: only this failure path looks for it
            i, value = next((i, t) for i, t in enumerate(inputs) if not isinstance(t, Tensor))
            raise TypeError(f"{cls.name()}: input {i} is a {type_name(value)}, expected a Tensor; "
                            "wrap it: Tensor(X)") from None
        op = cls()
        if tracing.active is not None:  # under mg.compile's trace: each input a stand-in (core/trace.py)
            arrays = tracing.active.arrays_of(op, inputs, arrays)
        try:
            data = op.forward(*arrays, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as error:
            shapes = " and ".join(str(t.shape) for t in inputs)
            rule = f"; expected {cls.shape_rule}" if cls.shape_rule else ""
            error_type = ShapeError if isinstance(error, ValueError) else BadIndexError
            raise error_type(f"{cls.name()}: cannot apply to shapes {shapes} ({error}){rule}") from None
        if not (requires_grad and grad_mode.enabled):
            return Tensor._from_op(data, None)
        op.inputs, op.params, op.recorded_at = inputs, params, versions.clock
        saving = cls._saving
        if saving:
            pick, inputs_needed = saving
            if len(inputs) < inputs_needed:  # a saved "input" was given by keyword: it would read the output
                raise TypeError(f"{cls.name()}: {cls.__name__}.saves names input {inputs_needed - 1} of forward, "
                                f"but apply got {len(inputs)} inputs; pass the inputs before the params")
            arrays.append(data)  # position -1: the output
            op.saved = pick(arrays)
        return Tensor._from_op(data, op)

    @classmethod
    def name(cls) -> str:
        """The op's name in messages: its class name in lower case, without a closing "Op" ("sigmoid")."""
        return cls.__name__.removesuffix("Op").lower()

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        """The output, from the inputs' arrays (each op writes its own)."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """dL/d(input) for each input, from dL/d(output) (each op writes its own)."""
        raise NotImplementedError

    def on_tensors(self, output: Tensor) -> Op:
        """This op with its saved values as the Tensors themselves (the inputs, and
        `output` for "out"), and its caches dropped: its backward rule, run on a
        Tensor grad, is then recorded, so that a gradient can be differentiated again.
        An array kept on the op that it did not declare is refused (see Op)."""
        undeclared = [name for name, value in vars(self).items() if _holds_an_array(value)
                      and name not in self.constants and name not in self.caches]
        if undeclared:
            raise TypeError(
                f"{type(self).__name__} keeps the array {', '.join(map(repr, undeclared))} on itself without "
                "declaring it, so its backward cannot run on Tensors, as create_graph=True needs: declare it "
                "in `saves` if it is an input or the output, in `constants` if it has no derivative (a mask, "
                "an index), or in `caches` if backward can compute it again from self.saved")
        twin = copy.copy(self)
        if self._saved_at:
            twin.saved = tuple([output if i == -1 else self.inputs[i] for i in self._saved_at])
        for name in self.caches:
            setattr(twin, name, None)
        return twin


_data_of, _requires_grad_of = attrgetter("data"), attrgetter("_requires_grad")


def _picker(at: tuple[int, ...]) -> Callable[[list], Sequence]:
    """A function that picks the values at positions `at` off a list, in one C call: itemgetter gives a
    tuple for several positions, and for one a slice gives a one-item list, so that `(a,) = self.saved`
    unpacks either way."""
    if len(at) > 1:
        return itemgetter(*at)
    return itemgetter(slice(at[0], at[0] + 1 if at[0] != -1 else None))


def _holds_an_array(value: Any) -> bool:
    """Whether an attribute kept on an op holds an array, a NumPy scalar (what a 0-d array's arithmetic
    gives) or a Tensor, itself or in a tuple or list. (A dict holds parameters, such as a loss's weights.)"""
    if isinstance(value, (tuple, list)):
        return any(_holds_an_array(item) for item in value)
    return isinstance(value, (np.ndarray, np.generic, Tensor))
