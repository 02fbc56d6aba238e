"""Modules: parameter discovery and names, Linear, Sequential, train/eval,
state_dict round trips and their errors, and the activation and loss modules."""

import math
import re

import numpy as np
import pytest

import minigrad as mg
import minigrad.functional as F
from minigrad import Tensor, nn


class Block(nn.Module):
    def __init__(self):
        self.layers = [nn.Linear(2, 3), nn.Linear(3, 1)]
        self.scale = Tensor([1.0], requires_grad=True)
        self.constant = Tensor([5.0])                 # no grad: not a parameter

    def forward(self, x):
        return self.layers[1](self.layers[0](x).relu()) * self.scale


class Model(nn.Module):
    def __init__(self):
        self.encoder = Block()
        self.head = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.encoder(x))


def test_parameters_are_found_through_attributes_lists_and_nested_modules_with_dotted_names():
    # PyTorch's order: each module's own parameters, then its submodules', depth first
    assert [name for name, _ in Model().named_parameters()] == [
        "encoder.scale", "encoder.layers.0.weight", "encoder.layers.0.bias", "encoder.layers.1.weight",
        "encoder.layers.1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]


def test_parameters_in_dicts_and_nested_lists_are_found_with_their_keys():
    class Holder(nn.Module):
        def __init__(self):
            self.heads = {"left": nn.Linear(2, 1)}
            self.grid = [[nn.Linear(1, 1)]]

    assert [name for name, _ in Holder().named_parameters()] == [
        "heads.left.weight", "heads.left.bias", "grid.0.0.weight", "grid.0.0.bias"]


def test_a_tensor_computed_in_forward_and_kept_is_not_a_parameter():
    class Caching(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 1)

        def forward(self, x):
            self.last = self.layer(x)
            return self.last

    model = Caching()
    model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert [name for name, _ in model.named_parameters()] == ["layer.weight", "layer.bias"]


def test_a_back_reference_to_the_parent_module_does_not_loop():
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].parent = model
    assert len(list(model.modules())) == 2 and len(list(model.parameters())) == 2


def test_a_parameter_shared_by_two_layers_is_listed_once():
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    model[1].weight = model[0].weight
    assert len(list(model.parameters())) == 3


def test_module_zero_grad_clears_every_parameter_grad():
    model = Model()
    model(Tensor(np.ones((3, 2)))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_train_and_eval_set_the_mode_of_every_submodule():
    model = Model()
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_linear_weight_has_pytorch_shape_and_initialisation_bound():
    mg.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == np.float32
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.99 * bound
    assert abs(layer.weight.data.mean()) < 0.1 * bound          # centred: uniform on [-bound, bound]


def test_linear_computes_x_times_w_transposed_plus_b():
    layer = nn.Linear(3, 2)
    x = np.arange(6.0).reshape(2, 3).astype(np.float32)
    np.testing.assert_allclose(layer(Tensor(x)).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-6)


def test_linear_without_bias_has_only_a_weight():
    assert [name for name, _ in nn.Linear(3, 2, bias=False).named_parameters()] == ["weight"]


def test_manual_seed_makes_initialisation_reproducible():
    mg.manual_seed(3)
    first = nn.Linear(4, 4).weight.data.copy()
    mg.manual_seed(3)
    assert np.array_equal(nn.Linear(4, 4).weight.data, first)


def test_linear_names_the_expected_input_width():
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\): input has shape \(5, 4\), expected a last dimension of 3"):
        nn.Linear(3, 2)(Tensor(np.ones((5, 4))))


def test_sequential_applies_modules_in_order_and_indexes_like_a_list():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = Tensor(np.ones((4, 2), dtype=np.float32))
    expected = model[2](model[1](model[0](x)))
    np.testing.assert_array_equal(model(x).data, expected.data)
    assert len(model) == 3 and isinstance(model[-1], nn.Linear)
    model.eval()
    assert len(model) == 3                                   # the training flag is not a layer


def test_sequential_slice_is_a_sequential_of_those_layers():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    body = model[:2]
    assert isinstance(body, nn.Sequential) and len(body) == 2 and body[0] is model[0]
    assert body(Tensor(np.ones((4, 2), dtype=np.float32))).shape == (4, 3)


def test_a_module_attached_to_a_sequential_by_name_is_not_a_layer():
    model = nn.Sequential(nn.Linear(2, 3))
    model.probe = nn.Linear(3, 5)
    assert len(model) == 1 and model(Tensor(np.ones((1, 2), dtype=np.float32))).shape == (1, 3)


def test_sequential_refuses_a_non_module():
    with pytest.raises(TypeError, match="Sequential: argument 1 is a function, expected a Module"):
        nn.Sequential(nn.ReLU(), F.relu)


def test_repr_shows_the_structure_like_pytorch():
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): ReLU()\n)")


def test_state_dict_round_trip_restores_the_outputs():
    x = Tensor(np.ones((2, 2), dtype=np.float32))
    source, target = Model(), Model()
    target.load_state_dict(source.state_dict())
    np.testing.assert_array_equal(target(x).data, source(x).data)


def test_state_dict_is_a_copy_not_a_view_of_the_weights():
    model = nn.Linear(2, 2)
    saved = model.state_dict()
    model.weight.data += 1
    assert not np.array_equal(saved["weight"], model.weight.data)


def test_load_state_dict_writes_in_place_keeping_dtype():
    model = nn.Linear(2, 2)
    weight_array = model.weight.data
    model.load_state_dict({"weight": np.zeros((2, 2)), "bias": np.zeros(2)})
    assert model.weight.data is weight_array and weight_array.dtype == np.float32 and not weight_array.any()


@pytest.mark.parametrize("change, error, pattern", [
    (lambda d: d.pop("bias"), ValueError, r"missing keys \['bias'\]"),
    (lambda d: d.update(extra=np.zeros(1)), ValueError, r"unexpected keys \['extra'\]"),
    (lambda d: d.update(weight=np.zeros((3, 2))), ValueError, r"weight: checkpoint \(3, 2\) float64, model \(2, 2\)"),
], ids=["missing", "unexpected", "misshaped"])
def test_load_state_dict_refuses_a_bad_key_and_changes_nothing(change, error, pattern):
    model = nn.Linear(2, 2)
    before = model.state_dict()
    state = {name: np.full_like(value, 7.0) for name, value in before.items()}
    change(state)
    with pytest.raises(error, match=pattern):
        model.load_state_dict(state)
    assert all(np.array_equal(model.state_dict()[name], before[name]) for name in before)


def test_load_state_dict_accepts_tensors_as_values():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": Tensor(np.eye(2)), "bias": Tensor(np.zeros(2))})
    assert model.weight.data.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def test_load_state_dict_not_strict_ignores_missing_and_unexpected_keys():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": np.zeros((2, 2)), "extra": np.ones(3)}, strict=False)
    assert not model.weight.data.any()


@pytest.mark.parametrize("module, function", [
    (nn.Sigmoid(), F.sigmoid), (nn.Tanh(), F.tanh), (nn.ReLU(), F.relu),
    (nn.Softmax(axis=0), lambda x: F.softmax(x, axis=0)), (nn.LogSoftmax(), F.log_softmax),
], ids=["Sigmoid", "Tanh", "ReLU", "Softmax", "LogSoftmax"])
def test_activation_modules_equal_their_functions(module, function):
    x = Tensor(np.linspace(-2, 2, 6).reshape(2, 3))
    np.testing.assert_array_equal(module(x).data, function(x).data)


LOGITS = Tensor(np.array([[1.0, -1.0, 0.5], [0.2, 0.3, -2.0]]))
LABELS = np.array([2, 0])
PROBS = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]])


@pytest.mark.parametrize("module, call", [
    (nn.MSELoss(reduction="sum"), lambda: F.mse_loss(LOGITS, PROBS, reduction="sum")),
    (nn.L1Loss(), lambda: F.l1_loss(LOGITS, PROBS)),
    (nn.HuberLoss(delta=0.5), lambda: F.huber_loss(LOGITS, PROBS, delta=0.5)),
    (nn.BCELoss(weight=np.array([1.0, 2.0, 3.0])),
     lambda: F.binary_cross_entropy(LOGITS.sigmoid(), PROBS, weight=np.array([1.0, 2.0, 3.0]))),
    (nn.BCEWithLogitsLoss(pos_weight=np.array([1.0, 2.0, 3.0])),
     lambda: F.binary_cross_entropy_with_logits(LOGITS, PROBS, pos_weight=np.array([1.0, 2.0, 3.0]))),
    (nn.CrossEntropyLoss(weight=np.array([1.0, 2.0, 3.0]), label_smoothing=0.1),
     lambda: F.cross_entropy(LOGITS, LABELS, weight=np.array([1.0, 2.0, 3.0]), label_smoothing=0.1)),
    (nn.NLLLoss(), lambda: F.nll_loss(LOGITS.log_softmax(), LABELS)),
    (nn.KLDivLoss(reduction="batchmean"), lambda: F.kl_div(LOGITS.log_softmax(), PROBS, reduction="batchmean")),
    (nn.MultiMarginLoss(margin=0.5), lambda: F.multi_margin_loss(LOGITS, LABELS, margin=0.5)),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else "")
def test_loss_modules_equal_their_functions_with_the_same_keywords(module, call):
    prediction = {nn.BCELoss: LOGITS.sigmoid(), nn.NLLLoss: LOGITS.log_softmax(),
                  nn.KLDivLoss: LOGITS.log_softmax()}.get(type(module), LOGITS)
    target = LABELS if isinstance(module, (nn.CrossEntropyLoss, nn.NLLLoss, nn.MultiMarginLoss)) else PROBS
    assert module(prediction, target).item() == call().item()


def test_loss_modules_forward_the_fused_switch():
    z, labels = Tensor(np.array([[0.3, -0.2]]), requires_grad=True), np.array([0])
    fused_op = type(F.cross_entropy(z, labels).grad_fn)
    assert type(nn.CrossEntropyLoss()(z, labels).grad_fn) is fused_op
    assert type(nn.CrossEntropyLoss(fused=False)(z, labels).grad_fn) is not fused_op


def test_calling_a_model_names_its_parameters_by_their_dotted_paths():
    model = Model()
    model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert [p.name for p in model.parameters()] == [name for name, _ in model.named_parameters()]


def test_a_parameter_keeps_a_name_given_by_hand():
    model = nn.Sequential(nn.Linear(2, 1))
    model[0].weight.name = "W"
    model(Tensor(np.ones((1, 2), dtype=np.float32)))
    assert (model[0].weight.name, model[0].bias.name) == ("W", "0.bias")


def test_attributes_whose_names_start_with_an_underscore_are_found_too():
    class Private(nn.Module):
        def __init__(self):
            self._scale = Tensor([2.0], requires_grad=True)
            self._inner = nn.Linear(2, 2)

    assert [name for name, _ in Private().named_parameters()] == ["_scale", "_inner.weight", "_inner.bias"]


@pytest.mark.parametrize("data, got", [
    (np.ones((4, 2), dtype=np.float32), "numpy.ndarray"),
    ([[0.0, 1.0], [1.0, 0.0]], "list"),
], ids=["array", "list"])
@pytest.mark.parametrize("make_module, name", [
    (lambda: nn.Linear(2, 1), "Linear"),
    (lambda: nn.Sequential(nn.Linear(2, 3), nn.ReLU()), "Sequential"),
    (lambda: nn.ReLU(), "ReLU"),
    (lambda: Block(), "Block"),
], ids=["Linear", "Sequential", "ReLU", "custom"])
def test_calling_a_module_on_data_that_is_not_a_tensor_says_wrap_it(make_module, name, data, got):
    with pytest.raises(TypeError, match=re.escape(f"{name}: expected a Tensor input, got {got}; wrap it: Tensor(X)")):
        make_module()(data)


def test_calling_a_module_on_an_array_is_refused_under_no_grad_too():
    with mg.no_grad(), pytest.raises(TypeError, match="wrap it: Tensor"):
        nn.Linear(2, 1)(np.ones((1, 2), dtype=np.float32))


def test_a_loss_module_given_predictions_as_an_array_says_wrap_it():
    with pytest.raises(TypeError, match=re.escape("MSELoss: expected a Tensor input, got numpy.ndarray")):
        nn.MSELoss()(np.ones(2), np.zeros(2))


def test_a_module_may_take_a_list_of_tensors():
    class Total(nn.Module):
        def forward(self, xs):
            return mg.stack(xs).sum()

    assert Total()([Tensor([1.0]), Tensor([2.0])]).item() == 3.0


@pytest.mark.parametrize("arguments, error, message", [
    ((2.5, 3), TypeError, "Linear: in_features must be an int, got 2.5 (float)"),
    ((2, "3"), TypeError, "Linear: out_features must be an int, got '3' (str)"),
    ((True, 3), TypeError, "Linear: in_features must be an int, got True (bool)"),
    ((0, 3), ValueError, "Linear: in_features must be >= 1, got 0"),
    ((2, -1), ValueError, "Linear: out_features must be >= 1, got -1"),
], ids=["float-in", "str-out", "bool-in", "zero-in", "negative-out"])
def test_linear_refuses_sizes_that_are_not_positive_ints(arguments, error, message):
    with pytest.raises(error, match=re.escape(message)):
        nn.Linear(*arguments)


def test_linear_accepts_numpy_integer_sizes():
    layer = nn.Linear(np.int64(2), np.int64(3))
    assert layer.weight.shape == (3, 2) and type(layer.in_features) is int


@pytest.mark.parametrize("state, message", [
    ("x.npz", "load_state_dict: got a str ('x.npz'); expected a state_dict (a dict of name -> array); "
              "to load a file, use model.load_state_dict(mg.load(path))"),
    (nn.Linear(2, 2), "load_state_dict: got a Linear (a Module); expected a state_dict (a dict of name -> array): "
                      "pass other.state_dict()"),
    ([np.zeros((2, 2)), np.zeros(2)], "load_state_dict: got a list; expected a state_dict (a dict of name -> array)"),
], ids=["path", "module", "list"])
def test_load_state_dict_given_something_else_is_a_type_error_saying_what_to_pass(state, message):
    model = nn.Linear(2, 2)
    before = model.state_dict()
    with pytest.raises(TypeError, match=re.escape(message)):
        model.load_state_dict(state)
    assert all(np.array_equal(model.state_dict()[name], before[name]) for name in before)


def test_load_state_dict_given_a_pathlib_path_says_to_load_the_file_first(tmp_path):
    with pytest.raises(TypeError, match=re.escape("use model.load_state_dict(mg.load(path))")):
        nn.Linear(2, 2).load_state_dict(tmp_path / "x.npz")


def test_linear_of_an_integer_input_has_the_weights_dtype_and_the_values_of_the_float_input():
    mg.manual_seed(0)
    layer = nn.Linear(3, 2)  # float32
    x = np.arange(6).reshape(2, 3)
    for dtype in (np.int64, np.int32, np.uint8, np.bool_):
        out = layer(Tensor(x.astype(dtype)))
        assert out.dtype == np.float32, dtype
        np.testing.assert_array_equal(out.data, layer(Tensor(x.astype(dtype).astype(np.float32))).data)
