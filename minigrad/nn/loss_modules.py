"""Loss modules: each is a functional loss with its keyword arguments fixed."""

from __future__ import annotations

from typing import Any

import numpy as np

import minigrad.functional as F
from minigrad.core.tensor import Tensor
from minigrad.nn.module import Module


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
