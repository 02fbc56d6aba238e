"""Rendering a picture: Graphviz's `dot` when installed, else, for SVG and PNG, the pip-installable graphviz-pure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import graphviz


class RenderError(RuntimeError):
    """No installed program can render the requested format (the message says what to install)."""


FORMATS = ("svg", "png", "pdf", "jpeg")  # what `dot` makes; graphviz-pure makes all but PDF
PURE_PIP_FORMATS = ("svg", "png", "jpeg")


def render(graph: graphviz.Digraph, path: str | os.PathLike[str], format: str = "svg") -> Path:
    """Write the picture of `graph` to `path` and return its path; ".svg" (or
    the format's suffix) is added unless the path already ends in it. The DOT
    source is always written beside it first (".dot"), so it survives when no
    program can render the format.

    >>> import tempfile
    >>> from minigrad import Tensor, viz
    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     render(viz.draw_graph((x * x).exp()), Path(folder) / "graph").name
    'graph.svg'
    """
    format = format.lower()
    if format not in FORMATS:
        raise ValueError(f"render: unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path)
    if path.suffix.lower() != f".{format}":
        path = path.with_name(f"{path.name}.{format}")
    path.parent.mkdir(parents=True, exist_ok=True)
    dot_path = path.with_suffix(".dot")
    dot_path.write_text(graph.source, encoding="utf-8")
    try:
        path.write_bytes(image_bytes(graph.source, format))
    except RenderError as error:
        raise RenderError(f"{error} The DOT source is in {dot_path}.") from None
    return path


def image_bytes(source: str, format: str) -> bytes:
    """`source` rendered by the first program that can: Graphviz's `dot`, then graphviz-pure."""
    for program in renderers(format):
        result = subprocess.run([program, f"-T{format}"], input=source.encode(), capture_output=True, timeout=120)
        if result.returncode == 0:
            return result.stdout
        raise RenderError(f"render: {program} failed: {result.stderr.decode(errors='replace').strip()}")
    pure_pip = " or, for SVG and PNG, pip install graphviz-pure (part of 'minigrad[viz]')" \
        if format in PURE_PIP_FORMATS else ""
    raise RenderError(f"render: no installed program makes {format.upper()} from a graph. Install Graphviz "
                      f"(apt install graphviz, brew install graphviz, or https://graphviz.org/download){pure_pip}.")


def renderers(format: str) -> list[str]:
    """The programs that can render `format`, best first."""
    found = [shutil.which("dot")]
    if format in PURE_PIP_FORMATS:
        found.append(_find_program("graphviz-pure"))
    return [program for program in found if program]


def _find_program(name: str) -> str | None:
    """A command on PATH, or in this Python's scripts folder (a venv used without activating it)."""
    beside_python = Path(sysconfig.get_path("scripts")) / name
    return shutil.which(name) or (str(beside_python) if beside_python.exists() else None)
