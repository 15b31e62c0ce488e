"""float32 frames: swscale's 16-bit RGB (``ffmpeg -pix_fmt rgb48le``) divided by 65535.

Every source goes through rgb48, 8-bit ones included, so a float32 frame
times 65535 is exactly the CLI's 16-bit value; each decoding method is
checked against the CLI's frames.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import generate
from codecflow.decoders import VideoDecoder
from codecflow.transforms import CenterCrop

# 8-bit 4:2:0, 4:4:4, full-range, odd-sized, rotated and 10-bit sources.
CLIPS = ["h264_bframes", "mpeg4", "vp9", "yuvj420p", "yuv444p", "odd_size",
         "color_bt709_full", "rot90", "yuv420p10", "color_bt2020_10bit"]  # fmt: skip


def _expected(ref: np.ndarray) -> torch.Tensor:
    """float32 (..., H, W, 3) from the CLI's uint16 frames, divided as the core divides."""
    return torch.from_numpy(ref.astype(np.float32)) / 65535.0


def _assert_rgb48(got: torch.Tensor, ref: np.ndarray, nchw: bool) -> None:
    assert got.dtype == torch.float32
    if nchw:
        got = got.movedim(-3, -1)
    expected = _expected(ref)
    assert tuple(got.shape) == tuple(expected.shape)
    # Exactly the CLI's 16-bit values, not 8-bit ones scaled up.
    as_uint16 = (got.double() * 65535).round().to(torch.int32)
    assert torch.equal(as_uint16, torch.from_numpy(ref.astype(np.int32)))
    assert torch.equal(got.contiguous(), expected)


@pytest.mark.parametrize(
    "name,order",
    [(name, "NCHW") for name in CLIPS] + [("h264_bframes", "NHWC"), ("yuv420p10", "NHWC")],
)
def test_every_method_gives_rgb48_over_65535(name: str, order: str) -> None:
    ref = generate.reference_frames_rgb48(name)
    decoder = VideoDecoder(generate.clip(name), output_dtype=torch.float32, dimension_order=order)
    n = len(decoder)
    assert n == ref.shape[0]
    nchw = order == "NCHW"
    picks = [0, 5, 10, n - 1]
    for i in picks:
        _assert_rgb48(decoder[i], ref[i], nchw)
        _assert_rgb48(decoder.get_frame_at(i).data, ref[i], nchw)
    _assert_rgb48(decoder.get_frames_at([10, 0, 5, 5]).data, ref[[10, 0, 5, 5]], nchw)
    _assert_rgb48(decoder.get_frames_in_range(5, 11).data, ref[5:11], nchw)
    _assert_rgb48(decoder[1:n:4], ref[1:n:4], nchw)
    pts = [decoder.get_frame_at(i).pts_seconds for i in picks]
    durations = [decoder.get_frame_at(i).duration_seconds for i in picks]
    for i, t, d in zip(picks, pts, durations):
        _assert_rgb48(decoder.get_frame_played_at(t).data, ref[i], nchw)
        one = decoder.get_frames_played_in_range(t, t + d / 2)
        _assert_rgb48(one.data, ref[i : i + 1], nchw)
    _assert_rgb48(decoder.get_frames_played_at(pts).data, ref[picks], nchw)
    _assert_rgb48(decoder.get_frames_played_in_range(0.0, pts[2] + 1e-4).data, ref[:11], nchw)
    _assert_rgb48(decoder.get_all_frames().data, ref, nchw)


def test_approximate_mode_and_crops_keep_16_bits() -> None:
    ref = generate.reference_frames_rgb48("h264_bframes")
    decoder = VideoDecoder(
        generate.clip("h264_bframes"), output_dtype=torch.float32, seek_mode="approximate"
    )
    _assert_rgb48(decoder.get_frames_at([3, 40]).data, ref[[3, 40]], nchw=True)
    # A crop cuts the 16-bit image: the CLI's values inside the window.
    cropped = VideoDecoder(
        generate.clip("h264_bframes"),
        output_dtype=torch.float32,
        dimension_order="NHWC",
        transforms=[CenterCrop((100, 120))],
    )
    top, left = (240 - 100) // 2, (320 - 120) // 2
    _assert_rgb48(cropped[7], ref[7, top : top + 100, left : left + 120], nchw=False)


def test_eight_bit_sources_are_not_rgb24_scaled() -> None:
    # Dividing 8-bit RGB by 255 differs from swscale's 16-bit conversion by
    # up to 3 of 255 levels on this clip; the float output is the latter.
    ref48 = generate.reference_frames_rgb48("h264_bframes")[:4]
    ref24 = generate.reference_frames("h264_bframes")[:4]
    got = VideoDecoder(
        generate.clip("h264_bframes"), output_dtype=torch.float32, dimension_order="NHWC"
    )[0:4]
    scaled = torch.from_numpy(ref24).float() / 255
    assert (got - scaled).abs().max().item() > 1 / 65535
    assert torch.equal(got, _expected(ref48))
    # uint8 output is still the CLI's rgb24, and "auto" keeps uint8 for 8 bits.
    auto = VideoDecoder(generate.clip("h264_bframes"), output_dtype="auto", dimension_order="NHWC")
    assert torch.equal(auto[0:4], torch.from_numpy(ref24))
