"""What a loss receives, checked and put in the form its op needs.

Every loss in functional/losses.py passes its arguments through here first: the
prediction must be a float tensor; a target must have exactly the
prediction's shape (no silent broadcasting); class labels must be integers in
[0, C); weights must broadcast; a 'mean' over nothing, and a row of logits
that masks every class (all -inf), are refused. Errors name the loss, the
shapes or values, and what was expected.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from minigrad.core.stand_in import as_array, take
from minigrad.core.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def prediction(loss: str, x: Any) -> Tensor:
    """The prediction as a float Tensor.

    >>> prediction("mse_loss", [1.0, 2.0]).dtype
    dtype('float32')
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    if x.dtype.kind != "f":
        raise TypeError(f"{loss}: input must be a float tensor, got dtype {x.dtype}")
    return x


def constant(loss: str, what: str, value: Any) -> np.ndarray:
    """A weight as an array; one that requires grad is refused. No gradient flows into a loss's weights
    (PyTorch refuses them too, except the class weights of a cross-entropy on probabilities).

    >>> constant("binary_cross_entropy", "weight", [0.5, 2.0]).tolist()
    [0.5, 2.0]
    """
    if isinstance(value, Tensor):
        if value.requires_grad:
            raise ValueError(f"{loss}: {what} requires grad, but a loss's {what} is a constant (no gradient "
                             f"flows into it); pass {what}.detach()")
        return value.data
    return as_array(value)


def array_of(value: Any) -> np.ndarray:
    """A target's values as an array: a Tensor's data, or what NumPy makes of a list or number.

    >>> array_of(Tensor([1.0, 2.0])).tolist(), array_of([0, 1]).dtype.kind
    ([1.0, 2.0], 'i')
    """
    return value.data if isinstance(value, Tensor) else as_array(value)


def float_target(loss: str, target: Any, x: Tensor) -> Tensor:
    """The target as a Tensor of the prediction's dtype and exactly its shape. A target that requires grad
    stays in the graph, as in PyTorch: the loss sends it a gradient (through a Cast node, in its own
    dtype, when its dtype is not the prediction's).

    >>> float_target("mse_loss", np.zeros(2), Tensor(np.ones(2, dtype=np.float32))).dtype
    dtype('float32')
    """
    y = array_of(target)
    if y.shape != x.shape:
        raise ValueError(f"{loss}: target shape {y.shape} differs from input shape {x.shape}; expected "
                         "equal shapes (no broadcasting; reshape one of them)")
    if isinstance(target, Tensor) and (target.requires_grad or y.dtype == x.dtype):
        return target.astype(x.dtype)  # the same node when the dtypes agree: in a picture, name and all
    return Tensor(y.astype(x.dtype, copy=False), name=getattr(target, "name", None))


def broadcast_weight(loss: str, weight: Any, shape: tuple[int, ...], dtype: np.dtype,
                     what: str = "weight") -> np.ndarray | None:
    """A weight broadcast to `shape`, or None when there is none.

    >>> broadcast_weight("bce", [1.0, 2.0], (3, 2), np.dtype(np.float32)).shape
    (3, 2)
    """
    if weight is None:
        return None
    w = constant(loss, what, weight).astype(dtype, copy=False)
    try:
        return np.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(f"{loss}: {what} of shape {w.shape} does not broadcast to the input shape {shape}") from None


def check_reduction(loss: str, reduction: str, allowed: tuple[str, ...] = REDUCTIONS) -> None:
    """Refuse an unknown reduction, naming the ones allowed.

    >>> check_reduction("mse_loss", "sum")
    """
    if reduction not in allowed:
        raise ValueError(f"{loss}: reduction must be one of {', '.join(map(repr, allowed))}, got {reduction!r}")


def logits_matrix(loss: str, x: Any) -> Tensor:
    """The scores of a classification loss: a float Tensor of shape (N, C).

    >>> logits_matrix("cross_entropy", np.zeros((4, 3))).shape
    (4, 3)
    """
    z = prediction(loss, x)
    if z.ndim != 2:
        raise ValueError(f"{loss}: input must have shape (N, C), got {z.shape}")
    return z


def masked_logits(loss: str, z: Tensor) -> bool:
    """Whether some logit is -inf, its class masked out. A row with every class
    masked has no softmax (0/0, which PyTorch returns as nan): refused, by row.

    >>> masked_logits("cross_entropy", Tensor([[0.0, -np.inf, 1.0]]))
    True
    """
    if not z.data.min(initial=0) == -np.inf:  # one pass over the logits, in the usual case the only one
        return False
    rows = np.flatnonzero(np.isneginf(z.data).all(axis=1))
    if rows.size:
        raise ValueError(f"{loss}: row {rows[0]} of the logits is -inf in every class, so its softmax is 0/0 "
                         "(PyTorch returns nan); expected at least one class per row that is not masked out")
    return True


def class_labels(loss: str, target: Any, z: Tensor) -> np.ndarray:
    """Integer class indices, one per row of z, each in [0, C).

    >>> class_labels("nll_loss", np.array([2, 0]), Tensor(np.zeros((2, 3)))).tolist()
    [2, 0]
    """
    labels = array_of(target)  # integers: a Tensor of them cannot require grad
    n, classes = z.shape
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{loss}: target must hold integer class indices, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"{loss}: target shape {labels.shape} does not match input shape {z.shape}; "
                         f"expected ({n},), one class index per row")
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        outside = labels[(labels < 0) | (labels >= classes)]
        raise ValueError(f"{loss}: target contains class index {outside[0]}, outside [0, {classes}) "
                         f"for {classes} classes")
    return labels


@functools.lru_cache(maxsize=64)
def one_hot_rows(classes: int, dtype: np.dtype) -> np.ndarray:
    """The C × C identity matrix, whose rows are the one-hot vectors (made once per C and dtype).

    >>> one_hot_rows(3, np.dtype(np.float32)).take([2, 0], axis=0).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    identity = np.eye(classes, dtype=dtype)
    identity.flags.writeable = False
    return identity


def mean_divisor(loss: str, reduction: str, divisor: float, counted: str) -> float:
    """The divisor of reduction='mean'. A mean over nothing would be a silent NaN: refuse it.

    >>> mean_divisor("mse_loss", "mean", 4, "number of elements")
    4
    """
    if reduction == "mean" and divisor == 0:
        raise ValueError(f"{loss}: reduction='mean' divides by the {counted}, which is 0; "
                         "use reduction='sum' or give it something to average")
    return divisor


def class_targets(loss: str, z: Tensor, target: Any, weight: Any, label_smoothing: float
                  ) -> tuple[np.ndarray | Tensor, float, bool]:
    """Fold every label format into per-class target weights t (N, C); return
    them, the divisor of the 'mean' reduction, and whether every row of t is
    known to sum to 1 (plain one-hot rows), so that the gradient is softmax(z) - t.

    Integer labels become one-hot rows; float rows are used as given (soft
    labels: they need not sum to 1). Label smoothing mixes in the uniform
    distribution: t = (1 - ε) t + ε / C. Class weights multiply each column.
    As in PyTorch, 'mean' divides by the summed weight of the true classes
    for integer labels, and by N for probability targets. Probabilities that
    require grad give t as a Tensor, computed from them in the graph, so that
    the loss's gradient reaches them; t is an array otherwise.

    >>> t, divisor, rows_sum_to_one = class_targets("ce", Tensor(np.zeros((2, 3))), np.array([2, 0]), None, 0.0)
    >>> t.tolist(), divisor, rows_sum_to_one
    ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], 2.0, True)
    """
    n, classes = z.shape
    label_smoothing = float(label_smoothing)  # a Python float: a NumPy float64 would upcast float32 targets
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{loss}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_weight = broadcast_weight(loss, weight, (classes,), z.dtype)
    raw = array_of(target)
    if raw.dtype.kind in "iu":
        labels = class_labels(loss, raw, z)
        identity = one_hot_rows(classes, z.dtype)
        t = take(identity, labels, axis=0)  # one-hot rows
        if class_weight is None and not label_smoothing:
            return t, float(n), True
        divisor = float(n if class_weight is None else take(class_weight, labels, axis=0).sum())
    elif raw.ndim == 1:
        raise TypeError(f"{loss}: a target of shape {raw.shape} must hold integer class indices, got dtype "
                        f"{raw.dtype}; write labels as np.array([...]) of ints (Tensor([...]) makes float32)")
    else:
        t = float_target(loss, target, z)
        t = t if t.requires_grad else t.data
        divisor = float(n)
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / classes
    return (t if class_weight is None else t * class_weight), divisor, False
