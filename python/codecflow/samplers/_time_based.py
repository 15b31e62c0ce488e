"""Clip samplers that pick clip starts by time."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from codecflow import _backend
from codecflow._checks import check_int, check_seconds
from codecflow._errors import InvalidArgumentError
from codecflow._frame import FrameBatch
from codecflow.samplers._common import (
    GENERATOR_DOC,
    POLICY_DOC,
    RETURNS_DOC,
    check_common,
    fill_clip,
    to_clips,
)


def _stream_bounds(decoder: Any) -> Tuple[float, float, float]:
    """(begin, end, average frame duration) of the stream, in seconds."""
    metadata = decoder.metadata
    fps = metadata.average_fps
    if not fps:
        raise InvalidArgumentError(
            "the video's metadata gives no average frame rate; use an index-based sampler"
        )
    end = metadata.end_stream_seconds
    if end is None:
        raise InvalidArgumentError(
            "the video's metadata gives no end time; use an index-based sampler"
        )
    return float(metadata.begin_stream_seconds), float(end), 1.0 / fps


def _sampling_range(
    start: Any, end: Any, *, begin: float, stream_end: float, clip_length: float
) -> Tuple[float, float]:
    """The half-open time range ``[start, end)`` where clips may start."""
    if start is None:
        start = begin
    else:
        start = check_seconds("sampling_range_start", start)
        if start < begin:
            raise InvalidArgumentError(
                f"sampling_range_start ({start}) must be >= the start of the stream ({begin})"
            )
        if start >= stream_end:
            raise InvalidArgumentError(
                f"sampling_range_start ({start}) must be before the end of the stream "
                f"({stream_end})"
            )
    hint = ""
    if end is None:
        # The clip's last sampling time, start + clip_length, stays before the end.
        end = stream_end - clip_length
        hint = " (the default, at which whole clips still fit)"
    else:
        end = check_seconds("sampling_range_end", end, allow_inf=True)
        if end <= begin:
            raise InvalidArgumentError(
                f"sampling_range_end ({end}) must be after the start of the stream ({begin})"
            )
    if start >= end:
        raise InvalidArgumentError(
            f"sampling_range_start ({start}) must be smaller than sampling_range_end ({end}){hint}"
        )
    return start, min(end, stream_end)


def _sample(
    decoder: Any,
    *,
    num_clips: Optional[Any],
    seconds_between_clip_starts: Optional[Any],
    num_frames_per_clip: Any,
    seconds_between_frames: Any,
    sampling_range_start: Any,
    sampling_range_end: Any,
    policy: Any,
    generator: Any = None,
) -> FrameBatch:
    generator = _backend.check_generator(generator)
    frames_per_clip = check_common(decoder, num_frames_per_clip, policy)
    if num_clips is not None:
        num_clips = check_int("num_clips", num_clips, minimum=1)
    else:
        seconds_between_clip_starts = check_seconds(
            "seconds_between_clip_starts", seconds_between_clip_starts, positive=True
        )
    begin, stream_end, frame_duration = _stream_bounds(decoder)
    if seconds_between_frames is None:
        step = frame_duration
    else:
        step = check_seconds("seconds_between_frames", seconds_between_frames, positive=True)
    start, end = _sampling_range(
        sampling_range_start,
        sampling_range_end,
        begin=begin,
        stream_end=stream_end,
        clip_length=(frames_per_clip - 1) * step,
    )
    if num_clips is not None:
        # torch.rand draws in [0, 1), so every start stays below `end`.
        starts = [r * (end - start) + start for r in _backend.rand(num_clips, generator)]
    else:
        grid = _backend.arange_float(start, end, seconds_between_clip_starts)
        starts = [t for t in grid if t < end]  # arange may round up to `end`
        num_clips = len(starts)
    times: List[float] = []
    for first in starts:
        clip = [first + i * step for i in range(frames_per_clip)]
        times += fill_clip([t for t in clip if t < stream_end], frames_per_clip, policy)
    return to_clips(decoder.get_frames_played_at(times), num_clips, frames_per_clip)


def clips_at_random_timestamps(
    decoder: Any,
    *,
    num_clips: int = 1,
    num_frames_per_clip: int = 1,
    seconds_between_frames: Optional[float] = None,
    sampling_range_start: Optional[float] = None,
    sampling_range_end: Optional[float] = None,
    policy: str = "repeat_last",
    generator: Any = None,
) -> FrameBatch:
    return _sample(
        decoder,
        generator=generator,
        num_clips=num_clips,
        seconds_between_clip_starts=None,
        num_frames_per_clip=num_frames_per_clip,
        seconds_between_frames=seconds_between_frames,
        sampling_range_start=sampling_range_start,
        sampling_range_end=sampling_range_end,
        policy=policy,
    )


def clips_at_regular_timestamps(
    decoder: Any,
    *,
    seconds_between_clip_starts: float,
    num_frames_per_clip: int = 1,
    seconds_between_frames: Optional[float] = None,
    sampling_range_start: Optional[float] = None,
    sampling_range_end: Optional[float] = None,
    policy: str = "repeat_last",
) -> FrameBatch:
    return _sample(
        decoder,
        num_clips=None,
        seconds_between_clip_starts=seconds_between_clip_starts,
        num_frames_per_clip=num_frames_per_clip,
        seconds_between_frames=seconds_between_frames,
        sampling_range_start=sampling_range_start,
        sampling_range_end=sampling_range_end,
        policy=policy,
    )


_ARGS_DOC = (
    """
    Args:
        decoder: the ``VideoDecoder`` to sample from.
        {first}
        num_frames_per_clip: frames in each clip (> 0).
        seconds_between_frames: the time between the sampling times of a
            clip's frames (> 0); None uses the average frame duration
            ``1 / metadata.average_fps``. Each frame is the one shown at its
            sampling time, so frame pts are spaced by this on average only.
        sampling_range_start: the earliest clip start in seconds; None is the
            start of the stream (``metadata.begin_stream_seconds``, which need
            not be 0).
        sampling_range_end: where clip starts stop (exclusive, seconds): clips
            start in ``[sampling_range_start, sampling_range_end)``. None
            picks ``end_stream_seconds - (num_frames_per_clip - 1) *
            seconds_between_frames`` so that whole clips fit; values past the
            end of the stream are clamped to it.
"""
    + POLICY_DOC
    + RETURNS_DOC
    + """
    Raises:
        ValueError: for a parameter of the wrong type or out of its range, an
            empty sampling range, an unknown policy, metadata without an
            average frame rate or end time, or with ``policy="error"`` a clip
            that runs past the end.
        IndexError, RuntimeError: as the decoder raises them.
"""
)

clips_at_random_timestamps.__doc__ = """Clips starting at random times.

    Starts are ``torch.rand(num_clips)`` (float32, so ``torch.manual_seed``
    reproduces TorchCodec's draws) scaled onto the sampling range in float64.
    """ + _ARGS_DOC.format(first="num_clips: how many clips (> 0).").replace(
    "    Returns:", GENERATOR_DOC + "\n    Returns:", 1
)

clips_at_regular_timestamps.__doc__ = """Clips starting at evenly spaced times.

    Starts are ``sampling_range_start + k * seconds_between_clip_starts``
    (``torch.arange``) before ``sampling_range_end``, so the number of clips
    follows from the range.
    """ + _ARGS_DOC.format(first="seconds_between_clip_starts: the time between clip starts (> 0).")
