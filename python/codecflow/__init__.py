"""codecflow: video and audio into tensors and back, on CPU and NVIDIA GPUs.

The public API follows TorchCodec's: ``import codecflow`` where code says
``import torchcodec``.
"""

from __future__ import annotations

from typing import Optional, Union

from codecflow import _core
from codecflow._frame import AudioSamples, Frame, FrameBatch

__version__ = "0.1.0"

try:
    ffmpeg_major_version: Optional[int] = _core.ffmpeg_major_version()
except Exception:  # pragma: no cover - FFmpeg's libraries failed to load
    ffmpeg_major_version = None

from codecflow import decoders, encoders, samplers, transforms  # noqa: E402
from codecflow._checks import check_int  # noqa: E402
from codecflow._errors import InvalidArgumentError  # noqa: E402
from codecflow._libraries import (  # noqa: E402
    FFmpegLibrary,
    ffmpeg_libraries,
    ffmpeg_library_path,
)
from codecflow.decoders._metadata import get_container_metadata  # noqa: E402
from codecflow._index_cache import (  # noqa: E402
    FrameIndex,
    IndexCacheWarning,
    get_index_cache,
    set_index_cache,
)

_LOG_LEVELS = {
    "quiet": -8,
    "panic": 0,
    "fatal": 8,
    "error": 16,
    "warning": 24,
    "info": 32,
    "verbose": 40,
    "debug": 48,
    "trace": 56,
}


def set_ffmpeg_log_level(level: Union[str, int]) -> None:
    """Sets how much of FFmpeg's log is printed (to stderr).

    codecflow starts at "quiet" and prints nothing itself: the error lines
    FFmpeg logs during a failing call go into the exception's message
    instead. SVT-AV1's own log follows this level (unless ``SVT_LOG`` is set).

    Args:
        level: a name ("quiet", "panic", "fatal", "error", "warning",
            "info", "verbose", "debug", "trace") or FFmpeg's numeric
            AV_LOG_* value.

    Raises:
        ValueError: for an unknown name or an out-of-range number.
    """
    if isinstance(level, str):
        if level.lower() not in _LOG_LEVELS:
            raise InvalidArgumentError(
                f"unknown FFmpeg log level {level!r}; known: {list(_LOG_LEVELS)}"
            )
        level = _LOG_LEVELS[level.lower()]
    _core.set_ffmpeg_log_level(check_int("FFmpeg log level", level))


def set_frame_cache_limit(nbytes: Optional[int]) -> None:
    """**[extra]** Sets how much freed frame memory codecflow keeps for reuse.

    A batch of large frames is hundreds of MB, and memory fresh from the
    system costs a page fault per 4 KiB; when the last tensor over a decoded
    batch (1 MiB or more) goes away, its memory is kept and the next batch of
    the same size is written into it. The kernel may take kept pages back
    whenever it needs memory. By default the limit follows what the process
    just used: twice the largest of the last few blocks freed (about two
    batches), at most an eighth of the machine's memory (256 MiB to
    2 GiB), so that no more stays behind once a loop is over than the loop
    itself used. The limit is per process (per DataLoader worker).

    Args:
        nbytes: the most bytes kept at once, from 0 (keeps nothing) to
            2**63 - 1; None goes back to the default. Lowering the limit
            frees, oldest first, what no longer fits.

    Raises:
        ValueError: for an ``nbytes`` outside that range, or not an int or
            None.
    """
    if nbytes is None:
        _core.use_default_frame_cache_limit()
        return
    _core.set_frame_cache_limit(check_int("nbytes", nbytes))


def get_frame_cache_limit() -> int:
    """**[extra]** The frame-memory limit in force now, in bytes: the one
    :func:`set_frame_cache_limit` set, or the default's current value (0
    until a large block was freed)."""
    return int(_core.frame_cache_limit())


def set_num_threads(n: Optional[int]) -> None:
    """**[extra]** Caps the threads codecflow starts itself, process-wide.

    Covers the stages codecflow runs beside a decoder or encoder (colour
    conversion overlapping decoding, workers decoding distinct GOPs of one
    batch, the pool of :func:`codecflow.decoders.decode_clips`); FFmpeg's
    own codec threads stay set per decoder by ``num_ffmpeg_threads``. With
    ``n=1`` codecflow starts no thread of its own. The default (``None``)
    is the number of cores this process may run on, except in a DataLoader
    worker, where it is 1 (as torch does for its own threads) unless set
    there or in the parent before the workers started; and a decoder with
    ``num_ffmpeg_threads=1`` starts threads of its own only when a cap was
    set. Work already running keeps its threads; later calls follow the new
    cap.

    Args:
        n: 1 to 4096, or None for the default.

    Raises:
        ValueError: for a number outside [1, 4096], or a value that is not
            an int.
    """
    _core.set_num_threads(None if n is None else check_int("num_threads", n))


def get_num_threads() -> int:
    """**[extra]** The cap :func:`set_num_threads` set, else the number of
    cores this process may run on."""
    return int(_core.get_num_threads())


__all__ = [
    "Frame",
    "FrameBatch",
    "AudioSamples",
    "__version__",
    "decoders",
    "encoders",
    "samplers",
    "transforms",
    "ffmpeg_major_version",
    "FFmpegLibrary",
    "ffmpeg_libraries",
    "ffmpeg_library_path",
    "get_container_metadata",
    "set_ffmpeg_log_level",
    "set_frame_cache_limit",
    "get_frame_cache_limit",
    "set_num_threads",
    "get_num_threads",
    "FrameIndex",
    "IndexCacheWarning",
    "set_index_cache",
    "get_index_cache",
]
