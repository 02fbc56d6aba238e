"""Elementary functions as primitive ops: exp, log, square root, absolute value, clip.

Each is elementwise: element i of the output depends on element i of the input
alone, so each backward is the incoming gradient times the derivative, element
by element.
"""

from __future__ import annotations

import numpy as np

from minigrad.core.op import Op
from minigrad.ops.rule_math import sign, where


class Exp(Op):
    symbol, expression = "exp", "exp({0})"
    elementwise = True
    saves = ("out",)

    def forward(self, a):
        return np.exp(a)

    def backward(self, grad):
        (out,) = self.saved
        return (grad * out,)  # d/da e^a = e^a


class Log(Op):
    symbol, expression = "ln", "ln({0})"
    elementwise = True
    saves = ("a",)

    def forward(self, a):
        return np.log(a)

    def backward(self, grad):
        (a,) = self.saved
        return (grad / a,)  # d/da ln a = 1/a


class Sqrt(Op):
    symbol, expression = "√", "√({0})"
    elementwise = True
    saves = ("out",)

    def forward(self, a):
        return np.sqrt(a)

    def backward(self, grad):
        (out,) = self.saved
        return (grad / (2 * out),)  # d/da √a = 1/(2√a)


class Abs(Op):
    symbol, expression = "| |", "|{0}|"
    elementwise = True
    saves = ("a",)

    def forward(self, a):
        return np.abs(a)

    def backward(self, grad):
        (a,) = self.saved
        return (grad * sign(a),)  # d/da |a| = sign(a), taken as 0 at 0


class Clip(Op):
    """a clamped into [lo, hi] (either may be None: no bound on that side)."""

    expression = "clip({0})"
    elementwise = True
    constants = ("inside",)  # where lo <= a <= hi

    def forward(self, a, *, lo, hi):
        self.inside = (a >= (-np.inf if lo is None else lo)) & (a <= (np.inf if hi is None else hi))
        return np.clip(a, lo, hi)

    def backward(self, grad):
        return (where(self.inside, grad, 0),)  # 1 inside [lo, hi] (ends included), 0 outside, even for inf

    @property
    def symbol(self) -> str:
        lo, hi = self.params["lo"], self.params["hi"]
        return f"clip [{'-∞' if lo is None else f'{float(lo):.2g}'}, {'∞' if hi is None else f'{float(hi):.2g}'}]"
