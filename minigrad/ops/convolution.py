"""Convolution and max pooling on images (N, C, H, W), as in PyTorch.

A 2-D convolution is a matrix product in disguise (im2col). Every output
pixel reads one patch of C·kh·kw input values; gather all patches as the rows
of one matrix `cols` (N·OH·OW rows, C·kh·kw columns) and the convolution is

    out = cols @ Wᵀ        with W reshaped to (out_channels, C·kh·kw),

one BLAS call. The backward is then the matrix product's, with one extra
step: an input pixel sits in several patches, so its gradient is the sum of
the gradients of all its copies: col2im scatter-adds the rows back onto the
image, the adjoint of im2col's gather. Both are ops themselves (Im2Col and
Col2Im, each the other's backward), so the backward rule runs on Tensors too
and a gradient can be differentiated again (`mg.grad(..., create_graph=True)`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from minigrad.core.op import Op
from minigrad.core.stand_in import take
from minigrad.ops.rule_math import col2im, im2col, scatter_add

Pair = tuple[int, int]


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """How many windows fit: ⌊(size + 2·padding − kernel) / stride⌋ + 1 (PyTorch's floor)."""
    return (size + 2 * padding - kernel) // stride + 1


# ------------------------------------------------------- im2col and col2im --

def gather_patches(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """im2col on arrays: (N, C, H, W) -> (N·OH·OW, C·kh·kw), one patch a row.
    The windows are a strided view (no copy); the reshape copies them once."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if ph or pw:  # zeros around the image (np.pad is slower: benchmarks/README.md)
        padded = np.zeros(x.shape[:2] + (x.shape[2] + 2 * ph, x.shape[3] + 2 * pw), dtype=x.dtype, like=x)
        padded[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]] = x
        x = padded
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, OH, OW, kh, kw)
    n, c, oh, ow = windows.shape[:4]
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)


def scatter_patches(cols: np.ndarray, shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """col2im on arrays: each row added back where its patch came from; overlaps add up.
    One strided slice per kernel position (kh·kw of them), not a loop over pixels."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    n, c, h, w = shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    patches = cols.reshape(n, oh, ow, c, kh, kw).transpose(0, 3, 4, 5, 1, 2)  # (N, C, kh, kw, OH, OW)
    image = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype, like=cols)
    for i in range(kh):
        for j in range(kw):
            image[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += patches[:, :, i, j]
    return image[:, :, ph:ph + h, pw:pw + w]


class Im2Col(Op):
    """The patches of an image as the rows of a matrix (a gather, linear in x)."""

    symbol = "im2col"

    def forward(self, x, *, kernel, stride, padding):
        self.shape, self.geometry = x.shape, (kernel, stride, padding)
        return gather_patches(x, kernel, stride, padding)

    def backward(self, grad):
        return (col2im(grad, self.shape, *self.geometry),)  # the adjoint of a gather is the scatter-add


class Col2Im(Op):
    """Rows of patches added back onto an image (a scatter-add, linear in cols)."""

    symbol = "col2im"

    def forward(self, cols, *, shape, kernel, stride, padding):
        self.geometry = (kernel, stride, padding)
        return scatter_patches(cols, shape, kernel, stride, padding)

    def backward(self, grad):
        return (im2col(grad, *self.geometry),)  # the adjoint of a scatter-add is the gather


# ------------------------------------------------------------- convolution --

class Conv2dOp(Op):
    """out[n, o] = Σ_c W[o, c] ⋆ x[n, c] + b[o] (cross-correlation, as in PyTorch),
    computed as cols @ Wᵀ with cols = im2col(x); b may be left out."""

    symbol = "conv2d"
    saves = ("x", "W")
    caches = ("cols",)  # im2col(x), gathered once in forward

    def forward(self, x, W, b=None, *, stride, padding):
        n, _, h, w = x.shape
        out_channels, _, kh, kw = W.shape
        self.geometry = ((kh, kw), stride, padding)
        self.cols = gather_patches(x, *self.geometry)                  # (N·OH·OW, C·kh·kw)
        out = self.cols @ W.reshape(out_channels, -1).T                 # (N·OH·OW, out)
        if b is not None:
            out += b
        oh, ow = output_size(h, kh, stride[0], padding[0]), output_size(w, kw, stride[1], padding[1])
        out = out.reshape(n, oh, ow, out_channels).transpose(0, 3, 1, 2)  # (N, out, OH, OW)
        return out.copy()  # in C order: later ops run in memory order (measured: benchmarks/README.md)

    def backward(self, grad):
        x, W = self.saved
        cols = self.cols if self.cols is not None else im2col(x, *self.geometry)  # under create_graph, recorded
        out_channels = W.shape[0]
        rows = grad.transpose(0, 2, 3, 1).reshape(-1, out_channels)   # one row per output pixel, as in forward
        grad_x = grad_W = grad_b = None
        if self.inputs[0].requires_grad:
            grad_x = col2im(rows @ W.reshape(out_channels, -1), x.shape, *self.geometry)
            # d(cols Wᵀ)/dcols = (·) W, then each patch's gradient scatter-added back onto x
        if self.inputs[1].requires_grad:
            grad_W = (rows.T @ cols).reshape(W.shape)                 # d(cols Wᵀ)/dW = (·)ᵀ cols
        if len(self.inputs) == 3:
            grad_b = rows.sum(axis=0)                                  # d(b)/db = 1, summed over pixels
        return grad_x, grad_W, grad_b


# ---------------------------------------------------------------- pooling --

class MaxPool2dOp(Op):
    """The largest value of each kh×kw window (no padding, floor of the output size,
    as PyTorch's default). Gradient: all of it to the window's maximum; on a tie,
    to the first maximum in row-major order within the window (PyTorch's choice).
    A window holding NaN gives NaN, and its gradient goes to the window's last NaN
    in row-major order (PyTorch's choice too: NaN counts as larger than anything).
    Where windows overlap (stride < kernel), a pixel that is the maximum of several
    windows collects all their gradients."""

    symbol = "max pool"
    constants = ("flat_index",)  # where each window's maximum is, in x.ravel()

    def forward(self, x, *, kernel, stride):
        (kh, kw), (sh, sw) = kernel, stride
        n, c, h, w = self.shape = x.shape
        windows = sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]  # (N, C, OH, OW, kh, kw), a view
        oh, ow = windows.shape[2:4]
        candidates = windows.transpose(4, 5, 0, 1, 2, 3).reshape(kh * kw, n, c, oh, ow)  # one slab per window offset
        out = candidates.max(axis=0)                             # NaN where the window holds one
        chosen = np.full(out.shape, kh * kw - 1, dtype=np.intp)  # the first offset holding the maximum:
        for k in range(kh * kw - 2, -1, -1):                     # a loop over the kh·kw offsets, not the pixels
            chosen = np.where(candidates[k] == out, k, chosen)
        nan = np.isnan(out)
        if nan.any():  # NaN == NaN is False, so the loop missed these windows: take each one's last NaN
            for k in range(kh * kw):
                chosen = np.where(nan & np.isnan(candidates[k]), k, chosen)
        corner = (np.arange(n * c).reshape(n, c, 1, 1) * h + np.arange(oh)[:, None] * sh) * w + np.arange(ow) * sw
        offset = (np.arange(kh)[:, None] * w + np.arange(kw)).ravel()  # offset k's distance from the corner in x
        self.flat_index = (corner + take(offset, chosen, axis=0)).ravel()  # each maximum's position in x.ravel()
        return out

    def backward(self, grad):
        size = self.shape[0] * self.shape[1] * self.shape[2] * self.shape[3]
        spread = scatter_add(grad.reshape(-1), self.flat_index, (size,))  # each window's gradient to its maximum
        return (spread.reshape(self.shape),)  # d(max)/dx = 1 at the chosen maximum, 0 elsewhere


# -------------------------------------------------------------- arguments --

def pair(op: str, name: str, value: Any, least: int) -> Pair:
    """An int or a pair of ints, each >= least, as a pair; else an error naming the op."""
    values = (value, value) if isinstance(value, (int, np.integer)) else value
    if (not isinstance(values, (tuple, list)) or len(values) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values)
            or isinstance(value, bool)):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(values) < least:
        raise ValueError(f"{op}: {name} must be >= {least}, got {value!r}")
    return int(values[0]), int(values[1])
