"""Stream and container metadata against ffprobe."""

from __future__ import annotations

import copy
import dataclasses
import fractions
import functools
import io

import numpy as np
import pytest

import codecflow
from codecflow import samplers
from codecflow.decoders import AudioStreamMetadata, VideoDecoder, VideoStreamMetadata


def _ratio(text: str) -> float:
    num, den = (int(x) for x in text.split("/"))
    return num / den


def test_container_metadata_has_every_stream(media):
    path = media.clip("h264_audio")
    probed = media.probe_streams("h264_audio")
    for source in (path, path.read_bytes(), io.BytesIO(path.read_bytes())):
        container = codecflow.get_container_metadata(source)
        assert container.best_video_stream_index == 0
        assert container.best_audio_stream_index == 1
        assert container.duration_seconds_from_header == pytest.approx(
            float(probed["format"]["duration"]), abs=1e-3
        )
        assert container.bit_rate_from_header == pytest.approx(float(probed["format"]["bit_rate"]))
        video, audio = container.streams
        assert isinstance(video, VideoStreamMetadata)
        assert isinstance(audio, AudioStreamMetadata)
        probed_video, probed_audio = probed["streams"]
        assert video.codec == probed_video["codec_name"] == "h264"
        assert (video.width, video.height) == (probed_video["width"], probed_video["height"])
        assert video.num_frames_from_header == int(probed_video["nb_frames"])
        assert video.average_fps_from_header == pytest.approx(
            _ratio(probed_video["avg_frame_rate"])
        )
        assert video.pixel_format == probed_video["pix_fmt"]
        assert video.bit_rate == pytest.approx(float(probed_video["bit_rate"]))
        assert video.pixel_aspect_ratio == fractions.Fraction(1, 1)
        assert audio.codec == "aac"
        assert audio.sample_rate == int(probed_audio["sample_rate"]) == 48000
        assert audio.num_channels == probed_audio["channels"] == 2
        assert audio.sample_format == probed_audio["sample_fmt"]
        assert audio.stream_index == 1
        assert audio.duration_seconds == pytest.approx(float(probed_audio["duration"]))


def test_container_metadata_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        codecflow.get_container_metadata(tmp_path / "nope.mkv")
    with pytest.raises(ValueError):
        codecflow.get_container_metadata(b"definitely not media" * 10)


def test_colour_metadata(media):
    metadata = VideoDecoder(media.clip("yuvj420p")).metadata
    assert metadata.pixel_format == "yuvj420p"
    ten_bit = VideoDecoder(media.clip("yuv420p10")).metadata
    assert ten_bit.pixel_format == "yuv420p10le"
    assert ten_bit.codec == "hevc"


def test_rotated_width_and_height_are_displayed_size(media):
    plain = VideoDecoder(media.clip("rot0")).metadata
    turned = VideoDecoder(media.clip("rot90")).metadata
    assert (turned.width, turned.height) == (plain.height, plain.width)
    assert plain.rotation is None


def test_metadata_repr_lists_fields_and_computed_values(media):
    text = repr(VideoDecoder(media.clip("h264_bframes")).metadata)
    assert "num_frames_from_content: 60" in text
    assert "average_fps: 30.0" in text


def test_ffmpeg_major_version():
    assert codecflow.ffmpeg_major_version >= 5


_TORCHCODEC_VIDEO_FIELDS = [
    "duration_seconds_from_header",
    "begin_stream_seconds_from_header",
    "bit_rate",
    "codec",
    "stream_index",
    "duration_seconds",
    "begin_stream_seconds",
    "begin_stream_seconds_from_content",
    "end_stream_seconds_from_content",
    "width",
    "height",
    "num_frames_from_header",
    "num_frames_from_content",
    "average_fps_from_header",
    "pixel_aspect_ratio",
    "rotation",
    "end_stream_seconds",
    "num_frames",
    "average_fps",
]


def test_computed_values_are_dataclass_fields(media):
    metadata = VideoDecoder(media.clip("h264_bframes")).metadata
    names = [f.name for f in dataclasses.fields(metadata)]
    assert names[: len(_TORCHCODEC_VIDEO_FIELDS)] == _TORCHCODEC_VIDEO_FIELDS
    as_dict = dataclasses.asdict(metadata)
    assert as_dict["num_frames"] == 60
    assert as_dict["average_fps"] == pytest.approx(30.0)
    assert as_dict["duration_seconds"] == pytest.approx(2.0)
    assert as_dict["begin_stream_seconds"] == 0.0
    assert as_dict["end_stream_seconds"] == pytest.approx(2.0)
    assert VideoStreamMetadata(**as_dict) == metadata
    replaced = dataclasses.replace(metadata, num_frames=7)
    assert replaced.num_frames == 7 and metadata.num_frames == 60
    assert dataclasses.replace(metadata) == metadata
    audio = codecflow.get_container_metadata(media.clip("h264_audio")).streams[1]
    assert "duration_seconds" in [f.name for f in dataclasses.fields(audio)]


def test_computed_fields_can_be_set_and_follow_their_sources(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    metadata = copy.copy(decoder.metadata)
    metadata.end_stream_seconds = None
    metadata.average_fps = 12.5
    assert (metadata.end_stream_seconds, metadata.average_fps) == (None, 12.5)
    assert decoder.metadata.end_stream_seconds == pytest.approx(2.0)
    # Not assigned, a computed field follows the fields it comes from.
    header_only = VideoStreamMetadata(
        duration_seconds_from_header=None,
        begin_stream_seconds_from_header=1.5,
        bit_rate=None,
        codec="h264",
        stream_index=0,
        num_frames_from_header=None,
        average_fps_from_header=25.0,
    )
    assert header_only.duration_seconds is None and header_only.num_frames is None
    header_only.duration_seconds_from_header = 2.0
    assert header_only.num_frames == 50
    assert header_only.end_stream_seconds == pytest.approx(3.5)
    header_only.duration_seconds_from_header = None
    header_only.num_frames_from_header = 40
    assert header_only.duration_seconds == pytest.approx(1.6)


@pytest.mark.parametrize("attribute", ["end_stream_seconds", "average_fps"])
def test_time_based_samplers_read_the_assigned_metadata(media, attribute):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    for sampler in (
        samplers.clips_at_random_timestamps,
        functools.partial(samplers.clips_at_regular_timestamps, seconds_between_clip_starts=1),
    ):
        original = copy.copy(decoder.metadata)
        try:
            setattr(decoder.metadata, attribute, None)
            with pytest.raises(ValueError):
                sampler(decoder)
        finally:
            decoder.metadata = original
        assert sampler(decoder).data.shape[1:] == (1, 3, 240, 320)


def test_matroska_with_audio_and_video_falls_back_to_the_container(media):
    """Matroska has a duration for the whole file only: approximate mode
    counts the frames from it and the header's frame rate."""
    name = "mkv_audio_video"
    ref = media.reference_frames(name)
    probed = media.probe_streams(name)
    assert "duration" not in probed["streams"][0]
    container_duration = float(probed["format"]["duration"])
    decoder = VideoDecoder(media.clip(name), seek_mode="approximate", dimension_order="NHWC")
    metadata = decoder.metadata
    assert metadata.duration_seconds_from_header is None
    assert metadata.num_frames_from_header is None
    assert metadata.duration_seconds == pytest.approx(container_duration)
    assert len(decoder) == metadata.num_frames == int(container_duration * 30) == len(ref) == 30
    assert metadata.end_stream_seconds == pytest.approx(container_duration)
    np.testing.assert_array_equal(decoder[:].numpy(), ref)
    np.testing.assert_array_equal(decoder.get_frames_played_at([0.5]).data.numpy(), ref[[15]])
    np.testing.assert_array_equal(decoder.get_all_frames(fps=10).data.numpy(), ref[::3])
    with pytest.raises(IndexError):
        decoder.get_frame_played_at(container_duration)
    exact = VideoDecoder(media.clip(name))
    assert len(exact) == 30 and exact.metadata.duration_seconds == pytest.approx(1.0)
    header = codecflow.get_container_metadata(media.clip(name)).streams[0]
    assert header.num_frames == 30
