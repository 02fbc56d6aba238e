"""The table of op cases shared by the op tests: each case is a minigrad function,
the NumPy function it must equal, and the shapes of its inputs."""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import minigrad as mg
import minigrad.functional as F


@dataclass
class OpCase:
    name: str
    minigrad: Callable
    numpy: Callable
    shapes: tuple
    positive: tuple = field(default=())  # indices of inputs that must be > 0

    def inputs(self, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        arrays = []
        for i, shape in enumerate(self.shapes):
            x = rng.standard_normal(shape)
            arrays.append((np.abs(x) + 0.5 if i in self.positive else x).astype(dtype))
        return arrays


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


MASK = np.array([[True, False, True, True], [False, False, True, False], [True, True, False, True]])
CONDITION = np.array([True, False, False, True])

CASES = [
    # arithmetic, with broadcasting in both directions
    OpCase("add", lambda a, b: a + b, np.add, ((3, 4), (3, 4))),
    OpCase("add-broadcast-right", lambda a, b: a + b, np.add, ((3, 4), (4,))),
    OpCase("add-broadcast-left", lambda a, b: a + b, np.add, ((4,), (3, 4))),
    OpCase("add-broadcast-both", lambda a, b: a + b, np.add, ((3, 1), (1, 4))),
    OpCase("add-scalar-tensor", lambda a, b: a + b, np.add, ((), (2, 3))),
    OpCase("add-python-scalar", lambda a: 2.5 + a, lambda a: 2.5 + a, ((2, 3),)),
    OpCase("sub", lambda a, b: a - b, np.subtract, ((2, 1, 3), (4, 1))),
    OpCase("sub-python-scalar", lambda a: 1 - a, lambda a: 1 - a, ((3,),)),
    OpCase("neg", lambda a: -a, np.negative, ((2, 3),)),
    OpCase("cast-there-and-back", lambda a: a * a.astype(np.longdouble).astype(a.dtype), lambda a: a * a, ((2, 3),)),
    OpCase("mul", lambda a, b: a * b, np.multiply, ((3, 4), (3, 4))),
    OpCase("mul-broadcast", lambda a, b: a * b, np.multiply, ((2, 3, 4), (3, 1))),
    OpCase("mul-same-tensor", lambda a: a * a, lambda a: a * a, ((5,),)),
    OpCase("div", lambda a, b: a / b, np.divide, ((3, 4), (4,)), positive=(1,)),
    OpCase("div-broadcast-left", lambda a, b: a / b, np.divide, ((4,), (3, 4)), positive=(1,)),
    OpCase("rdiv-python-scalar", lambda a: 2 / a, lambda a: 2 / a, ((3,),), positive=(0,)),
    OpCase("pow-scalar-exponent", lambda a: a ** 3, lambda a: a ** 3, ((2, 3),)),
    OpCase("pow-fractional-exponent", lambda a: a ** 0.5, lambda a: a ** 0.5, ((4,),), positive=(0,)),
    OpCase("pow-tensor-exponent", lambda a, b: a ** b, np.power, ((3, 4), (4,)), positive=(0,)),
    OpCase("rpow-python-base", lambda a: 2 ** a, lambda a: 2 ** a, ((3,),)),
    # matmul: 1-D, 2-D and batched
    OpCase("matmul-1d-1d", lambda a, b: a @ b, np.matmul, ((3,), (3,))),
    OpCase("matmul-1d-2d", lambda a, b: a @ b, np.matmul, ((3,), (3, 4))),
    OpCase("matmul-2d-1d", lambda a, b: a @ b, np.matmul, ((3, 4), (4,))),
    OpCase("matmul-2d-2d", lambda a, b: a @ b, np.matmul, ((3, 4), (4, 5))),
    OpCase("matmul-batched-2d", lambda a, b: a @ b, np.matmul, ((2, 3, 4), (4, 5))),
    OpCase("matmul-2d-batched", lambda a, b: a @ b, np.matmul, ((3, 4), (2, 4, 5))),
    OpCase("matmul-broadcast-batches", lambda a, b: a @ b, np.matmul, ((2, 1, 3, 4), (5, 4, 2))),
    OpCase("matmul-1d-batched", lambda a, b: a @ b, np.matmul, ((4,), (2, 4, 3))),
    OpCase("matmul-batched-1d", lambda a, b: a @ b, np.matmul, ((2, 3, 4), (4,))),
    # x Wᵀ + b, the linear layer as one op
    OpCase("linear", lambda x, W, b: F.linear(x, W, b), lambda x, W, b: x @ W.T + b, ((3, 4), (5, 4), (5,))),
    OpCase("linear-no-bias", lambda x, W: F.linear(x, W), lambda x, W: x @ W.T, ((3, 4), (5, 4))),
    OpCase("linear-batched", lambda x, W, b: F.linear(x, W, b), lambda x, W, b: x @ W.T + b,
           ((2, 3, 4), (5, 4), (5,))),
    OpCase("linear-one-sample", lambda x, W, b: F.linear(x, W, b), lambda x, W, b: x @ W.T + b,
           ((4,), (5, 4), (5,))),
    # indexing
    OpCase("index-int", lambda a: a[1], lambda a: a[1], ((3, 4),)),
    OpCase("index-negative-int", lambda a: a[-1, 2], lambda a: a[-1, 2], ((3, 4),)),
    OpCase("index-slice-step", lambda a: a[::2, 1:], lambda a: a[::2, 1:], ((5, 4),)),
    OpCase("index-repeated-ints", lambda a: a[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]], ((3, 2),)),
    OpCase("index-int-array-pairs", lambda a: a[np.array([0, 1, 0]), np.array([2, 2, 2])],
           lambda a: a[np.array([0, 1, 0]), np.array([2, 2, 2])], ((2, 3),)),
    OpCase("index-int-tensor", lambda a: a[mg.Tensor(np.array([1, 1]))], lambda a: a[np.array([1, 1])], ((3,),)),
    OpCase("index-bool-mask", lambda a: a[MASK], lambda a: a[MASK], ((3, 4),)),
    OpCase("index-bool-mask-tensor", lambda a: a[mg.Tensor(MASK)], lambda a: a[MASK], ((3, 4),)),
    OpCase("index-slice-and-array", lambda a: a[1:, [3, 0, 3]], lambda a: a[1:, [3, 0, 3]], ((3, 4),)),
    OpCase("index-ellipsis-newaxis", lambda a: a[..., None, 0], lambda a: a[..., None, 0], ((2, 3, 4),)),
    # reductions
    OpCase("sum-all", lambda a: a.sum(), np.sum, ((3, 4),)),
    OpCase("sum-axis", lambda a: a.sum(axis=1), lambda a: a.sum(axis=1), ((3, 4),)),
    OpCase("sum-negative-axis-keepdims", lambda a: a.sum(axis=-1, keepdims=True),
           lambda a: a.sum(axis=-1, keepdims=True), ((3, 4),)),
    OpCase("sum-axis-tuple", lambda a: a.sum(axis=(0, 2)), lambda a: a.sum(axis=(0, 2)), ((2, 3, 4),)),
    OpCase("mean-all", lambda a: a.mean(), np.mean, ((3, 4),)),
    OpCase("mean-axis-tuple-keepdims", lambda a: a.mean(axis=(0, 2), keepdims=True),
           lambda a: a.mean(axis=(0, 2), keepdims=True), ((2, 3, 4),)),
    OpCase("max-all", lambda a: a.max(), np.max, ((3, 4),)),
    OpCase("max-axis", lambda a: a.max(axis=0), lambda a: a.max(axis=0), ((3, 4),)),
    OpCase("max-axis-tuple-keepdims", lambda a: a.max(axis=(1, 2), keepdims=True),
           lambda a: a.max(axis=(1, 2), keepdims=True), ((2, 3, 4),)),
    # elementwise math
    OpCase("exp", lambda a: a.exp(), np.exp, ((3, 4),)),
    OpCase("log", lambda a: a.log(), np.log, ((3, 4),), positive=(0,)),
    OpCase("sqrt", lambda a: a.sqrt(), np.sqrt, ((3, 4),), positive=(0,)),
    OpCase("abs", lambda a: a.abs(), np.abs, ((3, 4),)),
    OpCase("clip", lambda a: a.clip(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), ((4, 5),)),
    OpCase("clip-numpy-scalar-bounds", lambda a: a.clip(np.float64(-0.5), np.float64(0.5)),
           lambda a: np.clip(a, -0.5, 0.5), ((4, 5),)),
    OpCase("clip-lower-only", lambda a: a.clip(0.0, None), lambda a: np.clip(a, 0.0, None), ((4, 5),)),
    # activations
    OpCase("tanh", lambda a: a.tanh(), np.tanh, ((3, 4),)),
    OpCase("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), ((3, 4),)),
    OpCase("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), ((3, 4),)),
    OpCase("softmax", lambda a: a.softmax(), _softmax, ((3, 4),)),
    OpCase("softmax-axis-0", lambda a: a.softmax(axis=0), lambda a: _softmax(a, axis=0), ((3, 4),)),
    OpCase("log-softmax", lambda a: a.log_softmax(), lambda a: np.log(_softmax(a)), ((3, 4),)),
    OpCase("log-softmax-axis-1-of-3d", lambda a: a.log_softmax(axis=1),
           lambda a: np.log(_softmax(a, axis=1)), ((2, 3, 4),)),
    # shapes
    OpCase("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), ((3, 4),)),
    OpCase("reshape-tuple-minus-one", lambda a: a.reshape((2, -1)), lambda a: a.reshape(2, -1), ((3, 4),)),
    OpCase("transpose", lambda a: a.transpose(), np.transpose, ((2, 3, 4),)),
    OpCase("transpose-axes", lambda a: a.transpose(1, 2, 0), lambda a: a.transpose(1, 2, 0), ((2, 3, 4),)),
    OpCase("transpose-negative-axes", lambda a: a.transpose(-1, 0, 1), lambda a: a.transpose(-1, 0, 1), ((2, 3, 4),)),
    OpCase("T", lambda a: a.T, lambda a: a.T, ((3, 4),)),
    OpCase("concatenate", lambda a, b: mg.concatenate([a, b], axis=1),
           lambda a, b: np.concatenate([a, b], axis=1), ((2, 3), (2, 4))),
    OpCase("stack", lambda a, b, c: mg.stack([a, b, c], axis=-1),
           lambda a, b, c: np.stack([a, b, c], axis=-1), ((2, 3), (2, 3), (2, 3))),
    OpCase("where", lambda a, b: mg.where(CONDITION, a, b), lambda a, b: np.where(CONDITION, a, b),
           ((3, 4), (4,))),
    OpCase("where-scalar-branch", lambda a: mg.where(CONDITION, a, 0.0),
           lambda a: np.where(CONDITION, a, 0.0), ((2, 4),)),
]

# convolution and pooling on images (N, C, H, W)
def _conv2d_reference(x, w, b=None, stride=(1, 1), padding=(0, 0)):
    """Direct loops: out[n, o, i, j] = Σ_{c,u,v} x_pad[n, c, i·sh + u, j·sw + v] w[o, c, u, v] + b[o]."""
    (sh, sw), (ph, pw) = stride, padding
    x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // sh + 1, (wd - kw) // sw + 1
    out = np.zeros((n, o, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.einsum("ncuv,ocuv->no", patch, w)
    return out if b is None else out + b[None, :, None, None]


def _max_pool2d_reference(x, kernel, stride):
    (kh, kw), (sh, sw) = kernel, stride
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return out


CASES += [
    OpCase("conv2d", lambda x, w, b: F.conv2d(x, w, b), _conv2d_reference, ((2, 3, 5, 5), (4, 3, 3, 3), (4,))),
    OpCase("conv2d-no-bias-stride-padding", lambda x, w: F.conv2d(x, w, stride=2, padding=1),
           lambda x, w: _conv2d_reference(x, w, stride=(2, 2), padding=(1, 1)), ((2, 2, 5, 6), (3, 2, 3, 2))),
    OpCase("conv2d-pairs-non-square", lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=(2, 0)),
           lambda x, w, b: _conv2d_reference(x, w, b, stride=(1, 2), padding=(2, 0)),
           ((1, 2, 4, 7), (2, 2, 2, 3), (2,))),
    OpCase("max-pool2d", lambda x: F.max_pool2d(x, 2), lambda x: _max_pool2d_reference(x, (2, 2), (2, 2)),
           ((2, 3, 4, 5),)),
    OpCase("max-pool2d-overlapping", lambda x: F.max_pool2d(x, (3, 2), stride=(1, 2)),
           lambda x: _max_pool2d_reference(x, (3, 2), (1, 2)), ((1, 2, 5, 6),)),
]
