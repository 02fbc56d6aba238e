"""Gradient health while training: what each layer's gradients, activations and updates do, epoch by epoch.

`GradientStats(model)` attaches hooks to a model (any Module): a forward
hook on every activation module (Sigmoid, Tanh, ReLU) reads its output and
registers a tensor hook on its input, the pre-activation z, which sees dL/dz
during backward. Calling `stats.step(optimizer)` instead of
`optimizer.step()` reads every parameter's `.grad` and measures how far the
step moved each parameter. `stats.end_epoch()` closes a period (or
`period=k` closes one each k steps): its running sums become one record of
fixed size, so memory does not grow with the number of steps.

What a period's record holds (a mean over the period's steps unless it says otherwise):

  for each parameter p of the model (named as in named_parameters, e.g. "0.weight"):
    grad_mean     mean over p's elements of |p.grad|
    grad_max      the largest |p.grad| of the period (over the elements and the steps)
    grad_norm     ‖p.grad‖₂
    update_ratio  ‖Δp‖₂ / ‖p‖₂ of each optimizer step, p taken before the step (steps with ‖p‖ = 0 left out)
  for each activation module, over the period's training forwards (those that record a graph,
  so evaluation under no_grad does not count) and their backward passes:
    grad_mean     mean over the batch's elements of |dL/dz|, z the module's input (the pre-activation);
                  with a mean loss, dL/dz carries the loss's 1/N
    grad_max      the largest |dL/dz| of the period
    grad_norm     ‖dL/dz‖₂ of a batch
    saturated     Sigmoid: the fraction of the period's activations a (every sample, every unit) where
                  σ′ = a(1 − a) < 0.01. Tanh: the same with tanh′ = 1 − a² < 0.01. ReLU: the fraction of
                  dead units, those whose output was 0 for every sample of the period (a unit is one entry
                  of a sample's output, a.shape[1:]; a 1-D output is one sample)
    histogram     how many activations fall in each of `bins` equal bins over the activation's range:
                  [0, 1] for Sigmoid, [-1, 1] for Tanh, [0, relu_max] for ReLU (larger outputs in the last bin)

`record_every=n` records one step in n (and the forward and backward before
it), for a cheaper run; the others only step the optimizer.

>>> import numpy as np
>>> from minigrad import Tensor, nn, optim
>>> model = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 3))
>>> optimizer = optim.SGD(model.parameters(), lr=0.1)
>>> stats = GradientStats(model)
>>> x, y = Tensor(np.ones((5, 2), dtype=np.float32)), np.array([0, 1, 2, 0, 1])
>>> for epoch in range(2):
...     for _ in range(3):                     # three minibatches
...         optimizer.zero_grad()
...         nn.CrossEntropyLoss()(model(x), y).backward()
...         stats.step(optimizer)              # instead of optimizer.step()
...     stats.end_epoch()
>>> [(row["epoch"], row["layer"], row["tensor"]) for row in stats.rows()][:5]
[(1, '0', 'weight'), (1, '0', 'bias'), (1, '1', 'pre-activation'), (1, '2', 'weight'), (1, '2', 'bias')]
>>> stats.arrays()["histogram"].shape       # periods, activation modules, bins
(2, 1, 20)
>>> stats.remove()                          # detaches every hook
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minigrad.core.tensor import Tensor
from minigrad.nn import Module, ReLU, Sigmoid, Tanh

__all__ = ["COLUMNS", "GradientStats"]

COLUMNS = ("epoch", "steps", "layer", "module", "tensor", "grad_mean", "grad_max", "grad_norm",
           "update_ratio", "saturated")  # the keys of every row of GradientStats.rows(), in CSV order
SATURATED_BELOW = 0.01  # a sigmoid or tanh unit is saturated where its derivative is below this
ACTIVATIONS = (Sigmoid, Tanh, ReLU)


class GradientStats:
    """Record gradient statistics of `model` while it trains (see the module docstring).

    `period`: close a period every `period` calls of `step` (None: when
    `end_epoch()` is called). `record_every`: record one step in this many.
    `bins`: histogram bins per activation module; `relu_max`: the top of the
    ReLU histograms' range. Periods are numbered from 1 ("epoch" in rows()).
    """

    def __init__(self, model: Module, period: int | None = None, record_every: int = 1, bins: int = 20,
                 relu_max: float = 5.0) -> None:
        if not isinstance(model, Module):
            raise TypeError(f"GradientStats: expected a Module, got {type(model).__name__}")
        for name, value in (("period", period), ("record_every", record_every), ("bins", bins)):
            if not (isinstance(value, int) and value >= 1) and not (name == "period" and value is None):
                raise ValueError(f"GradientStats: {name} must be an int >= 1, got {value!r}")
        self.period, self.record_every, self.bins = period, record_every, bins
        modules = dict(model.named_modules())
        named = [(name, p) for name, p in model.named_parameters() if p.size]
        self.parameter_names, self._parameters = [n for n, _ in named], [p for _, p in named]
        self.activation_names = [name for name, m in modules.items() if isinstance(m, ACTIVATIONS)]
        self.activation_kinds = [next(k.__name__ for k in ACTIVATIONS if isinstance(modules[name], k))
                                 for name in self.activation_names]
        ranges = {"Sigmoid": (0.0, 1.0), "Tanh": (-1.0, 1.0), "ReLU": (0.0, float(relu_max))}
        self.histogram_edges = np.array([np.linspace(*ranges[kind], bins + 1) for kind in self.activation_kinds]
                                        ).reshape(len(self.activation_names), bins + 1)
        # The rows of a period, in model order: each parameter, and each activation's pre-activation.
        owners = [name.rpartition(".") for name in self.parameter_names]  # (layer, ".", tensor)
        self._layout: list[tuple[str, int, str, str, str]] = []  # (what, index, layer, module, tensor)
        for name, m in modules.items():
            self._layout += [("parameter", i, name, type(m).__name__, tensor)
                             for i, (layer, _, tensor) in enumerate(owners) if layer == name]
            if name in self.activation_names:
                self._layout.append(("activation", self.activation_names.index(name), name, type(m).__name__,
                                     "pre-activation"))
        self._layout += [("parameter", i, layer, "", tensor)  # e.g. a parameter kept in a list attribute
                         for i, (layer, _, tensor) in enumerate(owners) if layer not in modules]
        sizes = [p.size for p in self._parameters]
        self._sizes, self._offsets = np.array(sizes), np.cumsum([0] + sizes[:-1])  # where each one starts
        dtype = np.result_type(np.float32, *(p.dtype for p in self._parameters))  # float32 parameters: float32
        self._buffer = np.empty((3, sum(sizes)), dtype)  # rows: all gradients; all parameters before the step; after
        self._history: dict[str, list[np.ndarray]] = {}
        self._handles = [modules[name].register_forward_hook(self._forward_hook(i))
                         for i, name in enumerate(self.activation_names)]
        self._gradient_hooks = [self._gradient_hook(i) for i in range(len(self.activation_names))]
        self._attached, self._recording, self._calls = True, True, 0
        self._reset()

    # ----------------------------------------------------------- recording --
    def _reset(self) -> None:
        """Start a period: every running sum back to zero."""
        P, A = len(self._parameters), len(self.activation_names)
        self._steps = self._period_calls = 0
        self._grad_sum, self._grad_norm, self._grad_max = np.zeros(P), np.zeros(P), np.zeros(P)  # Σ|g|, Σ‖g‖
        self._ratio_sum, self._ratio_steps = np.zeros(P), np.zeros(P)
        self._pre_mean, self._pre_norm, self._pre_max, self._pre_passes = (np.zeros(A) for _ in range(4))
        self._saturated, self._activations = np.zeros(A), np.zeros(A)  # counts, for Sigmoid and Tanh
        self._ever_active: list[np.ndarray | None] = [None] * A       # ReLU: which units were ever > 0
        self._counts = np.zeros((A, self.bins), dtype=np.int64)

    def _forward_hook(self, i: int) -> Callable[[Module, tuple, Any], None]:
        """The forward hook of activation module i: its output's histogram and saturation."""
        kind, bins = self.activation_kinds[i], self.bins
        lo, hi = float(self.histogram_edges[i][0]), float(self.histogram_edges[i][-1])  # floats keep a's dtype
        scale = bins / (hi - lo)

        def record(module: Module, inputs: tuple, output: Any) -> None:
            if not (self._recording and isinstance(output, Tensor) and output.requires_grad):
                return  # a step not sampled, or an evaluation under no_grad: no backward follows
            a = output.data
            position = np.multiply(a - lo if lo else a, scale)  # in bins from the range's start (a >= lo)
            np.fmin(position, bins - 1, out=position)          # the top edge, larger ReLU outputs, NaN: last bin
            self._counts[i] += np.bincount(position.astype(np.intp).ravel(), minlength=bins)
            if kind == "ReLU":
                active = (a > 0).any(axis=0) if a.ndim > 1 else a > 0  # per unit, over the batch
                ever = self._ever_active[i]
                self._ever_active[i] = active if ever is None else ever | active
            else:
                derivative = a * (1 - a) if kind == "Sigmoid" else 1 - a * a
                self._saturated[i] += np.count_nonzero(derivative < SATURATED_BELOW)
                self._activations[i] += a.size
            if inputs and isinstance(inputs[0], Tensor) and inputs[0].requires_grad:
                inputs[0].register_hook(self._gradient_hooks[i])  # called with dL/dz during backward
        return record

    def _gradient_hook(self, i: int) -> Callable[[Tensor], None]:
        """The tensor hook on activation module i's input z: statistics of dL/dz."""
        def record(grad: Tensor) -> None:
            g = grad.data.ravel()
            if self._attached and g.size:
                magnitude = np.abs(g)
                self._pre_mean[i] += np.add.reduce(magnitude, dtype=np.float64) / g.size
                self._pre_norm[i] += np.sqrt(np.dot(magnitude, magnitude))
                self._pre_max[i] = max(self._pre_max[i], np.maximum.reduce(magnitude))
                self._pre_passes[i] += 1
        return record

    @property
    def records_next_step(self) -> bool:
        """Whether the next `step` is one of those it samples (one in record_every)."""
        return self._recording

    def step(self, optimizer: Any) -> None:
        """Call `optimizer.step()` (or `optimizer()`, a function that updates the
        parameters in place), recording the gradients before and the parameters'
        change; close the period after `period` steps."""
        update = optimizer.step if hasattr(optimizer, "step") else optimizer
        recording, parameters = self._recording and self._parameters, self._parameters
        if recording:
            grad, before, after = self._buffer
            np.concatenate([np.zeros(p.shape, grad.dtype) if p.grad is None else p.grad for p in parameters],
                           axis=None, out=grad)  # no gradient counts as zero (the optimizer skips it)
            np.concatenate([p.data for p in parameters], axis=None, out=before)
        update()
        if recording:
            np.concatenate([p.data for p in parameters], axis=None, out=after)
            with np.errstate(all="ignore"):  # a diverging run gives inf and NaN statistics, not warnings
                self._record_step(grad, before, after)
        self._calls += 1
        self._period_calls += 1
        self._recording = self._attached and self._calls % self.record_every == 0
        if self.period and self._period_calls == self.period:
            self.end_epoch()

    def _record_step(self, grad: np.ndarray, before: np.ndarray, after: np.ndarray) -> None:
        """Add one step's statistics, each parameter's a slice of the rows (from self._offsets)."""
        np.subtract(after, before, out=after)                                      # Δp
        np.abs(grad, out=grad)
        self._grad_sum += np.add.reduceat(grad, self._offsets)                      # Σ|g|
        np.maximum(self._grad_max, np.maximum.reduceat(grad, self._offsets), out=self._grad_max)
        norm, size, moved = np.sqrt(np.add.reduceat(np.square(self._buffer, out=self._buffer), self._offsets,
                                                    axis=1))                        # ‖g‖, ‖p‖, ‖Δp‖
        self._grad_norm += norm
        counted = size > 0
        self._ratio_sum += np.divide(moved, size, out=np.zeros_like(size), where=counted)
        self._ratio_steps += counted
        self._steps += 1

    def end_epoch(self) -> None:
        """Close the period: its statistics become one record (NaN where nothing was seen)."""
        for key, value in self._record().items():
            self._history.setdefault(key, []).append(value)
        self._reset()

    def _record(self) -> dict[str, np.ndarray]:
        """The current period's statistics from its running sums (a mean of nothing, 0/0, is NaN)."""
        steps, passes = self._steps, self._pre_passes
        dead = [np.nan if ever is None else np.mean(~ever) for ever in self._ever_active]
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "steps": np.array(steps),
                "grad_mean": self._grad_sum / (steps * self._sizes), "grad_norm": self._grad_norm / steps,
                "grad_max": np.where(steps > 0, self._grad_max, np.nan),
                "update_ratio": self._ratio_sum / self._ratio_steps,
                "preactivation_grad_mean": self._pre_mean / passes, "preactivation_grad_norm": self._pre_norm / passes,
                "preactivation_grad_max": np.where(passes > 0, self._pre_max, np.nan),
                "saturated": np.where([kind == "ReLU" for kind in self.activation_kinds], dead,
                                      self._saturated / self._activations),
                "histogram": self._counts,
            }

    # ------------------------------------------------------------- reading --
    def arrays(self) -> dict[str, np.ndarray]:
        """The closed periods' records, stacked: "steps" (periods,) the steps recorded; "grad_mean",
        "grad_max", "grad_norm", "update_ratio" (periods, parameters), columns as `parameter_names`;
        "preactivation_grad_mean", "_max", "_norm" and "saturated" (periods, activations), columns
        as `activation_names`; "histogram" (periods, activations, bins), counts, with the bin edges
        of each activation in `histogram_edges` (activations, bins + 1)."""
        if not self._history:  # no period closed yet: empty arrays of the same shapes
            return {key: np.zeros((0, *np.shape(value))) for key, value in self._record().items()}
        return {key: np.stack(values) for key, values in self._history.items()}

    def rows(self) -> list[dict[str, Any]]:
        """One dict per period × layer × recorded tensor (each parameter, and each activation
        module's pre-activation), with the keys of COLUMNS, ready for csv.DictWriter; a quantity
        that does not apply (saturated for a weight, update_ratio for a pre-activation) is None."""
        rows = []
        for e, steps in enumerate(self._history.get("steps", [])):
            record = {key: values[e] for key, values in self._history.items()}
            for what, i, layer, module, tensor in self._layout:
                prefix = "" if what == "parameter" else "preactivation_"
                rows.append({"epoch": e + 1, "steps": int(steps), "layer": layer, "module": module, "tensor": tensor,
                             **{q: float(record[prefix + q][i]) for q in ("grad_mean", "grad_max", "grad_norm")},
                             "update_ratio": float(record["update_ratio"][i]) if what == "parameter" else None,
                             "saturated": float(record["saturated"][i]) if what == "activation" else None})
        return rows

    def remove(self) -> None:
        """Detach every hook: the model runs as if never recorded (the records stay readable)."""
        for handle in self._handles:
            handle.remove()
        self._handles, self._attached, self._recording = [], False, False

    def __enter__(self) -> GradientStats:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()
