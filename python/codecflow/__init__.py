"""codecflow: video and audio into tensors and back, on CPU and NVIDIA GPUs.

The public API follows TorchCodec's: ``import codecflow`` where code says
``import torchcodec``.
"""

from __future__ import annotations

import numbers
from typing import Optional, Union

from codecflow import _core
from codecflow._frame import AudioSamples, Frame, FrameBatch

__version__ = "0.1.0"

try:
    ffmpeg_major_version: Optional[int] = _core.ffmpeg_major_version()
except Exception:  # pragma: no cover - FFmpeg's libraries failed to load
    ffmpeg_major_version = None

from codecflow import decoders, encoders, samplers, transforms  # noqa: E402
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
    """Sets how much FFmpeg itself logs (to stderr).

    Args:
        level: a name ("quiet", "panic", "fatal", "error", "warning",
            "info", "verbose", "debug", "trace") or FFmpeg's numeric
            AV_LOG_* value. codecflow starts at "error".

    Raises:
        ValueError: for an unknown name or an out-of-range number.
    """
    if isinstance(level, str):
        if level.lower() not in _LOG_LEVELS:
            raise ValueError(f"unknown FFmpeg log level {level!r}; known: {list(_LOG_LEVELS)}")
        level = _LOG_LEVELS[level.lower()]
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValueError(f"FFmpeg log level must be a name or an int, got {level!r}")
    _core.set_ffmpeg_log_level(level)


def set_frame_cache_limit(nbytes: int) -> None:
    """**[extra]** Sets how much freed frame memory codecflow keeps for reuse.

    A batch of large frames is hundreds of MB, and memory fresh from the
    system costs a page fault per 4 KiB; when the last tensor over a decoded
    batch (1 MiB or more) goes away, its memory is kept and the next batch of
    the same size is written into it. The kernel may take kept pages back
    whenever it needs memory. The default is an eighth of the machine's
    memory, at most 2 GiB.

    Args:
        nbytes: the most bytes kept at once; 0 keeps nothing. Lowering the
            limit frees, oldest first, what no longer fits.

    Raises:
        ValueError: for a negative or non-integer ``nbytes``.
    """
    if isinstance(nbytes, bool) or not isinstance(nbytes, numbers.Integral) or nbytes < 0:
        raise ValueError(f"nbytes must be an int >= 0, got {nbytes!r}")
    _core.set_frame_cache_limit(int(nbytes))


def get_frame_cache_limit() -> int:
    """**[extra]** The limit :func:`set_frame_cache_limit` sets, in bytes."""
    return int(_core.frame_cache_limit())


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
    "get_container_metadata",
    "set_ffmpeg_log_level",
    "set_frame_cache_limit",
    "get_frame_cache_limit",
    "FrameIndex",
    "IndexCacheWarning",
    "set_index_cache",
    "get_index_cache",
]
