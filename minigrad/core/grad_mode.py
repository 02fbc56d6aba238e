"""Whether operations are recorded into the graph: on, except inside `no_grad()`.

The switch is per thread, as in PyTorch: `no_grad` in one thread does not stop
another thread from recording.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any


class _GradMode(threading.local):
    enabled = True


grad_mode = _GradMode()  # the switch that Op.apply reads before recording an op


class no_grad:
    """Context manager (and decorator) under which no graph is recorded.

    Nested use works, and the previous mode comes back even after an exception.
    As a decorator, `@no_grad()` or `@no_grad`, each call of the function runs
    in a fresh context, so threads may share the function; on a generator
    function it applies to each step of the generator's body, not to the
    caller's code between steps (as PyTorch's does).

    >>> from minigrad import Tensor, no_grad
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    >>> @no_grad
    ... def predict(t):
    ...     return t * 2
    >>> predict(x).requires_grad, (x * 2).requires_grad
    (False, True)
    """

    def __new__(cls, function: Callable | None = None) -> Any:
        context = super().__new__(cls)
        return context if function is None else context(function)  # `@no_grad` without parentheses

    def __init__(self, function: Callable | None = None) -> None:
        self._previous: list[bool] = []

    def __enter__(self) -> no_grad:
        self._previous.append(grad_mode.enabled)
        grad_mode.enabled = False
        return self

    def __exit__(self, *exc_info: object) -> None:
        grad_mode.enabled = self._previous.pop()

    def __call__(self, function: Callable) -> Callable:
        generator = inspect.isgeneratorfunction(function)

        @functools.wraps(function)
        def without_grad(*args: Any, **kwargs: Any) -> Any:
            if generator:
                return _each_step_without_grad(function(*args, **kwargs))
            with no_grad():  # a fresh context for each call: a shared one would mix the threads' saved modes
                return function(*args, **kwargs)
        return without_grad


def _each_step_without_grad(steps: Generator) -> Generator:
    """Run a generator's body under no_grad one step at a time, handing on what
    the caller sends or throws in, and what the generator yields or returns."""
    try:
        with no_grad():
            response = steps.send(None)
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with no_grad():
                    steps.close()
                raise
            except BaseException as error:
                with no_grad():
                    response = steps.throw(error)
            else:
                with no_grad():
                    response = steps.send(request)
    except StopIteration as stop:
        return stop.value


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a no_grad block (PyTorch's enable_grad);
    `minigrad.grad(create_graph=True)` and gradgradcheck use it.

    >>> from minigrad import Tensor, no_grad
    >>> x = Tensor([1.0], requires_grad=True)
    >>> with no_grad(), enable_grad():
    ...     (x * 2).requires_grad
    True
    """
    previous, grad_mode.enabled = grad_mode.enabled, True
    try:
        yield
    finally:
        grad_mode.enabled = previous
