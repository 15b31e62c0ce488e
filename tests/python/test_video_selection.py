"""Which frames VideoDecoder selects: index ranges, time ranges at frame
boundaries, fps resampling, the types its inputs may have, and key frames.

References are the ffmpeg CLI's frames and ffprobe's timestamps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from codecflow import FrameBatch
from codecflow.decoders import VideoDecoder

MODES = ("exact", "approximate")
FPS = 30.0  # h264_bframes: 60 frames, 1/30 s apart, from 0


@pytest.fixture(scope="module")
def ref(media):
    return media.reference_frames("h264_bframes")


def _decoder(media, mode: str, name: str = "h264_bframes") -> VideoDecoder:
    return VideoDecoder(media.clip(name), seek_mode=mode, dimension_order="NHWC")


def _pts_seconds(media, name: str) -> list[float]:
    """ffprobe's frame pts in seconds, in presentation order."""
    streams = media.probe_streams(name)["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    num, den = (int(x) for x in video["time_base"].split("/"))
    return [f["pts"] * num / den for f in media.probe_frames(name)]


def _assert_frames(batch: FrameBatch, ref: np.ndarray, indices) -> None:
    indices = list(indices)
    assert batch.data.shape[0] == len(indices)
    np.testing.assert_array_equal(batch.data.numpy(), ref[indices])


# ---- time ranges --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_played_in_range_at_frame_boundaries(media, ref, mode):
    decoder = _decoder(media, mode)
    pts = [decoder.get_frame_at(i).pts_seconds for i in range(len(decoder))]
    half = 0.5 / decoder.metadata.average_fps
    cases = [
        ((pts[0], pts[5]), range(0, 5)),  # the stop frame is excluded
        ((pts[0], pts[4] + half), range(0, 5)),
        ((pts[5], pts[10]), range(5, 10)),
        ((pts[6], pts[6] + half), [6]),  # shorter than a frame: the frame shown at start
        ((pts[35], pts[35] + 1e-10), [35]),
        ((pts[8] - half, pts[8] + half), [7, 8]),
        ((pts[0], pts[0] + half), [0]),
        ((pts[59], decoder.metadata.end_stream_seconds), [59]),
    ]
    for (start, stop), expected in cases:
        batch = decoder.get_frames_played_in_range(start, stop)
        _assert_frames(batch, ref, expected)
        np.testing.assert_allclose(batch.pts_seconds.numpy(), np.array(list(expected)) / FPS)
    whole = decoder.get_frames_played_in_range(
        decoder.metadata.begin_stream_seconds, decoder.metadata.end_stream_seconds
    )
    _assert_frames(whole, ref, range(60))
    empty = decoder.get_frames_played_in_range(pts[4], pts[4])
    assert empty.data.shape == (0, 240, 320, 3)
    assert empty.pts_seconds.shape == (0,) and empty.pts_seconds.dtype == torch.float64
    assert empty.duration_seconds.shape == (0,)


@pytest.mark.parametrize("mode", MODES)
def test_played_in_range_errors(media, mode):
    decoder = _decoder(media, mode)
    end = decoder.metadata.end_stream_seconds
    for start, stop in ((1.5, 1.0), (2.5, 3.0), (end, end), (-0.5, 0.5), (0.0, end + 0.1)):
        with pytest.raises(ValueError) as info:
            decoder.get_frames_played_in_range(start, stop)
        assert isinstance(info.value, RuntimeError)
    # A stop exactly at the end is allowed.
    assert len(decoder.get_frames_played_in_range(1.9, end)) == 3


@pytest.mark.parametrize("mode", MODES)
def test_stream_starting_at_8_333_seconds(media, mode):
    """A stream whose pts are not whole microseconds: ffprobe's rounded
    printout of a pts still selects that frame."""
    name = "nonzero_start"
    ref = media.reference_frames(name)
    probed = _pts_seconds(media, name)
    printed = [float(f"{t:.6f}") for t in probed]  # as ffprobe -show_frames prints pts_time
    assert printed[0] < probed[0] == pytest.approx(8.333333, abs=1e-6)
    decoder = _decoder(media, mode, name)
    assert decoder.metadata.begin_stream_seconds == pytest.approx(probed[0])
    frames = decoder.get_frames_at([0, 1, 2])
    np.testing.assert_allclose(frames.pts_seconds.numpy(), probed[:3], rtol=0, atol=1e-9)
    _assert_frames(frames, ref, [0, 1, 2])
    _assert_frames(decoder.get_frames_at([29, 5, 17, 0, 12]), ref, [29, 5, 17, 0, 12])
    ranged = decoder.get_frames_in_range(0, 3)
    np.testing.assert_allclose(ranged.pts_seconds.numpy(), probed[:3], rtol=0, atol=1e-9)
    at_start = decoder.get_frame_played_at(printed[0])
    assert at_start.pts_seconds == pytest.approx(probed[0], abs=1e-9)
    np.testing.assert_array_equal(at_start.data.numpy(), ref[0])
    stop = decoder.get_frame_at(3).pts_seconds
    for start, stop in ((printed[0], stop), (printed[0], printed[3]), (probed[0], printed[3])):
        batch = decoder.get_frames_played_in_range(start, stop)
        _assert_frames(batch, ref, [0, 1, 2])
        np.testing.assert_allclose(batch.pts_seconds.numpy(), probed[:3], rtol=0, atol=1e-9)
    with pytest.raises(IndexError):
        decoder.get_frame_played_at(8.3)
    with pytest.raises(ValueError):
        decoder.get_frames_played_in_range(8.3, 8.4)


# ---- index ranges -------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_frames_in_range_normalizes_bounds_as_slices_do(media, ref, mode):
    decoder = _decoder(media, mode)
    bounds = (None, -1000, -61, -60, -3, -1, 0, 2, 57, 59, 60, 61, 1000)
    for start in bounds:
        if start is None:
            continue
        for stop in bounds:
            for step in (1, 2, 7, 100):
                expected = range(*slice(start, stop, step).indices(60))
                batch = decoder.get_frames_in_range(start, stop, step)
                assert batch.data.shape[0] == len(expected), (start, stop, step)
                np.testing.assert_allclose(
                    batch.pts_seconds.numpy(), np.array(list(expected), dtype=float) / FPS
                )
    _assert_frames(decoder.get_frames_in_range(start=57, stop=1000), ref, [57, 58, 59])
    _assert_frames(decoder.get_frames_in_range(start=-3, stop=None), ref, [57, 58, 59])
    _assert_frames(decoder.get_frames_in_range(-3), ref, [57, 58, 59])
    _assert_frames(
        decoder.get_frames_in_range(np.int64(0), np.int64(10), np.int64(2)), ref, range(0, 10, 2)
    )
    for start, stop in ((60, 61), (100, 200), (10, 5), (5, 5)):
        empty = decoder.get_frames_in_range(start, stop)
        assert empty.data.shape == (0, 240, 320, 3)
        assert empty.pts_seconds.shape == (0,)
    for step in (0, -1):
        with pytest.raises(RuntimeError):
            decoder.get_frames_in_range(0, 10, step)
    with pytest.raises(TypeError):
        decoder.get_frames_in_range(0.5, 10)
    # Bounds and steps far beyond any video clamp, as with slices.
    _assert_frames(decoder.get_frames_in_range(-(10**30), 10**30, 10**30), ref, [0])
    assert len(decoder.get_frames_in_range(10**30, None)) == 0


# ---- input types --------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_get_frames_at_inputs(media, ref, mode):
    decoder = _decoder(media, mode)
    for indices in (
        torch.tensor([0, 10], dtype=torch.int32),
        torch.tensor([0, 10], dtype=torch.int64),
        torch.tensor([0.0, 10.0], dtype=torch.float32),
        torch.tensor([0.9, 10.2], dtype=torch.float64),  # truncated, as a cast to int64 does
    ):
        _assert_frames(decoder.get_frames_at(indices), ref, [0, 10])
    _assert_frames(decoder.get_frames_at([35, 25, -1, -2]), ref, [35, 25, 59, 58])
    with pytest.raises(RuntimeError):
        decoder.get_frames_at([0.3])
    with pytest.raises(RuntimeError):
        decoder.get_frames_at([1, 2.0])
    for bad in ([-10000], [60], [0, 1000]):
        with pytest.raises(IndexError):
            decoder.get_frames_at(bad)
    with pytest.raises(IndexError):
        decoder.get_frame_at(-10000)


@pytest.mark.parametrize("mode", MODES)
def test_get_frames_played_at_inputs(media, ref, mode):
    decoder = _decoder(media, mode)
    for seconds in (torch.tensor([0, 1], dtype=torch.int32), torch.tensor([0, 1])):
        _assert_frames(decoder.get_frames_played_at(seconds), ref, [0, 30])
    floats = torch.tensor([0.84, 1.17, 0.85])
    _assert_frames(decoder.get_frames_played_at(floats), ref, [25, 35, 25])
    _assert_frames(decoder.get_frames_played_at([0, 1.0, np.float64(0.5)]), ref, [0, 30, 15])
    with pytest.raises(ValueError):
        decoder.get_frames_played_at(["bad"])
    with pytest.raises(ValueError):
        decoder.get_frames_played_at([0.5, "0.7"])
    for bad in ([-1], [14], [0.5, 2.0]):
        with pytest.raises(RuntimeError):
            decoder.get_frames_played_at(bad)
    for bad in (-1.0, -1e-3, 2.0, 100.0):
        with pytest.raises(IndexError) as info:
            decoder.get_frame_played_at(bad)
        assert isinstance(info.value, RuntimeError)
    assert decoder.get_frame_played_at(2.0 - 1e-6).pts_seconds == pytest.approx(59 / FPS)


# ---- fps resampling -----------------------------------------------------


def _shown_at(pts: list[float], t: float) -> int:
    return max(i for i, p in enumerate(pts) if p <= t + 1e-9)


@pytest.mark.parametrize("mode", MODES)
def test_fps_resampling(media, ref, mode):
    decoder = _decoder(media, mode)
    pts = [i / FPS for i in range(60)]
    # Down: 5 fps over 1 s gives 5 frames, every sixth.
    low = decoder.get_frames_played_in_range(0.0, 1.0, fps=5)
    _assert_frames(low, ref, [0, 6, 12, 18, 24])
    np.testing.assert_allclose(low.pts_seconds.numpy(), [0.0, 0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(low.duration_seconds.numpy(), [0.2] * 5)
    # Up: three times the rate within one frame repeats it.
    high = decoder.get_frames_played_in_range(pts[0], pts[1], fps=90)
    _assert_frames(high, ref, [0, 0, 0])
    # round((stop - start) * fps) frames, half away from zero: 2.5 -> 3.
    assert len(decoder.get_frames_played_in_range(0.0, 0.25, fps=10)) == 3
    assert len(decoder.get_frames_played_in_range(0.0, 0.24, fps=10)) == 2
    for fps in (5.0, 15.0, 24.0, 29.97, 30.1, 60.0):
        for start, stop in ((0.0, 1.0), (0.0, 2.0), (0.51, 1.73)):
            batch = decoder.get_frames_played_in_range(start, stop, fps=fps)
            count = math.floor((stop - start) * fps + 0.5)
            times = [start + i / fps for i in range(count)]
            _assert_frames(batch, ref, [_shown_at(pts, t) for t in times])
            np.testing.assert_allclose(batch.pts_seconds.numpy(), times, rtol=0, atol=1e-12)
            np.testing.assert_allclose(batch.duration_seconds.numpy(), [1 / fps] * count)
    whole = decoder.get_all_frames(fps=10.0)
    again = decoder.get_frames_played_in_range(0.0, decoder.metadata.end_stream_seconds, fps=10.0)
    assert len(whole) == 20
    torch.testing.assert_close(whole.data, again.data, rtol=0, atol=0)
    _assert_frames(whole, ref, range(0, 60, 3))
    no_fps = decoder.get_frames_played_in_range(0.0, 1.0)
    torch.testing.assert_close(
        no_fps.data, decoder.get_frames_played_in_range(0.0, 1.0, fps=None).data, rtol=0, atol=0
    )
    for fps in (0, -10, float("nan")):
        with pytest.raises(RuntimeError):
            decoder.get_frames_played_in_range(0.0, 1.0, fps=fps)
    with pytest.raises(ValueError):
        decoder.get_frames_played_in_range(0.0, 2.5, fps=10)
    # More frames than any batch can hold: an error, not an allocation.
    for fps in (1e12, 10**400, float("inf")):
        with pytest.raises(ValueError):
            decoder.get_frames_played_in_range(0.0, 1.0, fps=fps)


def test_fps_resampling_of_a_variable_rate_stream(media):
    ref = media.reference_frames("vfr")
    pts = _pts_seconds(media, "vfr")
    decoder = VideoDecoder(media.clip("vfr"), dimension_order="NHWC")
    batch = decoder.get_frames_played_in_range(0.5, 1.5, fps=24)
    times = [0.5 + i / 24 for i in range(24)]
    _assert_frames(batch, ref, [_shown_at(pts, t) for t in times])


# ---- key frames ---------------------------------------------------------


@pytest.mark.parametrize("name", ["h264_bframes", "h264_open_gop", "hevc", "vp9", "av1", "vfr"])
def test_key_frame_indices_match_ffprobe(media, name):
    expected = [i for i, f in enumerate(media.probe_frames(name)) if int(f["key_frame"])]
    decoder = VideoDecoder(media.clip(name))
    indices = decoder.key_frame_indices
    assert indices.dtype == torch.int64
    assert indices.tolist() == expected
    torch.testing.assert_close(decoder._get_key_frame_indices(), indices, rtol=0, atol=0)


def test_key_frames_when_an_edit_list_discards_the_first_one(media):
    """edit_list starts three frames into a GOP: the key frame those frames
    need is decoded but never shown."""
    ref = media.reference_frames("edit_list")
    probed = media.probe_frames("edit_list")
    packets = media.probe_packets("edit_list")
    assert "K" in packets[0]["flags"] and packets[0]["pts"] < 0  # a discarded key frame
    decoder = VideoDecoder(media.clip("edit_list"), dimension_order="NHWC")
    assert len(decoder) == decoder.metadata.num_frames == len(probed) == 42
    assert decoder.key_frame_indices.tolist() == [
        i for i, f in enumerate(probed) if int(f["key_frame"])
    ] == [12, 27]
    assert decoder.get_frame_at(0).pts_seconds == 0.0
    np.testing.assert_allclose(
        [decoder.get_frame_at(i).pts_seconds for i in range(len(decoder))],
        _pts_seconds(media, "edit_list"),
    )
    everything = decoder[:]
    np.testing.assert_array_equal(everything.numpy(), ref)
    for i in (0, 4, 11, 12, 13, 27, 41, 2):
        np.testing.assert_array_equal(decoder.get_frame_at(i).data.numpy(), ref[i])
    # The header counts the discarded packets too: approximate mode believes
    # it, and asking for a frame past the last shown one is an error, not the
    # last frame again.
    approximate = VideoDecoder(
        media.clip("edit_list"), seek_mode="approximate", dimension_order="NHWC"
    )
    assert len(approximate) == approximate.metadata.num_frames_from_header == 45
    np.testing.assert_array_equal(approximate[41].numpy(), ref[41])
    for call in (lambda: approximate[42], lambda: approximate[:]):
        with pytest.raises(RuntimeError, match="frames end at 1.4"):
            call()


def test_key_frame_indices_need_the_scan(media):
    decoder = VideoDecoder(media.clip("h264_bframes"), seek_mode="approximate")
    with pytest.raises(RuntimeError, match="approximate"):
        decoder.key_frame_indices


@pytest.mark.parametrize("clip", ["mpeg4", "vp9", "yuvj420p", "h264_bframes"])
def test_range_stop_just_after_a_frame_holds_it(media, clip):
    # A frame belongs to [a, b) when its pts in seconds is before b, whatever
    # the stream's time base: a stop 0.1 ms after a frame's pts (less than a
    # tick of a 1/30 time base) holds it, a stop at its pts does not.
    decoder = VideoDecoder(media.clip(clip))
    pts = decoder.get_frames_in_range(0, len(decoder)).pts_seconds.tolist()
    begin = pts[0]
    for k in (1, 5, len(pts) // 2, len(pts) - 1):
        after = decoder.get_frames_played_in_range(begin, pts[k] + 1e-4)
        assert after.pts_seconds.tolist() == pts[: k + 1]
        at = decoder.get_frames_played_in_range(begin, pts[k])
        assert at.pts_seconds.tolist() == pts[:k]
