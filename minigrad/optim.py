"""Optimizers: turn the gradients that backward left in `.grad` into parameter updates.

A training step is: `optimizer.zero_grad()`, compute the loss, `loss.backward()`,
`optimizer.step()`. An optimizer keeps the list of parameters it updates and,
for each parameter, the state its rule carries from step to step (SGD's
momentum buffer; Adam's step count and moment estimates). The update rules are
PyTorch's (equal up to float rounding: PyTorch fuses some multiply-adds). They write into `param.data` in place: the
array object stays the same, so whatever shares it sees the new values, and a
float32 parameter stays float32.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from minigrad.core.tensor import Tensor
from minigrad.core.trace import tracing
from minigrad.core.versions import versions
from minigrad.nn.module import Module

__all__ = ["Adam", "Optimizer", "SGD"]


class Optimizer:
    """What every optimizer shares: its parameters, `zero_grad`, and a `step`
    that hands each parameter with a gradient to the subclass's `update`.

    >>> from minigrad import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> optimizer = SGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> optimizer.zero_grad()
    >>> w.grad is None
    True
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        self.params = _checked_params(type(self).__name__, params)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]  # what each parameter's rule remembers
        self.changes = versions.group(self, self.params)  # each step changes the parameters in place

    def zero_grad(self) -> None:
        """Set every parameter's `.grad` to None, so that the next backward starts afresh."""
        for param in self.params:
            param.grad = None
        if tracing.active is not None:  # inside mg.compile's trace: these gradients start afresh (core/trace.py)
            tracing.active.zeroed(self.params)

    def step(self) -> None:
        """Update, in place, every parameter that has a gradient; skip those whose `.grad` is None.
        Each update is an in-place change (see core/versions.py): a graph recorded before the step
        cannot backpropagate after it."""
        skipped = 0
        # inside mg.compile's trace, each update is written down (core/trace.py)
        update = self.update if tracing.active is None else tracing.active.traced_update(self)
        for param, state in zip(self.params, self.state):
            if param.grad is not None:
                update(param.data, param.grad, state)
            else:
                skipped += 1
        if not skipped:
            self.changes.add()  # one count for all the parameters
        else:
            versions.changed(*[param.data for param in self.params if param.grad is not None])

    def update(self, value: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        """Change `value`, one parameter's array, in place, given its gradient and its state."""
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (classic or Nesterov) and weight decay.

    >>> from minigrad import Tensor
    >>> w = Tensor([1.0, 2.0], requires_grad=True)
    >>> optimizer = SGD([w], lr=0.25)
    >>> (w * w).sum().backward()       # dL/dw = 2w = [2, 4]
    >>> optimizer.step()               # w - 0.25 * [2, 4]
    >>> w.data.tolist()
    [0.5, 1.0]
    """

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False) -> None:
        _check_hyperparameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: invalid nesterov={nesterov!r} of type {type(nesterov).__name__}; "
                            "expected True or False")
        if nesterov and momentum == 0:
            raise ValueError(f"SGD: nesterov=True needs momentum > 0, got momentum={momentum!r} "
                             "(Nesterov's rule looks ahead along the momentum)")
        super().__init__(params)
        # Python floats: a NumPy float64 would turn the float32 arithmetic below into float64.
        self.lr, self.momentum, self.weight_decay = float(lr), float(momentum), float(weight_decay)
        self.nesterov = nesterov

    def update(self, value: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        if self.weight_decay:
            grad = grad + self.weight_decay * value  # g ← g + λ·p  (the gradient of λ/2·‖p‖²)
        if self.momentum:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # np.copy copies g, and keeps it an array when 0-d (0-d arithmetic gives scalars)
                buffer = state["momentum_buffer"] = np.copy(grad)  # b ← g on the first step
            else:
                buffer *= self.momentum
                buffer += grad  # b ← μ·b + g
            grad = grad + self.momentum * buffer if self.nesterov else buffer  # Nesterov: g + μ·b; classic: b
        value -= self.lr * grad  # p ← p − lr·g


class Adam(Optimizer):
    """Adam: each parameter's step is its gradient's running mean divided by the
    square root of its running mean square, so every weight moves by about `lr`
    per step whatever the scale of its gradient. `weight_decay` adds λ·p to the
    gradient (L2, as torch.optim.Adam; AdamW's decoupled decay is another rule).

    >>> from minigrad import Tensor
    >>> w = Tensor([1.0, -200.0], requires_grad=True)
    >>> optimizer = Adam([w], lr=0.1)
    >>> (w * w).sum().backward()       # dL/dw = [2, -400]: very different sizes
    >>> optimizer.step()               # yet both weights move by lr
    >>> [round(x, 4) for x in w.data.tolist()]
    [0.9, -199.9]
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        _check_hyperparameters("Adam", lr=lr, eps=eps, weight_decay=weight_decay)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2
                and all(isinstance(beta, numbers.Real) for beta in betas)):
            raise TypeError(f"Adam: invalid betas={betas!r}; expected a pair of numbers (beta1, beta2)")
        if not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"Adam: invalid betas={tuple(betas)!r}; expected each beta in [0, 1)")
        super().__init__(params)
        # Python floats: a NumPy float64 would turn the float32 arithmetic below into float64.
        self.lr, self.eps, self.weight_decay = float(lr), float(eps), float(weight_decay)
        self.beta1, self.beta2 = map(float, betas)

    def update(self, value: np.ndarray, grad: np.ndarray, state: dict[str, Any]) -> None:
        beta1, beta2 = self.beta1, self.beta2
        if self.weight_decay:
            grad = grad + self.weight_decay * value  # g ← g + λ·p
        if not state:  # the first step of this parameter: each parameter counts its own steps
            state.update(step=0, exp_avg=np.zeros_like(value), exp_avg_sq=np.zeros_like(value))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad  # m ← β1·m + (1−β1)·g
        v *= beta2
        v += (1 - beta2) * grad * grad  # v ← β2·v + (1−β2)·g²
        bias_correction1, bias_correction2 = 1 - beta1 ** t, 1 - beta2 ** t  # m and v started at 0
        denom = np.sqrt(v) / bias_correction2 ** 0.5 + self.eps  # √v̂ + ε, where v̂ = v/(1−β2^t)
        value -= self.lr / bias_correction1 * m / denom  # p ← p − lr·m̂/(√v̂ + ε), where m̂ = m/(1−β1^t)


def _check_hyperparameters(optimizer: str, **hyperparameters: float) -> None:
    """Refuse a hyperparameter that is not a number, or is negative (or NaN), naming the optimizer and the value."""
    for name, value in hyperparameters.items():
        if not isinstance(value, numbers.Real):  # Python and NumPy ints and floats
            raise TypeError(f"{optimizer}: invalid {name}={value!r} of type {type(value).__name__}; "
                            "expected a number")
        if not 0.0 <= value:  # written so that NaN fails too
            raise ValueError(f"{optimizer}: invalid {name}={value!r}; expected {name} >= 0")


def _checked_params(optimizer: str, params: Iterable[Tensor]) -> list[Tensor]:
    """`params` as a list (it may be a generator such as model.parameters()), each a leaf that requires grad."""
    if isinstance(params, Tensor):
        raise TypeError(f"{optimizer}: params must be an iterable of Tensors, got a single Tensor; "
                        "pass a list such as [w] or model.parameters()")
    if isinstance(params, Module):  # a Sequential is iterable too, but over its layers
        raise TypeError(f"{optimizer}: params is a {type(params).__name__} (a Module); pass model.parameters()")
    if not isinstance(params, Iterable):
        raise TypeError(f"{optimizer}: params must be an iterable of Tensors, got {type(params).__name__}; "
                        "pass model.parameters() or a list of Tensors")
    params = list(params)
    if not params:
        raise ValueError(f"{optimizer}: got an empty parameter list; pass model.parameters() or a list of Tensors")
    for i, param in enumerate(params):
        if not isinstance(param, Tensor):
            raise TypeError(f"{optimizer}: param {i} has type {type(param).__name__}; expected a Tensor")
        if not param.requires_grad:
            raise ValueError(f"{optimizer}: param {i} (shape {param.shape}) does not require grad, so it "
                             "never gets a gradient; create it with requires_grad=True, or leave it out")
        if not param.is_leaf:
            raise ValueError(f"{optimizer}: param {i} (shape {param.shape}) is not a leaf: an op computed it, "
                             "so backward leaves no .grad on it; optimize the tensors you created")
    if len({id(param) for param in params}) < len(params):
        raise ValueError(f"{optimizer}: a parameter appears more than once in params; it would be updated "
                         "twice per step")
    return params
