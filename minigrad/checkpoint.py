"""Saving and loading a state_dict (parameter name -> array) as a `.npz` file.

An `.npz` file is a zip archive with one `.npy` file per named array; NumPy
reads it back without pickle, so loading a checkpoint never runs code from the
file. `save` writes atomically: the archive goes to a temporary file beside
the target, reaches the disk (fsync), and only then replaces the target in one
rename, so a crash or an error midway leaves the old checkpoint as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import zipfile
from typing import BinaryIO, Mapping

import numpy as np

from minigrad.engine import Tensor

NOT_A_CHECKPOINT = "is not a valid minigrad checkpoint (.npz saved by minigrad.save)"


def save(state_dict: Mapping[str, np.ndarray | Tensor], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` to `path` (exactly that name: no '.npz' is appended).

    Values are NumPy arrays or Tensors (their `.data` is saved), with their
    dtypes. Object arrays and non-str names are refused with TypeError before
    anything is written.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.npz")
    ...     save({"0.weight": np.ones((2, 3), dtype=np.float32)}, path)
    ...     print(sorted(os.listdir(folder)), load(path)["0.weight"].dtype)
    ['model.npz'] float32
    """
    arrays = _arrays_to_save(state_dict)
    path = os.fspath(path)
    temporary = f"{path}.{secrets.token_hex(4)}.tmp"  # beside the target, so the rename stays on one file system
    try:
        with open(temporary, "xb") as file:  # "x": a new file, with the permissions open() gives any file
            _write_npz(file, arrays)
            file.flush()
            os.fsync(file.fileno())  # on the disk before the rename makes it the checkpoint
        os.replace(temporary, path)  # atomic: whoever opens `path` gets the old file or the new, never a mix
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def load(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """Read a checkpoint written by `save`: a plain dict of name -> np.ndarray.

    Every array is read into memory and the file is closed before returning.
    A missing file raises FileNotFoundError; a file that is not such a
    checkpoint (truncated, corrupted, another format, a pickle) raises
    ValueError naming the path. Nothing in the file is ever unpickled.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save({"bias": np.zeros(2)}, os.path.join(folder, "model.npz"))
    ...     load(os.path.join(folder, "model.npz"))
    {'bias': array([0., 0.])}
    """
    with open(path, "rb") as file:
        try:
            return _read_npz(file)
        except MemoryError:  # a valid checkpoint too large for memory is not a broken file
            raise
        except Exception as error:  # damaged bytes surface as BadZipFile, zlib.error, EOFError, OSError, ...
            raise ValueError(f"load: {os.fspath(path)!r} {NOT_A_CHECKPOINT}: {error}") from error


def _arrays_to_save(state_dict: Mapping[str, np.ndarray | Tensor]) -> dict[str, np.ndarray]:
    """The arrays of `state_dict`, after checking every name and value."""
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be str, got {name!r} of type {type(name).__name__}")
        if name.endswith(".npy"):  # NpzFile would confuse "a.npy" with the member of "a"
            raise ValueError(f"save: name {name!r} ends in '.npy', which .npz files reserve; rename it")
        if not isinstance(value, (np.ndarray, Tensor)):
            raise TypeError(f"save: {name!r} is a {type(value).__name__}; expected an np.ndarray or a Tensor")
        array = value.data if isinstance(value, Tensor) else value
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}, which only pickle could store; "
                            "expected numbers (or bools, or strings)")
        arrays[name] = array
    return arrays


def _write_npz(file: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """What np.savez does (a zip of `name.npy` members), minus its keyword
    arguments, which would clash with names such as 'file'."""
    with zipfile.ZipFile(file, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _read_npz(file: BinaryIO) -> dict[str, np.ndarray]:
    """Every array of an open `.npz` file, read now; ValueError if it is something else."""
    contents = np.load(file, allow_pickle=False)  # a pickle raises ValueError here, before it is unpickled
    if not isinstance(contents, np.lib.npyio.NpzFile):
        raise ValueError("it holds a single array (.npy), not named arrays (.npz)")
    with contents:
        arrays = {name: contents[name] for name in contents.files}
    for name, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise ValueError(f"its member {name!r} is not an .npy array")
    return arrays
