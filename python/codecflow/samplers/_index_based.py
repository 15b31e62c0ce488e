"""Clip samplers that pick clip starts by frame index."""

from __future__ import annotations

from typing import Any, List, Optional, Tuple

from codecflow import _backend
from codecflow._checks import check_int
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


def _sampling_range(start: Any, end: Any, *, num_frames: int, clip_span: int) -> Tuple[int, int]:
    """The half-open range ``[start, end)`` of indices where clips may start."""
    start = check_int("sampling_range_start", start, minimum=-num_frames)
    if start < 0:
        start += num_frames
    if start >= num_frames:
        raise InvalidArgumentError(
            f"sampling_range_start ({start}) must be smaller than the number of frames "
            f"({num_frames})"
        )
    if end is None:
        # The last start from which a whole clip fits in the video.
        end = max(num_frames - clip_span + 1, 1)
        if start >= end:
            raise InvalidArgumentError(
                f"a clip spans {clip_span} frames, so in a video of {num_frames} frames the "
                f"last start where it fits is {end - 1}, before sampling_range_start ({start}); "
                "pass sampling_range_end to let clips run past the end (see policy)"
            )
        return start, end
    end = check_int("sampling_range_end", end, minimum=-num_frames)
    if end < 0:
        end += num_frames  # -1 excludes the last frame, as in a slice
    end = min(end, num_frames)
    if start >= end:
        raise InvalidArgumentError(
            f"sampling_range_start ({start}) must be smaller than sampling_range_end ({end})"
        )
    return start, end


def _key_frame_starts(
    kind: str, decoder: Any, start: int, end: int, clips: int, generator: Any = None
) -> List[int]:
    """[extra] Clip starts drawn from the key frames in ``[start, end)``:
    uniformly at random, or evenly spaced over the list of those key frames."""
    keys = decoder.key_frame_indices
    keys = keys[(keys >= start) & (keys < end)].tolist()
    if not keys:
        raise InvalidArgumentError(
            f"start_at_key_frames: no key frame lies in the sampling range [{start}, {end})"
        )
    if kind == "random":
        picks = _backend.randint(0, len(keys), clips, generator)
    else:
        picks = _backend.linspace_float32_to_int(0, len(keys) - 1, clips)
    return [keys[i] for i in picks]


def _sample(
    kind: str,
    decoder: Any,
    num_clips: Any,
    num_frames_per_clip: Any,
    num_indices_between_frames: Any,
    sampling_range_start: Any,
    sampling_range_end: Any,
    policy: Any,
    start_at_key_frames: Any = False,
    generator: Any = None,
) -> FrameBatch:
    generator = _backend.check_generator(generator)
    frames_per_clip = check_common(decoder, num_frames_per_clip, policy)
    clips = check_int("num_clips", num_clips, minimum=1)
    step = check_int("num_indices_between_frames", num_indices_between_frames, minimum=1)
    num_frames = len(decoder)
    # Indices from the first frame of a clip to its last, both included.
    span = step * (frames_per_clip - 1) + 1
    start, end = _sampling_range(
        sampling_range_start, sampling_range_end, num_frames=num_frames, clip_span=span
    )
    if not isinstance(start_at_key_frames, bool):
        raise InvalidArgumentError(
            f"start_at_key_frames must be a bool, got {start_at_key_frames!r}"
        )
    if start_at_key_frames:
        starts = _key_frame_starts(kind, decoder, start, end, clips, generator)
    elif kind == "random":
        starts = _backend.randint(start, end, clips, generator)
    else:
        # Evenly spaced, truncated to ints: more clips than starts repeat starts.
        starts = _backend.linspace_int(start, end - 1, clips)
    indices: List[int] = []
    for first in starts:
        clip = list(range(first, min(first + span, num_frames), step))
        indices += fill_clip(clip, frames_per_clip, policy)
    return to_clips(decoder.get_frames_at(indices), clips, frames_per_clip)


def clips_at_random_indices(
    decoder: Any,
    *,
    num_clips: int = 1,
    num_frames_per_clip: int = 1,
    num_indices_between_frames: int = 1,
    sampling_range_start: int = 0,
    sampling_range_end: Optional[int] = None,
    policy: str = "repeat_last",
    start_at_key_frames: bool = False,
    generator: Any = None,
) -> FrameBatch:
    return _sample(
        "random",
        decoder,
        num_clips,
        num_frames_per_clip,
        num_indices_between_frames,
        sampling_range_start,
        sampling_range_end,
        policy,
        start_at_key_frames,
        generator,
    )


def clips_at_regular_indices(
    decoder: Any,
    *,
    num_clips: int = 1,
    num_frames_per_clip: int = 1,
    num_indices_between_frames: int = 1,
    sampling_range_start: int = 0,
    sampling_range_end: Optional[int] = None,
    policy: str = "repeat_last",
    start_at_key_frames: bool = False,
) -> FrameBatch:
    return _sample(
        "regular",
        decoder,
        num_clips,
        num_frames_per_clip,
        num_indices_between_frames,
        sampling_range_start,
        sampling_range_end,
        policy,
        start_at_key_frames,
    )


_ARGS_DOC = (
    """
    Args:
        decoder: the ``VideoDecoder`` to sample from.
        num_clips: how many clips (> 0).
        num_frames_per_clip: frames in each clip (> 0).
        num_indices_between_frames: the index step between the frames of a
            clip (> 0); 1 takes consecutive frames ("dilation").
        sampling_range_start: the first index where a clip may start;
            negative values count from the end (>= ``-len(decoder)``).
        sampling_range_end: where clip starts stop (exclusive): clips start in
            ``[sampling_range_start, sampling_range_end)``. None picks the
            largest value at which whole clips still fit in the video
            (``len(decoder) - span + 1`` with ``span =
            num_indices_between_frames * (num_frames_per_clip - 1) + 1``).
            Negative values count from the end; values past the end are
            clamped to ``len(decoder)``.
        start_at_key_frames: [extra] start every clip at a key frame in the
            sampling range (``decoder.key_frame_indices``): drawn uniformly
            among them, or evenly spaced over them; decoding a clip then
            starts where its first frame is. False (TorchCodec's sampling)
            by default.
"""
    + POLICY_DOC
    + RETURNS_DOC
    + """
    Raises:
        ValueError: for a parameter of the wrong type or out of its range, an
            empty sampling range (or one without key frames when starting at
            key frames), an unknown policy, or with
            ``policy="error"`` a clip that runs past the end.
        IndexError, RuntimeError: as the decoder raises them.
"""
)

clips_at_random_indices.__doc__ = (
    """Clips starting at random indices.

    Starts are drawn with ``torch.randint(sampling_range_start,
    sampling_range_end, size=(num_clips,))``, so ``torch.manual_seed`` makes
    them reproducible and they follow TorchCodec's draws for the same seed.
    """
    + _ARGS_DOC.replace("    Returns:", GENERATOR_DOC + "\n    Returns:", 1)
)

clips_at_regular_indices.__doc__ = (
    """Clips starting at evenly spaced indices.

    Starts are ``torch.linspace(sampling_range_start, sampling_range_end - 1,
    steps=num_clips)`` truncated to ints; asking for more clips than there are
    starts repeats starts.
    """
    + _ARGS_DOC
)
