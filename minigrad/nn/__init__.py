"""Layers in PyTorch's shape (`from minigrad import nn`): Module, Linear,
Conv2d, MaxPool2d, Flatten, Sequential, activation modules and loss modules.

>>> from minigrad import Tensor, nn
>>> model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
>>> [name for name, _ in model.named_parameters()]
['0.weight', '0.bias', '2.weight', '2.bias']
"""

from minigrad.nn.conv import Conv2d, Flatten, MaxPool2d
from minigrad.nn.layers import Linear, LogSoftmax, ReLU, Sequential, Sigmoid, Softmax, Tanh
from minigrad.nn.loss_modules import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                                      MSELoss, MultiMarginLoss, NLLLoss)
from minigrad.nn.module import Module

__all__ = [  # in reading order (the API reference follows it): the base class, layers, activations, losses
    "Module", "Linear", "Sequential", "Conv2d", "MaxPool2d", "Flatten",
    "ReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "MSELoss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss", "L1Loss", "HuberLoss", "KLDivLoss",
    "MultiMarginLoss",
]
