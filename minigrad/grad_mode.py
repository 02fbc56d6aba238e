"""Whether operations are recorded into the graph: on, except inside `no_grad()`.

The switch is per thread, as in PyTorch: `no_grad` in one thread does not stop
another thread from recording.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator


class _GradMode(threading.local):
    enabled = True


grad_mode = _GradMode()  # the switch that Op.apply reads before recording an op


class no_grad(ContextDecorator):
    """Context manager (and decorator) under which no graph is recorded.

    Nested use works, and the previous mode comes back even after an exception.

    >>> from minigrad import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    def __init__(self) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> no_grad:
        self._previous.append(grad_mode.enabled)
        grad_mode.enabled = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        grad_mode.enabled = self._previous.pop()
