"""Layers: Linear, Sequential and the activation modules."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

import minigrad.functional as F
from minigrad.core.creation import generator
from minigrad.core.tensor import Tensor
from minigrad.nn.module import Module


class Linear(Module):
    """y = x Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch,
    initialised like PyTorch: W and b uniform in ±1/√in_features (seeded by
    minigrad.manual_seed).

    >>> layer = Linear(3, 2)
    >>> layer(Tensor(np.ones((5, 3)))).shape, layer.weight.shape
    ((5, 2), (2, 3))
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = np.float32) -> None:
        in_features, out_features = _size("in_features", in_features), _size("out_features", out_features)
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = _uniform_parameter((out_features, in_features), bound, dtype)
        self.bias = _uniform_parameter((out_features,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if x.data.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear({self.in_features} -> {self.out_features}): input has shape "
                             f"{tuple(x.shape)}, expected a last dimension of {self.in_features}")
        return F.linear(x, self.weight, self.bias)  # x Wᵀ + b, one node

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


def _size(name: str, value: Any, layer: str = "Linear") -> int:
    """A layer size as an int >= 1, or an error naming the layer, the argument and the value."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} must be an int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{layer}: {name} must be >= 1, got {value}")
    return int(value)


def _uniform_parameter(shape: tuple[int, ...], bound: float, dtype: Any) -> Tensor:
    """A parameter drawn uniformly from [-bound, bound] by the seeded generator."""
    return Tensor(generator().uniform(-bound, bound, shape).astype(dtype), requires_grad=True)


class Sequential(Module):
    """Modules applied one after the other; parameters are named by position: "0.weight", "0.bias", "2.weight", ...

    >>> model = Sequential(Linear(2, 4), ReLU(), Linear(4, 1))
    >>> model(Tensor(np.ones((3, 2)))).shape, len(model)
    ((3, 1), 3)
    """

    _bookkeeping = Module._bookkeeping + ("_layers",)  # _members names the layers by position instead

    def __init__(self, *modules: Module) -> None:
        for i, module in enumerate(modules):
            if not isinstance(module, Module):
                raise TypeError(f"Sequential: argument {i} is a {type(module).__name__}, expected a Module")
        self._layers = modules

    def _members(self) -> Iterator[tuple[str, Any]]:
        yield from ((str(i), module) for i, module in enumerate(self._layers))  # named by position, as in PyTorch
        yield from super()._members()

    def forward(self, x: Any) -> Any:
        for module in self._layers:
            x = module(x)
        return x

    def __getitem__(self, index: int | slice) -> Module:
        return Sequential(*self._layers[index]) if isinstance(index, slice) else self._layers[index]

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._layers)


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
