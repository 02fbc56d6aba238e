"""Checkpoints in the safetensors format: `save` writes it when the path ends in
'.safetensors', with the same atomic write as .npz; `load` tells it by its
content, reads it without trusting its header, and the `safetensors`
package reads our files and we read its."""

import json
import os
import re

import numpy as np
import pytest

import minigrad as mg
from minigrad import Tensor, nn
from minigrad.checkpoint import load, save

NOT_SAFETENSORS = "is not a valid .safetensors file"


def model_state():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    state = model.state_dict()
    state["0.weight64"] = state["0.weight"].astype(np.float64)
    state["steps"] = np.array([3, 2**40], dtype=np.int64)
    return state


def assert_same(loaded, state):
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)


def test_a_round_trip_of_a_models_state_dict_keeps_names_values_and_dtypes(tmp_path):
    state = model_state()
    save(state, tmp_path / "model.safetensors")
    assert_same(load(tmp_path / "model.safetensors"), state)


def test_a_path_ending_in_safetensors_gets_that_format_and_others_get_npz(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "model.SafeTensors")
    save({"w": np.ones(2)}, tmp_path / "model.npz")
    header_size = int.from_bytes((tmp_path / "model.SafeTensors").read_bytes()[:8], "little")
    assert (tmp_path / "model.SafeTensors").read_bytes()[8:9] == b"{" and header_size % 8 == 0
    assert (tmp_path / "model.npz").read_bytes()[:2] == b"PK"


def test_the_format_is_told_by_the_content_not_the_name(tmp_path):
    save({"w": np.arange(3.0)}, tmp_path / "model.safetensors")
    os.rename(tmp_path / "model.safetensors", tmp_path / "model.bin")
    assert load(tmp_path / "model.bin")["w"].tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("write", [
    lambda path: save({"w": np.arange(3.0)}, path),
    lambda path: np.savez_compressed(path, w=np.arange(3.0)),
], ids=["minigrad", "numpy-compressed"])
def test_an_npz_file_named_safetensors_is_read_as_npz(tmp_path, write):
    write(tmp_path / "model.npz")
    os.rename(tmp_path / "model.npz", tmp_path / "model.safetensors")
    assert load(tmp_path / "model.safetensors")["w"].tolist() == [0.0, 1.0, 2.0]


def test_an_empty_npz_file_named_safetensors_is_read_as_npz(tmp_path):
    save({}, tmp_path / "model.npz")
    os.rename(tmp_path / "model.npz", tmp_path / "model.safetensors")
    assert load(tmp_path / "model.safetensors") == {}


def test_an_npy_file_named_safetensors_is_refused_for_having_no_names(tmp_path):
    from test_checkpoint import NOT_A_CHECKPOINT, npy_bytes
    path = tmp_path / "model.safetensors"
    path.write_bytes(npy_bytes())
    with pytest.raises(ValueError, match=re.escape(f"{NOT_A_CHECKPOINT}: it holds a single array (.npy)")):
        load(path)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
                                   "float16", "float32", "float64"])
def test_every_dtype_the_format_stores_round_trips(tmp_path, dtype):
    array = np.arange(6).reshape(3, 2).astype(dtype)
    save({"a": array, "empty": np.zeros((0, 4), dtype=dtype)}, tmp_path / "m.safetensors")
    assert_same(load(tmp_path / "m.safetensors"), {"a": array, "empty": np.zeros((0, 4), dtype=dtype)})


def test_tensors_fortran_order_big_endian_and_an_empty_state_dict_are_saved_as_their_values(tmp_path):
    weight = Tensor(np.array([[1.5, -2.0]], dtype=np.float32), requires_grad=True)
    fortran, big = np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(3, dtype=">i4")
    save({"weight": weight, "f": fortran, "b": big}, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    assert loaded["weight"].tolist() == [[1.5, -2.0]] and loaded["weight"].dtype == np.float32
    np.testing.assert_array_equal(loaded["f"], fortran)
    assert loaded["b"].tolist() == [0, 1, 2] and loaded["b"].dtype == np.dtype("int32")
    save({}, tmp_path / "empty.safetensors")
    assert load(tmp_path / "empty.safetensors") == {}


def test_loaded_arrays_are_writable_and_a_plain_dict(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    loaded = load(tmp_path / "m.safetensors")
    loaded["w"] += 1
    assert type(loaded) is dict and loaded["w"].tolist() == [2.0, 2.0]


@pytest.mark.parametrize("state, message", [
    ({"z": np.ones(2, dtype=np.complex128)}, "save: 'z' has dtype complex128, which the safetensors format cannot"),
    ({"s": np.array(["a"])}, "save: 's' has dtype <U1, which the safetensors format cannot store"),
], ids=["complex", "strings"])
def test_a_dtype_the_format_cannot_store_is_a_type_error_that_leaves_the_previous_file(tmp_path, state, message):
    path = tmp_path / "m.safetensors"
    save({"w": np.ones(3)}, path)
    with pytest.raises(TypeError, match=re.escape(message)):
        save(state, path)
    assert os.listdir(tmp_path) == ["m.safetensors"] and load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_the_name_metadata_is_refused_and_names_npz_refuses_are_kept(tmp_path):
    with pytest.raises(ValueError, match="save: name '__metadata__' is reserved by the safetensors format"):
        save({"__metadata__": np.ones(2)}, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []
    save({"a.npy": np.ones(1), "a\0b": np.zeros(1), "layers/0.weight": np.ones(2)}, tmp_path / "m.safetensors")
    assert list(load(tmp_path / "m.safetensors")) == ["a.npy", "a\0b", "layers/0.weight"]


# ----------------------------------------------------- the atomic write, as for .npz --

@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "interrupted"])
def test_a_save_that_fails_midway_keeps_the_previous_file_and_leaves_no_temporary_file(tmp_path, monkeypatch, error):
    from minigrad import checkpoint
    path = tmp_path / "m.safetensors"
    save({"w": np.ones(3)}, path)
    real, calls = checkpoint._little_endian_bytes, []

    def fail_at_the_second_array(array):
        calls.append(array)
        if len(calls) == 2:
            raise error
        return real(array)

    monkeypatch.setattr(checkpoint, "_little_endian_bytes", fail_at_the_second_array)
    with pytest.raises(type(error)):
        save({"w": np.zeros(3), "b": np.zeros(2)}, path)
    assert len(calls) == 2
    assert os.listdir(tmp_path) == ["m.safetensors"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_the_new_file_reaches_the_disk_before_it_replaces_the_old(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda *paths: (events.append("replace"), real_replace(*paths)))
    save({"w": np.ones(2)}, tmp_path / "m.safetensors")
    assert events == ["fsync", "replace"]


def test_saving_through_a_symlink_writes_its_target_in_the_format_of_the_name_given(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "best.bin", tmp_path / "model.safetensors"
    save({"w": np.ones(2)}, target)
    link.symlink_to(os.path.join("runs", "best.bin"))
    save({"w": np.zeros(2)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "best.bin")
    assert target.read_bytes()[8:9] == b"{" and load(target)["w"].tolist() == [0.0, 0.0]
    assert sorted(os.listdir(tmp_path / "runs")) == ["best.bin"]


def test_saving_again_keeps_the_permissions_and_a_new_file_gets_those_of_any_new_file(tmp_path):
    (tmp_path / "reference").write_bytes(b"")
    path = tmp_path / "m.safetensors"
    save({"w": np.ones(2)}, path)
    assert os.stat(path).st_mode == os.stat(tmp_path / "reference").st_mode
    os.chmod(path, 0o640)
    save({"w": np.zeros(2)}, path)
    assert os.stat(path).st_mode & 0o7777 == 0o640


# ------------------------------------------------ forged and damaged files, refused --

def safetensors_bytes(header, data=b"", header_size=None):
    text = json.dumps(header).encode() if isinstance(header, (dict, list)) else header
    return (len(text) if header_size is None else header_size).to_bytes(8, "little") + text + data


def refused(path, why):
    """pytest.raises for load's refusal of `path`, a ValueError naming it and saying `why`."""
    return pytest.raises(ValueError, match=re.escape(f"load: {str(path)!r} {NOT_SAFETENSORS}: ") + why)


F32 = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}


@pytest.mark.parametrize("content, why", [
    (b"", r"it is 0 bytes long, too short"),
    (b"\x10\x00", r"it is 2 bytes long, too short"),
    (safetensors_bytes({"w": F32}, bytes(8), header_size=10**15), r"its header length, 1000000000000000 bytes, runs past"),
    (safetensors_bytes(b'{"w": [1, 2', bytes(8)), r"its header is not well-formed JSON"),
    (safetensors_bytes(b'{"w": "\xff"}'), r"its header is not well-formed JSON"),
    (safetensors_bytes([1, 2]), r"its header is a JSON list, not an object"),
    (safetensors_bytes(b'{"w": %s, "w": %s}' % (json.dumps(F32).encode(), json.dumps(F32).encode()), bytes(8)),
     r"its header names 'w' more than once"),
    (safetensors_bytes({"__metadata__": {"format": 1}}), r"its '__metadata__' is not an object of str -> str"),
    (safetensors_bytes({"w": {"dtype": "F32", "shape": [2]}}, bytes(8)), r"tensor 'w' is described by .*not by exactly"),
    (safetensors_bytes({"w": {**F32, "dtype": "BF16"}}, bytes(4)), r"tensor 'w' has dtype 'BF16', which minigrad does not read"),
    (safetensors_bytes({"w": {**F32, "dtype": "O"}}, bytes(8)), r"tensor 'w' has dtype 'O'"),
    (safetensors_bytes({"w": {**F32, "dtype": ["F32"]}}, bytes(8)), r"tensor 'w' has dtype \['F32'\], which"),
    (safetensors_bytes({"w": {**F32, "shape": [-2]}}, bytes(8)), r"tensor 'w' has shape \[-2\], not a list of non-negative"),
    (safetensors_bytes({"w": {**F32, "shape": [True, 2]}}, bytes(8)), r"tensor 'w' has shape \[true, 2\]|tensor 'w' has shape \[True, 2\]"),
    (safetensors_bytes({"w": {**F32, "data_offsets": [8, 0]}}, bytes(8)), r"tensor 'w' has data_offsets \[8, 0\], not \[begin, end\]"),
    (safetensors_bytes({"w": {**F32, "shape": [10**12]}}, bytes(8)),
     r"tensor 'w' declares shape \(1000000000000,\) F32, 4000000000000 bytes, but its data_offsets \[0, 8\] span 8"),
    (safetensors_bytes({"w": {**F32, "shape": [10**12], "data_offsets": [0, 4 * 10**12]}}, bytes(8)),
     r"its tensors cover 4000000000000 bytes of data, but the file holds 8 after the header: it is cut short"),
    (safetensors_bytes({"w": F32, "v": {**F32, "data_offsets": [4, 12]}}, bytes(12)),
     r"tensor 'v' starts at byte 4 of the data, but the tensors before it end at byte 8: they overlap"),
    (safetensors_bytes({"w": F32, "v": {**F32, "data_offsets": [12, 20]}}, bytes(20)),
     r"tensor 'v' starts at byte 12 of the data, but the tensors before it leave bytes 8..12 unused"),
    (safetensors_bytes({"w": F32}, bytes(12)), r"its tensors cover 8 bytes of data, but the file holds 12"),
], ids=["empty", "two-bytes", "header-past-the-end", "cut-json", "not-utf8", "json-list", "repeated-name",
        "metadata-not-str", "missing-field", "bf16", "unknown-dtype", "dtype-not-a-str", "negative-shape", "bool-in-shape",
        "reversed-offsets", "shape-disagrees-with-offsets", "offsets-past-the-end", "overlap", "gap", "trailing-bytes"])
def test_a_forged_or_damaged_safetensors_file_is_a_value_error_naming_it_and_what_is_wrong(tmp_path, content, why):
    path = tmp_path / "m.safetensors"
    path.write_bytes(content)
    with refused(path, why):
        load(path)


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save(model_state(), path)
    data = path.read_bytes()
    for size in (4, 20, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(ValueError, match=re.escape(f"load: {str(path)!r} {NOT_SAFETENSORS}: ")):
            load(path)


def test_a_pickle_named_safetensors_is_refused_and_never_unpickled(tmp_path):
    from test_checkpoint import write_pickle_payload
    path, marker = tmp_path / "m.safetensors", tmp_path / "marker"
    write_pickle_payload(path, marker)
    with pytest.raises(ValueError, match=re.escape(f"load: {str(path)!r} {NOT_SAFETENSORS}")):
        load(path)
    assert not marker.exists()


def test_a_pickle_named_npz_is_still_refused_as_not_a_checkpoint(tmp_path):
    from test_checkpoint import NOT_A_CHECKPOINT, write_pickle_payload
    path, marker = tmp_path / "m.npz", tmp_path / "marker"
    write_pickle_payload(path, marker)
    with pytest.raises(ValueError, match=re.escape(f"load: {str(path)!r} {NOT_A_CHECKPOINT}")):
        load(path)
    assert not marker.exists()


# ---------------------------------------------- the reference package, both ways --

def test_the_safetensors_packages_numpy_loader_reads_our_file(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="the safetensors extra is not installed")
    state = model_state()
    save(state, tmp_path / "m.safetensors")
    loaded = safetensors_numpy.load_file(tmp_path / "m.safetensors")
    assert_same({name: loaded[name] for name in state}, state)


def test_we_read_a_file_the_safetensors_package_wrote_with_its_metadata(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy", reason="the safetensors extra is not installed")
    state = {**model_state(), "mask": np.array([True, False]), "half": np.ones(3, dtype=np.float16)}
    safetensors_numpy.save_file(state, tmp_path / "m.safetensors", metadata={"format": "np"})
    loaded = load(tmp_path / "m.safetensors")
    assert_same({name: loaded[name] for name in state}, state)


def test_a_model_reloads_its_state_from_a_safetensors_file(tmp_path):
    state = model_state()
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    save(model.state_dict(), tmp_path / "m.safetensors")
    mg.manual_seed(1)
    other = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    other.load_state_dict(load(tmp_path / "m.safetensors"))
    np.testing.assert_array_equal(other.state_dict()["2.weight"], state["2.weight"])


def test_pytorch_loads_our_file_into_the_same_architecture_and_computes_the_same_outputs(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is not installed (CI may install torch==2.13.0)")
    safetensors_torch = pytest.importorskip("safetensors.torch", reason="the safetensors extra is not installed")
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    save(model.state_dict(), tmp_path / "m.safetensors")
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    torch_model.load_state_dict(safetensors_torch.load_file(tmp_path / "m.safetensors"), strict=True)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(torch_model(torch.from_numpy(x)).numpy(), model(Tensor(x)).data, atol=1e-6)
