"""[extra] What VideoDecoder offers beyond TorchCodec's API: opening through
the index cache or a given FrameIndex, FFmpeg options, and its repr."""

from __future__ import annotations

import math
import os
from typing import Any, Callable, Dict, Mapping, Optional, Tuple

from codecflow import _backend
from codecflow._errors import InvalidArgumentError, InvalidTypeError
from codecflow._index_cache import FrameIndex, open_indexed, resolve_cache_dir


def ffmpeg_option_strings(options: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    """``ffmpeg_options`` as the strings FFmpeg parses (bools as 1/0).

    Raises:
        TypeError: for a non-mapping, a key that is not a str, or a value
            that is not a str, int, float or bool.
    """
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        raise InvalidTypeError(f"ffmpeg_options must be a dict, got {type(options).__name__}")
    result: Dict[str, str] = {}
    for key, value in options.items():
        if not isinstance(key, str):
            raise InvalidTypeError(f"ffmpeg_options keys must be str, got {key!r}")
        if isinstance(value, bool):
            result[key] = "1" if value else "0"
        elif isinstance(value, (str, int, float)):
            result[key] = str(value)
        else:
            raise InvalidTypeError(
                f"ffmpeg_options[{key!r}] must be a str, int, float or bool, got "
                f"{type(value).__name__}"
            )
    return result


def open_core(
    opener: Callable[..., Any],
    source: Any,
    *,
    exact: bool,
    custom: bool,
    index_cache: Any,
    frame_index: Any,
    extra: Tuple[Any, ...],
) -> Tuple[Any, str]:
    """Opens the core decoder; returns it and where its frame index came from
    ("scan", "cache", "frame_index", "custom", or "none" in approximate mode).

    Raises:
        ValueError: for ``frame_index`` or an explicit ``index_cache`` with
            approximate mode or custom frame mappings, or an invalid index.
        TypeError: for arguments of the wrong type.
    """
    directory = resolve_cache_dir(index_cache)
    explicit = index_cache is not None and index_cache is not False
    if frame_index is not None:
        if not exact or custom:
            raise InvalidArgumentError(
                "frame_index replaces the exact-mode scan: it cannot be combined with "
                "seek_mode='approximate' or custom_frame_mappings"
            )
        if not isinstance(frame_index, FrameIndex):
            if not isinstance(frame_index, (bytes, bytearray, memoryview)):
                raise InvalidTypeError(
                    "frame_index must be a codecflow.FrameIndex (or its bytes), got "
                    f"{type(frame_index).__name__}"
                )
            frame_index = FrameIndex(frame_index)
        return opener(saved_index=frame_index.to_bytes()), "frame_index"
    if explicit and (not exact or custom):
        raise InvalidArgumentError(
            "index_cache stores the exact-mode scan: it cannot be combined with "
            "seek_mode='approximate' or custom_frame_mappings"
        )
    if custom:
        return opener(), "custom"
    if not exact:
        return opener(), "none"
    return open_indexed(opener, source, directory, extra)


def describe_source(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return repr(os.fspath(source))
    if isinstance(source, (bytes, bytearray, memoryview)):
        return f"<{len(source)} bytes>"
    if _backend.is_array(source):
        return f"<uint8 tensor of {math.prod(source.shape)} bytes>"
    return f"<{type(source).__name__}>"


def decoder_repr(decoder: Any) -> str:
    """``VideoDecoder(source, stream, size, frames, fps, codec, mode, ...)``."""
    meta = decoder.metadata
    fps = meta.average_fps
    parts = [
        describe_source(decoder._source),
        f"stream_index={decoder.stream_index}",
        f"codec={meta.codec!r}",
        f"size={meta.width}x{meta.height}",
        f"num_frames={len(decoder)}",
        f"fps={fps:.3f}" if fps else "fps=None",
        f"seek_mode={'exact' if decoder._open_args['exact'] else 'approximate'!r}",
        f"index={decoder._index_origin!r}",
        f"device={str(decoder._device)!r}",
    ]
    return f"VideoDecoder({', '.join(parts)})"


def audio_decoder_repr(decoder: Any) -> str:
    """``AudioDecoder(stream, codec, rate, channels, duration)`` (from the metadata)."""
    meta = decoder.metadata
    duration = meta.duration_seconds
    parts = [
        f"stream_index={decoder.stream_index}",
        f"codec={meta.codec!r}",
        f"sample_rate={meta.sample_rate}",
        f"num_channels={meta.num_channels}",
        f"duration_seconds={duration:.6g}" if duration is not None else "duration_seconds=None",
    ]
    return f"{type(decoder).__name__}({', '.join(parts)})"
