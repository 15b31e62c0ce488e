"""Decoded frames against the ffmpeg CLI's, bit for bit, in any order."""

from __future__ import annotations

import random
import subprocess

import numpy as np
import pytest
import torch

from codecflow.decoders import VideoDecoder

EXACT_CLIPS = [
    "h264_bframes",
    "h264_open_gop",
    "hevc",
    "vp9",
    "mpeg4",
    "av1",
    "h264_audio",
    "odd_size",
    "yuv444p",
    "yuvj420p",
    "yuv420p10",
    "vfr",
    "edit_list",
    "rot90",
    "rot180",
    "rot270",
]


@pytest.mark.parametrize("name", EXACT_CLIPS)
def test_sequential_frames_equal_cli(media, name):
    reference = media.reference_frames(name)
    decoder = VideoDecoder(media.clip(name), dimension_order="NHWC")
    assert len(decoder) == len(reference)
    frames = decoder.get_all_frames().data
    assert frames.dtype == torch.uint8
    assert tuple(frames.shape) == reference.shape
    np.testing.assert_array_equal(frames.numpy(), reference)


@pytest.mark.parametrize("name", EXACT_CLIPS)
def test_random_order_with_repeats_equals_sequential(media, name):
    reference = media.reference_frames(name)
    decoder = VideoDecoder(media.clip(name), dimension_order="NHWC")
    indices = list(range(len(decoder))) * 2
    random.Random(name).shuffle(indices)
    batch = decoder.get_frames_at(indices)
    np.testing.assert_array_equal(batch.data.numpy(), reference[indices])
    # One at a time, jumping around, on the same decoder.
    for i in indices[:12]:
        np.testing.assert_array_equal(decoder[i].numpy(), reference[i])


@pytest.mark.parametrize("name", EXACT_CLIPS)
def test_pts_and_durations_equal_ffprobe(media, name):
    probed = media.probe_frames(name)
    streams = media.probe_streams(name)["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    num, den = (int(x) for x in video["time_base"].split("/"))
    decoder = VideoDecoder(media.clip(name))
    batch = decoder.get_all_frames()
    expected_pts = [f["best_effort_timestamp"] * num / den for f in probed]
    np.testing.assert_allclose(batch.pts_seconds.numpy(), expected_pts, rtol=0, atol=1e-9)
    durations = [f.get("pkt_duration", f.get("duration")) for f in probed]
    if all(d is not None for d in durations):
        np.testing.assert_allclose(
            batch.duration_seconds.numpy(), [d * num / den for d in durations], rtol=0, atol=1e-9
        )


def test_nchw_is_a_view_of_nhwc(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    batch = decoder.get_frames_at([0, 1])
    assert batch.data.shape == (2, 3, 240, 320)
    assert not batch.data.is_contiguous()
    assert batch.data.permute(0, 2, 3, 1).is_contiguous()
    np.testing.assert_array_equal(
        batch.data.permute(0, 2, 3, 1).numpy(), media.reference_frames("h264_bframes")[:2]
    )


def test_iteration_yields_every_frame_in_order(media):
    reference = media.reference_frames("hevc")
    decoder = VideoDecoder(media.clip("hevc"), dimension_order="NHWC")
    frames = [frame for frame in decoder]
    assert len(frames) == len(reference)
    np.testing.assert_array_equal(torch.stack(frames).numpy(), reference)


@pytest.mark.parametrize("threads", [0, 2])
def test_ffmpeg_threads_do_not_change_frames(media, threads):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(
        media.clip("h264_bframes"), dimension_order="NHWC", num_ffmpeg_threads=threads
    )
    indices = [59, 0, 31, 30, 29, 58]
    np.testing.assert_array_equal(decoder.get_frames_at(indices).data.numpy(), reference[indices])


def _cli_frames(path, *flags: str) -> np.ndarray:
    """Every frame of ``ffmpeg [flags] -i path`` as rgb24, flat."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", *flags, "-i", str(path), "-map", "0:v:0",
         "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8)


def test_left_crop_equals_cli_with_unaligned_flag(media):
    # The SPS hides 16 columns on the left and 8 rows at the top. Decoders
    # are opened with AV_CODEC_FLAG_UNALIGNED, so the whole crop is applied,
    # as `ffmpeg -flags unaligned` applies it; the plain CLI rounds the left
    # crop down to the planes' alignment (here to nothing) and keeps the 16
    # hidden columns, which ffprobe's width does not count.
    path = media.clip("h264_crop_topleft")
    decoder = VideoDecoder(path, dimension_order="NHWC")
    assert (decoder.metadata.width, decoder.metadata.height) == (304, 232)
    frames = decoder.get_all_frames().data.numpy()
    assert frames.shape == (30, 232, 304, 3)
    unaligned = _cli_frames(path, "-flags", "unaligned").reshape(-1, 232, 304, 3)
    np.testing.assert_array_equal(frames, unaligned)
    indices = [29, 3, 17, 3, 0]
    np.testing.assert_array_equal(decoder.get_frames_at(indices).data.numpy(), unaligned[indices])
    plain = _cli_frames(path).reshape(-1, 232, 320, 3)
    assert len(plain) == 30
    # Past the hidden columns the plain CLI's picture is the same one.
    np.testing.assert_array_equal(plain[:, :, 16:], frames)


@pytest.mark.parametrize("size", ["100x64", "854x480", "1000x200", "82x40", "648x360", "650x370", "108x60"])
def test_every_column_of_widths_swscale_shortens_equals_cli(tmp_path, size):
    # swscale's SIMD yuv420p -> RGB converter shortens each row to a
    # multiple of 8 pixels when the rounded-up row would not fit the stride
    # and never writes the 1 to 7 pixels past it on widths 16 k + 1 ..
    # 16 k + 7 (100, 854, 82: their last columns differed from the CLI's by
    # up to 255); the CLI's frames have room, a batch's rows are tight. 1000,
    # 648, 650 and 108 are widths the converter covers whole in place.
    path = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=10:duration=0.5",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    width, height = (int(v) for v in size.split("x"))
    expected = _cli_frames(path).reshape(-1, height, width, 3)
    assert len(expected) == 5
    decoder = VideoDecoder(str(path), dimension_order="NHWC")
    np.testing.assert_array_equal(decoder.get_all_frames().data.numpy(), expected)
    np.testing.assert_array_equal(decoder.get_frames_at([4, 0, 2]).data.numpy(), expected[[4, 0, 2]])
    np.testing.assert_array_equal(decoder[3].numpy(), expected[3])
