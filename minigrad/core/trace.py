"""The trace: a training step run once on stand-ins, written down line by line.

`minigrad.compile` (compiler/) opens a `Trace` and runs the step inside it.
While a trace is active (`tracing.active`), three places of the engine hand
it what they do, and nothing else changes:

- `Op.apply` gives each input's array to `arrays_of`: a tensor from before
  the step (a parameter, a captured input) gets a stand-in read at each call;
- `Tensor.backward` and `minigrad.grad` name each gradient after its tensor
  (`named_gradients`), and backward's writes to `.grad` are written down
  (`write_grads`);
- `Optimizer.step` gives each parameter's array, gradient and state to
  `update_arguments`, so that its in-place update is written down too.

The op rules themselves run unchanged on the stand-ins (core/stand_in.py):
each NumPy call they make becomes a `Line`. When the trace closes, every
tensor, gradient and state entry that holds a stand-in gets its real value
back, so the traced run leaves what an eager run leaves.

>>> from minigrad.core.tensor import Tensor
>>> w = Tensor([1.0, -2.0], requires_grad=True)
>>> with Trace() as trace:
...     w.relu().sum().backward()
>>> w.grad.tolist(), len(trace.lines) > 0, trace.problems
([1.0, 0.0], True, [])
"""

from __future__ import annotations

import linecache
import numbers
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.core import stand_in
from minigrad.core.stand_in import ATOM, CALL, Items, StandIn, add_in_place, caller_frame, value_of

if TYPE_CHECKING:
    from minigrad.core.tensor import Tensor


# Names that say nothing of a value: a helper's parameters, which its callers' names say better.
GENERIC_NAMES = frozenset({"x", "y", "a", "b", "z", "v", "p", "value", "values", "out", "grad", "data",
                           "array", "arrays", "self", "result", "shape", "dtype", "args", "node_grad", "seed"})


class Tracing:
    """Which trace is recording: None, except inside `with Trace():` (one at a time)."""

    active: Trace | None = None


tracing = Tracing()


def numbers_of(obj: Any) -> tuple:
    """An object's attributes that are numbers (an optimizer's lr, momentum, betas' parts), as (name, value)."""
    return tuple((k, v) for k, v in vars(obj).items() if isinstance(v, numbers.Number))


def tensor_data(data: Any, tensor: Tensor, op: Any) -> Any:
    """What a Tensor holds when it is not given an ndarray: a NumPy scalar made an array, or, inside the
    trace, the stand-in itself (named after the tensor, and given its value back when the trace closes)."""
    return data.trace.output_tensor(tensor, op, data) if isinstance(data, StandIn) else np.asarray(data)


class Line:
    """One operation of the trace: `out = form(args)`, or a statement (an in-place change, a guard).

    `form` writes the operation with its arguments numbered: "{0} @ {1}.T", "np.exp({0})".
    `kind` is "value" (it defines `out`), "in place" (it changes args[0]) or "guard" (Python read a value:
    `expected` is what it read, and the compiled code checks it again). `where` is the (file, line) of the
    code that did it; `op` the class of the op whose forward or backward that was, if any; `phase` "forward",
    "backward" or "update"."""

    __slots__ = ("out", "form", "args", "precedence", "kind", "where", "op", "phase", "expected", "note")

    def __init__(self, out: StandIn | None, form: str, args: tuple, precedence: int, kind: str,
                 where: tuple[str, int], op: Any, phase: str, expected: Any = None) -> None:
        self.out, self.form, self.args, self.precedence, self.kind = out, form, args, precedence, kind
        self.where, self.op, self.phase, self.expected = where, op, phase, expected
        self.note = ""  # what the line is, where its source line's comment would not say

    def code(self) -> str:
        """The line with each stand-in written as its hint (a quick look; compiler/source.py writes the real code)."""
        return self.form.format(*((a.hint if isinstance(a.hint, str) else "_") if isinstance(a, StandIn) else repr(a)
                                  for a in self.args))

    def comment(self) -> str:
        """The comment on the source line that did this operation (`d/dx relu = ...`), or ''."""
        if self.note:
            return self.note
        text = linecache.getline(*self.where)
        return text.split("#", 1)[1].strip() if "#" in text else ""


class Trace:
    """The record of one traced run: its lines, its inputs (and how to read each at a call), its problems."""

    def __init__(self) -> None:
        self.lines: list[Line] = []
        self.inputs: list[tuple[StandIn, tuple]] = []  # each with its source: ("argument", i), ("data", tensor),
        #                                               ("grad", tensor) or ("state", state dict, key)
        self.problems: list[str] = []                  # why the lines cannot stand for the step, if they cannot
        self.updated: dict[Any, list[Tensor]] = {}    # each optimizer that stepped, and the parameters it updated
        self.grads_written: dict[int, weakref.ref] = {}  # the tensors whose .grad backward wrote, by id
        self.zeroed_grads: set[int] = set()            # id of each tensor whose .grad zero_grad set to None
        self.grad_was_none: dict[int, bool] = {}       # id of each tensor backward wrote .grad of: None before?
        self.created: set[int] = set()                 # id of each tensor made in the step from its values
        self.hyperparameters: dict[Any, tuple] = {}    # each optimizer that stepped: its numbers, as it stepped
        self.states: list[tuple[dict, frozenset]] = []  # optimizer state dicts the step read, with their keys then
        self.constant_names: dict[int, str] = {}       # id(constant array) -> the name the code gave it
        self.phase, self.op = "forward", None
        self._known: dict[int, StandIn] = {}           # id(real array) -> its stand-in: leaves, and values made here
        self._restore: list[tuple[Any, str]] = []      # (object, attribute or key) that holds a stand-in
        self._keep: list[Any] = []                     # the real arrays behind _known's ids, kept alive

    # ------------------------------------------------------------ the context --
    def __enter__(self) -> Trace:
        if tracing.active is not None:
            raise RuntimeError("Trace: a trace is already recording; compiled steps do not nest")
        tracing.active = self
        return self

    def __exit__(self, *exc: Any) -> None:
        tracing.active, self.op = None, None
        for holder, key in self._restore:  # the traced run leaves real values, as an eager one
            if isinstance(holder, dict):
                value = holder.get(key)
                if isinstance(value, StandIn):
                    holder[key] = value.value
            else:
                value = getattr(holder, key)
                if isinstance(value, StandIn):
                    setattr(holder, key, value.value)
        self._restore.clear()

    def release(self) -> None:
        """Let go of the traced run's arrays (its lines and the values they made), once code is written."""
        self.lines.clear()
        self._known.clear()
        self._keep.clear()

    # ------------------------------------------------------------------ inputs --
    def input(self, value: Any, source: tuple, hint: Any = None) -> StandIn:
        """A stand-in for a value the compiled code reads at each call, from `source`."""
        stand_in = StandIn(value, self, hint)
        self.inputs.append((stand_in, source))
        self._remember(value, stand_in)
        return stand_in

    def _remember(self, value: Any, stand_in: StandIn) -> None:
        if isinstance(value, np.ndarray):
            self._known[id(value)] = stand_in
            self._keep.append(value)

    def stand_in_for(self, value: Any) -> StandIn:
        """The stand-in of a value an operation writes into: itself, or a leaf's array the trace knows."""
        if isinstance(value, StandIn):
            return value
        known = self._known.get(id(value))
        if known is None:
            self.problem("writes in place into an array the trace has not seen (not a parameter, an input or "
                         "a value computed in the step), so the compiled step could not find it again")
            known = StandIn(value, self)
        return known

    def arrays_of(self, op: Any, inputs: Iterable[Tensor], arrays: list) -> list:
        """Op.apply's hook: the inputs' arrays, each a stand-in; a tensor from before the step gets one that the
        compiled code reads from it at each call (its `.data`)."""
        self.op, self.phase = op, "forward"
        return self.leaf_arrays(inputs, arrays)

    def leaf_arrays(self, tensors: Iterable[Tensor], arrays: Iterable[Any]) -> list:
        """The tensors' arrays as stand-ins (an in-place operator's hook too: `p *= 0.9` under no_grad)."""
        return [array if isinstance(array, StandIn) else self._leaf(tensor) for tensor, array in zip(tensors, arrays)]

    def _leaf(self, tensor: Tensor) -> StandIn:
        """A tensor from before the step: its stand-in, which its `.data` is until the trace closes (so that
        code reading `w.data` reads it too: `w.data *= 0.5`, `if w.data.max() > 1` are written down)."""
        if type(tensor.data) is StandIn:
            return tensor.data
        known = self._known.get(id(tensor.data))
        if known is None:
            known = self.input(tensor.data, ("data", weakref.ref(tensor)), hint=("tensor", weakref.ref(tensor)))
        if type(tensor.data) is not StandIn:
            tensor.data = known
            self._restore.append((tensor, "data"))
        return known

    def stand_in_of(self, tensor: Tensor) -> StandIn | None:
        """The stand-in that a tensor's array is, or has, in this trace (None: the trace has not seen it)."""
        return tensor.data if isinstance(tensor.data, StandIn) else self._known.get(id(tensor.data))

    def seed(self, seed: Any) -> StandIn:
        """backward's first gradient as a line of the step: np.ones for the usual dL/dL = 1."""
        if isinstance(seed, StandIn):
            return seed
        self.phase, self.op = "backward", None
        if np.all(seed == 1):
            seed = self.record("np.ones({0}, dtype={1})", (seed.shape, seed.dtype),
                               lambda shape, dtype: np.ones(shape, dtype=dtype), CALL)
        else:
            seed = self.record("np.array({0})", (seed,), np.array, CALL)
        self.lines[-1].note = "dL/dL = 1: where the chain rule starts"
        return seed

    def output_tensor(self, tensor: Tensor, op: Any, data: StandIn) -> StandIn:
        """The hook of Tensor's constructors for a stand-in: name it after the tensor and its op, and give the
        tensor its real value back at the end."""
        if data.hint is None or data.hint[0] != "output":
            data.hint = ("output", type(op) if op is not None else None, weakref.ref(tensor))
        self.created.add(id(tensor))
        for name, value in vars(op).items() if op is not None else ():  # what forward kept: `positive`, `local_grad`
            if isinstance(value, StandIn) and value.hint is None:
                value.hint = name
        self._restore.append((tensor, "data"))
        return data

    # ---------------------------------------------------------------- backward --
    def named_gradients(self, pairs: Iterator[tuple[Tensor, Any]]) -> Iterator[tuple[Tensor, Any]]:
        """backward_pass's (tensor, gradient) pairs, passed through: each gradient is named after its tensor
        (dL_dh1), and the op whose backward runs next is the one that made the tensor."""
        for node, node_grad in pairs:
            self.phase = "backward"
            if node._hooks:
                self.problem("runs a hook (register_hook) on a gradient: a hook is Python the trace cannot see")
            if isinstance(node_grad, StandIn) and (node_grad.hint is None or node_grad.hint[0] != "gradient"):
                node_grad.hint = ("gradient", self.stand_in_of(node))
            self.op = node._op
            yield node, node_grad
        self.phase, self.op = "forward", None

    def backward(self, root: Tensor, seed: Any, walk: Callable) -> None:
        """Tensor.backward inside the trace: the same walk (`walk` is backward_pass), its seed a line of the
        step and each gradient named; then its writes to `.grad`, written down: a copy in the tensor's dtype,
        or an addition to the gradient the tensor holds (one from before the step is read at each call)."""
        finished = [(node, node_grad) for node, node_grad in self.named_gradients(walk(root, self.seed(seed)))
                    if node._op is None or node._retains_grad]
        self.phase, self.op = "backward", None
        for node, node_grad in finished:
            self.grad_was_none.setdefault(id(node), node.grad is None)
            if node.grad is None:
                node.grad = self.record("np.array({0}, dtype={1})", (node_grad, node.data.dtype),
                                        lambda value, dtype: np.array(value, dtype=dtype), CALL)
                self.lines[-1].note = ".grad: a copy of the gradient (other values may share its array)"
                node.grad.hint = ("grad", self.stand_in_of(node))
            else:
                held = node.grad
                if not isinstance(held, StandIn):
                    held = self.input(held, ("grad", weakref.ref(node)), hint=("grad", self.stand_in_of(node)))
                node.grad = self.in_place(held, "{0} += {1}", (held, node_grad), add_in_place)
            self.grads_written[id(node)] = weakref.ref(node)
            self._restore.append((node, "grad"))
        self.phase = "forward"

    def zeroed(self, tensors: Iterable[Tensor]) -> None:
        """zero_grad's hook: these gradients start afresh in the step, whatever they were when it began."""
        self.zeroed_grads.update(map(id, tensors))

    # --------------------------------------------------------------- the update --
    def traced_update(self, optimizer: Any) -> Callable[[Any, Any, dict], None]:
        """Optimizer.step's hook: its `update(value, grad, state)`, given one parameter's array and gradient as
        stand-ins, and its state dict with stand-ins in place of its values (read at each call; what the update
        writes there, written back)."""
        self.hyperparameters.setdefault(optimizer, numbers_of(optimizer))

        def update(value: Any, grad: Any, state: dict) -> None:
            param = next(p for p in optimizer.params if p.data is value)
            optimizer.update(*self._update_arguments(optimizer, param, state))
        return update

    def _update_arguments(self, optimizer: Any, param: Tensor, state: dict) -> tuple[StandIn, StandIn, dict]:
        self.phase, self.op = "update", None
        self.updated.setdefault(optimizer, []).append(param)
        grad = param.grad
        if not isinstance(grad, StandIn):
            grad = self.input(grad, ("grad", weakref.ref(param)), hint=("grad", self._leaf(param)))
        self.states.append((state, frozenset(state)))
        for key, value in state.items():
            if not isinstance(value, StandIn):
                state[key] = self.input(value, ("state", state, key), hint=("state", self._leaf(param), key))
            self._restore.append((state, key))
        return self._leaf(param), grad, _StateRecord(state, self, param)

    # ---------------------------------------------------------------- recording --
    def record(self, form: str, args: tuple, function: Callable, precedence: int) -> Any:
        """Do an operation for real on the stand-ins' values, and write it down: its result is a new stand-in.
        An array the trace knows (a parameter's, read as `w.data`) stands for its stand-in."""
        args = tuple(self._known.get(id(a), a) if type(a) is np.ndarray else a for a in args)
        result = function(*map(value_of, args))
        return self._emit(form, args, result, precedence)

    def _emit(self, form: str, args: tuple, result: Any, precedence: int) -> Any:
        if type(result) in (tuple, list) and result and all(isinstance(r, np.ndarray) for r in result):
            whole = self._emit(form, args, Items(result), precedence)  # np.split: each part, one item of it
            parts = [self.record("{0}[{1}]", (whole, i), lambda items, i: items[i], CALL) for i in range(len(result))]
            return type(result)(parts)
        if not isinstance(result, (np.ndarray, np.generic, bool, int, float, Items)):
            self.problem(f"made a {type(result).__name__} that is not an array, by {form}")
            return result
        out = StandIn(result, self)
        names = self._local_names()
        for arg in args:  # the names the code itself gives its values: `e`, `shifted`, `rows`
            if isinstance(arg, StandIn) and arg.hint is None and id(arg) in names:
                arg.hint = names[id(arg)]
            elif isinstance(arg, np.ndarray) and id(arg) in names:  # a constant
                self.constant_names.setdefault(id(arg), names[id(arg)])
        self.lines.append(Line(out, form, args, precedence, "value", self._where(), self._op_type(), self.phase))
        self._remember(result, out)
        return out

    def in_place(self, target: StandIn, form: str, args: tuple, function: Callable) -> StandIn:
        """An in-place change of `target` (args[0]), done for real and written down as a statement."""
        args = tuple(self._known.get(id(a), a) if type(a) is np.ndarray else a for a in args)
        result = function(*map(value_of, args))
        if not isinstance(target.value, np.ndarray):  # a number changes by rebinding: `t += 1`
            target.value = result
        self.lines.append(Line(None, form, args, 0, "in place", self._where(), self._op_type(), self.phase))
        return target

    def guard(self, stand_in: StandIn, convert: Callable) -> Any:
        """Python reads a value (`if x.any():`, `float(x)`): give it, and have the compiled code check it is the
        same at each call (a step whose decisions would differ runs eagerly then)."""
        value = convert(stand_in.value)
        self.lines.append(Line(None, f"{convert.__name__}({{0}})", (stand_in,), CALL, "guard", self._where(),
                               self._op_type(), self.phase, expected=value))
        return value

    def problem(self, what: str) -> None:
        """Something the trace cannot stand for: the compiled code will not be used (compiler/ says why)."""
        file, line = self._where()
        self.problems.append(f"{file}:{line} {what}")

    def _op_type(self) -> type | None:
        return type(self.op) if self.op is not None else None

    def _local_names(self) -> dict[int, str]:
        """The names of the arrays and stand-ins in the frames of the code doing the operation (four levels):
        the innermost name that says more than `x` or `grad` (a helper's parameter) wins."""
        names: dict[int, str] = {}
        frame = self._frame()
        for _ in range(4):
            if frame is None:
                break
            for name, value in frame.f_locals.items():
                if isinstance(value, (StandIn, np.ndarray)) and name not in GENERIC_NAMES:
                    names.setdefault(id(value), name)
            frame = frame.f_back
        return names

    def _frame(self) -> Any:
        """The frame of the code that did the operation: the first outside the stand-ins and the trace."""
        frame = caller_frame()
        while frame is not None and frame.f_code.co_filename in (__file__, stand_in.__file__):
            frame = caller_frame(frame.f_back)
        return frame

    def _where(self) -> tuple[str, int]:
        frame = self._frame()
        return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)


class _StateRecord(dict):
    """An optimizer's state dict for one parameter, as its update sees it under a trace: a value the update
    stores (`state["step"] += 1`, a new buffer) goes into the real dict as well, to be written back."""

    def __init__(self, state: dict, trace: Trace, param: Tensor) -> None:
        super().__init__(state)
        self.real, self.trace, self.param = state, trace, param

    def __setitem__(self, key: str, value: Any) -> None:
        if not isinstance(value, StandIn):
            value = self.trace.record("{0}", (value,), lambda v: v, ATOM)
        if value.hint is None:
            value.hint = ("state", self.trace.stand_in_of(self.param), key)
        super().__setitem__(key, value)
        self.real[key] = value
        self.trace._restore.append((self.real, key))

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value
