"""A trace written out as Python: one straight-line function over NumPy arrays.

`write_source` turns the lines of a `Trace` (core/trace.py) into the source
of a function: forward, then backward, then update, each line named after
the tensor it computes (`z1`, `h1`, `dL_dz1`, the model's `W1`), each
backward line carrying the derivative comment of the op rule that made it.
It drops what nothing needs, hands `.grad` the array backward made when
nothing else holds it (eager backward copies it), and writes a value used
once, unnamed, into the line that uses it. What it writes is what runs:
compiler/step.py executes this very text.
"""

from __future__ import annotations

import inspect
import keyword
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.core.stand_in import ATOM, CALL, COMPARISON, StandIn
from minigrad.core.trace import Line, Trace

# What an op's output is called in the source: a linear map's z, an activation's h, a loss; else the op's name.
OUTPUT_NAMES = {"Affine": "z", "MatMul": "z", "Conv2dOp": "z", "ReLUOp": "h", "SigmoidOp": "h", "TanhOp": "h"}
HEADINGS = {"forward": "forward: the loss from the inputs",
            "backward": "backward: dL/d(each value), from the loss back to the parameters (the chain rule)",
            "update": "update: the optimizer changes the parameters in place"}


class GuardFailed(Exception):
    """A value the traced step read (at the file and line given) differs at this call: it runs eagerly."""


@dataclass
class Source:
    """The generated function: its text, the values it refers to by name, and what it reads and returns."""

    text: str
    namespace: dict[str, Any]
    parameters: list[tuple[StandIn, tuple]]   # in the function's order: each input with its source
    returns: list[StandIn]                    # in the order of its return statement
    late_guard: str = ""                      # where a guard comes after an input was changed in place, if one does
    names: dict[int, str] = field(default_factory=dict)  # id(stand-in) -> its name in the text


def write_source(trace: Trace, name: str, returns: list[StandIn], tensor_names: dict[int, str],
                 argument_names: list[str], guard_error: type, constants: dict[int, StandIn]) -> Source:
    """The source of `def name(<inputs>): ... return <returns>` for the trace's lines.

    `tensor_names` names the tensors the step reads (id(tensor) -> "W1"), `argument_names` its arguments,
    `constants` the stand-ins whose values are constants of the code; a failing guard raises `guard_error`."""
    lines = _needed(trace.lines, returns)
    lines, alias = _without_copies(lines, returns)
    returns = [alias.get(id(r), r) for r in returns]
    parameters = sorted(trace.inputs, key=lambda item: _source_order(item[1]))
    used = _uses(lines, returns)
    parameters = [(s, source) for s, source in parameters if used.get(id(s))]
    namer = _Namer(tensor_names, argument_names)
    for stand_in, source in parameters:
        namer.name(stand_in, source)
    inputs = {id(s) for s, _ in parameters}
    changed = [i for i, line in enumerate(lines) if line.kind == "in place" and id(line.args[0]) in inputs]
    late = [line for line in lines[changed[0]:] if line.kind == "guard"] if changed else []
    writer = _Writer(namer, used, guard_error, constants, trace.constant_names)
    body, phase = [], None
    for i, line in enumerate(lines):
        if line.kind == "value" and writer.inlinable(line, lines, i):
            writer.inline(line)
            continue
        if line.phase != phase and line.kind != "guard":
            phase = line.phase
            body += ["", f"    # {HEADINGS[phase]}"] if body else [f"    # {HEADINGS[phase]}"]
        body.append(writer.statement(line))
    outputs = ", ".join(writer.expression(r) for r in returns) + ("," if len(returns) == 1 else "")
    signature = ", ".join(namer.names[id(s)] for s, _ in parameters)
    made = [f"{key} {_shape_of(value)}" for key, value in writer.namespace.items() if key not in ("np", "math")
            and key != guard_error.__name__]
    header = [f"    # made by the step from constants, not inputs: {', '.join(made)}"] if made else []
    text = "\n".join([f"def {name}({signature}):", *header, *body, "",
                      f"    return {outputs}" if returns else "    return"])
    late_guard = f"{late[0].where[0].rsplit('/', 1)[-1]}:{late[0].where[1]}" if late else ""
    return Source(text + "\n", writer.namespace, parameters, returns, late_guard, namer.names)


def _source_order(source: tuple) -> tuple:
    """Arguments first, then the tensors the step reads, their gradients, the optimizer's state."""
    return ({"argument": 0, "data": 1, "grad": 2, "state": 3}[source[0]],)


def _walk(arg: Any) -> list[StandIn]:
    """The stand-ins inside an argument: itself, or those in an index, a tuple, a list or a slice."""
    if isinstance(arg, StandIn):
        return [arg]
    if type(arg).__name__ == "_IndexKey":
        return _walk(arg.key)
    if isinstance(arg, (tuple, list)):
        return [s for item in arg for s in _walk(item)]
    if isinstance(arg, slice):
        return _walk(arg.start) + _walk(arg.stop) + _walk(arg.step)
    return []


def _uses(lines: list[Line], returns: list[StandIn]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for line in lines:
        for s in _walk(line.args):
            counts[id(s)] = counts.get(id(s), 0) + 1
    for r in returns:
        counts[id(r)] = counts.get(id(r), 0) + 1
    return counts


def _needed(lines: list[Line], returns: list[StandIn]) -> list[Line]:
    """The lines something needs: a returned value, an in-place change, a guard, or a line they need."""
    needed = {id(r) for r in returns}
    kept = []
    for line in reversed(lines):
        if line.kind != "value" or id(line.out) in needed:
            kept.append(line)
            needed.update(id(s) for s in _walk(line.args))
    return kept[::-1]


def _without_copies(lines: list[Line], returns: list[StandIn]) -> tuple[list[Line], dict[int, StandIn]]:
    """Eager backward gives `.grad` a copy of the gradient, as other values may hold the same array. Where
    nothing else uses the gradient (and it is an array the step made, of the same dtype), the copy is dropped
    and `.grad` is that array itself."""
    uses = _uses(lines, returns)
    made = {id(line.out) for line in lines if line.kind == "value"}
    alias: dict[int, StandIn] = {}
    kept = []
    for line in lines:
        if line.kind == "value" and line.form == "np.array({0}, dtype={1})":
            source, dtype = line.args
            if (isinstance(source, StandIn) and uses.get(id(source)) == 1 and id(source) in made
                    and isinstance(source.value, np.ndarray) and source.value.dtype == dtype
                    and source.value.base is None and source.value.flags.writeable):  # its own memory
                alias[id(line.out)] = source
                continue
        if alias:
            line.args = _replaced(line.args, alias)
        kept.append(line)
    return kept, alias


def _replaced(arg: Any, alias: dict[int, StandIn]) -> Any:
    if isinstance(arg, StandIn):
        return alias.get(id(arg), arg)
    if type(arg) in (tuple, list):
        return type(arg)(_replaced(item, alias) for item in arg)
    return arg


class _Namer:
    """Names for the stand-ins: the step's own names where it has them, numbered when they repeat."""

    def __init__(self, tensor_names: dict[int, str], argument_names: list[str]) -> None:
        self.tensor_names, self.argument_names = tensor_names, argument_names
        self.names: dict[int, str] = {}
        self.taken: set[str] = {"np", "math", "GuardFailed"}
        self.counts: dict[str, int] = {}

    def name(self, stand_in: StandIn, source: tuple | None = None) -> str:
        if id(stand_in) not in self.names:
            self.names[id(stand_in)] = self._unique(*self._base(stand_in, source))
        return self.names[id(stand_in)]

    def _base(self, stand_in: StandIn, source: tuple | None) -> tuple[str, bool]:
        """A name, and whether it is numbered (z1, z2) rather than made unique only when it repeats."""
        if source is not None and source[0] == "argument":
            return self.argument_names[source[1]], False
        hint = stand_in.hint
        if isinstance(hint, str):
            return hint, False
        if isinstance(hint, tuple):
            kind = hint[0]
            if kind == "tensor":
                tensor = hint[1]()
                return (self.tensor_names.get(id(tensor)) or (tensor.name if tensor is not None else None)
                        or "t"), False  # a tensor the step made and dropped: a target, a one-hot matrix
            if kind == "output":
                tensor = hint[2]()
                if tensor is not None and tensor.name:
                    return tensor.name, False
                op = hint[1]
                if op is None:  # a Tensor the step made of an array: a target, a one-hot matrix
                    return "t", False
                if any(c.__name__ == "FusedLoss" for c in op.__mro__):
                    return "loss", False
                return OUTPUT_NAMES.get(op.__name__, op.name()), op.__name__ in OUTPUT_NAMES
            if kind in ("gradient", "grad"):
                of = hint[1]
                return ("dL_d" + self.name(of)) if of is not None else "dL", False
            if kind == "state":
                return f"{self.name(hint[1])}_{hint[2]}", False
            if kind == "value":
                return f"{self.name(hint[1])}_value", False
        return "t", True

    def _unique(self, base: str, numbered: bool) -> str:
        base = re.sub(r"\W", "_", base)
        base = base if base.isidentifier() and not keyword.iskeyword(base) else f"v_{base}"
        if numbered:
            count = self.counts.get(base, 0) + 1
            while f"{base}{count}" in self.taken:
                count += 1
            self.counts[base] = count
            name = f"{base}{count}"
        else:
            name, count = base, 1
            while name in self.taken:
                count += 1
                name = f"{base}_{count}"
        self.taken.add(name)
        return name


class _Writer:
    """Writes lines as Python: names, literals, constants, and values inlined where they are used once."""

    def __init__(self, namer: _Namer, used: dict[int, int], guard_error: type,
                 constants: dict[int, StandIn], constant_names: dict[int, str]) -> None:
        self.namer, self.used, self.constant_inputs, self.constant_names = namer, used, constants, constant_names
        self.namespace: dict[str, Any] = {"np": np, "math": math, guard_error.__name__: guard_error}
        self.guard_error = guard_error.__name__
        self.inlined: dict[int, tuple[str, int]] = {}  # id(stand-in) -> (expression, precedence)
        self.constants: dict[int, str] = {}

    def inlinable(self, line: Line, lines: list[Line], i: int) -> bool:
        """A value used once, that the code gave no name, used by a later line of the same phase with nothing
        changed in place between them."""
        if self.used.get(id(line.out)) != 1 or isinstance(line.out.hint, tuple) \
                and line.out.hint[0] in ("gradient", "grad", "state", "tensor", "output"):
            return False
        for later in lines[i + 1:]:
            if any(s is line.out for s in _walk(later.args)):
                return later.phase == line.phase
            if later.kind == "in place":
                return False
        return False

    def inline(self, line: Line) -> None:
        self.inlined[id(line.out)] = (self._render(line), line.precedence)

    def statement(self, line: Line) -> str:
        code = self._render(line)
        if line.kind == "value":
            code = f"{self.namer.name(line.out)} = {code}"
        elif line.kind == "guard":
            if line.form.startswith("bool("):
                value = self._arg(line.args[0], 5)  # `not` binds more loosely than a comparison
                check = f"not {value}" if line.expected else value
            else:
                check = f"{code} != {line.expected!r}"
            file, number = line.where
            place = f"{file.replace(chr(92), '/').rsplit('/', 1)[-1]}:{number}"
            code = f"if {check}: raise {self.guard_error}({place!r})"
        comment = self._comment(line)
        return f"    {code}" + (f"  # {comment}" if comment else "")

    def expression(self, stand_in: StandIn) -> str:
        return self._arg(stand_in, ATOM)

    def _comment(self, line: Line) -> str:
        if line.kind == "guard":
            return "if so, the eager step does otherwise: run it"
        comment = line.comment()
        if not comment and line.phase == "backward":
            comment = derivative_comment(line.op) if line.op is not None else ".grad: the gradient, kept"
        return comment

    def _render(self, line: Line) -> str:
        fields = [int(n) for n in re.findall(r"\{(\d+)\}", line.form)]
        rendered = {}
        for n in set(fields):
            arg = line.args[n]
            at = line.form.index(f"{{{n}}}")
            if type(arg).__name__ == "_IndexKey":
                rendered[n] = self._index(arg.key)
            elif at and line.form[at - 1] in "(=" or line.form[at - 2:at] == ", ":  # an argument of a call
                rendered[n] = self._arg(arg, 0)
            else:  # an operand: brackets where it binds more loosely (or as loosely, but for a left operand;
                #    a comparison's operands always, as Python would chain `a > 0 == b`)
                left = at == 0 and line.precedence not in (COMPARISON, 14)
                rendered[n] = self._arg(arg, line.precedence + (0 if left else 1))
        return re.sub(r"\{(\d+)\}", lambda m: rendered[int(m.group(1))], line.form)

    def _arg(self, arg: Any, needs: int) -> str:
        """An argument where an expression binding at least as tightly as `needs` may stand without brackets."""
        if isinstance(arg, StandIn):
            if id(arg) in self.constant_inputs:  # a tensor the step made from numbers: a literal, or by name
                value = arg.value
                return repr(value[()]) if value.ndim == 0 else self._constant(value, self.namer.name(arg))
            if id(arg) in self.inlined:
                code, precedence = self.inlined[id(arg)]
                return code if precedence >= needs else f"({code})"
            return self.namer.name(arg)
        return self._literal(arg)

    def _literal(self, value: Any) -> str:
        if isinstance(value, float) and not np.isfinite(value):
            return "np.nan" if np.isnan(value) else "np.inf" if value > 0 else "-np.inf"
        if value is None or isinstance(value, (bool, int, float, str)) or value is Ellipsis:
            return "..." if value is Ellipsis else repr(value)
        if isinstance(value, np.generic) and value.ndim == 0:
            return repr(value)
        if isinstance(value, np.dtype):
            return f"np.{value.name}"
        if isinstance(value, type) and issubclass(value, np.generic):
            return f"np.{value.__name__}"
        if isinstance(value, tuple):
            items = [self._literal(v) if not isinstance(v, StandIn) else self._arg(v, ATOM) for v in value]
            return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
        if isinstance(value, list):
            return "[" + ", ".join(self._arg(v, ATOM) for v in value) + "]"
        if isinstance(value, slice):
            return f"slice({', '.join(self._arg(v, ATOM) for v in (value.start, value.stop, value.step))})"
        return self._constant(value)

    def _constant(self, value: Any, name: str | None = None) -> str:
        """An array (or other object) the step made from constants: the function finds it by name."""
        if id(value) not in self.constants:
            name = name or (self.namer._unique(self.constant_names[id(value)], False) if id(value) in
                            self.constant_names else self.namer._unique("constant", True))
            self.constants[id(value)] = name
            self.namespace[name] = value
        return self.constants[id(value)]

    def _index(self, key: Any) -> str:
        items = key if isinstance(key, tuple) else (key,)
        parts = []
        for item in items:
            if isinstance(item, slice):
                parts.append(":".join(["" if v is None else self._arg(v, ATOM) for v in (item.start, item.stop)]
                                      + ([self._arg(item.step, ATOM)] if item.step is not None else [])))
            else:
                parts.append(self._arg(item, CALL) if isinstance(item, StandIn) else self._literal(item))
        if isinstance(key, tuple) and len(key) == 1:
            return parts[0] + ","
        return ", ".join(parts) if parts else "()"


def _shape_of(value: Any) -> str:
    """A constant as the header describes it: `(10, 10) float32`."""
    return f"{value.shape} {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__


_DERIVATIVES: dict[type, str] = {}


def derivative_comment(op: type) -> str:
    """The derivative an op's backward computes, as its author wrote it: the comment on its return line (the
    first comment of the rule when that line has none)."""
    if op not in _DERIVATIVES:
        rule: Callable = op.backward
        try:
            lines = inspect.getsource(rule).splitlines()
        except (OSError, TypeError):
            lines = []
        comments = [line.split("#", 1)[1].strip() for line in lines if "#" in line]
        returning = [line.split("#", 1)[1].strip() for line in lines if "return" in line and "#" in line]
        _DERIVATIVES[op] = (returning or comments or [f"{op.__name__}'s backward"])[0]
    return _DERIVATIVES[op]
