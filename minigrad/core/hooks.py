"""The handle a registered hook returns, as PyTorch's: `remove()` takes the hook out."""

from __future__ import annotations

import itertools
from typing import Any


class RemovableHandle:
    """What `Tensor.register_hook` and `Module.register_forward_hook` return:
    `remove()` takes the hook out (a second call does nothing). Also a context
    manager that removes the hook on leaving, as PyTorch's.

    >>> from minigrad import Tensor
    >>> x = Tensor(1.0, requires_grad=True)
    >>> with x.register_hook(print):
    ...     (x * 2).backward()
    Tensor(2.)
    >>> (x * 2).backward()                       # removed: nothing printed
    """

    _ids = itertools.count()  # hook dicts are keyed by these ids, so they keep the registration order

    def __init__(self, hooks: dict[int, Any]) -> None:
        self.hooks, self.id = hooks, next(RemovableHandle._ids)

    def remove(self) -> None:
        """Take the hook out."""
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()
