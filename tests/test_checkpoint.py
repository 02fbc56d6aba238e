"""Checkpoints: `save` writes a .npz file atomically and at exactly the path
given; `load` reads it back without pickle, and refuses anything that is not
such a file with a ValueError naming the path."""

import io
import os
import pathlib
import pickle
import re
import struct
import subprocess
import sys
import warnings
import zipfile

import numpy as np
import pytest

import minigrad
from minigrad import Tensor
from minigrad.checkpoint import load, save

NOT_A_CHECKPOINT = "is not a valid minigrad checkpoint (.npz saved by minigrad.save)"


def test_a_round_trip_keeps_names_values_and_dtypes(tmp_path):
    state = {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
             "0.bias": np.array([0.1, -0.2]),
             "steps": np.array([3, 2**40], dtype=np.int64)}
    save(state, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert list(loaded) == list(state)
    for name, array in state.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)


def test_a_tensor_is_saved_as_its_array(tmp_path):
    weight = Tensor(np.array([[1.5, -2.0]], dtype=np.float32), requires_grad=True)
    save({"weight": weight}, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")["weight"]
    assert (loaded.dtype, loaded.tolist()) == (np.float32, [[1.5, -2.0]])


@pytest.mark.parametrize("name", ["file", "allow_pickle", "arr_0", "layers/0.weight"])
def test_any_str_name_round_trips_even_the_keywords_of_np_savez(tmp_path, name):
    save({name: np.ones(2)}, tmp_path / "model.npz")
    assert list(load(tmp_path / "model.npz")) == [name]


def test_load_returns_a_plain_dict_of_arrays_in_memory(tmp_path):
    save({"w": np.ones(3)}, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")
    assert type(loaded) is dict
    assert type(loaded["w"]) is np.ndarray


@pytest.mark.parametrize("name", ["model.npz", "model.ckpt", "weights"])
def test_the_file_is_written_at_exactly_the_path_given(tmp_path, name):
    save({"w": np.ones(2)}, tmp_path / name)
    assert os.listdir(tmp_path) == [name]


def test_a_str_path_works_like_a_pathlib_path(tmp_path):
    save({"w": np.ones(2)}, str(tmp_path / "model.npz"))
    assert load(str(tmp_path / "model.npz"))["w"].tolist() == [1.0, 1.0]


def test_saving_again_replaces_the_checkpoint(tmp_path):
    save({"w": np.ones(2), "old": np.ones(1)}, tmp_path / "model.npz")
    save({"w": np.zeros(2)}, tmp_path / "model.npz")
    assert {name: array.tolist() for name, array in load(tmp_path / "model.npz").items()} == {"w": [0.0, 0.0]}


def test_the_checkpoint_gets_the_permissions_of_any_new_file(tmp_path):
    (tmp_path / "reference").write_bytes(b"")
    save({"w": np.ones(2)}, tmp_path / "model.npz")
    assert os.stat(tmp_path / "model.npz").st_mode == os.stat(tmp_path / "reference").st_mode


def test_the_new_file_reaches_the_disk_before_it_replaces_the_old(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(os, "replace", lambda *paths: (events.append("replace"), real_replace(*paths)))
    save({"w": np.ones(2)}, tmp_path / "model.npz")
    assert events == ["fsync", "replace"]


@pytest.mark.parametrize("error", [OSError("No space left on device"), KeyboardInterrupt()],
                         ids=["disk-full", "interrupted"])
def test_a_save_that_fails_midway_keeps_the_previous_checkpoint_and_leaves_no_temporary_file(
        tmp_path, monkeypatch, error):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    write_array, calls = np.lib.format.write_array, []

    def fail_at_the_second_array(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise error
        write_array(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", fail_at_the_second_array)
    with pytest.raises(type(error)):
        save({"w": np.zeros(3), "b": np.zeros(2)}, path)
    assert len(calls) == 2
    assert os.listdir(tmp_path) == ["model.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("state, message", [
    ({"w": np.array([1, "a", None], dtype=object)}, "save: 'w' has dtype object, which only pickle could store"),
    ({0: np.ones(2)}, "save: names must be str, got 0 of type int"),
    ({"w": [1.0, 2.0]}, "save: 'w' is a list; expected an np.ndarray or a Tensor"),
], ids=["object-array", "int-name", "list-value"])
def test_an_unsavable_state_dict_is_a_type_error_that_leaves_the_previous_checkpoint(tmp_path, state, message):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    with pytest.raises(TypeError, match=re.escape(message)):
        save(state, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_a_missing_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npz")


def refused(path):
    """pytest.raises for load's refusal of `path`, whose message names the path."""
    return pytest.raises(ValueError, match=re.escape(f"load: {str(path)!r} {NOT_A_CHECKPOINT}"))


def test_a_truncated_checkpoint_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    save({"0.weight": np.ones((4, 4)), "0.bias": np.ones(4)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with refused(path):
        load(path)


def npy_bytes():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    return buffer.getvalue()


def zip_bytes():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not an array")
    return buffer.getvalue()


@pytest.mark.parametrize("content", [b"", b"0.weight,0.bias\n1.0,2.0\n", zip_bytes()],
                         ids=["empty", "text", "a-zip-of-text"])
def test_a_file_of_another_format_is_refused(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with refused(path):
        load(path)


def test_a_single_npy_array_is_refused_for_having_no_names(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(npy_bytes())
    with pytest.raises(ValueError, match=re.escape(f"{NOT_A_CHECKPOINT}: it holds a single array (.npy)")):
        load(path)


class CreatesMarkerWhenUnpickled:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return pathlib.Path.touch, (self.marker,)


def write_pickle_payload(path, marker):
    with open(path, "wb") as file:
        pickle.dump({"0.weight": CreatesMarkerWhenUnpickled(marker)}, file)


def test_the_pickle_payload_runs_code_when_unpickled(tmp_path):
    write_pickle_payload(tmp_path / "x.npz", tmp_path / "marker")
    with open(tmp_path / "x.npz", "rb") as file:
        pickle.load(file)
    assert (tmp_path / "marker").exists()


def test_a_pickle_named_npz_is_refused_and_never_unpickled(tmp_path):
    path, marker = tmp_path / "x.npz", tmp_path / "marker"
    write_pickle_payload(path, marker)
    with refused(path):
        load(path)
    assert not marker.exists()


def test_a_name_ending_in_npy_is_refused_because_npz_reserves_it(tmp_path):
    with pytest.raises(ValueError, match=r"save: name 'a.npy' ends in '.npy'"):
        save({"a": np.ones(2), "a.npy": np.zeros(2)}, tmp_path / "model.npz")
    assert not (tmp_path / "model.npz").exists()


def test_a_name_of_254_characters_is_saved_and_loaded(tmp_path):
    if os.pathconf(tmp_path, "PC_NAME_MAX") < 254:
        pytest.skip("this file system's names are shorter")
    path = tmp_path / ("m" * 250 + ".npz")
    save({"w": np.ones(2)}, path)
    assert os.listdir(tmp_path) == [path.name]
    assert load(path)["w"].tolist() == [1.0, 1.0]


def test_saving_through_a_symlink_writes_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target, link = tmp_path / "runs" / "best.npz", tmp_path / "model.npz"
    save({"w": np.ones(2)}, target)
    link.symlink_to(os.path.join("runs", "best.npz"))
    save({"w": np.zeros(2)}, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "best.npz")
    assert load(target)["w"].tolist() == [0.0, 0.0]
    assert sorted(os.listdir(tmp_path / "runs")) == ["best.npz"]


def test_saving_again_keeps_the_permissions_of_the_existing_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.ones(2)}, path)
    os.chmod(path, 0o640)
    save({"w": np.zeros(2)}, path)
    assert os.stat(path).st_mode & 0o7777 == 0o640


@pytest.mark.parametrize("file_name", ["model.npz", "model.safetensors"])
def test_a_name_with_a_lone_surrogate_is_a_value_error_that_leaves_the_previous_checkpoint(tmp_path, file_name):
    path = tmp_path / file_name
    save({"w": np.ones(3)}, path)
    with pytest.raises(ValueError, match=re.escape(r"save: name 'a\udc80' contains a lone surrogate ('\udc80')")):
        save({"ok": np.zeros(2), "a\udc80": np.zeros(2)}, path)
    assert os.listdir(tmp_path) == [file_name]
    assert list(load(path)) == ["w"]


def test_a_name_with_a_nul_byte_is_refused_and_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    with pytest.raises(ValueError, match=re.escape(r"save: name 'a\x00b' contains a NUL byte")):
        save({"a\0b": np.zeros(2), "a": np.zeros(2)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    assert load(path)["w"].tolist() == [1.0, 1.0, 1.0]


def test_a_module_instead_of_its_state_dict_is_a_type_error_saying_what_to_pass(tmp_path):
    from minigrad import nn
    with pytest.raises(TypeError, match=re.escape("save: got a Linear (a Module); expected a state_dict "
                                                  "(a dict of name -> array): pass model.state_dict()")):
        save(nn.Linear(2, 1), tmp_path / "model.npz")
    assert os.listdir(tmp_path) == []


def test_a_path_given_first_is_a_type_error_saying_the_state_dict_comes_first(tmp_path):
    with pytest.raises(TypeError, match=re.escape("save: got a str; expected a state_dict (a dict of name -> array)"
                                                  " first, then the path: save(state_dict, path)")):
        save(str(tmp_path / "model.npz"), {"w": np.ones(2)})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("function, call", [
    ("save", lambda: save({"w": np.ones(2)}, None)),
    ("load", lambda: load({"w": np.ones(2)})),
], ids=["save", "load"])
def test_a_path_that_is_not_a_path_is_a_type_error_naming_the_function(function, call):
    with pytest.raises(TypeError, match=rf"{function}: path must be a str or an os.PathLike, got"):
        call()


def npy_header_claiming(shape, size):
    """The bytes of an .npy file, `size` long and all header, that declares a float64 array of `shape`."""
    header = repr({"descr": "<f8", "fortran_order": False, "shape": shape}).encode("latin1")
    header = header.ljust(size - 11) + b"\n"  # the magic, the version and the header's length take 10 bytes
    return np.lib.format.magic(1, 0) + struct.pack("<H", len(header)) + header


def test_a_100_byte_npy_whose_header_claims_a_trillion_floats_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(npy_header_claiming((10**12,), 100))
    assert path.stat().st_size == 100
    with refused(path):
        load(path)


def test_an_npz_member_whose_header_claims_more_than_it_holds_is_refused_naming_both_sizes(tmp_path):
    path = tmp_path / "model.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", npy_header_claiming((10**12,), 100))
    with pytest.raises(ValueError, match=re.escape(
            f"load: {str(path)!r} {NOT_A_CHECKPOINT}: its member 'w' declares shape (1000000000000,) float64, "
            "8000000000000 bytes, but holds 0")):
        load(path)


def test_an_npz_member_holding_python_objects_is_refused_and_never_unpickled(tmp_path):
    path, marker = tmp_path / "model.npz", tmp_path / "marker"
    buffer = io.BytesIO()
    np.save(buffer, np.array([CreatesMarkerWhenUnpickled(marker)], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("w.npy", buffer.getvalue())
    with pytest.raises(ValueError, match="its member 'w' holds Python objects") as caught:
        load(path)
    assert "allow_pickle" not in str(caught.value)
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"0.weight,0.bias\n1.0,2.0\n", b"hello", b"\x80\x04K\x01."],
                         ids=["csv", "short-text", "a-pickle"])
def test_refusing_a_file_never_suggests_loading_it_with_allow_pickle(tmp_path, content):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with refused(path) as caught:
        load(path)
    assert "pickle" not in str(caught.value).split(NOT_A_CHECKPOINT)[1]


def test_a_compressed_npz_from_numpy_loads(tmp_path):
    np.savez_compressed(tmp_path / "model.npz", w=np.arange(6.0).reshape(2, 3), b=np.array([True, False]))
    loaded = load(tmp_path / "model.npz")
    assert loaded["w"].tolist() == [[0, 1, 2], [3, 4, 5]] and loaded["b"].dtype == bool


def test_fortran_ordered_and_big_endian_arrays_load_with_their_values(tmp_path):
    w = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    b = np.arange(3, dtype=">i4")
    np.savez(tmp_path / "model.npz", w=w, b=b)
    loaded = load(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded["w"], w)
    assert loaded["b"].tolist() == [0, 1, 2]


def test_loaded_arrays_are_writable(tmp_path):
    save({"w": np.ones(2)}, tmp_path / "model.npz")
    loaded = load(tmp_path / "model.npz")["w"]
    loaded += 1
    assert loaded.tolist() == [2.0, 2.0]


def npz_with_members(path, names):
    """An .npz file at `path` whose members have these `names` (repeated if given twice), each an array [i]."""
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of a repeated name, and writes it
        for i, name in enumerate(names):
            buffer = io.BytesIO()
            np.save(buffer, np.array([float(i)]))
            archive.writestr(name, buffer.getvalue())


@pytest.mark.parametrize("names", [["w.npy", "b.npy", "w.npy"], ["w", "w.npy"]], ids=["same-member", "w-and-w.npy"])
def test_two_members_of_the_same_name_are_refused_naming_it(tmp_path, names):
    path = tmp_path / "model.npz"
    npz_with_members(path, names)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.infolist()) == len(names)  # every one written: zipfile only warns
    with refused(path) as caught:
        load(path)
    assert str(caught.value).endswith("its members name 'w' more than once")


# --------------------- paths that are not regular files: in a child process, so that a load which reads an
# endless file or waits on a pipe fails the test in seconds instead of eating the memory or hanging.

CHILD = """
import resource, sys
from minigrad.checkpoint import load
used = int(open("/proc/self/statm").read().split()[0]) * resource.getpagesize()
resource.setrlimit(resource.RLIMIT_AS, (used + 2**28, used + 2**28))  # 256 MB more than now, at most
try:
    load(sys.argv[1])
except Exception as error:
    print(type(error).__name__, error)
"""


def load_in_a_child(path, timeout=30):
    """What load(path) raises, as 'TypeName message', run in a child with 256 MB to spare and `timeout` seconds."""
    source = os.path.dirname(os.path.dirname(minigrad.__file__))  # the minigrad this test imported
    try:
        child = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                               timeout=timeout, env={**os.environ, "PYTHONPATH": source})
    except subprocess.TimeoutExpired:
        pytest.fail(f"load({str(path)!r}) neither returned nor raised within {timeout} s")
    return child.stdout.strip() or child.stderr.strip()


needs_linux = pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="the child's memory cap needs /proc")


@needs_linux
def test_dev_zero_is_refused_at_once_as_not_a_regular_file():
    assert load_in_a_child("/dev/zero") == ("ValueError load: '/dev/zero' is a character device, not a regular file; "
                                            "expected a checkpoint file")


@needs_linux
def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "model.npz")
    assert load_in_a_child(tmp_path / "model.npz") == (f"ValueError load: {str(tmp_path / 'model.npz')!r} is a pipe "
                                                        "(FIFO), not a regular file; expected a checkpoint file")
