"""What a picture marks on a graph besides its numbers: the edges `highlight=` colours, and what a
BlameReport (`mg.blame(root)`) found, for `blame=`.

`highlights` checks what `highlight=` was given. `blame_marks` checks a
report against the graph it is to be drawn on (its ops must be this graph's)
and returns its `Marks`: the wrong edges (from input `k` into an op), the ops
they go into, the ops blame could not check, with a short note, and the ops
whose backward cannot pass a gradient at all (a gradient of the wrong shape,
a backward that raises): the picture and the replay draw the gradients that
backward completes before it reaches them.
graph_picture.describe puts the marks on its nodes and edges; dot.py draws
them in the colours of pages/colours.py (WRONG: red).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from minigrad.core.backward import topological_order
from minigrad.core.blame import BlameReport, Blamed, describe
from minigrad.core.tensor import Tensor


@dataclass
class Marks:
    """What a BlameReport marks on one graph, keyed by id(op)."""

    wrong: dict[tuple[int, int], Blamed] = field(default_factory=dict)  # (id(op), input) -> its entry
    ops: set[int] = field(default_factory=set)          # the ops with a wrong edge
    unchecked: dict[int, str] = field(default_factory=dict)  # an op blame could not check -> a short note
    broken: set[int] = field(default_factory=set)       # ops whose backward passes no usable gradient


def blame_marks(root: Tensor, report: BlameReport | None, caller: str) -> Marks:
    """The marks of `report` on the graph of `root`; a TypeError or ValueError naming `caller` when
    `report` is not a BlameReport or is about another graph.

    >>> import minigrad as mg
    >>> x = Tensor(np.zeros(2), requires_grad=True)
    >>> root = x.relu().sum()
    >>> list(blame_marks(root, mg.blame(root), "draw_graph").unchecked.values())  # relu at its kink
    ['not checked: a kink']
    >>> blame_marks(x.relu().sum(), mg.blame(root), "draw_graph")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: draw_graph: blame is the report on another graph (its op relu (2,) of step 2 is not in ...
    """
    if report is None:
        return Marks()
    if not isinstance(report, BlameReport):
        raise TypeError(f"{caller}: blame takes the BlameReport of mg.blame(root), got {type(report).__name__}")
    ops = {id(t.grad_fn) for t in topological_order(root) if t.grad_fn is not None}
    for entry in [*report.wrong, *report.unchecked]:
        if id(entry.op) not in ops or entry.output.grad_fn is not entry.op:
            raise ValueError(f"{caller}: blame is the report on another graph (its op {describe(entry.op)} of step "
                             f"{entry.step} is not in the graph of root); expected mg.blame(root) of the root drawn")
    marks = Marks()
    for entry in report.wrong:
        marks.wrong[(id(entry.op), entry.input)] = entry
        marks.ops.add(id(entry.op))
        if entry.got is None:
            marks.broken.add(id(entry.op))
    for unchecked in report.unchecked:
        marks.unchecked[id(unchecked.op)] = "not checked: a kink" if "differentiable" in unchecked.reason \
            else "not checked"
    return marks


def got_text(entry: Blamed) -> str:
    """What the rule gave, where it gave no number to compare: "wrong shape (3,)", "raises NotImplementedError"."""
    if entry.diagnosis == "raises":
        return f"raises {entry.advice.split()[3].rstrip(':')}"  # "Its backward raises NotImplementedError: …"
    try:
        raw = entry.op.backward(np.ones(entry.output.shape))[entry.input]
    except Exception:  # noqa: BLE001 (a user's backward may fail on a gradient of ones; the shape is unknown)
        return "wrong shape"
    return f"wrong shape {np.shape(raw.data if isinstance(raw, Tensor) else raw)}"


def index_text(entry: Blamed) -> str:
    """Where in its input the entry's numbers are: " at [0, 2]" (nothing for a one-element input)."""
    return f" at [{', '.join(map(str, entry.index))}]" if entry.op.inputs[entry.input].size > 1 else ""


def caption(entry: Blamed, into: str, number_text: Callable[[np.ndarray], str], first: bool) -> str:
    """The replay's words at the step where `entry`'s wrong gradient arrives at its input, named `into`
    (or, for a backward that passes none, where backward stops)."""
    got = number_text(np.asarray(entry.got)) if entry.got is not None else got_text(entry)
    kind = f" ({entry.diagnosis})" if entry.diagnosis and entry.diagnosis != "raises" else ""
    after = "The steps after this one carry the wrong gradient." if entry.got is not None else \
        "Backward cannot go on through this op: the steps below it are missing."
    return (f"Here {'the' if first else 'another'} gradient goes wrong: the backward of {entry.op.name()} gives "
            f"input {entry.input}, {into}, a wrong gradient{kind}{index_text(entry)}: expected "
            f"{number_text(np.asarray(entry.expected))} (finite differences), got {got}. {entry.advice} {after}")


def highlights(highlight: Mapping[Tensor, str] | Iterable[Tensor] | None) -> dict[int, str]:
    """What `highlight=` marks: id(tensor) -> the name of its local derivative ("" for none)."""
    expected = "tensors, or a dict from a tensor to the name of its local derivative like {a: 'σ′'}"
    if highlight is None:
        return {}
    if isinstance(highlight, Tensor):
        highlight = [highlight]
    if isinstance(highlight, Mapping):
        items = list(highlight.items())
    elif isinstance(highlight, Iterable) and not isinstance(highlight, str):
        items = [(t, "") for t in highlight]
    else:
        raise TypeError(f"draw_graph: highlight takes {expected}, got {type(highlight).__name__}")
    for t, name in items:
        if not isinstance(t, Tensor) or not isinstance(name, str):
            raise TypeError(f"draw_graph: highlight takes {expected}, got {type(t).__name__}: {type(name).__name__}")
    return {id(t): name for t, name in items}
