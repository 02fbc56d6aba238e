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

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minigrad.core.stand_in import StandIn
from minigrad.core.tensor import Tensor
from minigrad.core.trace import Trace, numbers_of
from minigrad.nn.module import Module
from minigrad.optim import Optimizer


@dataclass
class Capture:
    """A traced run: its trace, the eager result, and what compiled code must read, write and check."""

    trace: Trace
    result: Any                                  # what the step returned, real values (the eager run's)
    returned: Any                                # the same structure with stand-ins where values were computed
    grads: list[tuple[Tensor, Any]]              # (tensor, its final .grad: a stand-in, or None)
    rebound: list[tuple[Tensor, StandIn]]        # (tensor, the new array the step gave its .data)
    states: list[tuple[dict, str, StandIn]]      # (state dict, key, its final value)
    structure: list[tuple[str, Any, Any]]        # what must hold at a call: ("grad", tensor, is None), ...
    constants: dict[int, StandIn]                # stand-ins of tensors the step made and dropped: constants
    tensor_names: dict[int, str] = field(default_factory=dict)
    argument_names: list[str] = field(default_factory=list)
    argument_tensors: dict[int, int] = field(default_factory=dict)  # id(tensor) -> its first position among the args
    argument_is_tensor: list[bool] = field(default_factory=list)


def capture(fn: Any, args: tuple, argument_names: list[str]) -> Capture:
    """Run `fn(*args)` once, traced; the run is an eager run, and leaves what an eager run leaves."""
    reachable = reachable_from(fn, args)
    grads_at_start = {id(t): t.grad is None for t in reachable["tensors"]}
    numbers_at_start = {optimizer: numbers_of(optimizer) for optimizer in reachable["optimizers"]}
    trace = Trace()
    swapped: list[tuple[Tensor, Any]] = []
    traced_args = []
    rebound: list[tuple[Tensor, StandIn]] = []  # tensors whose .data the step replaced
    try:
        with trace:
            leaves = [t for t in reachable["tensors"] if all(t is not arg for arg in args)]
            trace.leaf_arrays(leaves, [t.data for t in leaves])  # so that code reading `w.data` is seen too
            for i, arg in enumerate(args):
                if isinstance(arg, Tensor) and any(arg is t for t, _ in swapped):  # given twice: one input
                    traced_args.append(arg)
                elif isinstance(arg, Tensor):  # its array a stand-in for the run: it is read at each call
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
            rebound = _rebound(trace)
    finally:
        for tensor, data in swapped:
            tensor.data = data
        for tensor, new in rebound:  # `w.data = w.data - lr * w.grad`: the tensor keeps the new array
            tensor.data = new.value
    trace.problems += _changed_numbers([numbers_at_start, trace.hyperparameters])
    structure = _structure(trace, grads, grads_at_start, reachable)
    constants = _dropped_tensors(trace)
    return Capture(trace, result, returned, grads, rebound, states, structure, constants,
                   tensor_names=reachable["names"], argument_names=argument_names,
                   argument_tensors={id(a): i for i, a in reversed(list(enumerate(args))) if isinstance(a, Tensor)},
                   argument_is_tensor=[isinstance(arg, Tensor) for arg in args])


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
    return [(t, t.grad) for t in tensors.values() if (t.grad is None or isinstance(t.grad, StandIn))
            and id(t) not in trace.created]  # a tensor the step makes is made afresh at each call


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
    for optimizer, values in trace.hyperparameters.items():
        structure.append(("hyperparameters", optimizer, values))
    for tensor, _ in grads:  # a tensor the step found by no name: its .grad as backward first found it
        if id(tensor) not in grads_at_start and id(tensor) not in trace.zeroed_grads \
                and id(tensor) in trace.grad_was_none:
            structure.append(("grad", tensor, trace.grad_was_none[id(tensor)]))
    for module in reachable["modules"]:  # train() and eval(): a module's forward may read .training
        structure += [("training", m, m.training) for _, m in module.named_modules()]
    read = [source[1]() for _, source in trace.inputs if source[0] == "data" and source[1]() is not None]
    for holder, key, obj in reachable["bound"]:  # a module, optimizer or tensor found by a name: still that one
        if not isinstance(obj, Tensor) or any(obj is t for t in read):
            structure.append(("bound", (holder, key), obj))
    for module in reachable["modules"]:  # a layer's weight replaced by another tensor: not the one traced
        for _, m in module.named_modules():
            structure += [("attribute", (m, name), value) for name, value in vars(m).items()
                          if isinstance(value, Tensor) and any(value is t for t in read)]
    structure += [("requires_grad", t, t._requires_grad) for t in read]  # a layer frozen, or unfrozen
    for optimizer in trace.updated:  # optimizer.state replaced by new dicts: not those traced
        structure.append(("attribute", (optimizer, "state"), optimizer.state))
    return structure


def _changed_numbers(snapshots: list[dict]) -> list[str]:
    """An optimizer whose numbers (lr...) the step itself changes: the compiled code would not change them."""
    problems = []
    for snapshot in snapshots:
        for optimizer, before in snapshot.items():
            now = dict(numbers_of(optimizer))
            changed = [name for name, value in before if now.get(name) != value]
            if changed:
                problems.append(f"the step changes {type(optimizer).__name__}.{', '.join(changed)}, and Python "
                                "state a step changes is not changed again by the compiled code")
    return problems


def _rebound(trace: Trace) -> list[tuple[Tensor, StandIn]]:
    """The tensors whose `.data` the step replaced (`w.data = w.data - lr * w.grad`), with the new array."""
    rebound = []
    for stand_in, source in trace.inputs:
        tensor = source[1]() if source[0] == "data" else None
        if tensor is not None and isinstance(tensor.data, StandIn) and tensor.data is not stand_in:
            rebound.append((tensor, tensor.data))
    return rebound


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
    found: dict[str, tuple[Any, Any]] = {}  # name -> (value, where the name lives: (holder, key) or None)
    code = getattr(fn, "__code__", None)
    if code is not None:
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                found[name] = (cell.cell_contents, (cell, None))
            except ValueError:  # an empty cell
                pass
        globals_ = getattr(fn, "__globals__", {})
        for name in _names_used(code):
            if name in globals_:
                found.setdefault(name, (globals_[name], (globals_, name)))
    if hasattr(fn, "__self__"):
        found["self"] = (fn.__self__, None)
        for name, value in getattr(fn.__self__, "__dict__", {}).items():
            found.setdefault(name, (value, (fn.__self__, name)))
    for i, arg in enumerate(args):
        found.setdefault(f"argument {i}", (arg, None))
    modules, optimizers, tensors, names, bound = [], [], [], {}, []
    for name, (value, where) in found.items():
        items = list(value.values()) if isinstance(value, dict) else value if isinstance(value, (list, tuple)) \
            else [value]
        for item in items:
            if isinstance(item, (Module, Optimizer, Tensor)) and item is value and where is not None:
                bound.append((*where, item))  # found by this name: at each call, still this object
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
            "modules": modules, "bound": bound}


def _names_used(code: Any) -> list[str]:
    """The global names a function's code (and the functions defined in it) refers to."""
    names = list(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            names += _names_used(constant)
    return names

