"""Layers in PyTorch's shape (`from minigrad import nn`): Module, Linear,
Sequential, activation modules and loss modules.

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

import math
from typing import Any, Iterator

import numpy as np

import minigrad.functional as F
from minigrad.creation import generator
from minigrad.engine import Tensor


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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def _members(self) -> Iterator[tuple[str, Any]]:
        """(name, value) of every attribute, looking into lists, tuples and dicts:
        items are named name.0, name.1, ... and name.key."""
        stack = list(reversed(vars(self).items()))
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

        >>> layer = Linear(2, 1)
        >>> layer.load_state_dict({"weight": np.zeros((1, 2)), "bias": np.ones(1)})
        >>> layer.bias.data.tolist()
        [1.0]
        """
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

    def extra_repr(self) -> str:
        """The part of repr between the parentheses (override to describe a layer)."""
        return ""

    def __repr__(self) -> str:
        children = [(name, value) for name, value in self._members() if isinstance(value, Module)]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch,
    initialised like PyTorch: W and b uniform in ±1/√in_features (seeded by
    minigrad.manual_seed).

    >>> layer = Linear(3, 2)
    >>> layer(Tensor(np.ones((5, 3)))).shape, layer.weight.shape
    ((5, 2), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32) -> None:
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = _uniform_parameter((out_features, in_features), bound, dtype)
        self.bias = _uniform_parameter((out_features,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear({self.in_features} -> {self.out_features}): input has shape "
                             f"{tuple(x.shape)}, expected a last dimension of {self.in_features}")
        out = x @ self.weight.T
        return out + self.bias if self.bias is not None else out

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _uniform_parameter(shape: tuple[int, ...], bound: float, dtype: Any) -> Tensor:
    """A parameter drawn uniformly from [-bound, bound] by the seeded generator."""
    return Tensor(generator().uniform(-bound, bound, shape).astype(dtype), requires_grad=True)


class Sequential(Module):
    """Modules applied one after the other; the parameters are named "0.weight", "1.bias", ...

    >>> model = Sequential(Linear(2, 4), ReLU(), Linear(4, 1))
    >>> model(Tensor(np.ones((3, 2)))).shape, len(model)
    ((3, 1), 3)
    """

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, expected a Module")
            setattr(self, str(i), module)

    def forward(self, x: Any) -> Any:
        for module in self:
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        layers = list(self)
        return Sequential(*layers[index]) if isinstance(index, slice) else layers[index]

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __iter__(self) -> Iterator[Module]:
        return (value for name, value in vars(self).items() if name.isdigit())


# ---------------------------------------------------------------- activations --

class Sigmoid(Module):
    """σ(x) elementwise.

    >>> Sigmoid()(Tensor([0.0])).item()
    0.5
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Tanh(Module):
    """tanh(x) elementwise.

    >>> Tanh()(Tensor([0.0])).item()
    0.0
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class ReLU(Module):
    """max(x, 0) elementwise.

    >>> ReLU()(Tensor([-1.0, 2.0])).data.tolist()
    [0.0, 2.0]
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Softmax(Module):
    """softmax along `axis`.

    >>> Softmax()(Tensor([0.0, 0.0])).data.tolist()
    [0.5, 0.5]
    """

    def __init__(self, axis: int = -1) -> None:
        self.axis = axis

    def forward(self, x: Tensor) -> Tensor:
        return x.softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """log softmax along `axis`.

    >>> LogSoftmax()(Tensor([0.0, 0.0]))
    Tensor([-0.6931472, -0.6931472])
    """

    def forward(self, x: Tensor) -> Tensor:
        return x.log_softmax(axis=self.axis)


# --------------------------------------------------------------------- losses --

class _Loss(Module):
    """A loss module: the functional loss with its keyword arguments fixed."""

    function: Any = None

    def __init__(self, **options: Any) -> None:
        self.options = options

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return type(self).function(input, target, **self.options)

    def extra_repr(self) -> str:
        return ", ".join(f"{key}={value!r}" for key, value in self.options.items() if not isinstance(value, np.ndarray))


class MSELoss(_Loss):
    """F.mse_loss as a module.

    >>> MSELoss()(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
    5.0
    """

    function = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(reduction=reduction, fused=fused)


class L1Loss(_Loss):
    """F.l1_loss as a module.

    >>> L1Loss(reduction="sum")(Tensor([1.0, -3.0]), [0.0, 0.0]).item()
    4.0
    """

    function = staticmethod(F.l1_loss)

    def __init__(self, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(reduction=reduction, fused=fused)


class HuberLoss(_Loss):
    """F.huber_loss as a module.

    >>> HuberLoss(delta=1.0)(Tensor([3.0]), [0.0]).item()
    2.5
    """

    function = staticmethod(F.huber_loss)

    def __init__(self, delta: float = 1.0, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(delta=delta, reduction=reduction, fused=fused)


class BCELoss(_Loss):
    """F.binary_cross_entropy (on probabilities) as a module.

    >>> BCELoss()(Tensor([0.0]), [1.0]).item()
    100.0
    """

    function = staticmethod(F.binary_cross_entropy)

    def __init__(self, weight: Any = None, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(weight=weight, reduction=reduction, fused=fused)


class BCEWithLogitsLoss(_Loss):
    """F.binary_cross_entropy_with_logits as a module.

    >>> BCEWithLogitsLoss()(Tensor([-1e4]), [0.0]).item()
    0.0
    """

    function = staticmethod(F.binary_cross_entropy_with_logits)

    def __init__(self, weight: Any = None, pos_weight: Any = None, reduction: str = "mean",
                 fused: bool = True) -> None:
        super().__init__(weight=weight, pos_weight=pos_weight, reduction=reduction, fused=fused)


class CrossEntropyLoss(_Loss):
    """F.cross_entropy (on logits) as a module.

    >>> round(CrossEntropyLoss()(Tensor([[0.0, 0.0]]), np.array([0])).item(), 4)
    0.6931
    """

    function = staticmethod(F.cross_entropy)

    def __init__(self, weight: Any = None, reduction: str = "mean", label_smoothing: float = 0.0,
                 fused: bool = True) -> None:
        super().__init__(weight=weight, reduction=reduction, label_smoothing=label_smoothing, fused=fused)


class NLLLoss(_Loss):
    """F.nll_loss (on log-probabilities) as a module.

    >>> NLLLoss()(Tensor([[-0.5, -2.0]]), np.array([1])).item()
    2.0
    """

    function = staticmethod(F.nll_loss)

    def __init__(self, weight: Any = None, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(weight=weight, reduction=reduction, fused=fused)


class KLDivLoss(_Loss):
    """F.kl_div as a module.

    >>> KLDivLoss(reduction="sum")(Tensor(np.log([0.5, 0.5])), [0.5, 0.5]).item()
    0.0
    """

    function = staticmethod(F.kl_div)

    def __init__(self, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(reduction=reduction, fused=fused)


class MultiMarginLoss(_Loss):
    """F.multi_margin_loss as a module.

    >>> MultiMarginLoss(margin=1.0)(Tensor([[3.0, 0.0]]), np.array([0])).item()
    0.0
    """

    function = staticmethod(F.multi_margin_loss)

    def __init__(self, margin: float = 1.0, reduction: str = "mean", fused: bool = True) -> None:
        super().__init__(margin=margin, reduction=reduction, fused=fused)
