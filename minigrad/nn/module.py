"""The Module: a layer or a model, which finds its own parameters.

A Module finds its parameters by looking at its attributes: every leaf Tensor
that requires grad is a parameter, every Module a submodule, and lists, tuples
and dicts of either count too. Names are dotted paths ("0.weight",
"encoder.layers.1.bias"), so a state_dict maps one to one onto a PyTorch model
built the same way. Two differences from PyTorch, which marks parameters with
nn.Parameter: a tensor with requires_grad=False is not a parameter (it is
neither trained nor saved), and a tensor shared by two layers is listed, and
saved, once, under its first name.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from minigrad.core.arguments import type_name
from minigrad.core.hooks import RemovableHandle
from minigrad.core.tensor import Tensor
from minigrad.core.trace import tracing
from minigrad.core.versions import versions


class Module:
    """Base class of layers and models: set parameters and submodules as
    attributes in `__init__`, compute in `forward`, call the module to run it.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.scale = Tensor([2.0], requires_grad=True)
    ...     def forward(self, x):
    ...         return x * self.scale
    >>> Affine()(Tensor([3.0])).item(), [name for name, _ in Affine().named_parameters()]
    (6.0, ['scale'])
    """

    training = True
    _forward_hooks: dict[int, Callable] | None = None  # register_forward_hook's, by handle id
    _parameters_named = False  # set on the instance by name_parameters
    # attributes that hold no parameters or submodules of their own
    _bookkeeping: tuple[str, ...] = ("_parameters_named", "_forward_hooks")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # a Tensor, the usual input, skips the slower isinstance on a tuple (measured: benchmarks/README.md)
        if args and type(args[0]) is not Tensor and isinstance(args[0], (np.ndarray, list)):
            _check_wrapped(self, args[0])
        if not self._parameters_named:
            self.name_parameters()
        output = self.forward(*args, **kwargs)
        if self._forward_hooks:
            for hook in tuple(self._forward_hooks.values()):  # a copy: a hook may remove itself
                result = hook(self, args, output)
                if result is not None:
                    output = result
        return output

    def register_forward_hook(self, hook: Callable[[Module, tuple, Any], Any]) -> RemovableHandle:
        """Call `hook(module, inputs, output)` each time this module has run
        its forward, as PyTorch's: `inputs` is the tuple of positional
        arguments, and a hook that returns something other than None replaces
        the output (for the hooks after it and for the caller). Hooks run in
        the order they were registered. Returns a handle whose `remove()`
        takes the hook out.

        >>> from minigrad.nn import Linear, ReLU, Sequential
        >>> model = Sequential(Linear(2, 3), ReLU())
        >>> handle = model[1].register_forward_hook(lambda module, inputs, output: print(output.shape))
        >>> _ = model(Tensor(np.ones((4, 2))))
        (4, 3)
        >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_forward_hook: hook must be callable, got {type_name(hook)}")
        if self._forward_hooks is None:
            self._forward_hooks = {}  # on the instance: the class's None stays for the modules without hooks
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def name_parameters(self) -> None:
        """Give every unnamed parameter its dotted name (shown in graph pictures).
        Calling a module does this the first time, so the outermost module names them all.

        >>> from minigrad.nn import Linear, Sequential
        >>> model = Sequential(Linear(2, 1))
        >>> model.name_parameters(); model[0].weight.name
        '0.weight'
        """
        for name, p in self.named_parameters():
            if p.name is None:
                p.name = name
        self._parameters_named = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation: every subclass defines it, and calling the module runs it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every attribute but the module's own bookkeeping,
        looking into lists, tuples and dicts: items are named name.0, name.1, ... and name.key."""
        stack = [(name, value) for name, value in reversed(vars(self).items()) if name not in self._bookkeeping]
        while stack:
            name, value = stack.pop()
            if isinstance(value, (list, tuple)):
                stack.extend(reversed([(f"{name}.{i}", item) for i, item in enumerate(value)]))
            elif isinstance(value, dict):
                stack.extend(reversed([(f"{name}.{key}", item) for key, item in value.items()]))
            else:
                yield name, value

    def named_modules(self) -> Iterator[tuple[str, Module]]:
        """This module and every submodule once, depth first, with dotted names ("" for self)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [("", self)]
        while stack:
            prefix, module = stack.pop()
            if id(module) in seen:  # a module reachable twice (shared, or a back-reference)
                continue
            seen.add(id(module))
            yield prefix, module
            children = [(f"{prefix}.{name}" if prefix else name, value)
                        for name, value in module._members() if isinstance(value, Module)]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        """This module and every submodule."""
        return (module for _, module in self.named_modules())

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, parameter) pairs; a parameter shared by two layers comes once."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, value in module._members():
                if isinstance(value, Tensor) and value.requires_grad and value.is_leaf and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def parameters(self) -> Iterator[Tensor]:
        """Every parameter (a Tensor attribute that requires grad), for an optimizer."""
        return (p for _, p in self.named_parameters())

    def zero_grad(self) -> None:
        """Set every parameter's .grad to None."""
        for p in self.parameters():
            p.grad = None
        if tracing.active is not None:  # inside mg.compile's trace: these gradients start afresh (core/trace.py)
            tracing.active.zeroed(self.parameters())

    def train(self, mode: bool = True) -> Module:
        """Put this module and its submodules in training mode (or evaluation mode, mode=False)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> Module:
        """Put this module and its submodules in evaluation mode."""
        return self.train(False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's array, by dotted name (what minigrad.save writes)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> None:
        """Copy arrays (or Tensors) into the parameters of the same names, in place.

        Every key is checked before anything is copied: a missing or unexpected
        key (with strict=True) or a shape mismatch raises a ValueError listing
        them, and leaves the module unchanged.

        >>> from minigrad.nn import Linear
        >>> layer = Linear(2, 1)
        >>> layer.load_state_dict({"weight": np.zeros((1, 2)), "bias": np.ones(1)})
        >>> layer.bias.data.tolist()
        [1.0]
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(_not_a_state_dict(state_dict))
        own = dict(self.named_parameters())
        values = {name: value.data if isinstance(value, Tensor) else np.asarray(value)
                  for name, value in state_dict.items()}
        missing = [name for name in own if name not in values]
        unexpected = [name for name in values if name not in own]
        if strict and (missing or unexpected):
            raise ValueError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        mismatched = [f"{name}: checkpoint {values[name].shape} {values[name].dtype}, model {p.shape} {p.dtype}"
                      for name, p in own.items() if name in values
                      and (values[name].shape != p.shape or values[name].dtype.kind not in "biuf")]
        if mismatched:
            raise ValueError(f"load_state_dict: shape or dtype mismatch for {'; '.join(mismatched)}")
        for name, p in own.items():
            if name in values:
                p.data[...] = values[name]
                versions.changed(p.data)

    def extra_repr(self) -> str:
        """The part of repr between the parentheses (override to describe a layer)."""
        return ""

    def __repr__(self) -> str:
        children = [(name, value) for name, value in self._members() if isinstance(value, Module)]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _check_wrapped(module: Module, data: np.ndarray | list) -> None:
    """Refuse an array or a list of numbers given where a Tensor belongs, as PyTorch's
    modules take tensors only (a list of Tensors is the module's own business)."""
    if isinstance(data, list) and any(isinstance(item, Tensor) for item in data):
        return
    raise TypeError(f"{type(module).__name__}: expected a Tensor input, got {type_name(data)}; wrap it: Tensor(X)")


def _not_a_state_dict(value: Any) -> str:
    """What load_state_dict says when it is given something other than a state_dict, with what to pass instead."""
    expected = "expected a state_dict (a dict of name -> array)"
    if isinstance(value, (str, bytes, os.PathLike)):
        return (f"load_state_dict: got a {type(value).__name__} ({os.fsdecode(value)!r}); {expected}; "
                "to load a file, use model.load_state_dict(mg.load(path))")
    if isinstance(value, Module):
        return f"load_state_dict: got a {type(value).__name__} (a Module); {expected}: pass other.state_dict()"
    return f"load_state_dict: got a {type(value).__name__}; {expected}"
