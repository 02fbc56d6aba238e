"""One traced run of a step, and what the compiled code needs from it.

`capture` runs the step once under a `Trace` (core/trace.py), its array
arguments replaced by stand-ins, and collects what the generated function
must read at each call (the arguments, the tensors from before the step,
their gradients, the optimizers' state), what it must write back (`.grad`,
the state, the step's return value), and what must hold for the trace to
stand for a call (the structural guards: which gradients are None, which
state an optimizer keeps, its hyperparameters). Names come from the step
itself: its argument names, and the parameters of the modules it uses
(W1, b1 for the first linear layer's weight and bias).
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.core.stand_in import StandIn
from minigrad.core.tensor import Tensor
from minigrad.core.trace import Trace
from minigrad.nn.module import Module
from minigrad.optim import Optimizer


@dataclass
class Capture:
    """A traced run: its trace, the eager result, and what compiled code must read, write and check."""

    trace: Trace
    result: Any                                  # what the step returned, real values (the eager run's)
    returned: Any                                # the same structure with stand-ins where values were computed
    grads: list[tuple[Tensor, Any]]              # (tensor, its final .grad: a stand-in, or None)
    states: list[tuple[dict, str, StandIn]]      # (state dict, key, its final value)
    structure: list[tuple[str, Any, Any]]        # what must hold at a call: ("grad", tensor, is None), ...
    constants: dict[int, StandIn]                # stand-ins of tensors the step made and dropped: constants
    tensor_names: dict[int, str] = field(default_factory=dict)
    argument_names: list[str] = field(default_factory=list)
    argument_tensors: dict[int, int] = field(default_factory=dict)  # id(tensor) -> its position among the args


def capture(fn: Any, args: tuple, argument_names: list[str]) -> Capture:
    """Run `fn(*args)` once, traced; the run is an eager run, and leaves what an eager run leaves."""
    reachable = reachable_from(fn, args)
    grads_at_start = {id(t): t.grad is None for t in reachable["tensors"]}
    trace = Trace()
    swapped: list[tuple[Tensor, Any]] = []
    traced_args = []
    try:
        with trace:
            for i, arg in enumerate(args):
                if isinstance(arg, Tensor):  # its array a stand-in for the run: it is read at each call
                    swapped.append((arg, arg.data))
                    arg.data = trace.input(arg.data, ("argument", i), hint=argument_names[i])
                    traced_args.append(arg)
                elif isinstance(arg, np.ndarray):
                    traced_args.append(trace.input(arg, ("argument", i), hint=argument_names[i]))
                else:
                    traced_args.append(arg)
            result = fn(*traced_args)
            returned = _traced(result)
            result = _real(result)
            grads = _final_grads(trace, reachable)
            states = [(state, key, state[key]) for state, _ in trace.states for key in state
                      if isinstance(state[key], StandIn)]
    finally:
        for tensor, data in swapped:
            tensor.data = data
    structure = _structure(trace, grads, grads_at_start, reachable)
    constants = _dropped_tensors(trace)
    return Capture(trace, result, returned, grads, states, structure, constants,
                   tensor_names=reachable["names"], argument_names=argument_names,
                   argument_tensors={id(arg): i for i, arg in enumerate(args) if isinstance(arg, Tensor)})


class ReturnedTensor:
    """A tensor the step returns whose array it computed: the compiled step returns a new Tensor of it."""

    def __init__(self, data: StandIn) -> None:
        self.data = data


def _traced(value: Any) -> Any:
    """The step's return value with each computed tensor marked (before the trace gives tensors their arrays)."""
    if isinstance(value, Tensor) and isinstance(value.data, StandIn):
        return ReturnedTensor(value.data)
    if isinstance(value, (tuple, list)):
        return type(value)(_traced(v) for v in value)
    if isinstance(value, dict):
        return {k: _traced(v) for k, v in value.items()}
    return value


def _real(value: Any) -> Any:
    """The step's return value as the eager run gives it: each stand-in's value (a Tensor keeps its own)."""
    if isinstance(value, StandIn):
        return value.value
    if isinstance(value, tuple):
        return tuple(_real(v) for v in value)
    if isinstance(value, list):
        return [_real(v) for v in value]
    if isinstance(value, dict):
        return {k: _real(v) for k, v in value.items()}
    return value


def _final_grads(trace: Trace, reachable: dict) -> list[tuple[Tensor, Any]]:
    """Every tensor whose .grad the step may have changed, with its .grad at the end: backward's writes,
    and the parameters of the optimizers and modules the step reaches (zero_grad sets them to None)."""
    tensors = {id(t): t for t in reachable["parameters"]}
    for ref in trace.grads_written.values():
        tensor = ref()
        if tensor is not None:
            tensors[id(tensor)] = tensor
    for optimizer in trace.updated:
        tensors.update((id(p), p) for p in optimizer.params)
    return [(t, t.grad) for t in tensors.values() if t.grad is None or isinstance(t.grad, StandIn)]


def _structure(trace: Trace, grads: list, grads_at_start: dict[int, bool], reachable: dict) -> list:
    """The guards a call checks before it runs the code: each gradient the step writes or reads None as it
    was (backward copies into a None .grad and adds to another), each optimizer state with the keys it had
    (the first step makes its buffers), each optimizer's hyperparameters as they were."""
    structure = []
    read = {id(source[1]()): source[1]() for _, source in trace.inputs if source[0] == "grad"}
    for tensor, _ in grads:
        if id(tensor) in grads_at_start and id(tensor) not in trace.zeroed_grads:
            structure.append(("grad", tensor, grads_at_start[id(tensor)]))
    for tensor in read.values():
        if tensor is not None:
            structure.append(("grad", tensor, False))
    for state, keys in trace.states:
        structure.append(("state", state, keys))
    for optimizer in trace.updated:
        structure.append(("hyperparameters", optimizer, hyperparameters(optimizer)))
    return structure


def hyperparameters(optimizer: Optimizer) -> tuple:
    """An optimizer's numbers (lr, momentum, betas...): the trace wrote them into the code as constants."""
    return tuple((k, v) for k, v in vars(optimizer).items() if isinstance(v, numbers.Number))


def _dropped_tensors(trace: Trace) -> dict[int, StandIn]:
    """The stand-ins of tensors from outside the step's ops that no longer exist: made inside the step (a
    number in `x * 2`, a constant target), so their values are constants of the code, not inputs."""
    constants = {id(s): s for s, source in trace.inputs if source[0] == "data" and source[1]() is None}
    trace.inputs[:] = [(s, source) for s, source in trace.inputs if id(s) not in constants]
    return constants


# ------------------------------------------------------------ what a step reaches --

def reachable_from(fn: Any, args: tuple) -> dict:
    """The modules, optimizers and tensors the step can reach by name (its closure, the globals it names,
    its bound object, its arguments), and a name for each parameter: W1, b1 for the first layer that has a
    weight and a bias, a tensor's variable name, or the parameter's path in its module."""
    found: dict[str, Any] = {}
    code = getattr(fn, "__code__", None)
    if code is not None:
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                found[name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
        globals_ = getattr(fn, "__globals__", {})
        for name in _names_used(code):
            if name in globals_:
                found.setdefault(name, globals_[name])
    if hasattr(fn, "__self__"):
        found["self"] = fn.__self__
        found.update(getattr(fn.__self__, "__dict__", {}))
    for i, arg in enumerate(args):
        found.setdefault(f"argument {i}", arg)
    modules, optimizers, tensors, names = [], [], [], {}
    for name, value in found.items():
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            if isinstance(item, Module) and item not in modules:
                modules.append(item)
            elif isinstance(item, Optimizer) and item not in optimizers:
                optimizers.append(item)
            elif isinstance(item, Tensor):
                tensors.append(item)
                names.setdefault(id(item), item.name or name)
    parameters = []
    counters: dict[str, int] = {}
    for module in modules:
        for path, param in module.named_parameters():
            short = {"weight": "W", "bias": "b"}.get(path.rsplit(".", 1)[-1])
            if short:
                counters[short] = counters.get(short, 0) + 1
                name = f"{short}{counters[short]}"
            else:
                name = path.replace(".", "_")
            names.setdefault(id(param), param.name if (param.name or "").isidentifier() else name)
            parameters.append(param)
    for optimizer in optimizers:
        parameters += [p for p in optimizer.params if all(p is not q for q in parameters)]
    for i, param in enumerate(parameters):
        names.setdefault(id(param), param.name or f"p{i}")
    tensors += [p for p in parameters if all(p is not t for t in tensors)]
    return {"tensors": tensors, "parameters": parameters, "names": names, "optimizers": optimizers,
            "modules": modules}


def _names_used(code: Any) -> list[str]:
    """The global names a function's code (and the functions defined in it) refers to."""
    names = list(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names += _names_used(constant)
    return names

