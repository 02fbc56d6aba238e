"""The version counter: how backward notices a value it needs that was changed in place.

An op keeps arrays for its backward: its inputs, its output, a mask (see
Op.saves). They are the tensors' own arrays, not copies, so changing a tensor
in place (`w *= 10`, `x[0] = 1`, an optimizer's step) after the op was
recorded would make backward compute the gradient of a function that was
never computed. As in PyTorch, that is an error, not a wrong gradient:

- each in-place change of an array counts one version of its memory, shared
  by every tensor that views that memory (`detach()`, a reshape, a slice);
  an optimizer's step counts one for each parameter it updates;
- `Op.apply` notes on each op the clock, the number of in-place changes so
  far (one integer: the whole cost on the hot path);
- before running an op's backward, the walk compares the op's clock with
  today's: when no array anywhere has changed since, it goes on; otherwise
  `check_unchanged` looks at what the op keeps and raises naming it.

>>> import minigrad as mg
>>> w = mg.Tensor([1.0, 2.0], requires_grad=True)
>>> y = (w * w).sum()
>>> with mg.no_grad():
...     w *= 10
>>> w._version
1
>>> try:
...     y.backward()
... except RuntimeError as error:
...     print(error)  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
backward: mul saved input 0 (a tensor of shape (2,)) for its backward, and it was changed in place
since: it is at version 1, and mul saved version 0. Change a tensor in place only after ...
"""

from __future__ import annotations

import bisect
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from minigrad.core.op import Op
    from minigrad.core.tensor import Tensor

KEPT_CHANGES = 16  # each record keeps the clocks of its last 16 changes, at least: what an error message reads


class Changes:
    """The in-place changes of one memory, or of a group of tensors changed together: the clock of
    each (the last ones, oldest first) and how many older ones were dropped. Their number is the version."""

    __slots__ = ("clocks", "dropped")

    def __init__(self) -> None:
        self.clocks: list[int] = []
        self.dropped = 0

    def add(self) -> None:
        """Count one change, now."""
        versions.clock += 1
        self.clocks.append(versions.clock)
        if len(self.clocks) == 2 * KEPT_CHANGES:  # memory stays flat over a long training run
            self.dropped += KEPT_CHANGES
            del self.clocks[:KEPT_CHANGES]


class Versions:
    """Every block of memory changed in place, and every group of tensors changed together, with the
    clock of each change."""

    def __init__(self) -> None:
        self.clock = 0  # how many in-place changes so far: Op.apply notes it on each op
        self._memories: dict[int, Changes] = {}  # id(memory) -> its changes
        self._groups: dict[int, tuple[list[Tensor], Changes]] = {}  # id(owner) -> tensors changed together

    def changed(self, *arrays: np.ndarray) -> None:
        """Count one in-place change of each array's memory (call it after writing into them)."""
        for array in arrays:
            self._changes_of_memory(memory_of(array)).add()

    def group(self, owner: object, tensors: list[Tensor]) -> Changes:
        """The record of changes of `tensors` made together, step after step, by `owner` (an optimizer):
        one `add()` counts a change of every one of them. Counting each parameter's memory by itself
        cost 1.7k instructions per parameter (measured: benchmarks/README.md). When the owner is freed,
        the group's changes move to the tensors' memories."""
        changes = Changes()
        self._groups[id(owner)] = (tensors, changes)
        weakref.finalize(owner, self._keep, id(owner))
        return changes

    def version(self, array: np.ndarray) -> int:
        """How many times `array`'s memory was changed in place."""
        return sum(changes.dropped + len(changes.clocks) for changes in self._changes(array))

    def changed_since(self, array: np.ndarray, clock: int) -> bool:
        """Whether `array`'s memory was changed in place after the clock read `clock`."""
        return any(changes.clocks and changes.clocks[-1] > clock for changes in self._changes(array))

    def version_at(self, array: np.ndarray, clock: int) -> str:
        """The version `array`'s memory had when the clock read `clock`, as text: "3", or "3 or less"
        when that is older than the changes kept."""
        found = [(changes.dropped, bisect.bisect_right(changes.clocks, clock)) for changes in self._changes(array)]
        inexact = any(dropped and not before for dropped, before in found)
        return f"{sum(dropped + before for dropped, before in found)}" + (" or less" if inexact else "")

    def _changes(self, array: np.ndarray) -> list[Changes]:
        """The records that count changes of `array`'s memory: its own, and those of the groups that hold it."""
        memory = memory_of(array)
        own = self._memories.get(id(memory))
        return [*([own] if own else []), *(changes for tensors, changes in self._groups.values()
                                           if any(memory_of(t.data) is memory for t in tensors))]

    def _changes_of_memory(self, memory: np.ndarray) -> Changes:
        if id(memory) not in self._memories:  # its first change: forget it when the memory is freed
            self._memories[id(memory)] = Changes()
            weakref.finalize(memory, self._memories.pop, id(memory))
        return self._memories[id(memory)]

    def _keep(self, owner: int) -> None:
        """A group's owner was freed: add its changes to those of its tensors' memories, in clock order."""
        tensors, group_changes = self._groups.pop(owner)
        for tensor in tensors:
            changes = self._changes_of_memory(memory_of(tensor.data))
            changes.clocks = sorted(changes.clocks + group_changes.clocks)
            changes.dropped += group_changes.dropped


versions = Versions()  # one for the process: memory is shared by every thread


def memory_of(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory: itself, or the array it views (NumPy points a view
    of a view at the owner). A stand-in of mg.compile's trace (core/stand_in.py) is its value's."""
    array = getattr(array, "value", array)
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def check_unchanged(op: Op, output: Tensor) -> None:
    """Raise if an array `op` keeps for backward (a saved input or output, a constant, a cache)
    was changed in place after the op was recorded; return quietly if none was."""
    for what, array in _kept(op, output):
        if versions.changed_since(array, op.recorded_at):
            raise RuntimeError(
                f"backward: {op.name()} saved {what} for its backward, and it was changed in place since: it "
                f"is at version {versions.version(array)}, and {op.name()} saved version "
                f"{versions.version_at(array, op.recorded_at)}. Change a tensor in place only after the backward "
                "that needs it (zero_grad, forward, backward, step), or compute a new tensor (x = x * 2, not x *= 2)")


def _kept(op: Op, output: Tensor) -> list[tuple[str, Any]]:
    """What `op` keeps for backward, each with words that name it: (\"input 0 (x)\", its array)."""
    kept = []
    for at, array in zip(op._saved_at, op.saved if op._saved_at else ()):
        tensor, role = (output, "its output") if at == -1 else (op.inputs[at], f"input {at}")
        name = repr(tensor.name) if tensor.name else f"a tensor of shape {tensor.shape}"
        kept.append((f"{role} ({name})", array))
    for name in (*op.constants, *op.caches):
        value = getattr(op, name, None)
        for array in value if isinstance(value, (tuple, list)) else (value,):
            if isinstance(array, np.ndarray):
                kept.append((f"its {name}", array))
    return kept
