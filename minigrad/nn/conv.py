"""Image layers: Conv2d, MaxPool2d and Flatten, in PyTorch's shape."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad.functional as F
from minigrad.core.errors import ShapeError
from minigrad.core.tensor import Tensor
from minigrad.nn.layers import _size, _uniform_parameter
from minigrad.nn.module import Module
from minigrad.ops.convolution import pair


class Conv2d(Module):
    """A 2-D convolution: weight (out_channels, in_channels, kh, kw) and bias
    (out_channels,), initialised like PyTorch (kaiming_uniform with a = √5):
    both uniform in ±1/√fan_in, fan_in = in_channels·kh·kw (seeded by
    minigrad.manual_seed). Input (N, C, H, W).

    >>> layer = Conv2d(1, 4, 3, padding=1)
    >>> layer(Tensor(np.ones((2, 1, 8, 8)))).shape, layer.weight.shape
    ((2, 4, 8, 8), (4, 1, 3, 3))
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1, padding: Any = 0,
                 bias: bool = True, dtype: Any = np.float32) -> None:
        in_channels = _size("in_channels", in_channels, "Conv2d")
        out_channels = _size("out_channels", out_channels, "Conv2d")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair("Conv2d", "kernel_size", kernel_size, 1)
        self.stride, self.padding = pair("Conv2d", "stride", stride, 1), pair("Conv2d", "padding", padding, 0)
        bound = 1 / math.sqrt(in_channels * self.kernel_size[0] * self.kernel_size[1])
        self.weight = _uniform_parameter((out_channels, in_channels, *self.kernel_size), bound, dtype)
        self.bias = _uniform_parameter((out_channels,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, stride=self.stride, padding=self.padding)  # one node

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, bias={self.bias is not None}")


class MaxPool2d(Module):
    """The maximum of each kernel_size window; stride defaults to kernel_size.

    >>> MaxPool2d(2)(Tensor(np.ones((1, 3, 8, 8)))).shape
    (1, 3, 4, 4)
    """

    def __init__(self, kernel_size: Any, stride: Any = None) -> None:
        self.kernel_size = pair("MaxPool2d", "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else pair("MaxPool2d", "stride", stride, 1)

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class Flatten(Module):
    """All axes but the first (the batch) as one: (N, C, H, W) -> (N, C·H·W),
    as PyTorch's nn.Flatten() (start_dim=1); an empty batch too, (0, C, H, W) -> (0, C·H·W).
    The input needs a batch axis and at least one more: 0-d and 1-D inputs are a ShapeError.

    >>> Flatten()(Tensor(np.ones((2, 3, 4, 4)))).shape, Flatten()(Tensor(np.ones((0, 3, 2, 2)))).shape
    ((2, 48), (0, 12))
    """

    def forward(self, x: Tensor) -> Tensor:
        if len(x.shape) < 2:
            raise ShapeError(f"Flatten: input of shape {tuple(x.shape)}; expected at least 2 dimensions (N, ...): "
                             "it keeps the first axis (the batch) and joins the others, as nn.Flatten() in PyTorch")
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # not -1: with N = 0 it would be ambiguous
