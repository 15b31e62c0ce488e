"""Exception classes of codecflow.

Each class is also an instance of the builtin a TorchCodec user catches in
that case, so ``except ValueError`` and ``except RuntimeError`` both work
where the error table of the public API says so.
"""

from __future__ import annotations


class CodecflowError(RuntimeError):
    """Base class of codecflow's errors (a ``RuntimeError``)."""


class InvalidArgumentError(ValueError, CodecflowError):
    """A bad argument value: a ``ValueError`` and a ``RuntimeError``."""


class InvalidTypeError(TypeError, CodecflowError):
    """An argument of the wrong Python type (an unsupported source, a
    text-mode file, a key that is not an int or slice): a ``TypeError``
    and a ``RuntimeError``."""


class InvalidMediaError(ValueError, CodecflowError):
    """Empty, non-media, truncated or corrupt input."""


class OutOfRangeError(IndexError, CodecflowError):
    """A frame index or time outside the stream: an ``IndexError``."""


class MediaNotFoundError(FileNotFoundError, CodecflowError):
    """A path that does not exist."""


class MediaIsADirectoryError(IsADirectoryError, CodecflowError):
    """A path that names a directory."""


class MediaIOError(OSError, CodecflowError):
    """A read or write that failed below the media layer (a file-like object
    that returned more than asked, wrote nothing, or reported a position no
    file has): an ``OSError``."""


class NetworkError(ConnectionError, CodecflowError):
    """A network source that cannot be reached: a name that does not
    resolve, a refused or reset connection, an HTTP error (a
    ``ConnectionError``, so an ``OSError``; never "corrupt media")."""


class NetworkTimeoutError(TimeoutError, CodecflowError):
    """A network source that did not answer in time (a ``TimeoutError``)."""


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
