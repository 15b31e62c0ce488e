"""[extra] Persistent frame indices: ``FrameIndex`` and the on-disk index cache.

Exact seek mode reads every packet of a file once, when a decoder opens it.
The index cache stores what that scan found, per file, and later decoders
opening the same file load it instead of scanning. See docs/index_cache.md.

Note [Index cache files]
A cache file is ``DIR/<key>.cfidx``: a header line, the key again, and the
index as the core saves it (FrameIndexIO.cpp: counts, sizes, order and a
checksum, all validated when loaded). Files are written to a temporary file
in DIR and renamed over the final name, which is atomic on POSIX file
systems: a reader sees a whole old file, a whole new one or none. Writers
opening the same file at once take a per-key advisory lock (``<key>.lock``,
``fcntl.flock``, released by the OS if a holder dies) so that one of them
scans and the others load its result; a lock not obtained within
``_LOCK_TIMEOUT`` seconds is given up on and the file scanned anyway. A
file that is damaged, truncated, of another format, or under a key it was
not written for, is ignored with an ``IndexCacheWarning`` and replaced.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
import warnings
from fractions import Fraction
from typing import Any, Callable, Iterator, Optional, Tuple, Union

import numpy as np

from codecflow import _backend, _core
from codecflow._errors import InvalidTypeError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no locking, renames stay atomic
    fcntl = None  # type: ignore[assignment]

PathLike = Union[str, "os.PathLike[str]"]

_HEADER = b"codecflow frame index cache v1\n"
_SUFFIX = ".cfidx"
_BLOCK = 64 * 1024
_LOCK_TIMEOUT = 120.0
_default_dir: Optional[str] = os.environ.get("CODECFLOW_INDEX_CACHE") or None
_default_lock = threading.Lock()


class IndexCacheWarning(UserWarning):
    """[extra] A cache file was ignored (damaged, foreign) or could not be written."""


class FrameIndex:
    """[extra] The exact-mode frame index of one video stream.

    What a decoder's scan found: every shown frame's pts, duration and key
    flag (in the stream's time base) and the key frames decoding can start
    from. ``VideoDecoder.frame_index()`` returns one; ``VideoDecoder(source,
    frame_index=...)`` opens a decoder from it without scanning, frame for
    frame and timestamp for timestamp the same as a scan.

    Args:
        data: the bytes ``to_bytes()`` returned.

    Raises:
        ValueError: for bytes that are not a valid saved index (damaged,
            truncated, another format or version): all of it is checked.

    Thread safety: immutable.
    """

    def __init__(self, data: Union[bytes, bytearray, memoryview]):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise InvalidTypeError(f"a FrameIndex is made from bytes, got {type(data).__name__}")
        self._data = bytes(data)
        stream, time_base, frames, seek_points = _core.inspect_saved_index(self._data)
        self._stream_index: int = stream
        self._time_base = Fraction(*time_base)
        self._frames = frames
        self._num_seek_points: int = seek_points

    @classmethod
    def from_bytes(cls, data: Union[bytes, bytearray, memoryview]) -> "FrameIndex":
        """The index ``to_bytes()`` saved (see the class for errors)."""
        return cls(data)

    @classmethod
    def load(cls, path: PathLike) -> "FrameIndex":
        """The index ``save()`` wrote to ``path``.

        Raises:
            OSError: when the file cannot be read.
            ValueError: when it holds no valid index.
        """
        with open(path, "rb") as f:
            return cls(f.read())

    def to_bytes(self) -> bytes:
        """The index as bytes (a versioned, checksummed binary format)."""
        return self._data

    def save(self, path: PathLike) -> None:
        """Writes the index to ``path`` atomically (temporary file + rename).

        Raises:
            OSError: when the file cannot be written.
        """
        path = os.fspath(path)
        atomic_write(os.path.dirname(os.path.abspath(path)), path, self._data)

    @property
    def stream_index(self) -> int:
        """The stream the index describes."""
        return self._stream_index

    @property
    def time_base(self) -> Fraction:
        """The stream's time base (seconds per tick) that pts are in."""
        return self._time_base

    @property
    def pts(self) -> Any:
        """Each frame's pts in ticks (int64), in presentation order."""
        return _backend.int64_array([f[0] for f in self._frames])

    @property
    def durations(self) -> Any:
        """Each frame's duration in ticks (int64)."""
        return _backend.int64_array([f[1] for f in self._frames])

    @property
    def key_frames(self) -> Any:
        """Whether each frame is a key frame (bool)."""
        return _backend.bool_array([f[2] for f in self._frames])

    def __len__(self) -> int:
        return len(self._frames)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrameIndex) and other._data == self._data

    def __hash__(self) -> int:
        return hash(self._data)

    def __repr__(self) -> str:
        keys = sum(1 for f in self._frames if f[2])
        return (
            f"FrameIndex(stream_index={self._stream_index}, frames={len(self._frames)}, "
            f"key_frames={keys}, seek_points={self._num_seek_points}, "
            f"time_base={self._time_base})"
        )


def set_index_cache(directory: Optional[PathLike]) -> None:
    """[extra] Sets the index cache that exact-mode decoders use by default.

    Decoders opened afterwards with ``seek_mode="exact"`` (the default) and
    no ``index_cache`` argument load their frame index from ``directory``
    when it holds one for the file, and store it there after scanning
    otherwise. None turns the default cache off. The initial value is the
    ``CODECFLOW_INDEX_CACHE`` environment variable, else None. TorchCodec
    has no such cache; without one nothing changes.

    Args:
        directory: a directory (created when first written to), or None.

    Raises:
        TypeError: for something other than a path or None.

    Thread safety: safe; decoders being opened use the value they read.
    """
    global _default_dir
    if directory is not None and not isinstance(directory, (str, os.PathLike)):
        raise InvalidTypeError(
            f"the index cache must be a directory path or None, got {directory!r}"
        )
    with _default_lock:
        _default_dir = None if directory is None else os.fspath(directory)


def get_index_cache() -> Optional[str]:
    """[extra] The directory :func:`set_index_cache` set, or None."""
    return _default_dir


def resolve_cache_dir(index_cache: Any) -> Optional[str]:
    """The directory a decoder uses: its argument, else the default; False: none."""
    if index_cache is False:
        return None
    if index_cache is None:
        return _default_dir
    if isinstance(index_cache, (str, os.PathLike)):
        return os.fspath(index_cache)
    raise InvalidTypeError(
        f"index_cache must be a directory path, None (the default cache) or False (none), "
        f"got {type(index_cache).__name__}"
    )


def cache_key(source: Any, extra: Tuple[Any, ...]) -> Optional[str]:
    """The cache key of a source, or None for sources that have none.

    Paths: the resolved path, size, modification time (ns) and SHA-256 of
    the first and last 64 KiB; bytes and tensors: SHA-256 of all the bytes.
    File-like objects and URLs have no key (they are not cached). ``extra``
    holds what else shapes the scan: the requested stream, FFmpeg options.
    """
    digest = hashlib.sha256()
    digest.update(repr((_HEADER, _ffmpeg_versions(), extra)).encode())
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if isinstance(path, bytes) or "://" in path:
            return None
        try:
            with open(path, "rb") as f:
                info = os.fstat(f.fileno())
                head = f.read(_BLOCK)
                f.seek(max(info.st_size - _BLOCK, 0))
                tail = f.read(_BLOCK)
        except OSError:
            return None  # the decoder reports the path's problem itself
        real = os.path.realpath(path)
        digest.update(repr(("path", real, info.st_size, info.st_mtime_ns)).encode())
        digest.update(hashlib.sha256(head).digest() + hashlib.sha256(tail).digest())
        return digest.hexdigest()
    if isinstance(source, (bytes, bytearray, memoryview)):
        digest.update(b"bytes")
        digest.update(hashlib.sha256(source).digest())
        return digest.hexdigest()
    if (
        _backend.is_array(source)
        and _backend.dtype_name(source.dtype) == "uint8"
        and source.ndim == 1
    ):
        data = np.ascontiguousarray(source) if isinstance(source, np.ndarray) else (
            source.contiguous().cpu().numpy()
        )
        digest.update(b"bytes")
        digest.update(hashlib.sha256(data).digest())
        return digest.hexdigest()
    return None


def _ffmpeg_versions() -> Tuple[str, ...]:
    # A demuxer of another FFmpeg version may find other frames.
    return tuple(version for _, version, _ in _core.ffmpeg_libraries()[:3])


def _entry_path(directory: str, key: str) -> str:
    return os.path.join(directory, key + _SUFFIX)


def read_entry(directory: str, key: str) -> Optional[bytes]:
    """The saved index stored under ``key``, None when there is none; a
    file that is not one of ours for this key is reported and ignored."""
    path = _entry_path(directory, key)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None  # no entry yet (a cache that cannot be created warns on writing)
    except OSError as error:
        _warn(f"cannot read index cache file {path!r} ({error}); scanning instead")
        return None
    expected = _HEADER + key.encode() + b"\n"
    # An entry without an index after its header is damaged too (the core
    # reads empty bytes as "no saved index").
    if not data.startswith(expected) or len(data) == len(expected):
        _warn(f"ignoring index cache file {path!r}: not an index cache entry for this "
              "file (foreign or damaged); scanning instead")
        return None
    return data[len(expected):]


def write_entry(directory: str, key: str, saved: bytes) -> None:
    """Stores a saved index under ``key`` atomically; failures only warn."""
    try:
        os.makedirs(directory, exist_ok=True)
        atomic_write(directory, _entry_path(directory, key), _HEADER + key.encode() + b"\n" + saved)
    except OSError as error:
        _warn(f"cannot write to the index cache {directory!r}: {error}")


def atomic_write(directory: str, path: str, data: bytes) -> None:
    """Writes ``data`` to a temporary file in ``directory``, then renames it to ``path``."""
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def key_lock(directory: str, key: str) -> Iterator[None]:
    """Holds ``<key>.lock`` in ``directory`` (best effort: proceeds unlocked
    when the lock cannot be created or is held past the timeout)."""
    fd = -1
    if fcntl is not None:
        try:
            os.makedirs(directory, exist_ok=True)
            fd = os.open(os.path.join(directory, key + ".lock"), os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            fd = -1
    if fd >= 0:
        deadline = time.monotonic() + _LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    fd = -1
                    break
                time.sleep(0.02)
    try:
        yield
    finally:
        if fd >= 0:
            os.close(fd)  # releases the lock


def open_indexed(
    open_core: Callable[..., Any], source: Any, directory: Optional[str], extra: Tuple[Any, ...]
) -> Tuple[Any, str]:
    """Opens a core decoder in exact mode through the cache in ``directory``.

    Returns the decoder and where its index came from: "cache" or "scan".
    """
    key = cache_key(source, extra) if directory is not None else None
    if key is None:
        return open_core(), "scan"
    assert directory is not None
    with key_lock(directory, key):
        saved = read_entry(directory, key)
        if saved is not None:
            core = open_core(saved_index=saved, rescan_bad_saved_index=True)
            problem = core.saved_index_problem
            if not problem:
                return core, "cache"
            _warn(f"ignoring index cache file {_entry_path(directory, key)!r}: {problem}; "
                  "the file was scanned instead")
        else:
            core = open_core()
        write_entry(directory, key, core.saved_index())
        return core, "scan"


def _warn(message: str) -> None:
    warnings.warn(message, IndexCacheWarning, stacklevel=4)
