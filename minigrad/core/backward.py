"""The chain rule, walked: the order of the graph, and backward through it.

`topological_order` lists every tensor a result depends on, inputs before
outputs; `backward_pass` walks that list backwards and asks each op for the
vector-Jacobian product of its inputs (its `backward`), adding up what
reaches a tensor along several paths; `unbroadcast` sums a gradient back to
the shape of an input that broadcasting stretched. `Tensor.backward` and
`minigrad.grad` are both this walk. `run_hooks` calls the hooks of
`Tensor.register_hook` on a gradient the moment it is complete.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from minigrad.core.errors import ShapeError
from minigrad.core.grad_mode import no_grad
from minigrad.core.tensor import Tensor
from minigrad.core.versions import check_unchanged, versions


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, to get `shape`.

    >>> unbroadcast(np.ones((4, 3)), (3,)).tolist()
    [4.0, 4.0, 4.0]
    """
    if grad.shape == shape:
        return grad
    leading = grad.ndim - len(shape)
    if leading < 0 or any(g != n and n != 1 for g, n in zip(grad.shape[leading:], shape)):
        raise ShapeError(f"unbroadcast: a gradient of shape {grad.shape} cannot come from broadcasting "
                         f"shape {shape} (an op's backward returned a wrong shape)")
    if leading:
        grad = grad.sum(axis=tuple(range(leading)))  # 1. the axes broadcasting added in front
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # 2. the size-1 axes it stretched
    return grad


def topological_order(*roots: Tensor) -> list[Tensor]:
    """Every tensor that the roots depend on and that require grad, inputs before outputs.

    Iterative depth-first search (an explicit stack, no recursion), so a chain of
    100,000 ops is fine.

    >>> x = Tensor(2.0, requires_grad=True, name="x")
    >>> y = x * 3; y.name = "y"
    >>> z = y.exp(); z.name = "z"
    >>> [t.name for t in topological_order(z)]
    ['x', 'y', 'z']
    """
    order: list[Tensor] = []
    visited: set[Tensor] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)] if len(roots) > 1 else \
        [(roots[0], False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        if node._op is None:  # a leaf has no inputs: it is done at once
            order.append(node)
            continue
        stack.append((node, True))
        for t in node._op.inputs:
            if t._requires_grad and t not in visited:
                stack.append((t, False))
    return order


def backward_pass(root: Tensor | Sequence[Tensor], seed: Any, create_graph: bool = False,
                  hooks: bool = True) -> Iterator[tuple[Tensor, Any]]:
    """The chain rule, node by node: yield (tensor, dL/dtensor) for every tensor
    that `root` depends on and that requires grad, outputs before inputs, where
    dL/droot = seed. Each gradient is released once it has been passed on.
    A tensor's hooks (register_hook) see its gradient once it is complete,
    before it is yielded and passed on (unless `hooks` is False: a picture
    shows the chain rule without running user code). Several roots take one seed each.
    With `create_graph`, seeds and gradients are Tensors and every op's
    backward rule runs on Tensors (see Op.on_tensors), so the gradients are
    recorded and can be differentiated.

    >>> x = Tensor(3.0, requires_grad=True, name="x")
    >>> y = x * x; y.name = "y"
    >>> [(t.name, g.item()) for t, g in backward_pass(y, np.ones((), dtype=np.float32))]
    [('y', 1.0), ('x', 6.0)]
    """
    if isinstance(root, Tensor):
        grads: dict[Tensor, Any] = {root: seed}
        order = topological_order(root)
    else:  # several roots (minigrad.grad of several outputs): their seeds add up where roots repeat
        grads = {}
        for r, s in zip(root, seed):
            grads[r] = grads[r] + s if r in grads else s
        order = topological_order(*root)
    for node in reversed(order):
        node_grad = grads.pop(node, None)  # the last contribution arrived; release it
        if node_grad is None:  # every op above returned None for this node
            continue
        if node._hooks and hooks:  # register_hook: the gradient is complete; a hook may replace it
            node_grad = run_hooks(node, node_grad, create_graph)
        yield node, node_grad
        recorded = node._op
        if recorded is None:
            continue
        if recorded.recorded_at != versions.clock:  # something was changed in place since the op was recorded
            check_unchanged(recorded, node)
        op = recorded.on_tensors(node) if create_graph else recorded
        for parent, parent_grad in zip(recorded.inputs, op.backward(node_grad)):
            if parent_grad is None or not parent._requires_grad:
                continue
            if create_graph and not isinstance(parent_grad, Tensor):  # a rule may return a constant array
                parent_grad = Tensor._from_op(parent_grad, None)
            if parent_grad.shape != parent.data.shape:
                parent_grad = unbroadcast(parent_grad, parent.data.shape)
            grads[parent] = grads[parent] + parent_grad if parent in grads else parent_grad


def run_hooks(tensor: Tensor, grad: Any, create_graph: bool = False) -> Any:
    """Call `tensor`'s hooks on its complete gradient in the order they were
    registered; a hook that returns something other than None replaces the
    gradient for the hooks after it and for the rest of the walk.

    On arrays (create_graph False) each hook gets a Tensor without graph over
    a read-only view (ops may share the array) and runs under no_grad; on
    Tensors (create_graph True) it gets the recorded gradient itself.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> handle = x.register_hook(lambda g: g * 10)
    >>> run_hooks(x, np.ones(2, dtype=np.float32)).tolist()
    [10.0, 10.0]
    """
    for hook in tuple(tensor._hooks.values()):  # a copy: a hook may remove itself, or add one
        if create_graph:
            result = hook(grad)
        else:
            view = np.asarray(grad).view()
            view.setflags(write=False)
            with no_grad():
                result = hook(Tensor._from_op(view, None))
        if result is not None:
            grad = _replacement(tensor, hook, result, grad, create_graph)
    return grad


def _replacement(tensor: Tensor, hook: Any, result: Any, grad: Any, create_graph: bool) -> Any:
    """What a hook returned, as the gradient it replaces: of the tensor's shape, in the gradient's dtype."""
    if create_graph and isinstance(result, Tensor):
        new = result
    else:
        array = result.data if isinstance(result, Tensor) else result
        try:
            new = np.asarray(array, dtype=grad.dtype)
        except (TypeError, ValueError):
            new = None
        if create_graph and new is not None:
            new = Tensor._from_op(new, None)
    if new is None or new.shape != tensor.data.shape:
        got = f"shape {new.shape}" if new is not None else f"a {type(result).__name__}"
        raise ValueError(f"register_hook: hook {getattr(hook, '__name__', hook)!r} returned {got}; expected a "
                         f"gradient of the tensor's shape {tensor.data.shape} (or None to keep the gradient)")
    return new
