"""A stand-in for mg.blame until it lands on main: each op of the graph against central differences of that op
alone, given the gradient that actually arrived. Same report shape (wrong, unchecked, ok); to be deleted at the
merge."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.core.backward import backward_pass, unbroadcast
from minigrad.core.tensor import Tensor
from minigrad.lessons.exercises.cases import diagnose

ADVICE = {
    "sign": "Your gradient has the right size but the opposite sign: check the minus signs of the rule.",
    "factor": "Your gradient is off by a constant factor: a factor missing, or one applied twice.",
    "shape": "Your gradient has the wrong shape for this input.",
    None: "Compare your rule with the derivative in the exercise's docstring, term by term.",
}


@dataclass
class Wrong:
    op: Any
    output: Tensor
    input: int
    index: tuple
    expected: float
    got: float
    diagnosis: str | None
    advice: str


@dataclass
class Report:
    wrong: list[Wrong] = field(default_factory=list)
    unchecked: list[tuple[Any, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.wrong


def numerical(op: Any, arrays: list[np.ndarray], i: int, grad: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d(Σ grad·op(…))/d(input i), by central differences of the op alone."""
    result = np.zeros_like(arrays[i])
    for index in np.ndindex(arrays[i].shape):
        total = []
        for step in (eps, -eps):
            moved = [a.copy() for a in arrays]
            moved[i][index] += step
            total.append(float(np.sum(grad * type(op)().forward(*moved, **op.params))))
        result[index] = (total[0] - total[1]) / (2 * eps)
    return result


def blame(root: Tensor) -> Report:
    report = Report()
    for node, grad in backward_pass(root, np.ones_like(root.data)):
        op = node._op
        if op is None:
            continue
        arrays = [t.data.astype(np.float64) for t in op.inputs]
        got_all = op.backward(grad)
        for i, (t, got) in enumerate(zip(op.inputs, got_all)):
            if not t.requires_grad or got is None:
                continue
            expected = numerical(op, arrays, i, grad)
            got = np.asarray(got, dtype=np.float64)
            try:
                got = unbroadcast(got, t.data.shape)
            except ValueError:
                report.wrong.append(Wrong(op, node, i, (), float("nan"), float("nan"), "shape", ADVICE["shape"]))
                continue
            if got.shape != expected.shape:
                report.wrong.append(Wrong(op, node, i, (), float("nan"), float("nan"), "shape", ADVICE["shape"]))
            elif not np.allclose(got, expected, rtol=1e-4, atol=1e-6):
                index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape) if got.size else ()
                diagnosis = diagnose(expected, got)
                report.wrong.append(Wrong(op, node, i, tuple(map(int, index)), float(expected[index]),
                                          float(got[index]), diagnosis, ADVICE[diagnosis]))
    return report
