"""Samplers and RandomCrop without torch: NumPy generators, or seeds from `random`."""

from __future__ import annotations

import random

import numpy as np
import pytest

from codecflow import samplers
from codecflow.decoders import VideoDecoder
from codecflow.transforms import RandomCrop


@pytest.fixture
def decoder(media):
    return VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")


def test_random_indices_follow_the_generator(media, decoder):
    reference = media.reference_frames("h264_bframes")
    clips = samplers.clips_at_random_indices(
        decoder, num_clips=4, num_frames_per_clip=3, num_indices_between_frames=2,
        generator=np.random.default_rng(7),
    )  # fmt: skip
    starts = np.random.default_rng(7).integers(0, len(decoder) - 4, size=4)
    assert clips.data.shape == (4, 3, 240, 320, 3)
    for clip, start in zip(clips.data, starts):
        np.testing.assert_array_equal(clip, reference[start : start + 5 : 2])
    assert clips.pts_seconds.shape == (4, 3) and clips.pts_seconds.dtype == np.float64
    np.testing.assert_allclose(clips.pts_seconds[:, 0], starts / 30)


def test_random_timestamps_follow_the_generator(decoder):
    clips = samplers.clips_at_random_timestamps(
        decoder, num_clips=5, generator=np.random.default_rng(3)
    )
    draws = np.random.default_rng(3).random(5, dtype=np.float32).astype(np.float64)
    end = decoder.metadata.end_stream_seconds
    times = draws * end
    np.testing.assert_allclose(clips.pts_seconds[:, 0], np.floor(times * 30) / 30, atol=1e-9)


def test_python_random_seed_makes_draws_repeatable(decoder):
    def draw():
        return samplers.clips_at_random_indices(decoder, num_clips=6).pts_seconds.tolist()

    random.seed(11)
    first = draw()
    random.seed(11)
    assert draw() == first
    random.seed(12)
    assert draw() != first


def test_regular_samplers(media, decoder):
    reference = media.reference_frames("h264_bframes")
    clips = samplers.clips_at_regular_indices(decoder, num_clips=4, num_frames_per_clip=2)
    # linspace(0, 58, 4) truncated: 0, 19, 38, 58
    np.testing.assert_array_equal(clips.data[:, 0], reference[[0, 19, 38, 58]])
    timed = samplers.clips_at_regular_timestamps(
        decoder, seconds_between_clip_starts=0.5, num_frames_per_clip=2
    )
    np.testing.assert_allclose(timed.pts_seconds[:, 0], [0.0, 0.5, 1.0, 1.5], atol=1e-9)
    np.testing.assert_array_equal(timed.data[:, 1], reference[[1, 16, 31, 46]])


def test_bad_generator_is_a_value_error(decoder):
    with pytest.raises(ValueError, match="generator"):
        samplers.clips_at_random_indices(decoder, generator=42)
    with pytest.raises(ValueError, match="generator"):
        RandomCrop(10, generator=np.random.RandomState(0))


def test_random_crop_follows_the_generator(media):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(
        media.clip("h264_bframes"),
        dimension_order="NHWC",
        transforms=[RandomCrop((100, 80), generator=np.random.default_rng(5))],
    )
    rng = np.random.default_rng(5)
    top = int(rng.integers(0, 240 - 100 + 1))
    left = int(rng.integers(0, 320 - 80 + 1))
    np.testing.assert_array_equal(decoder[4], reference[4, top : top + 100, left : left + 80])
