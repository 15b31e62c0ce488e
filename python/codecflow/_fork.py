"""Core objects never run their destructors in a forked child.

Note [Fork safety]
A core decoder or encoder may own threads (FFmpeg's frame threads,
swscale's slice threads, the background encoding thread). fork() copies
the object but not its threads, so destroying the copy in the child waits
forever for threads that do not exist there. When a process forks, every
core object alive at that moment is kept alive for the whole life of the
child: the child never destroys (or uses) its copies; Python wrappers reopen
their own (see VideoDecoder._decoder).
"""

from __future__ import annotations

import abc
import ctypes
import os
import weakref
from typing import Any, List

import numpy as np

from codecflow import _backend
from codecflow._errors import InvalidTypeError

_live: "weakref.WeakSet[Any]" = weakref.WeakSet()
_inherited: List[Any] = []


def track(core_object: Any) -> Any:
    """Registers a core object so that forked children never destroy it."""
    _live.add(core_object)
    return core_object


def _keep_inherited_objects() -> None:
    _inherited.extend(_live)
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_keep_inherited_objects)


def picklable_source(source: Any, owner: str) -> Any:
    """The form of a decoder's source that pickles: paths and bytes as they
    are, tensors and other buffers as bytes (the data travels, not shared
    memory).

    Raises:
        TypeError: for a file-like object, which cannot be pickled.
    """
    if _backend.is_tensor(source):
        return source.contiguous().numpy().tobytes()
    if isinstance(source, np.ndarray):
        return source.tobytes()
    if isinstance(source, (bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, bytes, os.PathLike)):
        return source
    raise InvalidTypeError(
        f"a {owner} reading a file-like object ({type(source).__name__}) cannot be pickled; "
        "create it from a path, bytes or a uint8 tensor or array instead"
    )


class ReopensCore(abc.ABC):
    """A Python wrapper whose core object is opened by the process using it.

    Subclasses set ``self._source`` and ``self._decoder`` (the core object)
    in ``__init__`` and implement ``_open_core()``, which opens a new core
    object from ``self._source`` and the options the subclass keeps. The
    wrapper pickles as its attributes without the core object; the copy
    opens one on first use, and so does a forked child (a DataLoader worker)
    on its first call, its inherited copy kept alive and never touched
    (Note [Fork safety]).
    """

    _core_decoder: Any = None
    _core_pid: Any = None
    _source: Any

    @abc.abstractmethod
    def _open_core(self) -> Any:
        """A new core object from ``self._source`` and the kept options."""

    @property
    def _decoder(self) -> Any:
        core = self._core_decoder
        if core is None or self._core_pid != os.getpid():
            inherited = core
            core = self._open_core()
            if inherited is not None:
                # The parent's FFmpeg state may be mid-call (a held mutex):
                # never use or free it here, not even at exit.
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(inherited))
            self._decoder = core
        return core

    @_decoder.setter
    def _decoder(self, core: Any) -> None:
        self._core_decoder = track(core)
        self._core_pid = os.getpid()

    def __getstate__(self) -> dict:
        """The wrapper's attributes, its source made picklable, without the core.

        Raises:
            TypeError: for a decoder over a file-like object.
        """
        source = picklable_source(self._source, type(self).__name__)
        return dict(self.__dict__, _source=source, _core_decoder=None, _core_pid=None)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
