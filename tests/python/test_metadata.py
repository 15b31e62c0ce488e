"""Stream and container metadata against ffprobe."""

from __future__ import annotations

import fractions
import io

import pytest

import codecflow
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
