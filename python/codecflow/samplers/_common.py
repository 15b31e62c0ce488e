"""Pieces shared by the index-based and time-based clip samplers."""

from __future__ import annotations

from typing import Any, Callable, Dict, List, TypeVar

from codecflow._checks import check_choice, check_int
from codecflow._errors import InvalidArgumentError
from codecflow._frame import FrameBatch

T = TypeVar("T", int, float)

POLICIES = ("repeat_last", "wrap", "error")


def _repeat_last(values: List[T], wanted: int) -> List[T]:
    # [1, 2, 3] -> [1, 2, 3, 3, 3]
    return values + [values[-1]] * (wanted - len(values))


def _wrap(values: List[T], wanted: int) -> List[T]:
    # [1, 2, 3] -> [1, 2, 3, 1, 2]
    return [values[i % len(values)] for i in range(wanted)]


def _error(values: List[T], wanted: int) -> List[T]:
    raise InvalidArgumentError(
        f"policy='error': a clip of {wanted} frames would reach past the end of the video "
        f"(only {len(values)} of its frames exist); leave sampling_range_end at its default "
        "(None) so that clips fit, or use policy='repeat_last' or 'wrap'"
    )


POLICY_FUNCTIONS: Dict[str, Callable[[List[Any], int], List[Any]]] = {
    "repeat_last": _repeat_last,
    "wrap": _wrap,
    "error": _error,
}


def check_common(decoder: Any, num_frames_per_clip: Any, policy: Any) -> int:
    """Checks what every sampler takes; returns ``num_frames_per_clip``."""
    if not callable(getattr(decoder, "get_frames_at", None)) or not hasattr(decoder, "metadata"):
        raise InvalidArgumentError(
            f"decoder must be a codecflow.decoders.VideoDecoder, got {type(decoder).__name__}"
        )
    if len(decoder) < 1:
        raise InvalidArgumentError(
            f"the decoder must have at least one frame, it has {len(decoder)}"
        )
    frames = check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
    check_choice("policy", policy, POLICIES)
    return frames


def fill_clip(values: List[T], wanted: int, policy: str) -> List[T]:
    """A clip's ``wanted`` entries from those that lie inside the video."""
    if len(values) == wanted:
        return values
    return POLICY_FUNCTIONS[policy](values, wanted)


def to_clips(frames: FrameBatch, num_clips: int, num_frames_per_clip: int) -> FrameBatch:
    """Reshapes a 4-D batch of ``num_clips * num_frames_per_clip`` frames into 5-D clips."""
    shape = (num_clips, num_frames_per_clip)
    return FrameBatch(
        frames.data.reshape(*shape, *frames.data.shape[-3:]),
        frames.pts_seconds.reshape(shape),
        frames.duration_seconds.reshape(shape),
    )


GENERATOR_DOC = """        generator: where the random starts come from: None (torch's global
            RNG, or without torch a NumPy generator seeded from Python's
            ``random``, so ``random.seed`` makes draws repeatable), a
            ``numpy.random.Generator`` (the same clips with and without
            torch) or a ``torch.Generator``.
"""

RETURNS_DOC = """
    Returns:
        FrameBatch: 5-D clips. ``data`` is ``(num_clips, num_frames_per_clip,
        C, H, W)`` (or ``..., H, W, C`` for a decoder made with
        ``dimension_order="NHWC"``); ``pts_seconds`` and ``duration_seconds``
        are ``(num_clips, num_frames_per_clip)``. All frames come from one
        batch call on the decoder, so a frame shared by several clips is
        decoded once.

    Thread safety: as the decoder's (calls on one decoder are serialized).
"""

POLICY_DOC = """
        policy: what fills a clip whose frames would lie past the end of the
            video. With the last index 99 and a clip asked to be
            ``[95, 97, 99, 101, 103]``: ``"repeat_last"`` gives
            ``[95, 97, 99, 99, 99]``, ``"wrap"`` gives ``[95, 97, 99, 95, 97]``
            (restarting at the clip's start) and ``"error"`` raises
            ``ValueError``. Time-based samplers apply it to sampling times at
            or after the end of the stream. With the default
            ``sampling_range_end`` clips always fit and it does not matter.
"""
