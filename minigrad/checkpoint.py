"""Saving and loading a state_dict (parameter name -> array) as a `.npz` or a
`.safetensors` file.

An `.npz` file is a zip archive with one `.npy` file per named array. A
`.safetensors` file (the format PyTorch's ecosystem shares weights in) is an
8-byte little-endian length, a JSON header of that length giving each name's
dtype, shape and byte range (`data_offsets`), then the raw little-endian
bytes. minigrad writes and reads both formats itself, with NumPy and the
standard library only; the `safetensors` extra brings the reference package,
which the tests read our files with, as `safetensors.torch.load_file` does
for a PyTorch model's `load_state_dict`.

`load` reads either without pickle, so loading a checkpoint never runs code
from the file, and it checks each array's declared size against the bytes
the file holds before reading it, so a small forged file cannot ask for
terabytes; and it reads only regular files, whose size is known (a device
such as /dev/zero never ends). `save` writes atomically: the file goes to a
temporary file beside the target, reaches the disk (fsync), and only then
replaces the target in one rename, so a crash or an error midway leaves the
old checkpoint as it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, BinaryIO

import numpy as np

from minigrad.core.tensor import Tensor
from minigrad.nn.module import Module

NOT_A_CHECKPOINT = "is not a valid minigrad checkpoint (.npz saved by minigrad.save)"
NOT_SAFETENSORS = "is not a valid .safetensors file"
# How the files np.load reads as .npz (a zip archive: its first member, or the end of an empty one) or .npy start.
NPZ_STARTS = (b"PK\x03\x04", b"PK\x05\x06", np.lib.format.MAGIC_PREFIX)
NOT_REGULAR = {stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device", stat.S_IFIFO: "a pipe (FIFO)"}
NPY_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
# The safetensors dtype names of the NumPy dtypes they store, little-endian as in the file. (BF16 and the
# 8-bit floats have no NumPy dtype: minigrad neither writes nor reads them.)
SAFETENSORS_DTYPES = {"BOOL": np.dtype("|b1"), "U8": np.dtype("|u1"), "I8": np.dtype("|i1"),
                      "U16": np.dtype("<u2"), "I16": np.dtype("<i2"), "U32": np.dtype("<u4"), "I32": np.dtype("<i4"),
                      "U64": np.dtype("<u8"), "I64": np.dtype("<i8"),
                      "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
SAFETENSORS_NAMES = {dtype.newbyteorder("="): name for name, dtype in SAFETENSORS_DTYPES.items()}


def save(state_dict: Mapping[str, np.ndarray | Tensor], path: str | os.PathLike[str]) -> None:
    """Write `state_dict` to `path` (exactly that name: no '.npz' is appended).

    A path ending in '.safetensors' gets the safetensors format, which
    `safetensors.torch.load_file` reads straight into a PyTorch model's
    `load_state_dict`; any other path gets `.npz`. Neither needs a package
    besides NumPy: minigrad writes the safetensors format itself. Values are
    NumPy arrays or Tensors (their `.data` is saved), with their dtypes
    (safetensors holds bools, 8- to 64-bit integers and 16- to 64-bit
    floats). A path that is a symlink keeps being one: its target is
    written, in the format of the name given. A checkpoint saved over keeps
    its permission bits; a new one gets those of any new file. Names that
    are not str, or that the format cannot hold (a lone surrogate, which
    UTF-8 cannot encode, in either), and dtypes it cannot hold are refused
    with a ValueError or TypeError before anything is written.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.npz")
    ...     save({"0.weight": np.ones((2, 3), dtype=np.float32)}, path)
    ...     print(sorted(os.listdir(folder)), load(path)["0.weight"].dtype)
    ['model.npz'] float32
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "model.safetensors")
    ...     save({"0.weight": np.ones((2, 3), dtype=np.float32)}, path)
    ...     print(load(path)["0.weight"].shape, open(path, "rb").read(16)[8:])
    (2, 3) b'{"0.weig'
    """
    # The format is that of the name given, not of a symlink's target.
    safetensors = isinstance(path, (str, bytes, os.PathLike)) and os.fsdecode(path).lower().endswith(".safetensors")
    arrays = _arrays_to_save(state_dict, safetensors)
    path = os.path.realpath(_file_name("save", path))  # through a symlink: write its target, keep the link
    # Beside the target, so the rename stays on one file system; short, so that a name
    # as long as the file system allows still leaves room for it.
    temporary = os.path.join(os.path.dirname(path), f".minigrad-{secrets.token_hex(8)}.tmp")
    try:
        with open(temporary, "xb") as file:  # "x": a new file, with the permissions open() gives any file
            (_write_safetensors if safetensors else _write_npz)(file, arrays)
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

    The format is told by the content, whatever the name: a safetensors file
    starts with its header's length and a JSON '{', an `.npz` file as a zip
    archive does. A file that starts as neither is refused, with the reason
    for the format its name suggests: safetensors for a name ending in
    '.safetensors', `.npz` otherwise. NumPy's `savez` and
    `savez_compressed` and the `safetensors` package
    (`safetensors.numpy.save_file`, `safetensors.torch.save_file`) write such
    files too. Every array is read into memory, in native byte order, and the
    file is closed before returning.

    A missing file raises FileNotFoundError and a directory
    IsADirectoryError, as `open` does; any other path that is not a regular
    file (a device such as /dev/zero, which never ends, or a pipe) is refused
    at once, without reading or waiting, with a ValueError. A file that is
    not such a checkpoint (truncated, corrupted, another format, a pickle, an
    array larger than the file, two arrays of the same name, a safetensors
    header whose dtypes, shapes or byte ranges do not add up) raises
    ValueError naming the path and what is wrong. Nothing in the file is
    ever unpickled.

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save({"bias": np.zeros(2)}, os.path.join(folder, "model.npz"))
    ...     load(os.path.join(folder, "model.npz"))
    {'bias': array([0., 0.])}
    """
    path = _file_name("load", path)
    with open(path, "rb", opener=_open_without_waiting) as file:
        kind = stat.S_IFMT(os.fstat(file.fileno()).st_mode)
        if kind != stat.S_IFREG:  # no size to check anything against, and maybe no end: refused before any read
            raise ValueError(f"load: {path!r} is {NOT_REGULAR.get(kind, 'a special file')}, not a regular file; "
                             "expected a checkpoint file")
        safetensors = _is_safetensors(file, path)
        read, not_valid = (_read_safetensors, NOT_SAFETENSORS) if safetensors else (_read_npz, NOT_A_CHECKPOINT)
        try:
            return read(file)
        except MemoryError:  # a valid checkpoint too large for memory is not a broken file
            raise
        except Exception as error:  # damaged bytes surface as BadZipFile, zlib.error, EOFError, OSError, ...
            raise ValueError(f"load: {path!r} {not_valid}: {error}") from error


def _open_without_waiting(name: str, flags: int) -> int:
    """os.open for `open`'s opener: a FIFO opens at once instead of waiting for a writer (O_NONBLOCK, which
    reading a regular file ignores; Windows has neither)."""
    return os.open(name, flags | getattr(os, "O_NONBLOCK", 0))


def _file_name(function: str, path: Any) -> str:
    """`path` as a str, or a TypeError naming `function`."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"{function}: path must be a str or an os.PathLike, got {type(path).__name__}")
    return os.fsdecode(path)


def _arrays_to_save(state_dict: Mapping[str, np.ndarray | Tensor], safetensors: bool) -> dict[str, np.ndarray]:
    """The arrays of `state_dict`, after checking every name and value against the format."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(_not_a_state_dict(state_dict))
    arrays = {}
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: names must be str, got {name!r} of type {type(name).__name__}")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError as error:  # a lone surrogate, as os.fsdecode makes of bytes that are not UTF-8
            raise ValueError(f"save: name {name!r} contains a lone surrogate ({name[error.start]!r}), which names "
                             "in a checkpoint, stored as UTF-8, cannot hold; rename it") from None
        if safetensors and name == "__metadata__":
            raise ValueError("save: name '__metadata__' is reserved by the safetensors format; rename it")
        if not safetensors and name.endswith(".npy"):  # NpzFile would confuse "a.npy" with the member of "a"
            raise ValueError(f"save: name {name!r} ends in '.npy', which .npz files reserve; rename it")
        if not safetensors and "\0" in name:  # a zip archive cuts a name at its first NUL: "a\0b" comes back "a"
            raise ValueError(f"save: name {name!r} contains a NUL byte, which names in a .npz file cannot hold; "
                             "rename it")
        if not isinstance(value, (np.ndarray, Tensor)):
            raise TypeError(f"save: {name!r} is a {type(value).__name__}; expected an np.ndarray or a Tensor")
        array = value.data if isinstance(value, Tensor) else value
        if array.dtype.hasobject:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}, which only pickle could store; "
                            "expected numbers (or bools, or strings)")
        if safetensors and array.dtype.newbyteorder("=") not in SAFETENSORS_NAMES:
            raise TypeError(f"save: {name!r} has dtype {array.dtype}, which the safetensors format cannot store; "
                            f"it stores {', '.join(SAFETENSORS_DTYPES)} (save as .npz to keep this dtype)")
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
        repeated = _repeated(info.filename.removesuffix(".npy") for info in archive.infolist())
        if repeated is not None:  # the dict below would keep the last silently
            raise ValueError(f"its members name {repeated!r} more than once")
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


def _write_safetensors(file: BinaryIO, arrays: dict[str, np.ndarray]) -> None:
    """The safetensors format: header length (8 bytes, little-endian), JSON header, then each array's bytes."""
    header, offset = {}, 0
    for name, array in arrays.items():
        size = array.size * array.dtype.itemsize
        header[name] = {"dtype": SAFETENSORS_NAMES[array.dtype.newbyteorder("=")], "shape": list(array.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # spaces, which JSON ignores, so that the arrays start 8-byte aligned
    file.write(len(text).to_bytes(8, "little") + text)
    for array in arrays.values():
        file.write(_little_endian_bytes(array))


def _little_endian_bytes(array: np.ndarray) -> bytes:
    """The bytes of `array` as safetensors stores them: row-major (C order), little-endian."""
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def _is_safetensors(file: BinaryIO, path: str) -> bool:
    """Whether to read an open file as safetensors: it starts as one does (an 8-byte length that fits, then '{'),
    or it starts as neither an .npz nor an .npy file does and is named so. Leaves the file at its start."""
    start = file.read(9)
    size = file.seek(0, os.SEEK_END)
    file.seek(0)
    if len(start) == 9 and start[8:] == b"{" and 8 + int.from_bytes(start[:8], "little") <= size:
        return True
    return path.lower().endswith(".safetensors") and not start.startswith(NPZ_STARTS)


def _read_safetensors(file: BinaryIO) -> dict[str, np.ndarray]:
    """Every array of an open `.safetensors` file, read only after the whole header is checked against the file."""
    file_size = file.seek(0, os.SEEK_END)
    file.seek(0)
    if file_size < 8:
        raise ValueError(f"it is {file_size} bytes long, too short to hold the 8-byte length of its header")
    header_size = int.from_bytes(file.read(8), "little")
    if header_size > file_size - 8:
        raise ValueError(f"its header length, {header_size} bytes, runs past the end of the file "
                         f"({file_size} bytes)")
    try:
        header = json.loads(file.read(header_size).decode("utf-8"), object_pairs_hook=_refusing_repeated_names)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"its header is not well-formed JSON: {error}") from None
    if not isinstance(header, dict):
        raise ValueError(f"its header is a JSON {type(header).__name__}, not an object of name -> tensor")
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError("its '__metadata__' is not an object of str -> str")
    entries = {name: _checked_entry(name, entry) for name, entry in header.items()}
    data_size, end = file_size - 8 - header_size, 0
    for name, (_, _, (begin, stop)) in sorted(entries.items(), key=lambda item: item[1][2]):
        if begin != end:  # the arrays tile the data exactly, as the reference implementation requires
            before = f"end at byte {end}: they overlap" if begin < end else f"leave bytes {end}..{begin} unused"
            raise ValueError(f"tensor {name!r} starts at byte {begin} of the data, but the tensors before it {before}")
        end = stop
    if end != data_size:
        raise ValueError(f"its tensors cover {end} bytes of data, but the file holds {data_size} after the header"
                         + (": it is cut short" if end > data_size else ""))
    arrays = {}
    for name, (dtype, shape, (begin, stop)) in entries.items():
        file.seek(8 + header_size + begin)
        data = file.read(stop - begin)  # never more than the file holds, checked above
        arrays[name] = np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))  # a copy
    return arrays


def _refusing_repeated_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, or a ValueError if a name appears twice (json would keep the last silently)."""
    repeated = _repeated(name for name, _ in pairs)
    if repeated is not None:
        raise ValueError(f"its header names {repeated!r} more than once")
    return dict(pairs)


def _repeated(names: Iterable[str]) -> str | None:
    """The first, in sorted order, of the names that appear more than once; None if none does."""
    return min((name for name, count in Counter(names).items() if count > 1), default=None)


def _checked_entry(name: str, entry: Any) -> tuple[np.dtype, tuple[int, ...], tuple[int, int]]:
    """The dtype, shape and byte range of one header entry, after checking that they agree with each other."""
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError(f"tensor {name!r} is described by {entry!r}, not by exactly 'dtype', 'shape' and "
                         "'data_offsets'")
    dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
    if not isinstance(dtype, str) or dtype not in SAFETENSORS_DTYPES:
        raise ValueError(f"tensor {name!r} has dtype {dtype!r}, which minigrad does not read; "
                         f"it reads {', '.join(SAFETENSORS_DTYPES)}")
    if not isinstance(shape, list) or not all(_is_count(n) for n in shape):
        raise ValueError(f"tensor {name!r} has shape {shape!r}, not a list of non-negative integers")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_is_count(n) for n in offsets) \
            or offsets[0] > offsets[1]:
        raise ValueError(f"tensor {name!r} has data_offsets {offsets!r}, not [begin, end] with 0 <= begin <= end")
    size = math.prod(shape) * SAFETENSORS_DTYPES[dtype].itemsize  # Python ints: no overflow, whatever the shape
    if size != offsets[1] - offsets[0]:
        raise ValueError(f"tensor {name!r} declares shape {tuple(shape)} {dtype}, {size} bytes, but its "
                         f"data_offsets {offsets} span {offsets[1] - offsets[0]}")
    return SAFETENSORS_DTYPES[dtype], tuple(shape), (offsets[0], offsets[1])


def _is_count(value: Any) -> bool:
    """Whether a JSON value is a non-negative integer (and not true or false, which Python counts as ints)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
