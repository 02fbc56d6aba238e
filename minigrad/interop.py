"""A checked bridge to PyTorch: `to_torch(module)` and `from_torch(torch_module)`.

minigrad's layers have PyTorch's shapes and state_dict names, so converting
a model is mostly copying arrays: a Linear's weight is (out_features,
in_features) on both sides, a Conv2d's (out, in, kh, kw). What this module
adds is the check: after building the other side, both models run on the
same probe input (seeded random numbers of the model's input shape) and
must agree within a tolerance set by the dtype. If they do not, the same
probe goes through the layers one at a time, each pair fed the same input,
and the ValueError names the first layer that differs. A layer that is
converted by its class but computes something else (a subclass with its own
forward, say) is caught that way instead of handing over a silently
different model.

Converted: Sequential (nested too) of Linear, Conv2d, MaxPool2d, Flatten,
Sigmoid, Tanh, ReLU, Softmax and LogSoftmax. Anything else is a TypeError
naming the layer and listing these. Weights are copied, never shared, and
keep their dtype, float32 or float64, one for the whole model (PyTorch runs
a model in one dtype): another dtype (float16, bfloat16), or a model mixing
the two, is a ValueError naming the layer and the dtypes.

torch is optional: importing this module never imports it; calling
`to_torch` or `from_torch` without it installed raises an ImportError
saying how to install it.

>>> import minigrad.interop as interop
>>> interop.supported_layers()[:3]
['Sequential', 'Linear', 'Sigmoid']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import minigrad.nn as nn
from minigrad.core.grad_mode import no_grad
from minigrad.core.tensor import Tensor
from minigrad.ops.convolution import output_size

__all__ = ["from_torch", "supported_layers", "to_torch"]

PROBE_BATCH = 4  # rows of the probe input
PROBE_SEED = 0   # the probe is the same every time: a failure can be reproduced
TOLERANCE = {np.dtype(np.float32): (1e-4, 1e-5), np.dtype(np.float64): (1e-9, 1e-12)}  # (rtol, atol)
PROBE_SIDE = 8  # the probe image's height and width when no layer fixes them (larger if the kernels need it)
_LARGEST_SIDE = 256  # the largest square image tried when inferring a conv net's input size


def _import_torch(caller: str) -> Any:
    """torch, or an ImportError that says how to get it (torch is never a dependency of minigrad)."""
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"minigrad.interop.{caller} needs PyTorch, which is not installed: "
                          "pip install torch (any recent version; minigrad's tests use torch==2.13.0)") from err
    return torch


# ------------------------------------------------------ the layer table --
# One entry per layer kind: (name, minigrad class, to_torch builder, from_torch builder); the name is
# also the torch.nn class's. A PyTorch setting minigrad's layer cannot compute (dilation, ceil_mode, ...)
# is refused by name rather than dropped.

def _pair(value: Any) -> tuple[int, int]:
    """An int or a pair as a pair of ints (PyTorch's convention for kernel_size, stride, padding)."""
    if isinstance(value, (tuple, list)):
        first, second = value
        return int(first), int(second)
    return int(value), int(value)


def _array(layer: Any, name: str, where: str) -> np.ndarray:
    """A torch layer's parameter `name` as a NumPy copy in float32 or float64 (the dtypes both libraries train in)."""
    tensor = getattr(layer, name)
    dtype = str(tensor.dtype).removeprefix("torch.")
    if dtype not in ("float32", "float64"):  # checked on the torch side: NumPy has no bfloat16
        raise ValueError(f"from_torch: {_place(where)} ({type(layer).__name__}) has its {name} in {dtype}; only "
                         "float32 and float64 are converted: call .float() or .double() on the torch model first")
    return tensor.detach().cpu().numpy().copy()  # .copy(): from_torch's model owns its arrays


def _parameter(torch: Any, array: np.ndarray) -> Any:
    """A torch Parameter holding a copy of `array`, in its dtype."""
    return torch.nn.Parameter(torch.from_numpy(np.array(array, copy=True)))


def _linear_to_torch(torch: Any, layer: Any) -> Any:
    out = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                          dtype=_torch_dtype(torch, layer.weight.data.dtype))
    out.weight = _parameter(torch, layer.weight.data)
    if layer.bias is not None:
        out.bias = _parameter(torch, layer.bias.data)
    return out


def _linear_from_torch(layer: Any, where: str) -> Any:
    weight = _array(layer, "weight", where)
    out = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=weight.dtype)
    out.weight.data = weight
    if layer.bias is not None:
        out.bias.data = _array(layer, "bias", where)
    return out


def _conv_to_torch(torch: Any, layer: Any) -> Any:
    out = torch.nn.Conv2d(layer.in_channels, layer.out_channels, _pair(layer.kernel_size), stride=_pair(layer.stride),
                          padding=_pair(layer.padding), bias=layer.bias is not None,
                          dtype=_torch_dtype(torch, layer.weight.data.dtype))
    out.weight = _parameter(torch, layer.weight.data)
    if layer.bias is not None:
        out.bias = _parameter(torch, layer.bias.data)
    return out


def _conv_from_torch(layer: Any, where: str) -> Any:
    _require_defaults(layer, where, dilation=(1, 1), groups=1, padding_mode="zeros")
    if isinstance(layer.padding, str):
        raise ValueError(f"from_torch: layer {where!r} (Conv2d) has padding={layer.padding!r}; "
                         "minigrad's Conv2d takes the padding as numbers: rebuild it with padding=(ph, pw)")
    weight = _array(layer, "weight", where)
    out = nn.Conv2d(layer.in_channels, layer.out_channels, _pair(layer.kernel_size), stride=_pair(layer.stride),
                    padding=_pair(layer.padding), bias=layer.bias is not None, dtype=weight.dtype)
    out.weight.data = weight
    if layer.bias is not None:
        out.bias.data = _array(layer, "bias", where)
    return out


def _pool_to_torch(torch: Any, layer: Any) -> Any:
    return torch.nn.MaxPool2d(_pair(layer.kernel_size), stride=_pair(layer.stride))


def _pool_from_torch(layer: Any, where: str) -> Any:
    _require_defaults(layer, where, padding=(0, 0), dilation=(1, 1), ceil_mode=False, return_indices=False)
    stride = layer.kernel_size if layer.stride is None else layer.stride
    return nn.MaxPool2d(_pair(layer.kernel_size), stride=_pair(stride))


def _flatten_to_torch(torch: Any, layer: Any) -> Any:
    return torch.nn.Flatten(getattr(layer, "start_dim", 1), getattr(layer, "end_dim", -1))


def _flatten_from_torch(layer: Any, where: str) -> Any:
    _require_defaults(layer, where, start_dim=1, end_dim=-1)
    return nn.Flatten()


def _softmax_from_torch(layer: Any, where: str, cls: type) -> Any:
    if layer.dim is None:
        raise ValueError(f"from_torch: layer {where!r} ({type(layer).__name__}) has dim=None (PyTorch's deprecated "
                         "implicit choice); give it a dim, e.g. dim=-1")
    return cls(axis=layer.dim)


def _require_defaults(layer: Any, where: str, **defaults: Any) -> None:
    """Refuse a torch layer set up in a way minigrad's layer cannot compute (dilation, groups, ...)."""
    for name, default in defaults.items():
        value = getattr(layer, name, default)
        if (_pair(value) if isinstance(default, tuple) else value) != default:
            raise ValueError(f"from_torch: layer {where!r} ({type(layer).__name__}) has {name}={value!r}; "
                             f"minigrad's {type(layer).__name__} supports only {name}={default!r}")


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.float64 if dtype == np.float64 else torch.float32  # the only two converted: see _convert_to_torch


def _table() -> list[tuple[str, type, Callable, Callable]]:
    """(name, minigrad class, to_torch(torch, layer), from_torch(layer, where)) for every convertible layer.
    Sequential is handled by the walk itself."""
    return [
        ("Linear", nn.Linear, _linear_to_torch, _linear_from_torch),
        ("Sigmoid", nn.Sigmoid, lambda torch, layer: torch.nn.Sigmoid(), lambda layer, where: nn.Sigmoid()),
        ("Tanh", nn.Tanh, lambda torch, layer: torch.nn.Tanh(), lambda layer, where: nn.Tanh()),
        ("ReLU", nn.ReLU, lambda torch, layer: torch.nn.ReLU(), lambda layer, where: nn.ReLU()),
        # LogSoftmax before Softmax: minigrad's LogSoftmax is a subclass of its Softmax
        ("LogSoftmax", nn.LogSoftmax, lambda torch, layer: torch.nn.LogSoftmax(dim=layer.axis),
         lambda layer, where: _softmax_from_torch(layer, where, nn.LogSoftmax)),
        ("Softmax", nn.Softmax, lambda torch, layer: torch.nn.Softmax(dim=layer.axis),
         lambda layer, where: _softmax_from_torch(layer, where, nn.Softmax)),
        ("Conv2d", nn.Conv2d, _conv_to_torch, _conv_from_torch),
        ("MaxPool2d", nn.MaxPool2d, _pool_to_torch, _pool_from_torch),
        ("Flatten", nn.Flatten, _flatten_to_torch, _flatten_from_torch),
    ]


def supported_layers() -> list[str]:
    """The layer classes to_torch and from_torch convert, by name."""
    order = ["Linear", "Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax", "Conv2d", "MaxPool2d", "Flatten"]
    return ["Sequential"] + sorted((entry[0] for entry in _table()), key=order.index)  # Softmax before LogSoftmax


def _unsupported(caller: str, where: str, layer: Any) -> TypeError:
    return TypeError(f"{caller}: {_place(where)} is a {type(layer).__name__}, which is not converted; "
                     f"supported: {', '.join(supported_layers())}")


def _place(where: str) -> str:
    """A layer as messages name it: by its position in the model, or the model itself when it is one layer."""
    return f"layer {where!r}" if where else "the model"


# ------------------------------------------------------------- the walk --

def _convert_to_torch(torch: Any, layer: Any, where: str, pairs: list) -> Any:
    """The torch module for a minigrad one; appends (name, minigrad layer, torch layer) for every leaf layer."""
    if isinstance(layer, nn.Sequential):
        children = [_convert_to_torch(torch, child, _join(where, str(i)), pairs) for i, child in enumerate(layer)]
        return torch.nn.Sequential(*children)
    for _, cls, convert, _ in _table():
        if isinstance(layer, cls):
            dtype = next((p.data.dtype for p in layer.parameters() if p.data.dtype not in TOLERANCE), None)
            if dtype is not None:
                raise ValueError(f"to_torch: {_place(where)} ({type(layer).__name__}) has parameters in {dtype}; "
                                 "only float32 and float64 are converted")
            converted = convert(torch, layer)
            pairs.append((where, layer, converted))
            return converted
    raise _unsupported("to_torch", where, layer)


def _convert_from_torch(torch: Any, layer: Any, where: str, pairs: list) -> Any:
    """The minigrad module for a torch one; appends (name, minigrad layer, torch layer) for every leaf layer."""
    if isinstance(layer, torch.nn.Sequential):
        children = [_convert_from_torch(torch, child, _join(where, name), pairs)
                    for name, child in layer.named_children()]
        return nn.Sequential(*children)
    for name, _, _, convert in _table():
        if isinstance(layer, getattr(torch.nn, name)):
            converted = convert(layer, where)
            pairs.append((where, converted, layer))
            return converted
    raise _unsupported("from_torch", where, layer)


def _join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _leaves(module: Any) -> Iterator[Any]:
    """The layers of a minigrad model in the order they run (nested Sequentials opened)."""
    if isinstance(module, nn.Sequential):
        for child in module:
            yield from _leaves(child)
    else:
        yield module


# ------------------------------------------------------------ the check --

def _probe_shape(model: Any, caller: str) -> tuple[int, ...]:
    """The input shape of a model, read off its layers: (batch, in_features) for a first Linear,
    (batch, C, H, W) for a first Conv2d or MaxPool2d (see _image_shape)."""
    layers = list(_leaves(model))
    for i, layer in enumerate(layers):
        if isinstance(layer, nn.Linear):
            return (PROBE_BATCH, layer.in_features)
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            return (PROBE_BATCH, *_image_shape(layers[i:], caller))
    return (PROBE_BATCH, 8)  # activations only: any shape will do


def _image_shape(layers: list, caller: str) -> tuple[int, int, int]:
    """(C, H, W) of a square image these layers take: C is the first Conv2d's in_channels (1 if
    no Conv2d comes before a Linear), and H = W the smallest size whose flattened features fit the
    first Linear; when no Linear fixes the size, any size the kernels fit will do: PROBE_SIDE, or
    the smallest that fits if larger."""
    end = next((i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)), len(layers))
    in_features = layers[end].in_features if end < len(layers) else None
    layers = layers[:end]
    channels = next((layer.in_channels for layer in layers if isinstance(layer, nn.Conv2d)), 1)
    for side in range(1 if in_features else PROBE_SIDE, _LARGEST_SIDE + 1):
        features = _features(layers, channels, side)
        if features and (in_features is None or features == in_features):
            return channels, side, side
    target = f"into its first Linear (in_features={in_features})" if in_features else "(the kernels do not fit)"
    raise ValueError(f"{caller}: cannot infer the input size of this conv net: no image (N, {channels}, H, H) "
                     f"with H up to {_LARGEST_SIDE} runs through its layers {target}; "
                     "pass example_input=, an array of shape (N, C, H, W)")


def _features(layers: list, channels: int, side: int) -> int:
    """C·H·W of a side x side image with `channels` channels after these layers; 0 if it shrinks to nothing."""
    height = width = side
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            (kh, kw), (sh, sw), (ph, pw) = _pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding)
            channels = layer.out_channels
            height, width = output_size(height, kh, sh, ph), output_size(width, kw, sw, pw)
        elif isinstance(layer, nn.MaxPool2d):
            (kh, kw), (sh, sw) = _pair(layer.kernel_size), _pair(layer.stride)
            height, width = output_size(height, kh, sh, 0), output_size(width, kw, sw, 0)
        if height < 1 or width < 1:
            return 0
    return channels * height * width


def _model_dtype(caller: str, pairs: list) -> np.dtype:
    """The one dtype of the model's parameters (float32 if it has none); a ValueError naming the first
    two layers that differ if it mixes dtypes, which PyTorch cannot run (its matmul refuses to mix)."""
    dtypes = [(where, layer, p.data.dtype) for where, layer, _ in pairs for p in layer.parameters()]
    if not dtypes:
        return np.dtype(np.float32)
    first = dtypes[0]
    other = next((entry for entry in dtypes if entry[2] != first[2]), None)
    if other is not None:
        fix = "build every layer with the same dtype=" if caller == "to_torch" else "call .float() or .double() on it"
        raise ValueError(f"{caller}: the model mixes dtypes: {_place(first[0])} ({type(first[1]).__name__}) has "
                         f"{first[2]} parameters and {_place(other[0])} ({type(other[1]).__name__}) has {other[2]}; "
                         f"PyTorch runs a model in one dtype: {fix} first")
    return first[2]


def _probe_input(model: Any, dtype: np.dtype, example_input: Any, caller: str) -> np.ndarray:
    """The probe in the model's dtype: `example_input` if given, else seeded normal numbers of the inferred shape."""
    if example_input is None:
        return np.random.default_rng(PROBE_SEED).standard_normal(_probe_shape(model, caller)).astype(dtype)
    if isinstance(example_input, Tensor):
        example_input = example_input.data
    elif hasattr(example_input, "detach"):  # a torch tensor
        example_input = example_input.detach().cpu().numpy()
    return np.array(example_input, dtype=dtype, copy=True)


def _check(torch: Any, caller: str, model: Any, torch_model: Any, pairs: list, example_input: Any) -> None:
    """Run both models on the probe; if they disagree, find the first layer that does and say which."""
    probe = _probe_input(model, _model_dtype(caller, pairs), example_input, caller)
    rtol, atol = TOLERANCE.get(probe.dtype, TOLERANCE[np.dtype(np.float32)])
    device = next(iter(torch_model.parameters()), torch.empty(0)).device  # the torch model runs where it lives

    def run(layer: Any, x: np.ndarray) -> np.ndarray:
        return layer(torch.from_numpy(np.array(x, copy=True)).to(device)).cpu().numpy()

    with no_grad(), torch.no_grad():
        expected = model(Tensor(probe)).data
        got = run(torch_model, probe)
        if expected.shape == got.shape and np.allclose(got, expected, rtol=rtol, atol=atol):
            return
        place = f"in the model as a whole ({type(model).__name__}; each layer agrees alone)"
        x = probe
        for name, mg_layer, torch_layer in pairs:  # each pair fed minigrad's input: the first mismatch is that layer's
            expected_here = mg_layer(Tensor(x)).data
            got_here = run(torch_layer, x)
            if expected_here.shape != got_here.shape or not np.allclose(got_here, expected_here, rtol=rtol, atol=atol):
                place = f"at layer {name!r} ({mg_layer!r})" if name else f"in the model, a single layer ({mg_layer!r})"
                expected, got = expected_here, got_here
                break
            x = expected_here
    difference = (f"max |difference| {float(np.max(np.abs(got - expected))):.3g}" if got.shape == expected.shape
                  else f"shapes {tuple(expected.shape)} (minigrad) and {tuple(got.shape)} (PyTorch)")
    raise ValueError(f"{caller}: the minigrad and PyTorch models give different outputs {place}: {difference} "
                     f"on a probe input of shape {probe.shape} (rtol={rtol}, atol={atol})")


# ------------------------------------------------------------ the API --

def to_torch(module: nn.Module, example_input: Any = None) -> Any:
    """The equivalent `torch.nn` module, holding copies of `module`'s weights (same dtypes),
    checked to give the same outputs on a probe input. The probe's shape is read off the layers:
    a conv net's height and width are the smallest that fit its first Linear, or, with no Linear
    after the convolutions, any size the kernels fit. `example_input` (an array or Tensor)
    chooses the probe instead; it is needed only when no square image fits the first Linear."""
    torch = _import_torch("to_torch")
    pairs: list = []
    converted = _convert_to_torch(torch, module, "", pairs)
    _check(torch, "to_torch", module, converted, pairs, example_input)
    return converted


def from_torch(torch_module: Any, example_input: Any = None) -> nn.Module:
    """A fresh minigrad module equivalent to `torch_module`, holding copies of its weights
    (same dtypes), checked to give the same outputs on a probe input. Layers are named by
    position, as minigrad's Sequential names them. Building the layers leaves minigrad's
    seeded generator (manual_seed) where it was."""
    torch = _import_torch("from_torch")
    from minigrad.core.creation import generator
    state = generator().bit_generator.state  # the layers draw initial weights that are then replaced
    pairs: list = []
    try:
        converted = _convert_from_torch(torch, torch_module, "", pairs)
    finally:
        generator().bit_generator.state = state
    _check(torch, "from_torch", converted, torch_module, pairs, example_input)
    return converted
