"""FrameBatch indexing and iteration: FrameBatch objects all the way down."""

from __future__ import annotations

import pytest
import torch

from codecflow import FrameBatch


def _clips() -> FrameBatch:
    clips, frames = 4, 5
    data = torch.arange(clips * frames * 12, dtype=torch.uint8).reshape(clips, frames, 3, 2, 2)
    pts = torch.arange(clips * frames, dtype=torch.float64).reshape(clips, frames) / 10
    return FrameBatch(data, pts, pts / 100)


def test_indexing_gives_frame_batches_down_to_single_frames():
    batch = _clips()
    for i in range(len(batch)):
        clip = batch[i]
        assert isinstance(clip, FrameBatch)
        assert clip.data.shape == (5, 3, 2, 2)
        assert clip.pts_seconds.shape == (5,)
        for j in range(len(clip)):
            frame = clip[j]
            assert isinstance(frame, FrameBatch)
            assert frame.data.shape == (3, 2, 2)
            assert frame.pts_seconds.shape == () and frame.duration_seconds.shape == ()
            assert frame.pts_seconds.item() == pytest.approx((i * 5 + j) / 10)
            assert frame.duration_seconds.item() == pytest.approx((i * 5 + j) / 1000)
            torch.testing.assert_close(frame.data, batch.data[i, j], rtol=0, atol=0)
    fancy = batch[torch.arange(3)]
    assert isinstance(fancy, FrameBatch) and fancy.data.shape == (3, 5, 3, 2, 2)
    picked = batch[([0], [1])]
    assert isinstance(picked, FrameBatch) and picked.data.shape == (1, 3, 2, 2)
    assert picked.pts_seconds.tolist() == [0.1]


def test_iteration_and_unpacking():
    batch = _clips()
    clips = list(batch)
    assert len(clips) == 4 and all(isinstance(c, FrameBatch) for c in clips)
    for clip in clips:
        for frame in clip:
            assert isinstance(frame, FrameBatch)
            assert frame.data.shape == (3, 2, 2) and frame.pts_seconds.shape == ()
    first, *rest = batch
    assert isinstance(first, FrameBatch) and len(rest) == 3


def test_shape_checks():
    with pytest.raises(ValueError):
        FrameBatch(torch.rand(2, 3), torch.rand(1), torch.rand(1))
    with pytest.raises(ValueError):
        FrameBatch(torch.rand(1, 2, 3), torch.rand(1), torch.rand(1))
    with pytest.raises(ValueError):
        FrameBatch(torch.rand(5, 3, 4, 2, 1), torch.rand(5, 3), torch.rand(5, 2))


def test_reprs_show_arrays_by_shape_and_unpacking_follows_the_fields():
    from codecflow import AudioSamples, Frame

    frame = Frame(torch.zeros(3, 2, 4, dtype=torch.uint8), 1, 0.5)
    assert repr(frame) == (
        "Frame(data: (3, 2, 4) torch.uint8, pts_seconds: 1.0, duration_seconds: 0.5)"
    )
    data, pts, duration = frame
    assert data is frame.data and (pts, duration) == (1.0, 0.5)
    batch = _clips()
    assert repr(batch) == (
        "FrameBatch(data: (4, 5, 3, 2, 2) torch.uint8, pts_seconds: (4, 5) torch.float64, "
        "duration_seconds: (4, 5) torch.float64)"
    )
    samples = AudioSamples(torch.zeros(2, 8), 0.25, 0.5, 16)
    assert repr(samples) == (
        "AudioSamples(data: (2, 8) torch.float32, pts_seconds: 0.25, duration_seconds: 0.5, "
        "sample_rate: 16)"
    )
    assert list(samples)[1:] == [0.25, 0.5, 16]
