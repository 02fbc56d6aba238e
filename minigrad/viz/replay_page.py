"""Replay the backward pass of a graph, one gradient at a time, on a page.

`replay(root)` draws the graph that made `root` (the picture of
`viz.draw_graph`) into one self-contained HTML page that steps through
backward in the engine's own order. Step 1 is the seed, ∂L/∂L = 1 at the
root. Each later step is one tensor whose gradient has just been completed:
every op that used the tensor passed back one term of the chain rule, the
gradient of the op's output times the op's local derivative, and the terms
add up to the tensor's gradient, the same as its `.grad` after
`root.backward()`.

To tell a story with it, `replay` also takes several named roots (graphs
that share tensors: one switch shows each, at the same step), folds the steps
before one tensor into one, marks an edge the page can jump to, captions the
step of a tensor and ends on a summary. Given what `mg.blame(root)` found, it
draws the wrong edges in red and opens at the step where the gradient first
goes wrong, saying so.

Every number comes from the engine (`backward_pass`, and each op's own
`backward` through `graph_picture`) and is formatted here, or by whoever
writes the captions; the page's JavaScript only shows the step it is asked for.
"""

from __future__ import annotations

import html
import operator
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import NamedTuple

import numpy as np

from minigrad.core.blame import BlameReport
from minigrad.core.tensor import Tensor
from minigrad.pages.builder import build_page
from minigrad.pages.colours import LOSS_COLOURS
from minigrad.viz import graph_picture, marks
from minigrad.viz.dot import number_text, picture_to_dot
from minigrad.viz.notation import symbol_of
from minigrad.viz.rendering import image_bytes

Said = str | tuple[str, str]  # a line of a caption: text, or (a root's name, text) in that root's colour


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
    of: Tensor | None = field(default=None, repr=False)   # the tensor itself (for Python)
    completes: list[str] = field(default_factory=list)    # the drawn nodes whose gradients show from this step on
    folded: list[str] = field(default_factory=list)       # a step folded from several: the ones before it
    caption: list[Said] = field(default_factory=list)     # what this step means, shown under its sum
    wrong: bool = False      # blame=: the step where a wrong gradient arrives (its caption says so)


class Term(NamedTuple):
    """One use of a tensor: one term of its gradient in the chain rule's sum."""

    use: str                  # "the op “σ” that made a"
    product: str              # "∂L/∂a · ∂a/∂z = 55.6 × 0.01766 = "
    contribution: np.ndarray  # what that op's backward passed back to the tensor
    edge: str                 # "t12->op10": the edge it came back along


@dataclass
class Replay:
    """The page (`html`), its frames (of the first root; `tracks` has every root's by name, "" for
    a single root), and where it was saved. Jupyter shows it inline."""

    html: str
    frames: list[Frame]
    path: Path | None = None
    tracks: dict[str, list[Frame]] = field(default_factory=dict)

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


def replay(root: Tensor | Mapping[str, Tensor], path: str | os.PathLike[str] | None = None, *,
           title: str | None = None, max_nodes: int = 300, fold_to: Tensor | None = None,
           highlight: Mapping[Tensor, str] | None = None, captions: Mapping[Tensor, Sequence[Said]] | None = None,
           summary: tuple[str, Sequence[Said]] | None = None, colours: Mapping[str, str] | None = None,
           blame: BlameReport | None = None) -> Replay:
    """A page that steps through the backward pass of `root`, saved to `path` if given.

    Past `max_nodes` tensor and op nodes, the nodes farthest from `root` are
    drawn as one note, and their frames mark that note.

    `root` may be several named roots, {"MSE": mse, "cross-entropy": ce}: a
    switch shows each one's graph, and keeps the step on a tensor both share.
    `colours` gives a root the colour of a loss ("mse" or "ce"). `fold_to=a`
    folds every step after the seed up to a's into one (listed under it);
    `highlight={a: "σ′"}` draws the edges into a's op in colour, as
    draw_graph does, and offers a button that jumps to the step that passes
    through them; `captions={z: lines}` shows lines under z's step;
    `summary=(heading, lines)` adds a last step. A line is text, or (a root's
    name, text), shown in that root's colour. `blame=mg.blame(root)` draws
    the edges it found wrong in red, as draw_graph does, and opens the page
    at the step where the first wrong gradient arrives, its caption saying
    what was expected and what came (the later steps carry the wrong
    gradient on).

    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x + x; y.name = "y"
    >>> for frame in replay(y).frames:
    ...     print(frame.sum + frame.total)
    ∂y/∂y = 1
    ∂y/∂(x·x) = ∂y/∂y · local = 1 × 1 = 1
    ∂y/∂x = 1 + 3 + 3 = 7
    >>> [frame.heading for frame in replay(y, fold_to=x).frames]   # the seed, then the rest folded into x's step
    ['∂y/∂y', '∂y/∂x']
    """
    roots = _roots(root)
    if max_nodes < 1:
        raise ValueError(f"replay: max_nodes must be at least 1, got {max_nodes}")
    if highlight is not None and not isinstance(highlight, Mapping):
        raise TypeError(f"replay: highlight takes a dict from a tensor to the name of its local derivative, "
                        f"like {{a: 'σ′'}}; got {type(highlight).__name__}")
    highlight, captions, colours = dict(highlight or {}), dict(captions or {}), dict(colours or {})
    for name, colour in colours.items():
        if name not in roots or colour not in LOSS_COLOURS:
            raise ValueError(f"replay: colours maps a root's name to one of {', '.join(LOSS_COLOURS)}; "
                             f"got {name!r}: {colour!r} for the roots {', '.join(map(repr, roots))}")
    blamed = _blamed_roots(roots, blame)
    tracks, figures, replayed = [], [], {}
    keys: dict[int, str] = {}  # a tensor that several roots share has one key, so the switch keeps its step
    for i, (name, one) in enumerate(roots.items()):
        report = blame if name in blamed else None
        partial = bool(marks.blame_marks(one, report, "replay").broken)
        _check_in_graph(one, name, partial, fold_to=[] if fold_to is None else [fold_to], highlight=highlight,
                        captions=captions)
        picture = graph_picture.describe(one, max_nodes=max_nodes, highlight=highlight, blame=report)
        steps = frames(one, picture)
        unfolded = len(steps)
        if fold_to is not None:
            steps = fold(steps, fold_to, picture)
        for frame in steps:
            frame.caption = list(captions.get(frame.of, []))
        start = _blame_steps(steps, report, picture)
        tracks.append({"name": name, "colour": colours.get(name), "root": picture.root_label, "start": start,
                       "wrong": [f"{edge.tail}->{edge.head}" for edge in picture.edges if edge.wrong is not None]
                       + [node.id for node in picture.nodes if node.wrong],
                       "frames": [_shown(frame, keys) for frame in steps], "gradLines": gradient_lines(picture),
                       "jumps": _jumps(picture, steps, highlight),
                       "foldNote": _fold_note(picture, fold_to, unfolded - len(steps) + 1)})
        figures.append(f'<div class="track" data-track="{html.escape(name)}">{_svg(picture, i, max_nodes)}</div>')
        replayed[name] = steps
    names = list(roots)
    of = " and ".join(names) if len(names) > 1 else tracks[0]["root"]
    title = title or f"The backward pass of {of}, step by step"
    ending = None if summary is None else {"heading": summary[0], "lines": list(summary[1])}
    page = Replay(build_page("replay", title=title, data={"tracks": tracks, "summary": ending},
                             figure="".join(figures)), replayed[names[0]], tracks=replayed)
    if path is not None:
        page.save(path)
    return page


def _svg(picture: graph_picture.Picture, i: int, max_nodes: int) -> str:
    """The picture as inline SVG, its ids kept apart from the other roots' (track0-node1)."""
    for edge in picture.edges:  # the panel writes the chain rule step by step; the edge keeps σ′ = 0.01766
        edge.lines = edge.lines[:1] if edge.highlighted else edge.lines
    svg = image_bytes(picture_to_dot(picture, number_text, max_nodes=max_nodes).source, "svg").decode()
    svg = re.sub(r' xmlns(:xlink)?="[^"]*"', "", svg[svg.index("<svg"):])  # inline SVG needs no namespaces
    return svg.replace(' id="', f' id="track{i}-')


def frames(root: Tensor, picture: graph_picture.Picture) -> list[Frame]:
    """One frame per tensor that gets a gradient, in the order `backward_pass`
    yields them: the root with the seed first, every tensor after all its users.
    The loop follows backward itself: a tensor's frame adds up the terms its
    users passed back, then its own op passes one term to each of its inputs
    (unless the picture's blame marks its backward as one that cannot: there
    backward stops, and the tensors below it get no frame)."""
    everyone, _ = graph_picture.nearest_tensors(root, sys.maxsize)  # drawn ones keep their picture numbers
    number = {id(t): i for i, t in enumerate(everyone)}
    L = picture.root_label
    op_labels = {node.id: _line_text(node.lines[0]) for node in picture.nodes if node.kind == "op"}
    name = lambda t: L if t is root else picture.labels.get(id(t)) or t.name or f"t{number[id(t)]}"
    node = lambda t: picture.node_id.get(id(t), "collapsed")
    received: dict[Tensor, list[Term]] = defaultdict(list)  # each tensor's terms, in the order they arrive
    steps = []
    broken = picture.blamed.broken
    for t, grad in graph_picture.gradients(root, partial=bool(broken)).items():
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
                           sum_text, number_text(np.asarray(total)), np.asarray(total), t, [node(t)]))
        if t.grad_fn is None or id(t.grad_fn) in broken:
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


def fold(steps: list[Frame], until: Tensor, picture: graph_picture.Picture) -> list[Frame]:
    """The seed, then every step up to `until`'s folded into `until`'s, then the rest:
    the folded step completes every gradient of the steps it folds, and lists their sums."""
    end = next(k for k, frame in enumerate(steps) if frame.of is until)
    if end <= 1:  # nothing between the seed and it
        return steps
    last, inside = steps[end], steps[1:end]
    lines = [f"Steps 2 to {end + 1} of backward, through the ops between {picture.root_label} and "
             f"{_name(picture, until)}, folded into this one (the {len(inside)} before it are listed below).",
             *last.lines]
    merged = Frame(last.tensor, last.node, last.edges, last.heading, lines, last.sum, last.total, last.grad, last.of,
                   [node for frame in steps[1:end + 1] for node in frame.completes],
                   [frame.sum + frame.total for frame in inside])
    return [steps[0], merged, *steps[end + 1:]]


def gradient_lines(picture: graph_picture.Picture) -> dict[str, list[str]]:
    """For each drawn tensor, its gradient's label line as drawn and as shown before
    backward reaches it: {"t3": ["∂L/∂a = 55.6", "∂L/∂a = ?"]}."""
    return {node.id: [_line_text(line), _line_text(line, lambda _: "?")]
            for node in picture.nodes for line in node.lines
            if any(isinstance(part, graph_picture.Number) and part.key == f"g{node.id[1:]}" for part in line)}


def _roots(root: Tensor | Mapping[str, Tensor]) -> dict[str, Tensor]:
    """The named roots of a replay, each one checked."""
    roots = dict(root) if isinstance(root, Mapping) else {"": root}
    if not roots:
        raise ValueError("replay: got no roots; expected a Tensor, or a dict from a name to a Tensor")
    for name, one in roots.items():
        if not isinstance(one, Tensor) or not isinstance(name, str):
            raise TypeError(f"replay: expected the Tensor whose backward pass to replay (or a dict from a name "
                            f"to one), got {type(one).__name__}" + (f" for {name!r}" if name else ""))
        if not one.requires_grad:
            raise ValueError(f"replay: {'the root ' + repr(name) if name else 'this tensor'} does not require grad, "
                             "so backward has nothing to replay; create the leaves with requires_grad=True "
                             "(and not under no_grad)")
    return roots


def _check_in_graph(root: Tensor, name: str, partial: bool,
                    **options: Sequence[Tensor] | Mapping[Tensor, object]) -> None:
    """Each tensor given to fold_to, highlight or captions gets a gradient in the graph of `root`, and
    is not the root; a highlighted one was made by an op (its edges are the ones into that op).
    `partial`: backward stops at an op blame found that passes no usable gradient."""
    inside = set(graph_picture.gradients(root, partial)) - {root}
    for option, given in options.items():
        for t in given:
            if not isinstance(t, Tensor):
                raise TypeError(f"replay: {option} takes tensors of the graph, got {type(t).__name__}")
            if t not in inside or (option == "highlight" and t.grad_fn is None):
                where = f"the graph of {name!r}" if name else "the graph"
                made = "made by an op " if option == "highlight" else ""
                raise ValueError(f"replay: {option} names a tensor that is not {made}in {where} below its root; "
                                 "expected a tensor that backward reaches")


def _blamed_roots(roots: dict[str, Tensor], blame: BlameReport | None) -> set[str]:
    """The roots a BlameReport is about: those whose graph holds every op it names (at least one)."""
    if blame is None:
        return set()
    about, problem = set(), None
    for name, one in roots.items():
        try:
            marks.blame_marks(one, blame, "replay")
            about.add(name)
        except ValueError as error:
            problem = error
    if not about:
        raise problem
    return about


def _blame_steps(steps: list[Frame], report: BlameReport | None, picture: graph_picture.Picture) -> int:
    """Caption the step where each wrong gradient of `report` arrives (the step of the input it goes to, or,
    where backward cannot go on, of the op's output); return the first one's step, where the page opens."""
    found = []
    for entry in [] if report is None else report.wrong:
        target = entry.op.inputs[entry.input]
        k = next((k for k, frame in enumerate(steps)
                  if frame.of is target or (frame.of is entry.output and entry.got is None)), None)
        if k is None:  # fold_to folded its step into a later one: there is no step of its own to open at
            continue
        steps[k].caption.append(marks.caption(entry, _name(picture, target), number_text, first=not found))
        steps[k].wrong = True
        found.append(k)
    return found[0] if found else 0


def _name(picture: graph_picture.Picture, t: Tensor) -> str:
    return picture.labels.get(id(t)) or t.name or "a tensor"


def _jumps(picture: graph_picture.Picture, steps: list[Frame],
           highlight: Mapping[Tensor, str]) -> dict[str, tuple[int, str]]:
    """For each highlighted tensor's name ("σ′"): the step whose gradient came back through its coloured
    edge, and that edge's label ("σ′ = ∂a/∂z = 0.01766")."""
    found = {}
    for t, name in highlight.items():
        op = "op" + picture.node_id.get(id(t), "t")[1:]
        edges = {f"{edge.tail}->{edge.head}": edge for edge in picture.edges if edge.highlighted and edge.head == op}
        for k, frame in enumerate(steps):
            through = [edges[edge] for edge in frame.edges if edge in edges]
            if through:
                found[name] = (k, _line_text(through[0].lines[0]) if through[0].lines else name)
                break
    return found


def _fold_note(picture: graph_picture.Picture, until: Tensor | None, folded: int) -> str:
    """The one sentence that says what step 2 folds, if it folds anything."""
    if until is None or folded < 2:
        return ""
    a = _name(picture, until)
    return (f"Step 2 folds the {folded} steps of backward from {picture.root_label} down to {a} into one (each is "
            f"listed under it), so the steps from {a} on come sooner.")


def _shown(frame: Frame, keys: dict[int, str]) -> dict[str, object]:
    """A frame as the page reads it: no arrays, and a key its tensor has in every root's replay."""
    key = keys.setdefault(id(frame.of), f"s{len(keys)}")
    return {"tensor": frame.tensor, "node": frame.node, "edges": frame.edges, "heading": frame.heading,
            "lines": frame.lines, "sum": frame.sum, "total": frame.total, "completes": frame.completes,
            "folded": frame.folded, "caption": frame.caption, "key": key, "wrong": frame.wrong}


def _line_text(line: graph_picture.Line, number: Callable[[np.ndarray], str] = number_text) -> str:
    """A label line as the picture draws it: its text, and each Number written by `number`."""
    return "".join(number(part.array) if isinstance(part, graph_picture.Number) else part for part in line)
