"""minigrad.interop: to_torch and from_torch round trips (MLP and CNN, float32 and
float64), weights copied not shared, training continued on the other side, the
probe check naming the layer that differs, the probe's shape read off the layers,
unsupported layers and dtypes refused, and the ImportError when torch is missing.

The tests that need PyTorch are skipped when it is not installed (torch is never
a dependency of minigrad); the project runs them with torch==2.13.0.
"""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, nn

SKIP_REASON = "PyTorch is not installed (optional; pip install torch==2.13.0 to run the interop tests)"


@pytest.fixture
def torch():
    return pytest.importorskip("torch", reason=SKIP_REASON)


def mlp(dtype=np.float32):
    mg.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 16, dtype=dtype), nn.Tanh(), nn.Linear(16, 8, dtype=dtype), nn.ReLU(),
                         nn.Sequential(nn.Linear(8, 3, dtype=dtype), nn.Sigmoid()), nn.Linear(3, 3, dtype=dtype),
                         nn.LogSoftmax(axis=-1))


def cnn(dtype=np.float32):
    """The digits CNN's shape: 8x8 images, one channel."""
    mg.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 6, 3, padding=1, dtype=dtype), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 4, (3, 2), stride=(1, 2), dtype=dtype), nn.Tanh(), nn.Flatten(),
                         nn.Linear(4 * 2 * 2, 10, dtype=dtype), nn.Softmax(axis=1))


BUILDERS = {"mlp": (mlp, (5, 4)), "cnn": (cnn, (5, 1, 8, 8))}


def inputs(shape, dtype=np.float32, seed=1):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def torch_output(torch, model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


# ------------------------------------------------------- without torch --

def test_importing_interop_does_not_import_torch():
    code = "import sys, minigrad.interop; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("function", ["to_torch", "from_torch"])
def test_without_torch_the_module_imports_and_calling_it_says_how_to_install_torch(monkeypatch, function):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    monkeypatch.delitem(sys.modules, "minigrad.interop", raising=False)
    interop = importlib.import_module("minigrad.interop")
    with pytest.raises(ImportError, match=rf"minigrad\.interop\.{function} needs PyTorch.*pip install torch"):
        getattr(interop, function)(mlp())


def test_supported_layers_lists_every_converted_layer():
    from minigrad.interop import supported_layers
    assert supported_layers() == ["Sequential", "Linear", "Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax",
                                  "Conv2d", "MaxPool2d", "Flatten"]


# ---------------------------------------------------------- round trips --

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_round_trip_keeps_outputs_weights_names_and_dtype(torch, kind, dtype):
    from minigrad.interop import from_torch, to_torch
    build, shape = BUILDERS[kind]
    model = build(dtype)
    x = inputs(shape, dtype)
    expected = model(Tensor(x)).data

    torch_model = to_torch(model)
    assert isinstance(torch_model, torch.nn.Sequential)
    torch_state = {name: value.numpy() for name, value in torch_model.state_dict().items()}
    assert list(torch_state) == list(model.state_dict())  # the same names, in the same order
    for name, value in model.state_dict().items():
        assert torch_state[name].dtype == dtype
        np.testing.assert_array_equal(torch_state[name], value)
    np.testing.assert_allclose(torch_output(torch, torch_model, x), expected, rtol=1e-5, atol=1e-6)

    back = from_torch(torch_model)
    assert type(back) is nn.Sequential and repr(back) == repr(model)
    for (name, value), (back_name, back_value) in zip(model.state_dict().items(), back.state_dict().items()):
        assert name == back_name and back_value.dtype == dtype
        np.testing.assert_array_equal(back_value, value)
    np.testing.assert_array_equal(back(Tensor(x)).data, expected)


def test_weights_are_copied_not_shared(torch):
    from minigrad.interop import from_torch, to_torch
    model = mlp()
    torch_model = to_torch(model)
    before = model.state_dict()
    with torch.no_grad():
        for p in torch_model.parameters():
            p.add_(1.0)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])

    back = from_torch(torch_model)
    torch_before = {name: value.clone() for name, value in torch_model.state_dict().items()}
    for p in back.parameters():
        p.data += 1.0
    for name, value in torch_model.state_dict().items():
        assert torch.equal(value, torch_before[name])


def test_a_torch_sequential_with_named_layers_comes_back_named_by_position(torch):
    from collections import OrderedDict

    from minigrad.interop import from_torch
    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(OrderedDict(hidden=torch.nn.Linear(3, 5), act=torch.nn.ReLU(),
                                                  out=torch.nn.Linear(5, 2)))
    model = from_torch(torch_model)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    np.testing.assert_array_equal(model[2].weight.data, torch_model.out.weight.detach().numpy())


def test_from_torch_leaves_minigrads_seeded_generator_where_it_was(torch):
    from minigrad.interop import from_torch
    refused = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Conv2d(1, 2, 3, dilation=2))
    mg.manual_seed(7)
    expected = mg.randn(3).data
    mg.manual_seed(7)
    with pytest.raises(ValueError, match="dilation"):  # refused after its Linear was built: the generator is restored
        from_torch(refused)
    from_torch(torch.nn.Sequential(torch.nn.Linear(3, 5)))
    np.testing.assert_array_equal(mg.randn(3).data, expected)


# ---------------------------------------------- continuing the training --

def minigrad_sgd_steps(model, x, y, steps, lr=0.1):
    optimizer = mg.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(Tensor(x)), Tensor(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def torch_sgd_steps(torch, model, x, y, steps, lr=0.1):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(torch.from_numpy(x)), torch.from_numpy(y))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_model_trained_in_minigrad_continues_training_in_torch_and_back(torch, kind):
    from minigrad.interop import from_torch, to_torch
    build, shape = BUILDERS[kind]
    model = build()
    x = inputs(shape, seed=2)
    y = np.eye(model(Tensor(x)).shape[1], dtype=np.float32)[np.arange(shape[0]) % 3]  # one-hot targets
    minigrad_losses = minigrad_sgd_steps(model, x, y, steps=5)
    assert minigrad_losses[-1] < minigrad_losses[0]
    trained_loss = F.mse_loss(model(Tensor(x)), Tensor(y)).item()

    torch_model = to_torch(model)
    torch_losses = torch_sgd_steps(torch, torch_model, x, y, steps=5)
    assert torch_losses[0] == pytest.approx(trained_loss, rel=1e-5)  # PyTorch starts where minigrad stopped
    assert torch_losses[-1] < torch_losses[0]

    back = from_torch(torch_model)
    with torch.no_grad():
        torch_loss = torch.nn.functional.mse_loss(torch_model(torch.from_numpy(x)), torch.from_numpy(y)).item()
    back_losses = minigrad_sgd_steps(back, x, y, steps=5)
    assert back_losses[0] == pytest.approx(torch_loss, rel=1e-5)
    assert back_losses[-1] < back_losses[0]


# ------------------------------------------------- the check and errors --

class DoubledReLU(nn.ReLU):
    """Converted as a ReLU (it is one, by class) but computes 2·relu(x): the probe must catch it."""

    def forward(self, x):
        return x.relu() * 2


def test_to_torch_names_the_layer_that_differs(torch):
    from minigrad.interop import to_torch
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Tanh(), DoubledReLU()), nn.Linear(4, 1))
    with pytest.raises(ValueError, match=r"to_torch: .* different outputs at layer '1\.1' \(DoubledReLU\(\)\)"):
        to_torch(model)


def test_a_model_of_one_layer_that_differs_is_named_without_saying_each_layer_agrees(torch):
    from minigrad.interop import to_torch

    class ShiftedConv2d(nn.Conv2d):
        def forward(self, x):
            return super().forward(x) + 1

    mg.manual_seed(0)
    for model in (DoubledReLU(), ShiftedConv2d(1, 4, 3)):
        with pytest.raises(ValueError, match=r"to_torch: .* different outputs in the model, a single layer "
                                             rf"\({type(model).__name__}\(") as error:
            to_torch(model)
        assert "each layer agrees alone" not in str(error.value)


def test_from_torch_names_the_layer_that_differs(torch):
    from minigrad.interop import from_torch

    class ShiftedLinear(torch.nn.Linear):
        def forward(self, x):
            return super().forward(x) + 1

    torch.manual_seed(0)
    torch_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), ShiftedLinear(4, 2))
    with pytest.raises(ValueError, match=r"from_torch: .* different outputs at layer '2' \(Linear\(in_features=4"):
        from_torch(torch_model)


def test_a_conv_net_no_square_image_fits_needs_example_input(torch):
    from minigrad.interop import from_torch, to_torch
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(10, 1))  # 2·(H-2)·(W-2) = 10: not square
    with pytest.raises(ValueError, match=r"to_torch: cannot infer the input size of this conv net: no image "
                                         r"\(N, 1, H, H\) .*in_features=10.*example_input="):
        to_torch(model)
    x = inputs((2, 1, 3, 7))
    torch_model = to_torch(model, example_input=x)
    np.testing.assert_allclose(torch_output(torch, torch_model, x), model(Tensor(x)).data, rtol=1e-5, atol=1e-6)
    back = from_torch(torch_model, example_input=torch.from_numpy(x))
    np.testing.assert_array_equal(back(Tensor(x)).data, model(Tensor(x)).data)


@pytest.mark.parametrize("make, channels", [
    (lambda: nn.Conv2d(1, 4, 3), 1),
    (lambda: nn.Conv2d(2, 3, 11, stride=2, padding=1), 2),  # the kernel needs more than the default 8x8 probe
    (lambda: nn.MaxPool2d(2), 3),
    (lambda: nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.MaxPool2d(2)), 2),
    (lambda: nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(3, 2, 3, padding=1), nn.Tanh()), 3),
], ids=["conv", "large-kernel", "pool", "conv-stack", "pool-first"])
def test_a_single_layer_or_a_conv_stack_with_no_linear_converts_both_ways_without_example_input(torch, make,
                                                                                                  channels):
    from minigrad.interop import from_torch, to_torch
    mg.manual_seed(0)
    model = make()
    torch_model = to_torch(model)
    back = from_torch(torch_model)
    x = inputs((2, channels, 13, 12))
    np.testing.assert_allclose(torch_output(torch, torch_model, x), model(Tensor(x)).data, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(back(Tensor(x)).data, model(Tensor(x)).data)


class Custom(nn.Module):
    def __init__(self):
        self.layer = nn.Linear(2, 2)

    def forward(self, x):
        return self.layer(x)


def test_unsupported_layers_are_refused_by_name_with_the_supported_list(torch):
    from minigrad.interop import from_torch, to_torch
    with pytest.raises(TypeError, match=r"to_torch: layer '1' is a Custom, which is not converted; "
                                        r"supported: Sequential, Linear, .*Flatten"):
        to_torch(nn.Sequential(nn.Linear(2, 2), Custom()))
    with pytest.raises(TypeError, match=r"to_torch: the model is a Custom"):
        to_torch(Custom())
    with pytest.raises(TypeError, match=r"from_torch: layer '1' is a Dropout, which is not converted; supported:"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Dropout()))


@pytest.mark.parametrize("make, message", [
    (lambda torch: torch.nn.Conv2d(1, 2, 3, dilation=2), r"layer '0' \(Conv2d\) has dilation=\(2, 2\)"),
    (lambda torch: torch.nn.Conv2d(1, 2, 3, groups=1, padding="same"), r"padding='same'"),
    (lambda torch: torch.nn.MaxPool2d(2, ceil_mode=True), r"layer '0' \(MaxPool2d\) has ceil_mode=True"),
    (lambda torch: torch.nn.Flatten(0), r"layer '0' \(Flatten\) has start_dim=0"),
    (lambda torch: torch.nn.Softmax(), r"dim=None"),
])
def test_torch_settings_minigrad_cannot_compute_are_refused(torch, make, message):
    from minigrad.interop import from_torch
    with pytest.raises(ValueError, match=rf"from_torch: .*{message}"):
        from_torch(torch.nn.Sequential(make(torch)))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_from_torch_refuses_half_precision_with_a_value_error_naming_the_layer_and_the_dtype(torch, dtype):
    from minigrad.interop import from_torch
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Conv2d(1, 2, 3))
    model[2].to(getattr(torch, dtype))
    with pytest.raises(ValueError, match=rf"from_torch: layer '2' \(Conv2d\) has its weight in {dtype}; "
                                         r"only float32 and float64 are converted"):
        from_torch(model)


def test_from_torch_of_one_bfloat16_layer_names_the_model_and_the_dtype(torch):
    from minigrad.interop import from_torch
    with pytest.raises(ValueError, match=r"from_torch: the model \(Linear\) has its weight in bfloat16"):
        from_torch(torch.nn.Linear(2, 2).to(torch.bfloat16))


def test_to_torch_refuses_half_precision_with_a_value_error_naming_the_layer_and_the_dtype(torch):
    from minigrad.interop import to_torch
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1, dtype=np.float16)))
    with pytest.raises(ValueError, match=r"to_torch: layer '1\.1' \(Linear\) has parameters in float16; "
                                         r"only float32 and float64 are converted"):
        to_torch(model)


def test_to_torch_refuses_a_model_mixing_float64_and_float32_naming_the_layers_and_the_dtypes(torch):
    from minigrad.interop import to_torch
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3, dtype=np.float64), nn.ReLU(), nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"to_torch: the model mixes dtypes: layer '0' \(Linear\) has float64 "
                                         r"parameters and layer '2' \(Linear\) has float32; PyTorch runs a model in "
                                         r"one dtype"):
        to_torch(model)


def test_from_torch_refuses_a_model_mixing_float64_and_float32_naming_the_layers_and_the_dtypes(torch):
    from minigrad.interop import from_torch
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.Conv2d(2, 2, 3).double())
    with pytest.raises(ValueError, match=r"from_torch: the model mixes dtypes: layer '0' \(Conv2d\) has float32 "
                                         r"parameters and layer '2' \(Conv2d\) has float64"):
        from_torch(model)
