"""Clip samplers: the indices and times they choose, policies, seeding and errors."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import List

import pytest
import torch

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import codecflow  # noqa: E402
import generate  # noqa: E402
from codecflow.decoders import VideoDecoder  # noqa: E402
from codecflow.samplers import (  # noqa: E402
    clips_at_random_indices,
    clips_at_random_timestamps,
    clips_at_regular_indices,
    clips_at_regular_timestamps,
)

FPS = 30
NUM_FRAMES = 60  # h264_bframes: 30 fps, 2 s


@pytest.fixture(scope="module")
def decoder() -> VideoDecoder:
    d = VideoDecoder(generate.clip("h264_bframes"))
    assert len(d) == NUM_FRAMES
    assert d.metadata.begin_stream_seconds == 0.0
    assert d.metadata.end_stream_seconds == pytest.approx(2.0)
    assert d.metadata.average_fps == pytest.approx(FPS)
    return d


def _check_index_clips(decoder: VideoDecoder, clips, expected: List[List[int]]) -> None:
    num_clips, per_clip = len(expected), len(expected[0])
    assert clips.data.shape == (num_clips, per_clip, 3, 240, 320)
    assert clips.pts_seconds.shape == (num_clips, per_clip)
    assert clips.duration_seconds.shape == (num_clips, per_clip)
    flat = [i for clip in expected for i in clip]
    want = torch.tensor(flat, dtype=torch.float64).reshape(num_clips, per_clip) / FPS
    torch.testing.assert_close(clips.pts_seconds, want, rtol=0, atol=1e-9)
    reference = decoder.get_frames_at(flat)
    assert torch.equal(clips.data.reshape(-1, 3, 240, 320), reference.data)
    torch.testing.assert_close(clips.duration_seconds.reshape(-1), reference.duration_seconds)


def _frame_shown_at(t: float) -> int:
    return math.floor(t * FPS + 1e-9)


def _check_time_clips(decoder: VideoDecoder, clips, times: List[List[float]]) -> None:
    num_clips, per_clip = len(times), len(times[0])
    assert clips.data.shape == (num_clips, per_clip, 3, 240, 320)
    flat = [t for clip in times for t in clip]
    want = torch.tensor([_frame_shown_at(t) / FPS for t in flat], dtype=torch.float64)
    torch.testing.assert_close(clips.pts_seconds.reshape(-1), want, rtol=0, atol=1e-9)
    reference = decoder.get_frames_at([_frame_shown_at(t) for t in flat])
    assert torch.equal(clips.data.reshape(-1, 3, 240, 320), reference.data)


# -- index-based ---------------------------------------------------------------


def test_regular_indices_spacing(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_indices(
        decoder, num_clips=4, num_frames_per_clip=3, num_indices_between_frames=2
    )
    # span 5: starts in [0, 56), spaced over 0..55 and truncated.
    starts = [0, 18, 36, 55]
    _check_index_clips(decoder, clips, [[s, s + 2, s + 4] for s in starts])


def test_regular_indices_defaults(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_indices(decoder)
    _check_index_clips(decoder, clips, [[0]])


def test_regular_indices_more_clips_than_starts(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_indices(
        decoder, num_clips=5, sampling_range_start=10, sampling_range_end=13
    )
    # linspace(10, 12, 5) = 10, 10.5, 11, 11.5, 12 -> truncated.
    _check_index_clips(decoder, clips, [[10], [10], [11], [11], [12]])


def test_regular_indices_range(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_indices(
        decoder, num_clips=3, num_frames_per_clip=2, sampling_range_start=-20, sampling_range_end=-1
    )
    # [-20, -1) is [40, 59): starts 40, 49, 58; the clip at 58 fits exactly.
    _check_index_clips(decoder, clips, [[40, 41], [49, 50], [58, 59]])


def test_regular_indices_end_clamped(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_indices(
        decoder, num_clips=2, sampling_range_start=50, sampling_range_end=1000
    )
    _check_index_clips(decoder, clips, [[50], [59]])


def test_random_indices_follow_torch_randint(decoder: VideoDecoder) -> None:
    torch.manual_seed(1234)
    clips = clips_at_random_indices(
        decoder, num_clips=6, num_frames_per_clip=4, num_indices_between_frames=3
    )
    torch.manual_seed(1234)
    # span 10: starts drawn in [0, 51).
    starts = torch.randint(0, NUM_FRAMES - 10 + 1, size=(6,)).tolist()
    _check_index_clips(decoder, clips, [[s + 3 * j for j in range(4)] for s in starts])


def test_random_indices_range(decoder: VideoDecoder) -> None:
    torch.manual_seed(7)
    clips = clips_at_random_indices(
        decoder, num_clips=20, sampling_range_start=5, sampling_range_end=8
    )
    torch.manual_seed(7)
    starts = torch.randint(5, 8, size=(20,)).tolist()
    assert set(starts) <= {5, 6, 7}
    _check_index_clips(decoder, clips, [[s] for s in starts])


def test_random_indices_reproducible(decoder: VideoDecoder) -> None:
    def draw(seed: int) -> torch.Tensor:
        torch.manual_seed(seed)
        return clips_at_random_indices(decoder, num_clips=8, num_frames_per_clip=2).pts_seconds

    assert torch.equal(draw(0), draw(0))
    assert not torch.equal(draw(0), draw(1))


@pytest.mark.parametrize(
    "policy, expected",
    [("repeat_last", [55, 57, 59, 59, 59]), ("wrap", [55, 57, 59, 55, 57])],
)
def test_index_policies(decoder: VideoDecoder, policy: str, expected: List[int]) -> None:
    clips = clips_at_regular_indices(
        decoder,
        num_frames_per_clip=5,
        num_indices_between_frames=2,
        sampling_range_start=55,
        sampling_range_end=56,
        policy=policy,
    )
    _check_index_clips(decoder, clips, [expected])


def test_index_policy_error(decoder: VideoDecoder) -> None:
    with pytest.raises(ValueError, match="policy='error'"):
        clips_at_random_indices(
            decoder,
            num_frames_per_clip=5,
            sampling_range_start=57,
            sampling_range_end=58,
            policy="error",
        )
    # Clips that fit never hit the policy.
    clips = clips_at_regular_indices(decoder, num_clips=3, num_frames_per_clip=5, policy="error")
    _check_index_clips(decoder, clips, [[s + j for j in range(5)] for s in (0, 27, 55)])


def test_one_batch_call(decoder: VideoDecoder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = decoder.get_frames_at

    def spy(indices):  # type: ignore[no-untyped-def]
        calls.append(list(indices))
        return original(indices)

    monkeypatch.setattr(decoder, "get_frames_at", spy)
    clips_at_regular_indices(decoder, num_clips=3, num_frames_per_clip=4)
    assert calls == [[0, 1, 2, 3, 28, 29, 30, 31, 56, 57, 58, 59]]


def test_nhwc_clips() -> None:
    d = VideoDecoder(generate.clip("h264_bframes"), dimension_order="NHWC")
    clips = clips_at_regular_indices(d, num_clips=2, num_frames_per_clip=3)
    assert clips.data.shape == (2, 3, 240, 320, 3)
    assert torch.equal(clips.data[1, 2], d[59])


def test_exported() -> None:
    assert codecflow.samplers.clips_at_random_indices is clips_at_random_indices
    assert set(codecflow.samplers.__all__) == {
        "clips_at_random_indices",
        "clips_at_regular_indices",
        "clips_at_random_timestamps",
        "clips_at_regular_timestamps",
    }


# -- time-based ----------------------------------------------------------------


def test_regular_timestamps(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_timestamps(
        decoder, seconds_between_clip_starts=0.5, num_frames_per_clip=4
    )
    # Clips start before 2 - 3/30 = 1.9: at 0, 0.5, 1.0, 1.5; frames 1/30 s apart.
    times = [[s + i / FPS for i in range(4)] for s in (0.0, 0.5, 1.0, 1.5)]
    _check_time_clips(decoder, clips, times)
    assert clips.pts_seconds[3, 3].item() == pytest.approx(48 / FPS)


def test_regular_timestamps_range_and_spacing(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_timestamps(
        decoder,
        seconds_between_clip_starts=0.3,
        num_frames_per_clip=3,
        seconds_between_frames=0.1,
        sampling_range_start=0.25,
        sampling_range_end=1.0,
    )
    times = [[s + 0.1 * i for i in range(3)] for s in (0.25, 0.55, 0.85)]
    _check_time_clips(decoder, clips, times)


def test_random_timestamps_follow_torch_rand(decoder: VideoDecoder) -> None:
    torch.manual_seed(99)
    clips = clips_at_random_timestamps(
        decoder, num_clips=5, num_frames_per_clip=3, seconds_between_frames=0.2
    )
    torch.manual_seed(99)
    # Clips start in [0, 2 - 2 * 0.2).
    starts = (torch.rand(5).double() * 1.6).tolist()
    _check_time_clips(decoder, clips, [[s + 0.2 * i for i in range(3)] for s in starts])


def test_random_timestamps_range_and_reproducible(decoder: VideoDecoder) -> None:
    torch.manual_seed(5)
    clips = clips_at_random_timestamps(
        decoder, num_clips=10, sampling_range_start=0.5, sampling_range_end=0.6
    )
    assert ((clips.pts_seconds >= 15 / FPS - 1e-9) & (clips.pts_seconds <= 17 / FPS + 1e-9)).all()
    torch.manual_seed(5)
    again = clips_at_random_timestamps(
        decoder, num_clips=10, sampling_range_start=0.5, sampling_range_end=0.6
    )
    assert torch.equal(clips.pts_seconds, again.pts_seconds)
    assert torch.equal(clips.data, again.data)


@pytest.mark.parametrize(
    "policy, expected",
    [("repeat_last", [1.95, 1.97, 1.99, 1.99]), ("wrap", [1.95, 1.97, 1.99, 1.95])],
)
def test_time_policies(decoder: VideoDecoder, policy: str, expected: List[float]) -> None:
    clips = clips_at_regular_timestamps(
        decoder,
        seconds_between_clip_starts=1.0,
        num_frames_per_clip=4,
        seconds_between_frames=0.02,
        sampling_range_start=1.95,
        sampling_range_end=1.96,
        policy=policy,
    )
    _check_time_clips(decoder, clips, [expected])


def test_time_policy_error(decoder: VideoDecoder) -> None:
    with pytest.raises(ValueError, match="policy='error'"):
        clips_at_random_timestamps(
            decoder,
            num_frames_per_clip=4,
            seconds_between_frames=0.02,
            sampling_range_start=1.95,
            sampling_range_end=2.5,
            policy="error",
        )


def test_time_one_batch_call(decoder: VideoDecoder, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = decoder.get_frames_played_at

    def spy(seconds):  # type: ignore[no-untyped-def]
        calls.append(list(seconds))
        return original(seconds)

    monkeypatch.setattr(decoder, "get_frames_played_at", spy)
    clips_at_regular_timestamps(decoder, seconds_between_clip_starts=1.0, num_frames_per_clip=2)
    assert len(calls) == 1
    assert calls[0] == pytest.approx([0.0, 1 / FPS, 1.0, 1.0 + 1 / FPS])


def test_vfr_timestamps() -> None:
    d = VideoDecoder(generate.clip("vfr"))
    pts = d.get_frames_at(list(range(len(d)))).pts_seconds
    clips = clips_at_regular_timestamps(
        d, seconds_between_clip_starts=0.4, num_frames_per_clip=2, seconds_between_frames=0.05
    )
    for clip_pts, start in zip(clips.pts_seconds, torch.arange(0, 10, 0.4, dtype=torch.float64)):
        for j, got in enumerate(clip_pts.tolist()):
            t = start.item() + 0.05 * j
            shown = int((pts <= t + 1e-9).nonzero().max())
            assert got == pytest.approx(pts[shown].item())


# -- errors --------------------------------------------------------------------

INDEX_ERRORS = [
    (dict(num_clips=0), "num_clips"),
    (dict(num_clips=-1), "num_clips"),
    (dict(num_clips=1.5), "num_clips"),
    (dict(num_clips=True), "num_clips"),
    (dict(num_clips="2"), "num_clips"),
    (dict(num_frames_per_clip=0), "num_frames_per_clip"),
    (dict(num_frames_per_clip=None), "num_frames_per_clip"),
    (dict(num_indices_between_frames=0), "num_indices_between_frames"),
    (dict(sampling_range_start=-61), "sampling_range_start"),
    (dict(sampling_range_start=60), "sampling_range_start"),
    (dict(sampling_range_start=1.0), "sampling_range_start"),
    (dict(sampling_range_start=5, sampling_range_end=5), "smaller than sampling_range_end"),
    (dict(sampling_range_start=5, sampling_range_end=3), "smaller than sampling_range_end"),
    (dict(sampling_range_end=-60), "smaller than sampling_range_end"),
    (dict(sampling_range_end=-61), "sampling_range_end"),
    (dict(sampling_range_end=2.5), "sampling_range_end"),
    (dict(sampling_range_start=58, num_frames_per_clip=5), "last start where it fits is 55"),
    (dict(policy="bad"), "policy"),
    (dict(policy=None), "policy"),
]


@pytest.mark.parametrize("sampler", [clips_at_random_indices, clips_at_regular_indices])
@pytest.mark.parametrize("kwargs, message", INDEX_ERRORS)
def test_index_errors(decoder: VideoDecoder, sampler, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sampler(decoder, **kwargs)


TIME_ERRORS = [
    (dict(num_frames_per_clip=0), "num_frames_per_clip"),
    (dict(seconds_between_frames=0), "seconds_between_frames"),
    (dict(seconds_between_frames=-0.1), "seconds_between_frames"),
    (dict(seconds_between_frames="x"), "seconds_between_frames"),
    (dict(sampling_range_start=-0.5), "sampling_range_start"),
    (dict(sampling_range_start=2.0), "sampling_range_start"),
    (dict(sampling_range_start=float("nan")), "sampling_range_start"),
    (dict(sampling_range_end=0.0), "sampling_range_end"),
    (dict(sampling_range_end=float("nan")), "sampling_range_end"),
    (dict(sampling_range_end=float("-inf")), "sampling_range_end"),
    (dict(sampling_range_start=1.0, sampling_range_end=0.5), "smaller than sampling_range_end"),
    (dict(sampling_range_start=1.5, num_frames_per_clip=20), "the default"),
    (dict(policy="repeat"), "policy"),
]


@pytest.mark.parametrize("kwargs, message", TIME_ERRORS)
def test_random_timestamps_errors(decoder: VideoDecoder, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clips_at_random_timestamps(decoder, **kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    TIME_ERRORS
    + [
        (dict(seconds_between_clip_starts=0), "seconds_between_clip_starts"),
        (dict(seconds_between_clip_starts=-1.0), "seconds_between_clip_starts"),
        (dict(seconds_between_clip_starts=None), "seconds_between_clip_starts"),
    ],
)
def test_regular_timestamps_errors(decoder: VideoDecoder, kwargs: dict, message: str) -> None:
    kwargs = dict(dict(seconds_between_clip_starts=0.5), **kwargs)
    with pytest.raises(ValueError, match=message):
        clips_at_regular_timestamps(decoder, **kwargs)


@pytest.mark.parametrize("bad", [(dict(num_clips=0)), dict(num_clips=2.0)])
def test_random_timestamps_num_clips(decoder: VideoDecoder, bad: dict) -> None:
    with pytest.raises(ValueError, match="num_clips"):
        clips_at_random_timestamps(decoder, **bad)


@pytest.mark.parametrize(
    "sampler",
    [clips_at_random_indices, clips_at_regular_indices, clips_at_random_timestamps],
)
def test_not_a_decoder(sampler) -> None:
    with pytest.raises(ValueError, match="decoder must be"):
        sampler([1, 2, 3])


def test_infinite_range_end_is_clamped(decoder: VideoDecoder) -> None:
    clips = clips_at_regular_timestamps(
        decoder, seconds_between_clip_starts=0.75, sampling_range_end=float("inf")
    )
    _check_time_clips(decoder, clips, [[0.0], [0.75], [1.5]])


def test_approximate_mode_decoder(decoder: VideoDecoder) -> None:
    approx = VideoDecoder(generate.clip("h264_bframes"), seek_mode="approximate")
    for sampler, kwargs in (
        (clips_at_regular_indices, dict(num_clips=3, num_frames_per_clip=4)),
        (clips_at_regular_timestamps, dict(seconds_between_clip_starts=0.6, num_frames_per_clip=2)),
    ):
        got, want = sampler(approx, **kwargs), sampler(decoder, **kwargs)
        assert torch.equal(got.data, want.data)
        torch.testing.assert_close(got.pts_seconds, want.pts_seconds, rtol=0, atol=1e-6)


def test_clip_longer_than_the_video(decoder: VideoDecoder) -> None:
    # The default range still allows a start at 0; the policy fills the rest.
    clips = clips_at_regular_indices(decoder, num_frames_per_clip=70)
    _check_index_clips(decoder, clips, [list(range(60)) + [59] * 10])
    clips = clips_at_random_indices(decoder, num_frames_per_clip=63, policy="wrap")
    _check_index_clips(decoder, clips, [list(range(60)) + [0, 1, 2]])
    with pytest.raises(ValueError, match="policy='error'"):
        clips_at_regular_indices(decoder, num_frames_per_clip=70, policy="error")
