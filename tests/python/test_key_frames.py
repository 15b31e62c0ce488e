"""[extra] Key-frame times, key-frames-only decoding and clips that start at key frames."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
import torch

from codecflow.decoders import VideoDecoder
from codecflow.samplers import clips_at_random_indices, clips_at_regular_indices

CLIPS = ["h264_bframes", "h264_open_gop", "edit_list", "vfr", "vp9", "av1", "hevc", "mpeg4",
         "ffv1"]


@pytest.mark.parametrize("name", CLIPS)
def test_key_frames_only_equal_the_key_frames_of_a_full_decode(media, name):
    decoder = VideoDecoder(media.clip(name), dimension_order="NHWC")
    keys = decoder.key_frame_indices
    assert keys.numel() >= 1
    full = decoder.get_all_frames()
    only = decoder.get_key_frames()
    assert torch.equal(only.data, full.data[keys])
    assert torch.equal(only.pts_seconds, full.pts_seconds[keys])
    assert torch.equal(only.duration_seconds, full.duration_seconds[keys])
    # ... and the ffmpeg CLI's frames at those indices.
    reference = media.reference_frames(name)
    np.testing.assert_array_equal(only.data.numpy(), reference[keys.numpy()])


@pytest.mark.parametrize("name", ["h264_bframes", "h264_open_gop", "vfr"])
def test_key_frame_pts_seconds_are_those_frames_pts(media, name):
    decoder = VideoDecoder(media.clip(name))
    seconds = decoder.key_frame_pts_seconds
    assert seconds.dtype == torch.float64
    frames = decoder.get_frames_at(decoder.key_frame_indices)
    assert torch.equal(seconds, frames.pts_seconds)
    assert torch.all(seconds[1:] > seconds[:-1])
    probed = [f for f in media.probe_frames(name) if int(f["key_frame"]) == 1]
    num, den = decoder._decoder.time_base
    assert seconds.tolist() == [f["pts"] * (num / den) for f in probed]


def test_key_frames_match_ffmpeg_skip_frame_nokey(media):
    # ffmpeg -skip_frame nokey decodes only the key frames, as get_key_frames does.
    path = media.clip("h264_open_gop")
    decoder = VideoDecoder(path, dimension_order="NHWC")
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-skip_frame", "nokey", "-i", str(path), "-map", "0:v:0",
         "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
        check=True, capture_output=True,
    ).stdout
    h, w = decoder.metadata.height, decoder.metadata.width
    reference = np.frombuffer(raw, dtype=np.uint8).reshape(-1, h, w, 3)
    np.testing.assert_array_equal(decoder.get_key_frames().data.numpy(), reference)


def test_decoding_after_key_frames_only_is_exact(media):
    name = "h264_open_gop"
    decoder = VideoDecoder(media.clip(name), dimension_order="NHWC")
    reference = media.reference_frames(name)
    decoder.get_frame_at(13)
    decoder.get_key_frames()
    # Frames in the GOP of the last key frame decoded, and before it.
    for index in (len(decoder) - 1, 1, 14, 25):
        np.testing.assert_array_equal(decoder[index].numpy(), reference[index])


def test_key_frames_need_the_exact_index(media):
    decoder = VideoDecoder(media.clip("h264_bframes"), seek_mode="approximate")
    with pytest.raises(RuntimeError, match="approximate"):
        decoder.get_key_frames()
    with pytest.raises(RuntimeError, match="approximate"):
        decoder.key_frame_pts_seconds


@pytest.mark.parametrize("sampler", [clips_at_random_indices, clips_at_regular_indices])
def test_clips_start_at_key_frames(media, sampler):
    decoder = VideoDecoder(media.clip("h264_open_gop"))
    keys = decoder.key_frame_indices.tolist()
    torch.manual_seed(0)
    clips = sampler(decoder, num_clips=8, num_frames_per_clip=3, start_at_key_frames=True)
    assert clips.data.shape[:2] == (8, 3)
    all_pts = decoder.get_all_frames().pts_seconds.tolist()
    key_pts = {all_pts[k] for k in keys}
    starts = clips.pts_seconds[:, 0].tolist()
    assert set(starts) <= key_pts
    if sampler is clips_at_regular_indices:
        fitting = [k for k in keys if k < len(decoder) - 2]
        expected = [fitting[i] for i in torch.linspace(0, len(fitting) - 1, 8).long().tolist()]
        assert starts == [all_pts[k] for k in expected]


def test_clips_at_key_frames_within_the_range(media):
    decoder = VideoDecoder(media.clip("h264_open_gop"))
    keys = decoder.key_frame_indices.tolist()
    clips = clips_at_regular_indices(
        decoder, num_clips=2, sampling_range_start=keys[1], sampling_range_end=keys[2] + 1,
        start_at_key_frames=True,
    )
    pts = decoder.get_frames_at([keys[1], keys[2]]).pts_seconds
    assert torch.equal(clips.pts_seconds[:, 0], pts)
    with pytest.raises(ValueError, match="no key frame"):
        clips_at_random_indices(
            decoder, sampling_range_start=keys[1] + 1, sampling_range_end=keys[2],
            start_at_key_frames=True,
        )
    with pytest.raises(ValueError, match="start_at_key_frames"):
        clips_at_random_indices(decoder, start_at_key_frames="yes")
