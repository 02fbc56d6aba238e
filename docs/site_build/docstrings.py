"""Griffe extensions for the API reference (mkdocs.yml, mkdocstrings' `extensions`):
how the reference reads two things minigrad writes as `help()` reads them.

- Docstrings are prose followed by doctests. Markdown would take `>>> x` for a
  quotation, so each run of lines that starts with `>>>` (with its `...`
  continuations and printed output, up to a blank line) is put in a fenced
  `pycon` block, which the site highlights with its prompts.
- A one-line property, `shape = property(lambda self: ..., doc="...")`, is read
  by Griffe as an attribute without a docstring; it is shown as a property with
  its `doc`.
"""

from __future__ import annotations

import ast
from typing import Any

import griffe


def fenced_doctests(text: str) -> str:
    r"""`text` with every doctest block inside a ```pycon fence, with blank lines around it.

    >>> fenced_doctests("Adds.\n>>> 1 + 1\n2").splitlines()
    ['Adds.', '', '```pycon', '>>> 1 + 1', '2', '```']
    """
    out: list[str] = []
    in_block = False
    for line in text.splitlines():
        if not in_block and line.lstrip().startswith(">>>"):
            if out and out[-1].strip():
                out.append("")
            out.append("```pycon")
            in_block = True
        elif in_block and not line.strip():
            out += ["```", ""]
            in_block = False
            continue
        out.append(line)
    if in_block:
        out.append("```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the doctests of every docstring Griffe reads."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fenced_doctests(obj.docstring.value)

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:  # on_object skips the package itself
        self.on_object(obj=pkg)


class OneLineProperties(griffe.Extension):
    """Documents `name = property(getter, doc="...")` as a property with that docstring."""

    def on_attribute_instance(self, *, node: Any, attr: griffe.Attribute, **kwargs: Any) -> None:
        call = getattr(node, "value", None)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "property":
            doc = next((keyword.value.value for keyword in call.keywords if keyword.arg == "doc"
                        and isinstance(keyword.value, ast.Constant)), None)
            if doc is not None:  # shown as `@property def name` would be: its docstring, no value, one label
                attr.docstring = griffe.Docstring(doc, lineno=node.lineno, parent=attr)
                attr.labels = {"property"}
                attr.value = None
