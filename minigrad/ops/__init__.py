"""The primitive ops: every differentiable operation of minigrad, each a forward
and a backward side by side (the base class, `Op`, is in core/op.py).

    arithmetic.py     + − × ÷, powers, a matrix product, a linear layer's x·Wᵀ + b
    elementary.py     exp, log, √, |·|, clip
    reductions.py     sum, mean, max
    shape.py          reshape, transpose, indexing, concatenate, stack, where
    activations.py    sigmoid, tanh, relu, softmax, log_softmax
    convolution.py    conv2d and max pooling (by im2col)
    fused_losses.py   each loss as one node with its closed-form gradient
    rule_math.py      the functions a backward rule calls, on arrays or on Tensors
    in_place.py       the in-place operators (+=, x[i] = v), which the graph does not record

Tensor's operators and methods call these ops (the one import circle of
minigrad: Tensor <-> ops).
"""

from minigrad.ops.activations import LogSoftmaxOp, ReLUOp, SigmoidOp, SoftmaxOp, TanhOp
from minigrad.ops.arithmetic import Add, Affine, Cast, Div, MatMul, Mul, Neg, Pow, Sub
from minigrad.ops.convolution import Col2Im, Conv2dOp, Im2Col, MaxPool2dOp
from minigrad.ops.elementary import Abs, Clip, Exp, Log, Sqrt
from minigrad.ops.fused_losses import (FusedBCE, FusedBCEWithLogits, FusedCrossEntropy, FusedHuber, FusedKLDiv, FusedL1,
                                       FusedLoss, FusedMSE, FusedMultiMargin, FusedNLL)
from minigrad.ops.in_place import in_place
from minigrad.ops.reductions import Max, Mean, Sum
from minigrad.ops.shape import (BroadcastTo, Concatenate, GetItem, Reshape, ScatterAdd, Stack, Transpose, Where,
                                index_arrays)

__all__ = [  # module by module, in the order of the list above
    "Add", "Sub", "Neg", "Mul", "Div", "Pow", "Cast", "MatMul", "Affine",
    "Exp", "Log", "Sqrt", "Abs", "Clip",
    "Sum", "Mean", "Max",
    "Reshape", "Transpose", "GetItem", "ScatterAdd", "BroadcastTo", "Concatenate", "Stack", "Where", "index_arrays",
    "SigmoidOp", "TanhOp", "ReLUOp", "SoftmaxOp", "LogSoftmaxOp",
    "Im2Col", "Col2Im", "Conv2dOp", "MaxPool2dOp",
    "FusedLoss", "FusedMSE", "FusedL1", "FusedHuber", "FusedBCE", "FusedBCEWithLogits", "FusedCrossEntropy", "FusedNLL",
    "FusedKLDiv", "FusedMultiMargin",
    "in_place",
]
