"""Layers as functions: a linear layer, a 2-D convolution and max pooling, each one node of the graph.

`nn.Linear`, `nn.Conv2d` and `nn.MaxPool2d` call these; they check the shapes
and name what they expected, then apply the op. An integer (or bool) input to
`linear` or `conv2d`, a uint8 or int64 image say, takes the weight's dtype, as
an integer tensor does under `*` (docs/autodiff.md §8): a float32 layer gives
float32, never float64. (PyTorch raises a dtype error instead.)
"""

from __future__ import annotations

from typing import Any

from minigrad import ops
from minigrad.core.errors import ShapeError
from minigrad.core.tensor import Tensor
from minigrad.ops.convolution import output_size, pair


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b as one node of the graph, with W of shape (out, in) as in PyTorch.
    An integer input takes the weight's dtype.

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[3.0, 4.0]]), Tensor([0.5])).data.tolist()
    [[11.5]]
    >>> import numpy as np
    >>> linear(Tensor(np.array([[1, 2]])), Tensor(np.array([[3.0, 4.0]], dtype=np.float32))).dtype
    dtype('float32')
    """
    if weight.data.ndim != 2 or bias is not None and bias.data.shape not in ((weight.data.shape[0],), ()):
        raise ShapeError(f"linear: weight of shape {weight.shape} and bias of shape "
                         f"{None if bias is None else bias.shape}; expected (out, in) and (out,), as in PyTorch")
    if isinstance(x, Tensor) and x.data.dtype.kind in "biu":  # inline test: a call per layer cost 1% of W3
        x = _like_weight(x, weight)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ops.Affine.apply(*inputs)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0) -> Tensor:
    """2-D convolution (cross-correlation, as in PyTorch) as one node of the graph:
    x (N, C, H, W), weight (out, C, kh, kw), bias (out,); the output is
    (N, out, OH, OW) with OH = ⌊(H + 2·padding − kh) / stride⌋ + 1. `stride` and
    `padding` are an int or a pair (rows, columns). Computed by im2col (ops/convolution.py).
    An integer input (a uint8 or int64 image) takes the weight's dtype.

    >>> import numpy as np
    >>> conv2d(Tensor(np.ones((1, 1, 3, 3))), Tensor(np.ones((1, 1, 2, 2)))).data.tolist()
    [[[[4.0, 4.0], [4.0, 4.0]]]]
    >>> conv2d(Tensor(np.ones((1, 1, 3, 3), dtype=np.int64)), Tensor(np.ones((1, 1, 2, 2), dtype=np.float32))).dtype
    dtype('float32')
    """
    stride, padding = pair("conv2d", "stride", stride, 1), pair("conv2d", "padding", padding, 0)
    x_shape, w_shape = tuple(x.shape), tuple(weight.shape)
    b_shape = None if bias is None else tuple(bias.shape)
    shapes = f"input {x_shape}, weight {w_shape}" + ("" if bias is None else f", bias {b_shape}")
    if len(x_shape) != 4:
        hint = " (for one image, add the batch axis: x.reshape(1, *x.shape))" if len(x_shape) == 3 else ""
        raise ShapeError(f"conv2d: {shapes}; expected a 4-D input (N, C, H, W){hint}")
    if len(w_shape) != 4 or w_shape[1] != x_shape[1]:
        raise ShapeError(f"conv2d: {shapes}; expected a weight (out, {x_shape[1]}, kh, kw), "
                         f"its second dimension the input's channels")
    if bias is not None and b_shape != (w_shape[0],):
        raise ShapeError(f"conv2d: {shapes}; expected a bias ({w_shape[0]},), one per output channel")
    sizes = [output_size(x_shape[2 + k], w_shape[2 + k], stride[k], padding[k]) for k in (0, 1)]
    if min(sizes) < 1 or min(w_shape) < 1:
        raise ShapeError(f"conv2d: {shapes}, padding {padding}; expected a kernel that fits the padded input "
                         f"(kh <= H + 2·padding, kw <= W + 2·padding)")
    if isinstance(x, Tensor) and x.data.dtype.kind in "biu":  # inline test: a call per layer cost 1% of W3
        x = _like_weight(x, weight)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ops.Conv2dOp.apply(*inputs, stride=stride, padding=padding)


def _like_weight(x: Tensor, weight: Tensor) -> Tensor:
    """An integer or bool input (labels, a uint8 image) in the float weight's dtype, so that it
    does not upcast the layer (int64 @ float32 is float64 in NumPy). Its callers test x first
    (a non-Tensor passes on: the op's own check names it)."""
    if weight.data.dtype.kind == "f":
        return Tensor(x.data.astype(weight.data.dtype))  # integer tensors never require grad: no graph to keep
    return x


def max_pool2d(x: Tensor, kernel_size: Any, stride: Any = None) -> Tensor:
    """The maximum of each kernel_size window of x (N, C, H, W); `stride` defaults to
    kernel_size; no padding, and windows that do not fit are dropped (as PyTorch).
    On a tie the gradient goes to the first maximum of the window; a window holding
    NaN gives NaN and sends its gradient to its last NaN (both as in PyTorch).

    >>> import numpy as np
    >>> max_pool2d(Tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    kernel = pair("max_pool2d", "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else pair("max_pool2d", "stride", stride, 1)
    if len(x.shape) != 4:
        raise ShapeError(f"max_pool2d: input {tuple(x.shape)}; expected a 4-D input (N, C, H, W)")
    if kernel[0] > x.shape[2] or kernel[1] > x.shape[3]:
        raise ShapeError(f"max_pool2d: input {tuple(x.shape)}, kernel_size {kernel}; expected a kernel "
                         f"no larger than the image (H, W) = {tuple(x.shape[2:])}")
    return ops.MaxPool2dOp.apply(x, kernel=kernel, stride=stride)
