"""Replay the backward pass of a graph, one gradient at a time, on a page.

`replay(root)` draws the graph that made `root` (the picture of
`viz.draw_graph`) into one self-contained HTML page that steps through
backward in the engine's own order. Frame 0 is the seed, ∂L/∂L = 1 at the
root. Each later frame is one tensor whose gradient has just been completed:
every op that used the tensor passed back one term of the chain rule, the
gradient of the op's output times the op's local derivative, and the terms
add up to the tensor's gradient, the same as its `.grad` after
`root.backward()`.

Every number comes from the engine (`backward_pass`, and each op's own
`backward` through `graph_picture`) and is formatted here; the page's
JavaScript only shows the frame it is asked for.
"""

from __future__ import annotations

import html
import operator
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import reduce
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigrad.core.tensor import Tensor
from minigrad.pages.builder import build_page
from minigrad.viz import graph_picture
from minigrad.viz.dot import number_text, picture_to_dot
from minigrad.viz.notation import symbol_of
from minigrad.viz.rendering import image_bytes


@dataclass
class Frame:
    """One step of backward: the tensor whose gradient it completes, and the arithmetic."""

    tensor: str              # "t5": tensor 5, numbered breadth first from the root as graph_picture does
    node: str                # the drawn node to mark ("collapsed" for a tensor past max_nodes)
    edges: list[str]         # "t5->op3": the edges its gradient came back through
    heading: str             # "∂L/∂z"
    lines: list[str]         # the chain rule's terms, in words and numbers
    sum: str                 # "∂L/∂x = 0.5 + 0.25 = ", which `total` completes
    total: str               # the gradient, formatted: "0.75"
    grad: np.ndarray         # the gradient itself (for Python; the page shows `total`)


class Term(NamedTuple):
    """One use of a tensor: one term of its gradient in the chain rule's sum."""

    use: str                  # "the op “σ” that made a"
    product: str              # "∂L/∂a · ∂a/∂z = 55.6 × 0.01766 = "
    contribution: np.ndarray  # what that op's backward passed back to the tensor
    edge: str                 # "t12->op10": the edge it came back along


@dataclass
class Replay:
    """The page (`html`), its frames, and where it was saved. Jupyter shows it inline."""

    html: str
    frames: list[Frame]
    path: Path | None = None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to `path` (".html" added unless it ends so) and return the path."""
        path = Path(path)
        if path.is_dir():
            raise ValueError(f"replay: {path} is a folder; expected the path of the page to write, "
                             f"like {path / 'replay.html'}")
        if path.suffix.lower() != ".html":
            path = path.with_name(f"{path.name}.html")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        self.path = path
        return path

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html)}" title="backward replay" '
                f'style="width: 100%; height: 640px; box-sizing: border-box; border: 1px solid #ddd"></iframe>')


def replay(root: Tensor, path: str | os.PathLike[str] | None = None, *, title: str | None = None,
           max_nodes: int = 300) -> Replay:
    """A page that steps through the backward pass of `root`, saved to `path` if given.

    Past `max_nodes` tensor and op nodes, the nodes farthest from `root` are
    drawn as one note, and their frames mark that note.

    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x + x; y.name = "y"
    >>> for frame in replay(y).frames:
    ...     print(frame.sum + frame.total)
    ∂y/∂y = 1
    ∂y/∂(x·x) = ∂y/∂y · local = 1 × 1 = 1
    ∂y/∂x = 1 + 3 + 3 = 7
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"replay: expected the Tensor whose backward pass to replay, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError("replay: this tensor does not require grad, so backward has nothing to replay; "
                         "create the leaves with requires_grad=True (and not under no_grad)")
    if max_nodes < 1:
        raise ValueError(f"replay: max_nodes must be at least 1, got {max_nodes}")
    picture = graph_picture.describe(root, max_nodes=max_nodes)
    svg = image_bytes(picture_to_dot(picture, number_text, max_nodes=max_nodes).source, "svg").decode()
    svg = re.sub(r' xmlns(:xlink)?="[^"]*"', "", svg[svg.index("<svg"):])  # inline SVG needs no namespaces
    steps = frames(root, picture)
    title = title or f"The backward pass of {picture.root_label}, step by step"
    shown = [{key: value for key, value in asdict(frame).items() if key != "grad"} for frame in steps]
    data = {"frames": shown, "gradLines": gradient_lines(picture), "root": picture.root_label}
    page = Replay(build_page("replay", title=title, data=data, figure=svg), steps)
    if path is not None:
        page.save(path)
    return page


def frames(root: Tensor, picture: graph_picture.Picture) -> list[Frame]:
    """One frame per tensor that gets a gradient, in the order `backward_pass`
    yields them: the root with the seed first, every tensor after all its users.
    The loop follows backward itself: a tensor's frame adds up the terms its
    users passed back, then its own op passes one term to each of its inputs."""
    everyone, _ = graph_picture.nearest_tensors(root, sys.maxsize)  # drawn ones keep their picture numbers
    number = {id(t): i for i, t in enumerate(everyone)}
    L = picture.root_label
    op_labels = {node.id: _line_text(node.lines[0]) for node in picture.nodes if node.kind == "op"}
    name = lambda t: L if t is root else picture.labels.get(id(t)) or t.name or f"t{number[id(t)]}"
    node = lambda t: picture.node_id.get(id(t), "collapsed")
    received: dict[Tensor, list[Term]] = defaultdict(list)  # each tensor's terms, in the order they arrive
    steps = []
    for t, grad in graph_picture.gradients(root).items():
        of = f"∂{L}/∂{graph_picture.wrapped(name(t))}"
        terms = received.pop(t, [])
        if t is root:  # backward starts with the seed
            every = "" if t.size == 1 else " for each element (backward differentiates their sum)"
            lines, sum_text, total = [f"Backward starts at the output: its gradient with respect to itself, "
                                      f"the seed, is 1{every}."], f"{of} = ", grad
        elif len(terms) == 1:
            use, product, total, _ = terms[0]
            lines, sum_text = [f"{name(t)} is used once, by {use}."], f"{of} = {product}"
        else:  # the running sum, in the order the engine adds
            total = reduce(operator.add, [term.contribution for term in terms])
            lines = [f"{name(t)} is used {len(terms)} times; the chain rule adds one term per use:",
                     *[f"by {use}: {product}{number_text(c)}" for use, product, c, _ in terms]]
            sum_text = f"{of} = {' + '.join(number_text(term.contribution) for term in terms)} = "
        if node(t) == "collapsed":
            lines.append(f"({name(t)} is not drawn: it lies past max_nodes, in the note of hidden nodes.)")
        steps.append(Frame(f"t{number[id(t)]}", node(t), list(dict.fromkeys(term.edge for term in terms)), of, lines,
                           sum_text, number_text(np.asarray(total)), np.asarray(total)))
        if t.grad_fn is None:
            continue
        out, op = graph_picture.wrapped(name(t)), f"op{number[id(t)]}"
        use = f"the op “{op_labels.get(op, symbol_of(t.grad_fn))}” that made {name(t)}"
        local = graph_picture.local_derivatives(t) if t.size == 1 else {}  # exact when the output is one number
        for k, c in graph_picture.contributions(t, grad).items():
            parent = t.grad_fn.inputs[k]
            into = graph_picture.wrapped(name(parent))
            # at the root's own op, ∂L/∂in would read as the gradient: call the op's factor "local"
            product = f"∂{L}/∂{L} · local = " if t is root else f"∂{L}/∂{out} · ∂{out}/∂{into} = "
            edge = f"{node(parent)}->{op}"
            if k in local:  # one number times the local derivative
                term = Term(use, f"{product}{number_text(grad)} × {number_text(local[k])} = ", c, edge)
            else:  # a Jacobian: the op's backward multiplies by it
                term = Term(f"{use}, where ∂{L}/∂{out} = {number_text(grad)} (the product is the op's backward)",
                            product, c, edge)
            received[parent].append(term)
    return steps


def gradient_lines(picture: graph_picture.Picture) -> dict[str, list[str]]:
    """For each drawn tensor, its gradient's label line as drawn and as shown before
    backward reaches it: {"t3": ["∂L/∂a = 55.6", "∂L/∂a = ?"]}."""
    return {node.id: [_line_text(line), _line_text(line, lambda _: "?")]
            for node in picture.nodes for line in node.lines
            if any(isinstance(part, graph_picture.Number) and part.key == f"g{node.id[1:]}" for part in line)}


def _line_text(line: graph_picture.Line, number: Callable[[np.ndarray], str] = number_text) -> str:
    """A label line as the picture draws it: its text, and each Number written by `number`."""
    return "".join(number(part.array) if isinstance(part, graph_picture.Number) else part for part in line)

