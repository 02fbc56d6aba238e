"""compile(fn, check=True): the compiled step and the eager step, side by side at every call.

For debugging a step the trace may not stand for (a decision on a value it
could not see, a random draw inside the step): each call runs the compiled
code, notes everything it changed (the parameters, their `.grad`, the
optimizer's state, the result), puts it all back, runs the eager step, and
compares. The eager step's results stay. Any difference raises
`CompileCheckError`, naming what differs and by how much.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad.core.tensor import Tensor

from minigrad.compiler.source import GuardFailed

if TYPE_CHECKING:
    from minigrad.compiler.step import CompiledStep, _Entry

RTOL, ATOL = 1e-5, 1e-6  # the same NumPy calls in the same order agree to the bit; a frozen branch does not


class CompileCheckError(AssertionError):
    """`compile(fn, check=True)`: the compiled step and the eager step gave different results."""


def compare_with_eager(step: CompiledStep, entry: _Entry, args: tuple) -> Any:
    """Run the compiled code, then (everything put back) the eager step; raise on any difference."""
    captured = entry.captured
    names = dict(captured.tensor_names)
    tensors = {}
    for stand_in, source in captured.trace.inputs:
        if source[0] in ("data", "grad") and source[1]() is not None:
            tensors[id(source[1]())] = source[1]()
    tensors.update((id(t), t) for t, _ in captured.grads)
    states = {id(state): state for state, _ in captured.trace.states}
    saved = _snapshot(tensors.values(), states.values())
    try:
        compiled_result = entry.run(args)
    except GuardFailed:  # the guards come before any change: this call runs eagerly, as without check
        return step.fn(*args)
    compiled = _observe(tensors.values(), states.values(), compiled_result, names)
    _restore(saved)
    eager_result = step.fn(*args)
    eager = _observe(tensors.values(), states.values(), eager_result, names)
    for what, expected in eager.items():
        got = compiled.get(what)
        if not _same(got, expected):
            raise CompileCheckError(
                f"compile(check=True): {step.__name__}'s compiled code and its eager run differ in {what} "
                f"({_difference(got, expected)}). The trace froze something this call does differently: a "
                "decision on a value it could not see (tensor.data read directly), a random number drawn "
                "in the step, or a NumPy array the step captures; pass such data as arguments")
    return eager_result


def _snapshot(tensors: Any, states: Any) -> list:
    saved = []
    for t in tensors:
        grad = t.grad
        saved.append((t, t.data.copy(), grad, None if grad is None else np.copy(grad)))
    for state in states:
        saved.append((state, dict(state), {k: np.copy(v) for k, v in state.items() if isinstance(v, np.ndarray)}))
    return saved


def _restore(saved: list) -> None:
    for item in saved:
        if isinstance(item[0], Tensor):
            tensor, data, grad, grad_values = item
            tensor.data[...] = data
            tensor.grad = grad
            if grad is not None:
                grad[...] = grad_values
        else:
            state, entries, arrays = item
            state.clear()
            state.update(entries)
            for key, values in arrays.items():
                state[key][...] = values


def _observe(tensors: Any, states: Any, result: Any, names: dict[int, str]) -> dict[str, Any]:
    """Copies of everything a step leaves, by name: the tensors, their gradients, the state, the result."""
    seen: dict[str, Any] = {}
    for i, t in enumerate(tensors):
        name = names.get(id(t)) or t.name or f"tensor {i} (shape {t.shape})"
        seen[name] = t.data.copy()
        seen[f"{name}.grad"] = None if t.grad is None else np.copy(t.grad)
    for i, state in enumerate(states):
        for key, value in state.items():
            seen[f"the optimizer's state {key!r} of parameter {i}"] = np.copy(value)
    for i, value in enumerate(_flat(result)):
        seen[f"the returned value {i}" if i else "the returned value"] = value
    return seen


def _flat(value: Any) -> list:
    if isinstance(value, Tensor):
        return [value.data.copy()]
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in _flat(item)]
    if isinstance(value, dict):
        return [v for item in value.values() for v in _flat(item)]
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return [np.copy(value)]
    return [value]


def _same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))
    return bool(a == b)


def _difference(got: Any, expected: Any) -> str:
    if got is None or expected is None:
        return f"compiled {'None' if got is None else 'an array'}, eager {'None' if expected is None else 'an array'}"
    if isinstance(got, np.ndarray) and got.shape != expected.shape:
        return f"compiled shape {got.shape}, eager {expected.shape}"
    if isinstance(got, np.ndarray):
        return f"largest difference {float(np.max(np.abs(got.astype(float) - expected.astype(float)))):.3g}"
    return f"compiled {got!r}, eager {expected!r}"
