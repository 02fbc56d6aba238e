"""`minigrad.compile`: a training step traced once, then run as the plain NumPy code it is.

The first call with given argument shapes and dtypes runs the step eagerly
while tracing it (compiler/capture.py): the forward ops, backward, the
optimizer's update. The trace is written out as one Python function
(compiler/source.py: `.source`), and later calls with the same shapes run
that function on the new arguments and on the parameters' current arrays,
writing `.grad`, the parameters and the optimizer's state as the eager
step would. Anything the trace sees and cannot stand for (a tensor's hook, an array
leaving NumPy's dispatch, Python changing an optimizer's lr) makes the step
run eagerly, with one warning that says why. What it never sees (a random
draw, a Python counter) is frozen: `check=True` is for finding those.
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.compiler.capture import Capture, ReturnedTensor, capture
from minigrad.compiler.checking import CompileCheckError, compare_with_eager
from minigrad.compiler.source import GuardFailed, Source, write_source
from minigrad.core.grad_mode import grad_mode
from minigrad.core.stand_in import StandIn
from minigrad.core.tensor import Tensor
from minigrad.core.trace import tracing
from minigrad.core.versions import versions

__all__ = ["CompileCheckError", "CompileWarning", "CompiledStep", "GuardFailed", "compile"]

MAX_TRACES = 4  # per argument shapes: more retraces than this, and the step runs eagerly (with a warning)
MAX_KEYS = 64    # argument shapes (and numbers' values) traced: more, and the step runs eagerly


class CompileWarning(UserWarning):
    """A compiled step runs eagerly instead, for the reason the message gives."""


def compile(fn: Callable | None = None, *, check: bool = False) -> Any:  # the builtin's name, as torch.compile
    """A training step that runs as straight-line NumPy after its first call (as `torch.compile`).

    The first call with given argument shapes and dtypes runs `fn` eagerly and traces it: its ops, its
    `backward()` or `minigrad.grad`, its optimizer's `step()` and `zero_grad()`. Later calls with the
    same shapes run the traced code, reading the arguments and the parameters' arrays afresh and
    writing `.grad`, the parameters and the optimizer's state as `fn` would. `.source` is that code.

    What a trace cannot see is frozen at trace time: random numbers drawn inside the step, a NumPy
    array the step captures (pass new data as arguments instead), Python side effects (appending to
    a list, printing, a counter, a module's forward hook: they run once, when traced). Decisions on
    values it does see (`if loss.item() > 1`, `if w.data.max() > 1`, the checks a loss makes on its
    labels) are checked at every call, and a call whose values decide otherwise runs eagerly.
    `check=True` runs the eager step beside the compiled one at every call and raises
    `CompileCheckError` on any difference: for debugging. A step that cannot be traced (a hook on a
    tensor, an array converted with np.asarray) runs eagerly, with one `CompileWarning` naming the
    reason. Returned tensors carry no graph.

    >>> import minigrad as mg
    >>> w = mg.Tensor([1.0, -2.0], requires_grad=True)
    >>> optimizer = mg.optim.SGD([w], lr=0.5)
    >>> @mg.compile
    ... def step(x):
    ...     optimizer.zero_grad()
    ...     loss = ((w * x).relu() ** 2).sum()
    ...     loss.backward()
    ...     optimizer.step()
    ...     return loss.item()
    >>> step(mg.Tensor([1.0, 1.0])), step(mg.Tensor([1.0, 1.0]))   # traced, then compiled
    (1.0, 0.0)
    >>> print(step.source.splitlines()[0])
    def step(x, w):
    """
    if fn is None:
        return lambda function: CompiledStep(function, check)
    return CompiledStep(fn, check)


class CompiledStep:
    """What `compile` returns: call it as the step; `.source` is the code of its last trace."""

    def __init__(self, fn: Callable, check: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"compile: expected a function, got {type(fn).__name__}")
        functools.update_wrapper(self, fn)
        self.fn, self.check = fn, check
        try:
            parameters = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            parameters = []
        self.argument_names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.keyword_only = [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.VAR_KEYWORD)]
        self.entries: dict[tuple, list[_Entry]] = {}
        self.eager: dict[tuple, str] = {}  # argument shapes that run eagerly, and why
        self.given_up: str | None = None   # why every call runs eagerly, if they all do
        self.last: _Entry | None = None

    @property
    def source(self) -> str:
        """The generated function of the last call that was traced (call the step once first)."""
        if self.last is None:
            reason = self.given_up or next(iter(self.eager.values()), None)
            raise RuntimeError(f"compile: {self.__name__} has no compiled code yet" +
                               (f"; it runs eagerly: {reason}" if reason else "; call it once first"))
        return self.last.source.text

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.given_up or tracing.active is not None:  # inside another step's trace: part of that trace
            return self.fn(*args, **kwargs)
        if kwargs:
            positional = self._positional(args, kwargs)
            if positional is None:
                return self.fn(*args, **kwargs)
            args = positional
        key = _key(args)
        for entry in self.entries.get(key, ()):
            if entry.holds(args):
                return self._run(entry, args)
        if key in self.eager:
            return self.fn(*args)
        return self._trace(key, args)

    def _positional(self, args: tuple, kwargs: dict) -> tuple:
        if self.keyword_only:
            self.given_up = (f"it takes keyword-only arguments ({', '.join(self.keyword_only)}); give them "
                             "positions to compile it")
            warnings.warn(f"compile: {self.__name__} runs eagerly: {self.given_up}", CompileWarning, stacklevel=3)
            return None
        bound = inspect.signature(self.fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return tuple(bound.arguments.values())

    def _run(self, entry: _Entry, args: tuple) -> Any:
        self.last = entry
        if self.check:
            return compare_with_eager(self, entry, args)
        try:
            return entry.run(args)
        except GuardFailed as failed:  # nothing has changed yet: the guards come before any update
            entry.failures += 1
            if entry.failures > MAX_TRACES:
                self._run_eagerly(_key(args), f"the value read at {failed} keeps changing")
            return self.fn(*args)

    def _trace(self, key: tuple, args: tuple) -> Any:
        reason = _unsupported(args) or (f"it was called with {MAX_KEYS} different argument shapes or values"
                                        if len(self.entries) + len(self.eager) >= MAX_KEYS else None)
        if reason:
            self.given_up = reason
            warnings.warn(f"compile: {self.__name__} runs eagerly: {reason}", CompileWarning, stacklevel=3)
            return self.fn(*args)
        names = (self.argument_names + [f"arg{i}" for i in range(len(self.argument_names), len(args))])[:len(args)]
        captured = capture(self.fn, args, names)
        problems = captured.trace.problems
        if not problems and len(self.entries.get(key, ())) >= MAX_TRACES:
            problems = [f"its structure changed {MAX_TRACES} times (which gradients are None, the optimizer's "
                        "state or hyperparameters)"]
        if not problems:
            name = self.__name__ if self.__name__.isidentifier() else "step"  # a lambda's name is not
            entry, problems = _Entry.build(name, captured)
            if entry is not None:
                self.entries.setdefault(key, []).append(entry)
                self.last = entry
        if problems:
            self._run_eagerly(key, "; ".join(dict.fromkeys(problems[:3])))
        return captured.result

    def _run_eagerly(self, key: tuple, reason: str) -> None:
        self.eager[key] = reason
        self.entries.pop(key, None)
        warnings.warn(f"compile: {self.__name__} runs eagerly: {reason}", CompileWarning, stacklevel=4)


def _unsupported(args: tuple) -> str | None:
    """Why arguments cannot be traced: tensors or arrays inside a list, a tuple or a dict would be read as
    they were at the trace, not as they are at a call."""
    for i, arg in enumerate(args):
        if isinstance(arg, (list, dict, set)) or isinstance(arg, tuple) and _describe(arg)[0] != "value":
            return (f"argument {i} is a {type(arg).__name__}, whose contents a trace would freeze; pass each "
                    "tensor, array or number as an argument of its own")
    return None


def _key(args: tuple) -> tuple:
    """What a trace is valid for: each argument's shape and dtype (a tensor's, whether it requires grad), a
    number's value, an object's identity; and whether grad mode is on."""
    key = (grad_mode.enabled, *map(_describe, args))
    if len(args) > 1 and len({id(a) for a in args}) < len(args):  # the same tensor given twice: part of the key
        key += (tuple(next(j for j, b in enumerate(args) if b is a) for a in args),)
    return key


def _describe(arg: Any) -> tuple:
    if isinstance(arg, Tensor):
        return ("tensor", arg.data.shape, arg.data.dtype, arg._requires_grad)
    if isinstance(arg, np.ndarray):
        return ("array", arg.shape, arg.dtype)
    if isinstance(arg, (bool, int, float, str, type(None), np.generic)):
        return ("value", type(arg), arg)
    if isinstance(arg, tuple) and all(isinstance(item, (bool, int, float, str, np.generic)) for item in arg):
        return ("value", tuple, arg)
    return ("object", id(arg))


class _Entry:
    """One trace, compiled: the step's function, the code that feeds it, and the guards it needs."""

    def __init__(self, source: Source, run: Callable, holds: Callable, captured: Capture) -> None:
        self.source, self.run, self.holds, self.captured = source, run, holds, captured
        self.failures = 0

    @classmethod
    def build(cls, name: str, captured: Capture) -> tuple[_Entry | None, list[str]]:
        trace = captured.trace
        outputs = _outputs(captured)
        source = write_source(trace, name, [s for s, _ in outputs], captured.tensor_names,
                              captured.argument_names, GuardFailed, captured.constants)
        if source.late_guard:
            return None, [f"it reads a value (at {source.late_guard}) after it has changed an input in place, "
                          "so a call whose value differs could not run eagerly instead"]
        namespace = dict(source.namespace)
        exec(source.text, namespace)  # the code shown is the code that runs
        runner, feeding = _runner(name, source, outputs, captured)
        feeding[name] = namespace[name]
        exec(runner, feeding)
        trace.release()  # the traced run's arrays: the code needs none of them now
        return cls(source, feeding["run"], feeding["holds"], captured), []


def _outputs(captured: Capture) -> list[tuple[StandIn, tuple]]:
    """What the function returns, each with where it goes: the step's result, .grad, the optimizer's state."""
    outputs: list[tuple[StandIn, tuple]] = []
    for stand_in in _stand_ins_in(captured.returned):
        outputs.append((stand_in, ("result",)))
    for tensor, grad in captured.grads:
        if isinstance(grad, StandIn):
            outputs.append((grad, ("grad", tensor)))
    for tensor, data in captured.rebound:
        outputs.append((data, ("data", tensor)))
    inputs = {id(s) for s, _ in captured.trace.inputs}
    for state, key, value in captured.states:
        if id(value) not in inputs or not isinstance(value.value, np.ndarray):  # a new value, or a number
            outputs.append((value, ("state", state, key)))
    return outputs


def _stand_ins_in(value: Any) -> list[StandIn]:
    if isinstance(value, StandIn):
        return [value]
    if isinstance(value, ReturnedTensor):
        return [value.data]
    if isinstance(value, (tuple, list)):
        return [s for item in value for s in _stand_ins_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _stand_ins_in(item)]
    return []


def _runner(name: str, source: Source, outputs: list, captured: Capture) -> tuple[str, dict]:
    """The code that feeds the function at each call (read the arrays, call, write back) and the code
    that checks a call matches the trace's structure; with the objects they refer to."""
    objects: dict[str, Any] = {"Tensor": Tensor, "versions": versions}
    ids: dict[int, str] = {}

    def ref(obj: Any, prefix: str) -> str:
        if id(obj) in captured.argument_tensors:  # an argument: the one this call is given
            return f"args[{captured.argument_tensors[id(obj)]}]"
        if id(obj) not in ids:
            ids[id(obj)] = f"{prefix}{len(ids)}"
            objects[ids[id(obj)]] = obj
        return ids[id(obj)]

    reads = []
    for stand_in, source_of in source.parameters:
        kind = source_of[0]
        if kind == "argument":
            i = source_of[1]
            reads.append(f"args[{i}].data" if captured.argument_is_tensor[i] else f"args[{i}]")
        elif kind == "data":
            reads.append(f"{ref(source_of[1](), 'T')}.data")
        elif kind == "grad":
            reads.append(f"{ref(source_of[1](), 'T')}.grad")
        else:
            reads.append(f"{ref(source_of[1], 'S')}[{source_of[2]!r}]")
    body = [f"    out = {name}({', '.join(reads)})"]
    for j, (_, where) in enumerate(outputs):
        if where[0] == "grad":
            body.append(f"    {ref(where[1], 'T')}.grad = out[{j}]")
        elif where[0] == "state":
            body.append(f"    {ref(where[1], 'S')}[{where[2]!r}] = out[{j}]")
        elif where[0] == "data":
            body.append(f"    {ref(where[1], 'T')}.data = out[{j}]")
    for tensor, grad in captured.grads:
        if grad is None:
            body.append(f"    {ref(tensor, 'T')}.grad = None")
    for optimizer, updated in captured.trace.updated.items():
        if len(updated) == len(optimizer.params):
            body.append(f"    {ref(optimizer, 'O')}.changes.add()")
        else:
            body.append(f"    versions.changed({', '.join(ref(p, 'T') + '.data' for p in updated)})")
    results = iter(range(len(outputs)))
    body.append(f"    return {_rebuild(captured.returned, results, ref)}")
    checks = []
    for kind, obj, expected in captured.structure:
        if kind == "grad":
            checks.append(f"{ref(obj, 'T')}.grad is {'' if expected else 'not '}None")
        elif kind == "state":
            checks.append(f"{ref(obj, 'S')}.keys() == {ref(expected, 'K')}")
        elif kind == "training":
            checks.append(f"{ref(obj, 'M')}.training is {expected}")
        elif kind == "requires_grad":
            checks.append(f"{ref(obj, 'T')}._requires_grad is {expected}")
        elif kind == "attribute":
            holder, key = obj
            checks.append(f"{ref(holder, 'A')}.{key} is {ref(expected, 'V')}")
        elif kind == "bound":
            holder, key = obj
            place = f"{ref(holder, 'C')}.cell_contents" if key is None else f"{ref(holder, 'G')}[{key!r}]" \
                if isinstance(holder, dict) else f"{ref(holder, 'B')}.{key}"
            checks.append(f"{place} is {ref(expected, 'V')}")
        else:
            checks += [f"{ref(obj, 'O')}.{attribute} == {value!r}" for attribute, value in expected]
    holds = f"def holds(args):\n    return {' and '.join(checks) or 'True'}\n"
    return "def run(args):\n" + "\n".join(body) + "\n\n" + holds, objects


def _rebuild(value: Any, results: Any, ref: Callable) -> str:
    """The expression that gives the step's return value from the function's outputs."""
    if isinstance(value, StandIn):
        return f"out[{next(results)}]"
    if isinstance(value, ReturnedTensor):
        return f"Tensor._from_op(out[{next(results)}], None)"
    if isinstance(value, tuple):
        items = [_rebuild(v, results, ref) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    if isinstance(value, list):
        return "[" + ", ".join(_rebuild(v, results, ref) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{ref(k, 'R')}: {_rebuild(v, results, ref)}" for k, v in value.items()) + "}"
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    return ref(value, "R")
