"""Write docs/api.md, the API reference, from the library itself:

    python docs/make_api_reference.py

Every public name of the modules in MODULES, with its signature and the first
sentence of its docstring, grouped by module. A module that does not exist
(yet) is left out; a test checks that the committed page is what this script
writes today, so the reference cannot drift from the code.

Public names are a module's `__all__` when it has one, and otherwise the
functions and classes defined in it whose names do not start with "_". For a
class, the methods and properties it introduces are listed under it (not
those it overrides or inherits).
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

PAGE = Path(__file__).resolve().parent / "api.md"

MODULES = [
    "minigrad",
    "minigrad.functional",
    "minigrad.nn",
    "minigrad.optim",
    "minigrad.information",
    "minigrad.viz",
    "minigrad.data",
    "minigrad.training",
    "minigrad.plots",
    "minigrad.explain",
    "minigrad.gradient_stats",
    "minigrad.compare",
    "minigrad.interop",
]


# ------------------------------------------------------------- what is public --

def load_modules() -> tuple[list[ModuleType], dict[str, ImportError | None]]:
    """The modules of MODULES that import, and the others: None for a module that
    does not exist (yet), the ImportError for one that does not import."""
    modules, left_out = [], {}
    for name in MODULES:
        if importlib.util.find_spec(name) is None:
            left_out[name] = None
            continue
        try:
            modules.append(importlib.import_module(name))
        except ImportError as error:  # a missing optional dependency, or a module being written
            left_out[name] = error
    return modules, left_out


def public_names(module: ModuleType) -> list[str]:
    """`__all__`, or the functions and classes defined in the module, in source order."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
            and value.__module__ == module.__name__]


def public_objects() -> Iterator[tuple[str, Any]]:
    """(qualified name, object) for every public function and class of the modules that import."""
    modules, _ = load_modules()
    for module in modules:
        for name in public_names(module):
            value = getattr(module, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                yield f"{module.__name__}.{name}", value


def introduced_members(cls: type) -> Iterator[tuple[str, Any]]:
    """(name, member) for the public methods and properties that `cls` defines and no base class has."""
    inherited = {name for base in cls.__mro__[1:] for name in vars(base)}
    for name, value in vars(cls).items():
        if name.startswith("_") or name in inherited:
            continue
        function = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        if isinstance(value, property) or (inspect.isfunction(function)
                                           and function.__qualname__ == f"{cls.__qualname__}.{name}"):
            yield name, value


# --------------------------------------------------------------------- text --

def summary(obj: Any) -> str:
    """The first sentence of obj's own docstring (not one inherited), on one line; "" if it has none."""
    doc = obj.__doc__ if isinstance(obj, property) or not inspect.isclass(obj) else vars(obj).get("__doc__")
    if not doc or not doc.strip():
        return ""
    paragraph = " ".join(inspect.cleandoc(doc).split("\n\n")[0].split())
    return re.split(r"(?<=[.!?])\s+", paragraph, maxsplit=1)[0]


def signature(obj: Any) -> str:
    """`(a, b=1)` without annotations; "" for a class whose constructor is not minigrad's (exceptions)."""
    if inspect.isclass(obj):
        init = obj.__init__
        if init is object.__init__:
            return "()"
        if not getattr(init, "__module__", "").startswith("minigrad"):
            return ""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    parameters = [p.replace(annotation=inspect.Parameter.empty, default=_Default(p.default))
                  if p.default is not inspect.Parameter.empty else p.replace(annotation=inspect.Parameter.empty)
                  for p in sig.parameters.values()]
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
        parameters = _dataclass_defaults(obj, parameters)
    return str(sig.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


class _Default:
    """A default value as code: a class by its dotted name (numpy.float32), a dataclass field's
    default_factory as a call (list()), anything else by repr."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        if inspect.isclass(self.value):
            return f"{self.value.__module__}.{self.value.__qualname__}"
        text = repr(self.value)
        if " at 0x" in text:  # a function or object: its address would change on every run
            return getattr(self.value, "__qualname__", type(self.value).__name__)
        return text


def _dataclass_defaults(cls: type, parameters: list[inspect.Parameter]) -> list[inspect.Parameter]:
    """Parameters whose default is a dataclass field's default_factory, shown as the factory's call."""
    fields = {field.name: field for field in dataclasses.fields(cls)}
    return [p.replace(default=_Default(_Call(fields[p.name].default_factory)))
            if p.name in fields and fields[p.name].default_factory is not dataclasses.MISSING else p
            for p in parameters]


class _Call:
    def __init__(self, function: Any) -> None:
        self.function = function

    def __repr__(self) -> str:
        return f"{getattr(self.function, '__name__', 'factory')}()"


def markdown(text: str) -> str:
    """`text` with Markdown's special characters escaped outside `code spans`."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(part if part.startswith("`") else re.sub(r"([\\*_<\[\]])", r"\\\1", part) for part in parts)


def described(text: str) -> str:
    return f": {markdown(text)}" if text else ": (no docstring)"


def anchor(module_name: str) -> str:
    """GitHub's anchor of a heading `## minigrad.nn`."""
    return module_name.replace(".", "")


def kind(cls: type) -> str:
    """"class" or "exception", and the nearest public base class other than object."""
    word = "exception" if issubclass(cls, BaseException) else "class"
    base = next((base for base in cls.__mro__[1:] if not base.__name__.startswith("_")), object)
    if base is object:
        return word
    if base.__module__.startswith("minigrad") or base.__module__ == "builtins":
        return f"{word}, subclass of {base.__name__}"
    return f"{word}, subclass of {base.__module__.split('.')[0]}.{base.__name__}"


def module_section(module: ModuleType) -> list[str]:
    lines = [f"## {module.__name__}", "", markdown(summary(module)), ""]
    for name in public_names(module):
        value = getattr(module, name)
        if inspect.ismodule(value):
            lines.append(f"- module `{name}`: see [{value.__name__}](#{anchor(value.__name__)})")
        elif inspect.isclass(value):
            lines.append(f"- `{name}{signature(value)}` ({kind(value)}){described(summary(value))}")
            for member_name, member in introduced_members(value):
                if isinstance(member, property):
                    lines.append(f"  - `.{member_name}`{described(summary(member))}")
                else:
                    function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                    parameters = signature(function).replace("(self, ", "(").replace("(self)", "()")
                    lines.append(f"  - `.{member_name}{parameters}`{described(summary(function))}")
        elif callable(value):
            lines.append(f"- `{name}{signature(value)}`{described(summary(value))}")
    return lines + [""]


def api_reference() -> str:
    """The text of docs/api.md."""
    modules, _ = load_modules()
    lines = [
        "# API reference",
        "",
        "<!-- Generated by docs/make_api_reference.py from the code and its docstrings: do not edit by hand. -->",
        "",
        "Every public name of minigrad, module by module, with its signature and the",
        "first sentence of its docstring (`help(name)` in Python shows the rest,",
        "with examples). Under a class are the methods and properties it introduces.",
        "Tensors also support the operators `+ - * / ** @`, unary `-`, indexing and",
        "comparisons; see [the autodiff walk-through](autodiff.md) and [the README](../README.md).",
        "",
        *(f"- [{module.__name__}](#{anchor(module.__name__)})" for module in modules),
        "",
    ]
    for module in modules:
        lines += module_section(module)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    _, left_out = load_modules()
    for name, error in left_out.items():
        print(f"left out {name}: {error or 'it does not exist'}", file=sys.stderr)
    PAGE.write_text(api_reference(), encoding="utf-8")
    print(PAGE)
