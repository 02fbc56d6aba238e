"""The Op: one primitive operation of the graph, its forward and its backward.

Every differentiable operation on tensors is a subclass of `Op` (the ops
package holds them all): `Op.apply` runs its `forward` on the inputs' arrays
and, when the result needs a gradient, records the op on the result, so that
backward can ask it for the vector-Jacobian product of its inputs.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from minigrad.core.arguments import type_name
from minigrad.core.errors import BadIndexError, ShapeError
from minigrad.core.grad_mode import grad_mode
from minigrad.core.tensor import Tensor


class Op:
    """One primitive operation: `forward` on arrays, `backward` on gradients.

    Subclasses implement
      forward(*arrays, **params) -> array   (and save what backward needs on self)
      backward(grad) -> tuple of arrays     (one gradient per input, or None)
    A gradient may have the output's broadcast shape: the engine sums it back
    to the input's shape with `unbroadcast`. The engine never writes into the
    arrays backward returns (a leaf's .grad starts as a copy), so backward may
    return the grad it received, or an array it keeps.
    """

    inputs: tuple[Tensor, ...]
    shape_rule = ""  # what the op expects of its input shapes, for error messages

    @classmethod
    def apply(cls, *inputs: Tensor, **params: Any) -> Tensor:
        """Run the op on `inputs` (with its `params`) and record it on the result when a gradient is needed."""
        try:  # any([...]), not any(...): building the list is faster than a generator for a few inputs
            requires_grad = any([t._requires_grad for t in inputs])
        except AttributeError:  # a non-Tensor input, say a NumPy array: only this failure path looks for it
            i, value = next((i, t) for i, t in enumerate(inputs) if not isinstance(t, Tensor))
            raise TypeError(f"{cls.__name__.lower()}: input {i} is a {type_name(value)}, expected a Tensor; "
                            "wrap it: Tensor(X)") from None
        op = cls()
        arrays = [t.data for t in inputs]
        if len(arrays) > 1 and shares_an_array(arrays):  # then Op.on_tensors could not tell which input
            arrays = op.forwarded = [a.view() for a in arrays]  # an op saved: one view each
        try:
            data = op.forward(*arrays, **params)
        except ShapeError:
            raise
        except (ValueError, IndexError) as error:
            shapes = " and ".join(str(t.shape) for t in inputs)
            rule = f"; expected {cls.shape_rule}" if cls.shape_rule else ""
            error_type = ShapeError if isinstance(error, ValueError) else BadIndexError
            raise error_type(f"{cls.__name__.lower()}: cannot apply to shapes {shapes}"
                             f" ({error}){rule}") from None
        if requires_grad and grad_mode.enabled:
            op.inputs = inputs
            return Tensor._from_op(data, op)
        return Tensor._from_op(data, None)

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        """The output, from the inputs' arrays (a subclass writes it)."""
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        """dL/d(input) for each input, from dL/d(output) (a subclass writes it)."""
        raise NotImplementedError

    def on_tensors(self, output: Tensor) -> Op:
        """This op with its saved inputs and output (`self.out`) as the Tensors
        themselves, not their arrays: its backward rule, run on a Tensor grad,
        is then recorded, and a gradient can be differentiated again."""
        arrays = getattr(self, "forwarded", None) or [t.data for t in self.inputs]  # what forward was given
        tensor_of = {id(a): t for a, t in zip(arrays, self.inputs)}
        twin = copy.copy(self)
        for name, value in vars(self).items():
            if name == "out":
                setattr(twin, name, output)
            elif id(value) in tensor_of:
                setattr(twin, name, tensor_of[id(value)])
        return twin


def shares_an_array(arrays: list[np.ndarray]) -> bool:
    """Whether two of the arrays are one object (as for x.detach() * x). Spelled
    out for two and three inputs, the usual counts: 0.1 µs, where a set takes 0.4."""
    if len(arrays) == 2:
        return arrays[0] is arrays[1]
    if len(arrays) == 3:
        return arrays[0] is arrays[1] or arrays[1] is arrays[2] or arrays[0] is arrays[2]
    return len(set(map(id, arrays))) < len(arrays)


