"""**[extra]** The exceptions codecflow raises.

Every one is a :class:`CodecflowError` (itself a ``RuntimeError``), and also
the builtin exception the public API promises for its case (``ValueError``,
``TypeError``, ``IndexError``, ``FileNotFoundError``, ...), so both
``except codecflow.errors.CodecflowError`` and ``except ValueError`` work.
"""

from codecflow._errors import (
    CodecflowError,
    InvalidArgumentError,
    InvalidMediaError,
    InvalidTypeError,
    MediaIOError,
    MediaIsADirectoryError,
    MediaNotFoundError,
    NetworkError,
    NetworkTimeoutError,
    OutOfRangeError,
)

__all__ = [
    "CodecflowError",
    "InvalidArgumentError",
    "InvalidTypeError",
    "InvalidMediaError",
    "OutOfRangeError",
    "MediaNotFoundError",
    "MediaIsADirectoryError",
    "MediaIOError",
    "NetworkError",
    "NetworkTimeoutError",
]
