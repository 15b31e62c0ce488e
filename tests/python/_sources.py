"""What the decoders' source and pickling tests share: one file as each
kind of source, and the check that a pickled clone opens its core lazily."""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any, Callable

import torch

# The sources that pickle (a file-like object does not).
SOURCE_KINDS = ["str", "path", "bytes", "tensor"]
# Every kind of source a decoder reads.
ALL_SOURCE_KINDS = SOURCE_KINDS + ["file-like"]


def source_of(path: Path, kind: str) -> Any:
    """The file at ``path`` as a source of one of ALL_SOURCE_KINDS."""
    return {
        "str": lambda: str(path),
        "path": lambda: path,
        "bytes": lambda: path.read_bytes(),
        "tensor": lambda: torch.frombuffer(bytearray(path.read_bytes()), dtype=torch.uint8),
        "file-like": lambda: io.BytesIO(path.read_bytes()),
    }[kind]()


def roundtrip(decoder: Any) -> Any:
    """A pickled and unpickled copy of ``decoder``, of the same class."""
    clone = pickle.loads(pickle.dumps(decoder))
    assert type(clone) is type(decoder)
    return clone


def check_lazy_clone(decoder: Any, kind: str, assert_same: Callable[[Any, Any], None]) -> None:
    """Pickles a used ``decoder``: the copy has the metadata at once, opens
    its core on first use only, and then decodes as ``decoder`` does; a
    tensor source travels as bytes, not shared memory."""
    clone = roundtrip(decoder)
    assert clone._core_decoder is None
    assert clone.metadata == decoder.metadata
    assert clone._core_decoder is None
    assert_same(decoder, clone)
    assert clone._core_decoder is not None
    if kind == "tensor":
        assert isinstance(clone._source, bytes)
