"""Stand-in arrays: arrays that write down what is done with them.

`minigrad.compile` turns a training step into straight-line NumPy code by
running it once on stand-ins (core/trace.py says when). A `StandIn` wraps a
real value, an array or a number, and does every operation on it for real,
so the traced run is an ordinary eager run with ordinary results; but each
operation is also written down, as one `Line` of the active trace: which
NumPy call, on which values, from which line of which op. The ops never
know: their own forward and backward, run on stand-ins, are what gets
written down, so the generated code comes from each op's one rule.

What a stand-in cannot write down it reports instead of guessing:
- a Python decision on a value (`if x.max() > 0`, `float(x)`) becomes a
  guard, checked by the compiled code at every call;
- a conversion that leaves NumPy's dispatch (`np.asarray(x)`) is a problem,
  and the trace is not used.

>>> from minigrad.core.trace import Trace
>>> with Trace() as trace:
...     z = trace.input(np.array([1.0, -2.0]), ("argument", 0), hint="z")
...     h = np.maximum(z, 0) * 2
>>> [line.code() for line in trace.lines], h.value.tolist()
(['np.maximum(z, 0)', '_ * 2'], [2.0, 0.0])
"""

from __future__ import annotations

import math
import operator
import sys
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from minigrad.core.trace import Trace

STATIC = frozenset({"shape", "ndim", "dtype", "size", "itemsize", "nbytes", "strides", "flags"})  # fixed by the key
MUTATING = frozenset({"fill", "sort", "put", "partition", "resize", "setflags"})  # methods that change the array

# Python's operators: symbol, precedence (higher binds tighter, as in the language reference).
BINARY = {"add": ("+", 11), "sub": ("-", 11), "mul": ("*", 12), "truediv": ("/", 12), "floordiv": ("//", 12),
          "mod": ("%", 12), "matmul": ("@", 12), "pow": ("**", 14), "and": ("&", 8), "or": ("|", 6),
          "xor": ("^", 7), "lt": ("<", 5), "le": ("<=", 5), "gt": (">", 5), "ge": (">=", 5), "eq": ("==", 5),
          "ne": ("!=", 5)}
UNARY = {"neg": ("-", 13), "pos": ("+", 13), "invert": ("~", 13)}
UFUNC_OPERATORS = {np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "truediv",
                   np.floor_divide: "floordiv", np.remainder: "mod", np.matmul: "matmul", np.power: "pow",
                   np.bitwise_and: "and", np.bitwise_or: "or", np.bitwise_xor: "xor", np.less: "lt",
                   np.less_equal: "le", np.greater: "gt", np.greater_equal: "ge", np.equal: "eq",
                   np.not_equal: "ne"}
ATOM, CALL, COMPARISON = 20, 16, 5  # a name or literal; a call, an attribute or an index; <, ==, ...


class StandIn:
    """A value (`value`: an array, a NumPy scalar or a Python number) whose operations are written down in `trace`."""

    __slots__ = ("value", "trace", "hint", "__weakref__")
    __array_priority__ = 1000  # `array + stand_in` asks the stand-in

    def __init__(self, value: Any, trace: Trace, hint: str | None = None) -> None:
        self.value, self.trace, self.hint = value, trace, hint

    def __repr__(self) -> str:
        return f"StandIn({self.value!r})"

    # ------------------------------------------------------- NumPy's dispatch --
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        out = kwargs.pop("out", None)
        name = UFUNC_OPERATORS.get(ufunc) if method == "__call__" and not kwargs else None
        if out is not None:  # in place: `a -= b` is np.subtract(a, b, out=(a,))
            (target,) = out
            target = self.trace.stand_in_for(target)
            if name and len(inputs) == 2 and (inputs[0] is target or inputs[0] is target.value):
                return self.trace.in_place(target, f"{{0}} {BINARY[name][0]}= {{1}}", (target, inputs[1]),
                                           lambda a, b: ufunc(a, b, out=a))
            n = len(inputs)
            form = _call_form(f"np.{ufunc.__name__}", n, kwargs, first=1, out=True)
            return self.trace.in_place(target, form, (target, *inputs, *kwargs.values()),
                                       lambda a, *values: ufunc(*values[:n], **dict(zip(kwargs, values[n:])), out=a))
        if name:
            symbol, precedence = BINARY[name]
            return self.trace.record(f"{{0}} {symbol} {{1}}", inputs, getattr(operator, _py(name)), precedence)
        if method == "at":  # np.add.at(a, index, b): a changes in place
            target = self.trace.stand_in_for(inputs[0])
            return self.trace.in_place(target, f"np.{ufunc.__name__}.at({{0}}, {{1}}, {{2}})",
                                       (target, *inputs[1:]), ufunc.at)
        function = ufunc if method == "__call__" else getattr(ufunc, method)
        prefix = f"np.{ufunc.__name__}" if method == "__call__" else f"np.{ufunc.__name__}.{method}"
        return self.trace.record(_call_form(prefix, len(inputs), kwargs), (*inputs, *kwargs.values()),
                                 lambda *values: _call(function, values, len(inputs), kwargs), CALL)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        prefix = numpy_path(func)
        if prefix is None:
            self.trace.problem(f"calls {func.__name__}, which the compiled code could not name")
            return func(*[a.value if isinstance(a, StandIn) else a for a in args], **kwargs)
        form, values = _call_form(prefix, len(args), kwargs), (*args, *kwargs.values())
        written = kwargs.get("out") if kwargs.get("out") is not None else args[0] if kwargs.get("copy") is False \
            else None  # np.clip(g, lo, hi, out=g), np.nan_to_num(g, copy=False): a statement that changes g
        if written is not None:
            target = self.trace.stand_in_for(written)
            self.trace.in_place(target, form, values, lambda *vals: _call(func, vals, len(args), kwargs))
            return target
        return self.trace.record(form, values, lambda *vals: _call(func, vals, len(args), kwargs), CALL)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self.trace.problem("converts a traced array with np.asarray or np.array, which the trace cannot follow")
        value = np.asarray(self.value, dtype=dtype)
        return value.copy() if copy else value

    # ---------------------------------------------------- arrays' attributes --
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # NumPy's own protocols (__array_interface__...): a stand-in has only __array__
            raise AttributeError(name)
        attribute = getattr(self.value, name)
        if name in STATIC:
            return attribute
        if not callable(attribute):  # .T, .real: a new array
            return self.trace.record(f"{{0}}.{name}", (self,), lambda value: getattr(value, name), CALL)

        def method(*args: Any, **kwargs: Any) -> Any:
            form, values = _call_form(f"{{0}}.{name}", len(args), kwargs, first=1), (self, *args, *kwargs.values())
            call = lambda value, *rest: _call(getattr(value, name), rest, len(args), kwargs)
            written = kwargs.get("out") if kwargs.get("out") is not None else self if name in MUTATING else None
            if written is not None:  # g.fill(0), g.clip(lo, hi, out=g): a statement that changes an array
                target = self.trace.stand_in_for(written)
                self.trace.in_place(target, form, values, call)
                return None if name in MUTATING else target
            result = self.trace.record(form, values, call, CALL)
            if name == "item":  # a Python number: the value of its array
                result.hint = ("value", self)
            return result
        return method

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self.value)))

    def __getitem__(self, index: Any) -> StandIn:
        return self.trace.record("{0}[{1}]", (self, _IndexKey(index)), lambda value, key: value[key.key], CALL)

    def __setitem__(self, index: Any, item: Any) -> None:
        self.trace.in_place(self, "{0}[{1}] = {2}", (self, _IndexKey(index), item),
                            lambda value, key, new: value.__setitem__(key.key, new))

    # -------------------------------------------- a value read by Python code --
    def __bool__(self) -> bool:
        return bool(self.trace.guard(self, bool))

    def __float__(self) -> float:
        return float(self.trace.guard(self, float))

    def __int__(self) -> int:
        return int(self.trace.guard(self, int))

    def __index__(self) -> int:
        return operator.index(self.trace.guard(self, int))

    def __format__(self, spec: str) -> str:  # printing inside the step: it prints once, when traced
        return format(self.value, spec)

    def __hash__(self) -> int:  # as a key, by identity (a value's hash would freeze it)
        return id(self)


def numpy_path(func: Any) -> str | None:
    """How code names a NumPy function: np.where, np.linalg.norm, np.lib.stride_tricks.sliding_window_view."""
    for path, module in (("np", np), ("np.linalg", np.linalg), ("np.lib.stride_tricks", np.lib.stride_tricks),
                         ("np.fft", np.fft)):
        if getattr(module, func.__name__, None) is func:
            return f"{path}.{func.__name__}"
    return None


def as_array(value: Any) -> Any:
    """np.asarray(value), but a stand-in stays one (it is NumPy data to the code that asks; core/trace.py).

    >>> as_array([1, 2]).tolist()
    [1, 2]
    """
    return value if isinstance(value, StandIn) else np.asarray(value)


def take(values: np.ndarray, indices: Any, axis: int) -> Any:
    """values.take(indices, axis=axis); indices that are a stand-in are written down as np.take (NumPy
    dispatches np.take on `values` alone, so a stand-in among the indices would not be seen).

    >>> take(np.eye(3), np.array([2, 0]), axis=0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    if isinstance(indices, StandIn):
        return indices.trace.record("np.take({0}, {1}, axis={2})", (values, indices, axis),
                                    lambda v, i, a: v.take(i, axis=a), CALL)
    return values.take(indices, axis=axis)


def _py(name: str) -> str:
    """The operator module's name for an operator: `and` is `and_`, `truediv` is `truediv`."""
    return name + "_" if name in ("and", "or") else name


def _binary(name: str, symbol: str, precedence: int) -> tuple[Any, Any, Any]:
    function = getattr(operator, _py(name))

    def forward(self: StandIn, other: Any) -> Any:
        return self.trace.record(f"{{0}} {symbol} {{1}}", (self, other), function, precedence)

    def reflected(self: StandIn, other: Any) -> Any:
        return self.trace.record(f"{{0}} {symbol} {{1}}", (other, self), function, precedence)

    def in_place(self: StandIn, other: Any) -> Any:
        in_place_function = getattr(operator, "i" + _py(name))
        return self.trace.in_place(self, f"{{0}} {symbol}= {{1}}", (self, other), in_place_function)

    return forward, reflected, in_place


for _name, (_symbol, _precedence) in BINARY.items():
    _forward, _reflected, _in_place = _binary(_name, _symbol, _precedence)
    setattr(StandIn, f"__{_name}__", _forward)
    if _precedence > 5:  # comparisons have no reflected or in-place form
        setattr(StandIn, f"__r{_name}__", _reflected)
        setattr(StandIn, f"__i{_name}__", _in_place)
def _unary(name: str, symbol: str, precedence: int) -> Any:
    function = getattr(operator, name)
    return lambda self: self.trace.record(f"{symbol}{{0}}", (self,), function, precedence)


for _name, (_symbol, _precedence) in UNARY.items():
    setattr(StandIn, f"__{_name}__", _unary(_name, _symbol, _precedence))
StandIn.__abs__ = lambda self: self.trace.record("abs({0})", (self,), abs, CALL)
StandIn.__round__ = lambda self, digits=None: self.trace.record(
    "round({0})" if digits is None else "round({0}, {1})", (self,) if digits is None else (self, digits), round, CALL)
StandIn.__trunc__ = lambda self: self.trace.record("math.trunc({0})", (self,), math.trunc, CALL)
StandIn.__floor__ = lambda self: self.trace.record("math.floor({0})", (self,), math.floor, CALL)
StandIn.__ceil__ = lambda self: self.trace.record("math.ceil({0})", (self,), math.ceil, CALL)


class _IndexKey:
    """An index (`x[:, None]`, `x[i, labels]`) as one argument of a line: written as Python writes it."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key


def _call_form(prefix: str, positional: int, kwargs: dict, first: int = 0, out: bool = False) -> str:
    """`np.where({0}, {1}, {2})`: a call's form, its arguments numbered in order, keywords after positionals."""
    numbers = list(range(first, first + positional + len(kwargs)))
    parts = [f"{{{i}}}" for i in numbers[:positional]]
    parts += [f"{key}={{{i}}}" for key, i in zip(kwargs, numbers[positional:])]
    if out:  # the array written into is argument 0
        parts.append("out={0}")
    return f"{prefix}({', '.join(parts)})"


def _call(function: Any, values: tuple, positional: int, kwargs: dict) -> Any:
    """function(*positionals, **keywords), from the values of a line's arguments in order."""
    return function(*values[:positional], **dict(zip(kwargs, values[positional:])))


def caller_frame(frame: Any = None) -> Any:
    """The frame of the code that called into a stand-in: the first one (from `frame`, else the caller's)
    outside this module and NumPy."""
    frame = frame or sys._getframe(1)
    while frame is not None and (frame.f_code.co_filename == __file__
                                 or "/numpy/" in frame.f_code.co_filename.replace("\\", "/")):
        frame = frame.f_back
    return frame


class Items(tuple):
    """Several arrays one call returned (np.split), held by one line."""


def value_of(arg: Any) -> Any:
    """An argument's real value: a stand-in's value, and the same inside an index, a tuple or a list."""
    if isinstance(arg, StandIn):
        return arg.value
    if type(arg) in (tuple, list):
        return type(arg)(map(value_of, arg))
    if isinstance(arg, _IndexKey):
        return _IndexKey(value_of(arg.key))
    if isinstance(arg, slice):
        return slice(value_of(arg.start), value_of(arg.stop), value_of(arg.step))
    return arg


def add_in_place(held: Any, grad: Any) -> Any:
    """held += grad, as a function: backward adding to a `.grad` it finds."""
    held += grad
    return held
