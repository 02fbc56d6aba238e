"""Gradient blame: which op's backward rule is wrong, at which edge, and how.

`gradcheck` says *that* the gradient of a whole function is wrong, at an
input. `blame(root)` says *where*: it walks the recorded graph of `root` as
backward does, and checks each op's backward on its own, against central
finite differences of that op's forward alone, on the inputs it was given
and with the gradient that actually arrived at its output (all in float64).
Because every op is judged locally, a wrong rule is blamed where it is, and
the ops below it are still checked, with the (wrong) gradient they got. The
first op blamed, in backward order, is where the gradient first went wrong.

An op whose rule cannot be checked numerically is reported as unchecked, not
as wrong: at a point where its forward has a kink (relu at exactly 0, a tie
of max), finite differences from the left and the right disagree.

Where a wrong gradient has a recognisable shape, the report says so
(blame_diagnosis.py): the sign, a constant factor such as N or 1/N, a
transpose, a gradient not summed back to a broadcast input, a missing local
derivative.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.core.backward import topological_order, unbroadcast
from minigrad.core.blame_diagnosis import diagnose
from minigrad.core.errors import ShapeError
from minigrad.core.grad_mode import enable_grad
from minigrad.core.op import Op
from minigrad.core.tensor import Tensor

__all__ = ["BlameReport", "Blamed", "Unchecked", "blame"]

EPS = 1e-6            # the step of the finite differences (float64)
ATOL, RTOL = 1e-5, 1e-3  # as gradcheck's: |got - expected| <= ATOL + RTOL·|expected|


@dataclass
class Blamed:
    """One wrong edge: the backward of `op` gave input `input` a wrong gradient.

    `step` counts the ops in the order backward reaches them (1: the op that made the root); `index`,
    `expected` (finite differences) and `got` (the rule) are at the element that is furthest off
    (got is None when the rule's gradient has a shape that cannot be the input's)."""

    op: Op
    output: Tensor
    step: int
    input: int
    index: tuple[int, ...]
    expected: float
    got: float | None
    diagnosis: str | None  # "sign", "factor", "transpose", "broadcast", "shape", "missing factor", "ignores grad",
    advice: str            # "raises"
    error: Exception | None = None  # what the backward raised, when the diagnosis is "raises"

    def __str__(self) -> str:
        where = f"step {self.step}: the backward of {describe(self.op)}"
        if self.diagnosis == "raises":
            return f"{where} fails for input {self.input}. {self.advice}"
        got = "a gradient of the wrong shape" if self.got is None else f"{self.got:.6g}"
        return (f"{where} gives input {self.input} a wrong gradient: at index {self.index} expected "
                f"{self.expected:.6g} (finite differences), got {got}. {self.advice}")


@dataclass
class Unchecked:
    """An op whose backward blame could not check, and why."""

    op: Op
    output: Tensor
    step: int
    reason: str


@dataclass
class BlameReport:
    """What blame found: the wrong edges in backward order, the ops it could not check, and how many
    ops it checked. `ok` is True when no op is blamed."""

    wrong: list[Blamed] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        """Whether no op is blamed (ops left unchecked do not count)."""
        return not self.wrong

    def __str__(self) -> str:
        head = (f"blame: {self.checked} op(s) checked, {len(self.wrong)} wrong, {len(self.unchecked)} unchecked"
                + ("." if self.ok else "; the gradient first goes wrong at step "
                   f"{self.wrong[0].step}, the backward of {describe(self.wrong[0].op)}."))
        lines = [head, *(f"- {entry}" for entry in self.wrong),
                 *(f"- step {u.step}, {describe(u.op)}: unchecked, {u.reason}" for u in self.unchecked)]
        return "\n".join(lines)


def describe(op: Op) -> str:
    """An op as a report names it: its name and its inputs' shapes, "mul (3, 4) (4,)"."""
    return f"{op.name()} {' '.join(str(t.shape) for t in op.inputs)}"


def blame(root: Tensor, grad: Any = None, *, strict_shapes: bool = False) -> BlameReport:
    """Check the backward rule of every op in the graph of `root`, each on its own, against finite
    differences of its forward; return a BlameReport. `grad` is the gradient flowing into `root`, as
    for backward (it may be omitted for a one-element root). With `strict_shapes`, a rule must return
    gradients of its inputs' shapes (the backward walk would otherwise sum a broadcast one back).
    Nothing in the graph changes: no .grad is written.

    >>> class WrongSquare(Op):
    ...     saves = ("a",)
    ...     def forward(self, a):
    ...         return a * a
    ...     def backward(self, grad):
    ...         (a,) = self.saved
    ...         return (-2 * a * grad,)  # d/da a² = 2a, with the sign wrong
    >>> x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    >>> report = blame(WrongSquare.apply(x).exp().sum())
    >>> [(entry.op.name(), entry.diagnosis) for entry in report.wrong]
    [('wrongsquare', 'sign')]
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"blame: root is a {type(root).__name__}; expected a Tensor")
    if root.grad_fn is None:
        raise ValueError("blame: root has no recorded graph (it was not computed from tensors that require "
                         "grad, or under no_grad); expected the result of ops on such tensors")
    seed = np.ones(root.shape) if grad is None and root.size == 1 else \
        np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=np.float64) if grad is not None else None
    if seed is None or seed.shape != root.shape:
        got = "none" if grad is None else f"shape {seed.shape}"
        raise ValueError(f"blame: root has shape {root.shape}, so grad is needed, of that shape; got {got}")
    report = BlameReport()
    arrived: dict[Tensor, np.ndarray] = {root: seed}
    step = 0
    for node in reversed(topological_order(root)):
        gradient, op = arrived.pop(node, None), node.grad_fn
        if gradient is None or op is None:
            continue
        step += 1
        passed = check_op(op, node, gradient, step, report, strict_shapes)
        for parent, parent_grad in zip(op.inputs, passed):
            if parent_grad is not None and parent._requires_grad:
                arrived[parent] = arrived[parent] + parent_grad if parent in arrived else parent_grad
    return report


def check_op(op: Op, output: Tensor, gradient: np.ndarray, step: int, report: BlameReport,
             strict_shapes: bool) -> list[np.ndarray | None]:
    """Check `op`'s backward with the gradient that arrived at its output; record what is wrong or
    unchecked in `report`; return the gradients its rule passes on to its inputs (summed back to their
    shapes), or, where the rule gives none that can be summed back, the finite differences' own."""
    arrays = [t.data.astype(np.float64) if t.data.dtype.kind == "f" else t.data for t in op.inputs]
    needed = [t._requires_grad for t in op.inputs]

    def forward(values: list[np.ndarray]) -> np.ndarray:
        return type(op)().forward(*values, **op.params)

    try:
        with enable_grad():
            twin = type(op).apply(*[_leaf(a, n) for a, n in zip(arrays, needed)], **op.params).grad_fn
    except Exception as error:  # noqa: BLE001 (any failure of a user's forward is a reason, not a crash)
        report.unchecked.append(Unchecked(op, output, step, f"its forward fails on float64 copies ({error})"))
        return [None] * len(arrays)
    report.checked += 1
    # A rule is linear in the gradient it gets, so it is checked with that gradient scaled to a largest
    # element of 1 (a vanished gradient, 1e-12, would pass any tolerance), and what it passes on, and
    # the numbers reported, are scaled back. A gradient of zeros checks nothing: a random one is used.
    scale = float(np.abs(gradient).max()) if gradient.size else 0.0
    unit = gradient / scale if scale > 0 else np.random.default_rng(step).standard_normal(gradient.shape)
    try:
        returned = list(twin.backward(unit))
    except Exception as error:  # noqa: BLE001
        returned = [error] * len(arrays)
    passed: list[np.ndarray | None] = []
    wrong_before = len(report.wrong)
    for i, (array, need) in enumerate(zip(arrays, needed)):
        if not need:
            passed.append(None)
            continue
        raw = returned[i] if i < len(returned) else None
        passed.append(scale * check_input(op, output, step, i, arrays, raw, unit, forward, report, strict_shapes))
    for entry in report.wrong[wrong_before:]:  # in the units of the gradient that arrived
        entry.expected *= scale or 1.0
        entry.got = None if entry.got is None else entry.got * (scale or 1.0)
    if len(report.wrong) == wrong_before and not isinstance(returned[0] if returned else None, Exception):
        _check_with_another_gradient(twin, op, output, step, arrays, needed, forward, report, strict_shapes)
    return passed


def _check_with_another_gradient(twin: Op, op: Op, output: Tensor, step: int, arrays: list[np.ndarray],
                                 needed: list[bool], forward: Callable, report: BlameReport,
                                 strict_shapes: bool) -> None:
    """A rule must be right for any gradient, not only the one that arrived: one that ignores `grad` is
    right when ones arrive (under a sum). So the rule is checked again with a random gradient."""
    probe = np.random.default_rng(step + 1).standard_normal(output.shape)
    try:
        returned = list(twin.backward(probe))
    except Exception:  # noqa: BLE001 (it ran with the other gradient: leave it)
        return
    again = BlameReport()  # what it finds unchecked, the first check has reported already
    for i, need in enumerate(needed):
        if need and i < len(returned):
            check_input(op, output, step, i, arrays, returned[i], probe, forward, again, strict_shapes)
    report.wrong += again.wrong
    for entry in again.wrong:
        entry.diagnosis = "ignores grad"  # right for the gradient that arrived: grad is not used as it should be
        entry.advice = ("It is right for the gradient that arrived, but not for another: it must multiply the "
                        "incoming gradient ∂L/∂out (grad) by its local derivative; does it use grad at all? "
                        f"(With a random grad: {entry.advice})")


def check_input(op: Op, output: Tensor, step: int, i: int, arrays: list[np.ndarray], raw: Any,
                gradient: np.ndarray, forward: Callable, report: BlameReport, strict_shapes: bool) -> np.ndarray:
    """Check the gradient `raw` the rule gave input `i`; return what is passed on to that input."""
    shape = arrays[i].shape
    if isinstance(raw, Exception):
        expected = numeric_gradient(forward, arrays, i, gradient)[0]
        index, _ = _furthest(expected, np.zeros(shape))
        report.wrong.append(Blamed(op, output, step, i, index, float(expected[index]), None, "raises",
                                   f"Its backward raises {type(raw).__name__}: {raw}", raw))
        return expected
    got = np.zeros(shape) if raw is None else np.asarray(raw.data if isinstance(raw, Tensor) else raw, np.float64)
    try:
        summed = got if got.shape == shape else unbroadcast(got, shape)
    except ShapeError:
        summed = None
    if summed is not None and not (strict_shapes and got.shape != shape) and _agrees(forward, arrays, i, gradient,
                                                                                     summed):
        return summed
    expected, kinks = numeric_gradient(forward, arrays, i, gradient)
    if summed is not None:
        off = ~np.isclose(summed, expected, atol=ATOL, rtol=RTOL)
        if not (off & ~kinks).any() and not (strict_shapes and got.shape != shape):
            if off.any():
                report.unchecked.append(Unchecked(op, output, step, f"input {i} has {int(off.sum())} element(s) "
                                                  "at a point where its forward is not differentiable"))
            return summed
    diagnosis, advice = diagnose(op, i, got, summed, expected, gradient, shape)
    index, compared = _furthest(expected, summed if summed is not None else None)
    report.wrong.append(Blamed(op, output, step, i, index, float(expected[index]),
                               None if compared is None else float(compared[index]), diagnosis, advice))
    return summed if summed is not None else expected


def numeric_gradient(forward: Callable, arrays: list[np.ndarray], i: int,
                     gradient: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d(sum(gradient · forward))/d(input i), element by element, by central differences; and where the
    differences from the left and from the right disagree (a kink: no derivative to check there)."""
    values = [a.copy() for a in arrays]
    flat = values[i].reshape(-1)  # a view: writing to it perturbs the input
    expected, kinks = np.zeros(flat.size), np.zeros(flat.size, dtype=bool)
    centre = float(np.sum(gradient * forward(values)))
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + EPS
        plus = float(np.sum(gradient * forward(values)))
        flat[j] = original - EPS
        minus = float(np.sum(gradient * forward(values)))
        flat[j] = original
        expected[j] = (plus - minus) / (2 * EPS)
        right, left = (plus - centre) / EPS, (centre - minus) / EPS
        kinks[j] = abs(right - left) > 10 * (ATOL + RTOL * abs(expected[j]))
    return expected.reshape(arrays[i].shape), kinks.reshape(arrays[i].shape)


def _agrees(forward: Callable, arrays: list[np.ndarray], i: int, gradient: np.ndarray, got: np.ndarray) -> bool:
    """The quick test: does the rule's gradient give the derivative of the forward along a random direction?
    (Two forwards instead of two per element; only when it fails is each element checked.)"""
    direction = np.random.default_rng(i).standard_normal(arrays[i].shape)
    values = [a.copy() for a in arrays]
    values[i] = arrays[i] + EPS * direction
    plus = float(np.sum(gradient * forward(values)))
    values[i] = arrays[i] - EPS * direction
    minus = float(np.sum(gradient * forward(values)))
    numeric, analytic = (plus - minus) / (2 * EPS), float(np.sum(got * direction))
    return abs(numeric - analytic) <= ATOL + RTOL * max(abs(numeric), abs(analytic))


def _furthest(expected: np.ndarray, got: np.ndarray | None) -> tuple[tuple[int, ...], np.ndarray | None]:
    """The index where `got` is furthest from `expected` (the largest expected one, without a `got`)."""
    distance = np.abs(expected - got) if got is not None else np.abs(expected)
    flat = int(np.argmax(distance)) if distance.size else 0
    return tuple(int(k) for k in np.unravel_index(flat, expected.shape)) if expected.ndim else (), got


def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    """A leaf over `array` (no copy, no dtype rules): the op is applied again on these."""
    leaf = Tensor._from_op(array, None)
    leaf._requires_grad = requires_grad
    return leaf
