"""Saving and loading a state_dict (parameter name -> array) as a `.npz` file.

An `.npz` file is a zip archive with one `.npy` file per named array. `load`
reads it without pickle, so loading a checkpoint never runs code from the
file, and it checks each array's declared size against the bytes the archive
holds before reading it, so a small forged file cannot ask for terabytes.
`save` writes atomically: the archive goes to a temporary file beside the
target, reaches the disk (fsync), and only then replaces the target in one
rename, so a crash or an error midway leaves the old checkpoint as it was.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import stat
import zipfile
from typing import Any, BinaryIO, Mapping

import numpy as np

from minigrad.engine import Tensor
from minigrad.nn.module import Module

NOT_A_CHECKPOINT = "is not a valid minigrad checkpoint (.npz saved by minigrad.save)"
NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def save(state_dict: Mapping[str, np.ndarray | Tensor], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` to `path` (exactly that name: no '.npz' is appended).

    Values are NumPy arrays or Tensors (their `.data` is saved), with their
    dtypes. A path that is a symlink keeps being one: its target is written.
    A checkpoint saved over keeps its permission bits; a new one gets those
    of any new file. Names that are not str, or that a zip archive cannot
    hold, and object arrays are refused before anything is written.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.npz")
    ...     save({"0.weight": np.ones((2, 3), dtype=np.float32)}, path)
    ...     print(sorted(os.listdir(folder)), load(path)["0.weight"].dtype)
    ['model.npz'] float32
    """
    arrays = _arrays_to_save(state_dict)
    path = os.path.realpath(_file_name("save", path))  # through a symlink: write its target, keep the link
    # Beside the target, so the rename stays on one file system; short, so that a name
    # as long as the file system allows still leaves room for it.
    temporary = os.path.join(os.path.dirname(path), f".minigrad-{secrets.token_hex(8)}.tmp")
    try:
        with open(temporary, "xb") as file:  # "x": a new file, with the permissions open() gives any file
            _write_npz(file, arrays)
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))  # saving over: keep its permissions
            file.flush()
            os.fsync(file.fileno())  # on the disk before the rename makes it the checkpoint
        os.replace(temporary, path)  # atomic: whoever opens `path` gets the old file or the new, never a mix
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save`: a plain dict of name -> np.ndarray.

    NumPy's `savez` and `savez_compressed` write such files too. Every array
    is read into memory and the file is closed before returning. A missing
    file raises FileNotFoundError; a file that is not such a checkpoint
    (truncated, corrupted, another format, a pickle, an array larger than
    the file) raises ValueError naming the path. Nothing in the file is ever
    unpickled.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save({"bias": np.zeros(2)}, os.path.join(folder, "model.npz"))
    ...     load(os.path.join(folder, "model.npz"))
    {'bias': array([0., 0.])}
    """
    path = _file_name("load", path)
    with open(path, "rb") as file:
        try:
            return _read_npz(file)
        except MemoryError:  # a valid checkpoint too large for memory is not a broken file
            raise
        except Exception as error:  # damaged bytes surface as BadZipFile, zlib.error, EOFError, OSError, ...
            raise ValueError(f"load: {path!r} {NOT_A_CHECKPOINT}: {error}") from error


def _file_name(function: str, path: Any) -> str:
    """`path` as a str, or a TypeError naming `function`."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{function}: path must be a str or an os.PathLike, got {type(path).__name__}")
    return os.fsdecode(path)


def _arrays_to_save(state_dict: Mapping[str, np.ndarray | Tensor]) -> dict[str, np.ndarray]:
    """The arrays of `state_dict`, after checking every name and value."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(_not_a_state_dict(state_dict))
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be str, got {name!r} of type {type(name).__name__}")
        if name.endswith(".npy"):  # NpzFile would confuse "a.npy" with the member of "a"
            raise ValueError(f"save: name {name!r} ends in '.npy', which .npz files reserve; rename it")
        if "\0" in name:  # a zip archive cuts a name at its first NUL: "a\0b" would come back as "a"
            raise ValueError(f"save: name {name!r} contains a NUL byte, which names in a .npz file cannot hold; "
                             "rename it")
        if not isinstance(value, (np.ndarray, Tensor)):
            raise TypeError(f"save: {name!r} is a {type(value).__name__}; expected an np.ndarray or a Tensor")
        array = value.data if isinstance(value, Tensor) else value
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}, which only pickle could store; "
                            "expected numbers (or bools, or strings)")
        arrays[name] = array
    return arrays


def _not_a_state_dict(value: Any) -> str:
    """What save says when its first argument is not a state_dict, with what to pass instead."""
    expected = "expected a state_dict (a dict of name -> array)"
    if isinstance(value, Module):
        return f"save: got a {type(value).__name__} (a Module); {expected}: pass model.state_dict()"
    if isinstance(value, (str, bytes, os.PathLike)):
        return f"save: got a {type(value).__name__}; {expected} first, then the path: save(state_dict, path)"
    return f"save: got a {type(value).__name__}; {expected}"


def _write_npz(file: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez does (a zip of `name.npy` members), minus its keyword
    arguments, which would clash with names such as 'file'."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _read_npz(file: BinaryIO) -> dict[str, np.ndarray]:
    """Every array of an open `.npz` file, read now; ValueError (saying why) if it is something else."""
    if file.read(len(np.lib.format.MAGIC_PREFIX)) == np.lib.format.MAGIC_PREFIX:
        raise ValueError("it holds a single array (.npy), not named arrays (.npz)")
    if not zipfile.is_zipfile(file):
        raise ValueError("it is not a zip archive, which every .npz file is")
    with zipfile.ZipFile(file) as archive:
        return {info.filename.removesuffix(".npy"): _read_member(archive, info) for info in archive.infolist()}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One `.npy` member of an archive, read only after its header is checked against its size."""
    name = info.filename.removesuffix(".npy")
    with archive.open(info) as member:
        try:
            shape, fortran_order, dtype = NPY_HEADER_READERS[np.lib.format.read_magic(member)](member)
        except (KeyError, ValueError):  # not an .npy file, a format version we do not read, a damaged header
            raise ValueError(f"its member {info.filename!r} is not an .npy array that minigrad reads") from None
        if dtype.hasobject:
            raise ValueError(f"its member {name!r} holds Python objects (dtype {dtype}), which only unpickling "
                             "could rebuild; minigrad never unpickles")
        size, held = math.prod(shape) * dtype.itemsize, info.file_size - member.tell()
        if size != held or any(n < 0 for n in shape):
            raise ValueError(f"its member {name!r} declares shape {shape} {dtype}, {size} bytes, but holds {held}")
        data = member.read(size)  # never more than the member really holds, whatever its sizes claim
    if len(data) != size:
        raise ValueError(f"its member {name!r} is cut short: {len(data)} of {size} bytes")
    order = "F" if fortran_order else "C"
    return np.frombuffer(data, dtype=dtype).reshape(shape, order=order).copy()  # a copy: writable, owns its memory
