"""Turning what users pass as ``source`` into a core Source."""

from __future__ import annotations

import io
import os
import pathlib
from typing import Any, Union

import numpy as np

from codecflow import _backend, _core
from codecflow._errors import InvalidArgumentError, InvalidTypeError

SourceLike = Union[str, pathlib.Path, bytes, bytearray, memoryview, Any]


def make_source(source: SourceLike) -> _core.Source:
    """Builds a core Source.

    Accepts a path (``str`` or ``os.PathLike``), ``bytes``-like data, a 1-D
    uint8 tensor or NumPy array of encoded bytes (aliased, not copied) or a binary file-like
    object with ``read`` and ``seek`` (read on demand).

    Raises:
        TypeError: for a text-mode file object or an unsupported type.
        ValueError: for a tensor that is not 1-D contiguous uint8 on CPU.
    """
    if isinstance(source, str):
        return _core.Source.from_path(source)
    if isinstance(source, os.PathLike):
        return _core.Source.from_path(os.fspath(source))
    if isinstance(source, bytes):
        return _core.Source.from_bytes(source)
    if isinstance(source, (bytearray, memoryview)):
        return _core.Source.from_bytes(bytes(source))
    if _backend.is_array(source):
        if _backend.dtype_name(source.dtype) != "uint8" or source.ndim != 1:
            raise InvalidArgumentError(
                "a tensor source must be a 1-D uint8 tensor of encoded bytes, got "
                f"dtype={source.dtype} and shape={tuple(source.shape)}"
            )
        if _backend.device_type(source) != "cpu":
            raise InvalidArgumentError(f"a tensor source must be on the CPU, got {source.device}")
        if isinstance(source, np.ndarray):
            return _core.Source.from_tensor(_backend.for_core(np.ascontiguousarray(source)))
        return _core.Source.from_tensor(source.contiguous())
    if isinstance(source, io.TextIOBase):
        raise InvalidTypeError(
            "the file object is in text mode; open it in binary mode ('rb') to decode from it"
        )
    if callable(getattr(source, "read", None)) and callable(getattr(source, "seek", None)):
        if "b" not in getattr(source, "mode", "b"):
            raise InvalidTypeError(
                f"the file object is in text mode ({source.mode!r}); open it in binary mode"
            )
        return _core.Source.from_file_like(source)
    raise InvalidTypeError(
        f"unsupported source type {type(source).__name__}; expected a path (str or "
        "pathlib.Path), bytes, a 1-D uint8 tensor, or a binary file-like object with read() "
        "and seek()"
    )
