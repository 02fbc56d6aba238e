"""The functional API (`import minigrad.functional as F`): layers, activations and losses as functions.

    layers.py        linear, conv2d, max_pool2d
    activations.py   sigmoid, tanh, relu, softmax, log_softmax
    losses.py        every loss, fused (one node) or, with fused=False, built from primitive ops
    loss_inputs.py   what a loss receives, checked and put in the form its op needs

>>> import minigrad.functional as F
>>> from minigrad import Tensor
>>> F.mse_loss(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
5.0
"""

from minigrad.functional.activations import log_softmax, relu, sigmoid, softmax, tanh
from minigrad.functional.layers import conv2d, linear, max_pool2d
from minigrad.functional.losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                                        huber_loss, kl_div, l1_loss, mse_loss, multi_margin_loss, nll_loss)

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "conv2d", "cross_entropy", "huber_loss",
           "kl_div", "l1_loss", "linear", "log_softmax", "max_pool2d", "mse_loss", "multi_margin_loss", "nll_loss",
           "relu", "sigmoid", "softmax", "tanh"]
