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
    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, grad):
        return (grad * self.out,)  # d/da e^a = e^a


class Log(Op):
    def forward(self, a):
        self.a = a
        return np.log(a)

    def backward(self, grad):
        return (grad / self.a,)  # d/da ln a = 1/a


class Sqrt(Op):
    def forward(self, a):
        self.out = np.sqrt(a)
        return self.out

    def backward(self, grad):
        return (grad / (2 * self.out),)  # d/da √a = 1/(2√a)


class Abs(Op):
    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, grad):
        return (grad * sign(self.a),)  # d/da |a| = sign(a), taken as 0 at 0


class Clip(Op):
    def forward(self, a, lo, hi):
        self.lo, self.hi = lo, hi  # for the pictures' labels
        self.inside = (a >= (-np.inf if lo is None else lo)) & (a <= (np.inf if hi is None else hi))
        return np.clip(a, lo, hi)

    def backward(self, grad):
        return (where(self.inside, grad, 0),)  # 1 inside [lo, hi] (ends included), 0 outside, even for inf
