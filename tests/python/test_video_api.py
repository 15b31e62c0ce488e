"""The VideoDecoder API of TorchCodec, method by method, with its errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from codecflow import Frame, FrameBatch, _core
from codecflow.decoders import (
    CpuFallbackStatus,
    SimpleVideoDecoder,
    VideoDecoder,
    VideoStreamMetadata,
)

FPS = 30.0


@pytest.fixture(scope="module")
def clip(media):
    return media.clip("h264_bframes")


@pytest.fixture(scope="module")
def ref(media):
    return media.reference_frames("h264_bframes")


@pytest.fixture
def decoder(clip):
    return VideoDecoder(clip, dimension_order="NHWC")


def test_alias_and_len(clip):
    assert SimpleVideoDecoder is VideoDecoder
    assert len(VideoDecoder(clip)) == 60


def test_getitem_int_negative_and_slices(decoder, ref):
    np.testing.assert_array_equal(decoder[0].numpy(), ref[0])
    np.testing.assert_array_equal(decoder[-1].numpy(), ref[-1])
    np.testing.assert_array_equal(decoder[-60].numpy(), ref[0])
    np.testing.assert_array_equal(decoder[np.int64(5)].numpy(), ref[5])
    np.testing.assert_array_equal(decoder[10:20:3].numpy(), ref[10:20:3])
    np.testing.assert_array_equal(decoder[::-7].numpy(), ref[::-7])
    np.testing.assert_array_equal(decoder[-5:].numpy(), ref[-5:])
    assert decoder[50:10].shape == (0, 240, 320, 3)


@pytest.mark.parametrize("key", [60, -61, 1000])
def test_getitem_out_of_range(decoder, key):
    with pytest.raises(IndexError):
        decoder[key]


@pytest.mark.parametrize("key", [1.0, "1", None, (1, 2), True])
def test_getitem_bad_key_type(decoder, key):
    with pytest.raises(TypeError):
        decoder[key]


def test_get_frame_at(decoder, ref):
    frame = decoder.get_frame_at(31)
    assert isinstance(frame, Frame)
    np.testing.assert_array_equal(frame.data.numpy(), ref[31])
    assert frame.pts_seconds == pytest.approx(31 / FPS)
    assert frame.duration_seconds == pytest.approx(1 / FPS)
    data, pts, duration = frame
    assert pts == frame.pts_seconds
    assert "shape" not in repr(frame) or "(240, 320, 3)" in repr(frame)
    assert decoder.get_frame_at(-1).pts_seconds == pytest.approx(59 / FPS)
    with pytest.raises(IndexError):
        decoder.get_frame_at(60)


def test_get_frames_at_any_order_with_duplicates(decoder, ref):
    indices = [40, 2, 2, 59, 0, 40, -1]
    batch = decoder.get_frames_at(indices)
    assert isinstance(batch, FrameBatch)
    expected = [i % 60 for i in indices]
    np.testing.assert_array_equal(batch.data.numpy(), ref[expected])
    np.testing.assert_allclose(batch.pts_seconds.numpy(), np.array(expected) / FPS)
    assert batch.pts_seconds.dtype == torch.float64
    as_tensor = decoder.get_frames_at(torch.tensor([3, 1]))
    np.testing.assert_array_equal(as_tensor.data.numpy(), ref[[3, 1]])
    assert len(decoder.get_frames_at([])) == 0
    with pytest.raises(IndexError):
        decoder.get_frames_at([0, 60])


def test_frame_batch_indexing_and_iteration(decoder, ref):
    batch = decoder.get_frames_at([1, 2, 3, 4])
    assert len(batch) == 4
    sub = batch[1:3]
    assert isinstance(sub, FrameBatch)
    np.testing.assert_array_equal(sub.data.numpy(), ref[2:4])
    # Indexing and iteration give FrameBatch objects down to single frames,
    # whose timestamps are 0-d tensors.
    frames = list(batch)
    assert all(isinstance(f, FrameBatch) for f in frames)
    assert frames[3].data.shape == (240, 320, 3)
    assert frames[3].pts_seconds.shape == ()
    assert frames[3].pts_seconds.item() == pytest.approx(4 / FPS)
    np.testing.assert_array_equal(batch[2].data.numpy(), ref[3])
    with pytest.raises(ValueError):
        FrameBatch(torch.zeros(2, 3, 4, 4), torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError):
        Frame(torch.zeros(3, 4), 0.0, 0.0)


def test_get_frames_in_range(decoder, ref):
    batch = decoder.get_frames_in_range(10, 20, 3)
    np.testing.assert_array_equal(batch.data.numpy(), ref[10:20:3])
    np.testing.assert_array_equal(decoder.get_frames_in_range(55, 100).data.numpy(), ref[55:])
    np.testing.assert_array_equal(decoder.get_frames_in_range(-3, 60).data.numpy(), ref[-3:])
    assert len(decoder.get_frames_in_range(5, 5)) == 0
    # Bounds clamp as slice.indices does: past the end or stop <= start is empty.
    assert decoder.get_frames_in_range(60, 61).data.shape == (0, 240, 320, 3)
    assert len(decoder.get_frames_in_range(10, 5)) == 0
    with pytest.raises(ValueError):
        decoder.get_frames_in_range(0, 10, 0)


def test_get_frame_played_at(decoder, ref):
    frame = decoder.get_frame_played_at(1.0)
    assert frame.pts_seconds == pytest.approx(1.0)
    np.testing.assert_array_equal(frame.data.numpy(), ref[30])
    # Just before the next frame starts, the previous one is still shown.
    frame = decoder.get_frame_played_at(31 / FPS - 1e-4)
    np.testing.assert_array_equal(frame.data.numpy(), ref[30])
    assert decoder.get_frame_played_at(0.0).pts_seconds == 0.0
    last = decoder.get_frame_played_at(2.0 - 1e-6)
    assert last.pts_seconds == pytest.approx(59 / FPS)
    for bad in (-0.01, 2.0, 100.0):
        with pytest.raises(IndexError) as info:
            decoder.get_frame_played_at(bad)
        assert isinstance(info.value, RuntimeError)


def test_get_frames_played_at(decoder, ref):
    batch = decoder.get_frames_played_at([1.99, 0.0, 0.51, 0.51])
    np.testing.assert_array_equal(batch.data.numpy(), ref[[59, 0, 15, 15]])
    batch = decoder.get_frames_played_at(torch.tensor([0.1, 0.2]))
    np.testing.assert_array_equal(batch.data.numpy(), ref[[3, 6]])
    with pytest.raises(IndexError):
        decoder.get_frames_played_at([0.5, 2.5])


def test_get_frames_played_in_range(decoder, ref):
    batch = decoder.get_frames_played_in_range(0.5, 1.0)
    np.testing.assert_array_equal(batch.data.numpy(), ref[15:30])
    np.testing.assert_allclose(batch.pts_seconds.numpy(), np.arange(15, 30) / FPS)
    assert len(decoder.get_frames_played_in_range(1.0, 1.0)) == 0
    # fps resampling: 10 fps takes every third frame, 60 fps repeats each.
    slow = decoder.get_frames_played_in_range(0.0, 1.0, fps=10)
    np.testing.assert_array_equal(slow.data.numpy(), ref[0:30:3])
    fast = decoder.get_frames_played_in_range(0.0, 0.2, fps=60)
    np.testing.assert_array_equal(fast.data.numpy(), ref[[0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]])
    with pytest.raises(ValueError):
        decoder.get_frames_played_in_range(1.0, 0.5)
    with pytest.raises(ValueError):
        decoder.get_frames_played_in_range(-1.0, 0.5)
    with pytest.raises(ValueError):
        decoder.get_frames_played_in_range(2.5, 3.0)
    for fps in (0, -5):
        with pytest.raises(ValueError) as info:
            decoder.get_frames_played_in_range(0.0, 1.0, fps=fps)
        assert isinstance(info.value, RuntimeError)


def test_get_all_frames(decoder, ref):
    np.testing.assert_array_equal(decoder.get_all_frames().data.numpy(), ref)
    half = decoder.get_all_frames(fps=15)
    np.testing.assert_array_equal(half.data.numpy(), ref[::2])
    with pytest.raises(ValueError):
        decoder.get_all_frames(fps=0)


def test_metadata(clip):
    metadata = VideoDecoder(clip).metadata
    assert isinstance(metadata, VideoStreamMetadata)
    assert (metadata.width, metadata.height) == (320, 240)
    assert metadata.codec == "h264"
    assert metadata.pixel_format == "yuv420p"
    assert metadata.num_frames == 60
    assert metadata.num_frames_from_content == 60
    assert metadata.num_frames_from_header == 60
    assert metadata.average_fps == pytest.approx(30.0)
    assert metadata.duration_seconds == pytest.approx(2.0)
    assert metadata.begin_stream_seconds == 0.0
    assert metadata.end_stream_seconds == pytest.approx(2.0)
    assert metadata.rotation is None
    assert metadata.stream_index == 0
    approximate = VideoDecoder(clip, seek_mode="approximate").metadata
    assert approximate.num_frames_from_content is None
    assert approximate.num_frames == 60
    assert approximate.average_fps == pytest.approx(30.0)


def test_bad_options(clip):
    for kwargs in (
        {"dimension_order": "CHW"},
        {"seek_mode": "fast"},
        {"output_dtype": torch.float16},
        {"num_ffmpeg_threads": -1},
        {"device": "tpu"},
        {"transforms": ["resize"]},
    ):
        with pytest.raises(ValueError):
            VideoDecoder(clip, **kwargs)


@pytest.mark.skipif(
    torch.cuda.is_available() and _core.has_cuda(),
    reason="CUDA is present here: test_cuda.py decodes on it",
)
def test_cuda_without_cuda_is_runtime_error(clip):
    for device in ("cuda", "cuda:0", torch.device("cuda")):
        with pytest.raises(RuntimeError, match="CUDA"):
            VideoDecoder(clip, device=device)


def test_cpu_fallback_tells_the_truth(clip):
    # On the CPU there is nothing to fall back from: known from construction.
    decoder = VideoDecoder(clip)
    assert isinstance(decoder.cpu_fallback, CpuFallbackStatus)
    assert decoder.cpu_fallback.status_known
    assert not decoder.cpu_fallback
    decoder[0]
    assert decoder.cpu_fallback.status_known
    assert not decoder.cpu_fallback
    assert "CPU" in str(decoder.cpu_fallback)
    assert "No fallback required" in str(decoder.cpu_fallback)


def test_approximate_mode_matches_exact_on_constant_rate_clips(media):
    for name in ("h264_bframes", "hevc", "mpeg4", "vp9", "av1"):
        ref = media.reference_frames(name)
        decoder = VideoDecoder(media.clip(name), seek_mode="approximate", dimension_order="NHWC")
        assert len(decoder) == len(ref), name
        indices = [len(ref) - 1, 0, 7, 3, len(ref) // 2]
        np.testing.assert_array_equal(decoder.get_frames_at(indices).data.numpy(), ref[indices])
        frame = decoder.get_frame_played_at(0.5)
        assert frame.pts_seconds <= 0.5 < frame.pts_seconds + frame.duration_seconds


def _mappings(media, name: str) -> str:
    frames = media.probe_frames(name)
    return json.dumps(
        {
            "frames": [
                {"pts": f["pts"], "duration": f["pkt_duration"], "key_frame": f["key_frame"]}
                for f in frames
            ]
        }
    )


def test_custom_frame_mappings_replace_the_scan(media, ref):
    mappings = _mappings(media, "h264_bframes")
    decoder = VideoDecoder(
        media.clip("h264_bframes"), custom_frame_mappings=mappings, dimension_order="NHWC"
    )
    assert len(decoder) == 60
    np.testing.assert_array_equal(decoder.get_frames_at([50, 3, 17]).data.numpy(), ref[[50, 3, 17]])
    renamed = mappings.replace('"pts"', '"pkt_pts"').replace('"duration"', '"pkt_duration"')
    import io

    decoder = VideoDecoder(media.clip("h264_bframes"), custom_frame_mappings=io.StringIO(renamed))
    assert len(decoder) == 60


@pytest.mark.parametrize(
    "bad", ["not json", "{}", '{"frames": [{"pts": 0}]}', b'{"frames": []}', 42]
)
def test_custom_frame_mappings_errors(media, bad):
    with pytest.raises(ValueError):
        VideoDecoder(media.clip("h264_bframes"), custom_frame_mappings=bad)


def test_custom_frame_mappings_with_approximate_is_value_error(media):
    with pytest.raises(ValueError):
        VideoDecoder(
            media.clip("h264_bframes"),
            custom_frame_mappings=_mappings(media, "h264_bframes"),
            seek_mode="approximate",
        )


def test_num_frames_is_always_decodable(media):
    for name in ("h264_bframes", "edit_list", "vp9", "vfr", "h264_open_gop"):
        decoder = VideoDecoder(media.clip(name))
        last = decoder.get_frame_at(len(decoder) - 1)
        assert last.pts_seconds == pytest.approx(
            decoder.metadata.end_stream_seconds - last.duration_seconds
        )


def test_float_output(clip, media):
    # swscale's 16-bit RGB over 65535 (tests/python/test_float_output.py).
    decoder = VideoDecoder(clip, output_dtype=torch.float32, dimension_order="NHWC")
    frame = decoder[3]
    assert frame.dtype == torch.float32
    ref48 = media.reference_frames_rgb48("h264_bframes")[3]
    assert torch.equal(frame, torch.from_numpy(ref48.astype("float32")) / 65535)
    auto = VideoDecoder(clip, output_dtype="auto")
    assert auto[0].dtype == torch.uint8


def test_ten_bit_source(media):
    ref = media.reference_frames("yuv420p10")
    name = media.clip("yuv420p10")
    uint8 = VideoDecoder(name, dimension_order="NHWC")
    np.testing.assert_array_equal(uint8.get_all_frames().data.numpy(), ref)
    auto = VideoDecoder(name, output_dtype="auto", dimension_order="NHWC")
    frames = auto.get_frames_at([0, 5]).data
    assert frames.dtype == torch.float32
    assert 0.0 <= float(frames.min()) and float(frames.max()) <= 1.0
    # Deeper than 8 bits: more distinct levels than uint8 has.
    assert torch.unique(frames).numel() > 256
    # The float path converts through 16-bit RGB; the CLI's 8-bit output
    # rounds (and upsamples chroma) on its own way: close, not identical.
    error = (frames * 255 - torch.from_numpy(ref[[0, 5]]).float()).abs()
    assert float(error.mean()) < 1.0
    assert float(error.max()) <= 4.0


def test_rotation_metadata_and_upright_frames(media):
    for name, rotation in (("rot90", -90.0), ("rot180", 180.0), ("rot270", 90.0)):
        decoder = VideoDecoder(media.clip(name), dimension_order="NHWC")
        assert decoder.metadata.rotation is not None
        assert abs(decoder.metadata.rotation) == pytest.approx(abs(rotation))
        ref = media.reference_frames(name)
        assert (decoder.metadata.height, decoder.metadata.width) == ref.shape[1:3]
        np.testing.assert_array_equal(decoder.get_frames_at([0, 9]).data.numpy(), ref[[0, 9]])


def test_vfr_frame_played_at_is_the_one_on_screen(media):
    probed = media.probe_frames("vfr")
    streams = media.probe_streams("vfr")["streams"]
    num, den = (int(x) for x in streams[0]["time_base"].split("/"))
    starts = [f["pts"] * num / den for f in probed]
    ref = media.reference_frames("vfr")
    decoder = VideoDecoder(media.clip("vfr"), dimension_order="NHWC")
    times = np.linspace(0, starts[-1], 97)
    batch = decoder.get_frames_played_at(times.tolist())
    for k, t in enumerate(times):
        on_screen = max(i for i, s in enumerate(starts) if s <= t + 1e-9)
        np.testing.assert_array_equal(batch.data[k].numpy(), ref[on_screen])
    gaps = np.diff(starts)
    assert gaps.max() > gaps.min() * 1.5


def test_edit_list_first_frame_is_not_a_key_frame(media):
    ref = media.reference_frames("edit_list")
    decoder = VideoDecoder(media.clip("edit_list"), dimension_order="NHWC")
    assert decoder.get_frame_at(0).pts_seconds == 0.0
    assert len(decoder) == len(ref)
    np.testing.assert_array_equal(decoder.get_frames_at([0, 1, 41]).data.numpy(), ref[[0, 1, 41]])


def test_status_repr():
    status = CpuFallbackStatus()
    assert "status_known=False" in repr(status)
