"""Encoding without torch: NumPy arrays and other __dlpack__ objects in, exact round trips."""

from __future__ import annotations

import numpy as np
import pytest

from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder


class OnlyDLPack:
    """An array from another library: nothing but the DLPack protocol."""

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    def __dlpack__(self, **kwargs):
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._array.__dlpack_device__()


def _frames(media, count=6):
    reference = media.reference_frames("h264_bframes")[:count]
    return np.ascontiguousarray(reference.transpose(0, 3, 1, 2))


def test_video_round_trip_is_exact(media):
    frames = _frames(media)
    encoder = VideoEncoder(frames, frame_rate=30)
    encoded = encoder.to_tensor("mkv", codec="ffv1", pixel_format="bgr0")
    assert type(encoded) is np.ndarray and encoded.dtype == np.uint8 and encoded.ndim == 1
    np.testing.assert_array_equal(VideoDecoder(encoded).get_all_frames().data, frames)


def test_decoded_frames_encode_as_they_are(media, tmp_path):
    """Channels-last views (what the decoder returns) and read-only arrays."""
    decoded = VideoDecoder(media.clip("h264_bframes")).get_frames_in_range(0, 5).data
    readonly = decoded.copy()
    readonly.flags.writeable = False
    for frames in (decoded, readonly, decoded[:, :, ::-1]):
        dest = tmp_path / "out.mkv"
        VideoEncoder(frames, frame_rate=30).to_file(dest, codec="ffv1", pixel_format="bgr0")
        np.testing.assert_array_equal(VideoDecoder(dest).get_all_frames().data, frames)


def test_any_dlpack_object_is_encoded(media):
    frames = _frames(media, 3)
    encoded = VideoEncoder(OnlyDLPack(frames), frame_rate=30).to_tensor(
        "mkv", codec="ffv1", pixel_format="bgr0"
    )
    np.testing.assert_array_equal(VideoDecoder(encoded).get_all_frames().data, frames)
    samples = np.linspace(-1, 1, 800, dtype=np.float32).reshape(2, 400)
    wav = AudioEncoder(OnlyDLPack(samples), sample_rate=8000).to_tensor("wav", codec="pcm_f32le")
    np.testing.assert_array_equal(AudioDecoder(wav).get_all_samples().data, samples)


def test_h264_to_mp4_decodes_close_to_the_input(media, tmp_path):
    frames = _frames(media, 10)
    dest = tmp_path / "out.mp4"
    VideoEncoder(frames, frame_rate=30).to_file(dest, crf=0)
    decoded = VideoDecoder(dest).get_all_frames()
    assert decoded.data.shape == frames.shape
    error = np.abs(decoded.data.astype(np.int16) - frames.astype(np.int16)).mean()
    assert error < 3, error
    np.testing.assert_allclose(decoded.pts_seconds, np.arange(10) / 30, atol=1e-6)


def test_audio_round_trip_is_exact(tmp_path):
    t = np.arange(4800) / 48000
    samples = np.stack([np.sin(2 * np.pi * 440 * t), 0.5 * np.sin(2 * np.pi * 660 * t)])
    samples = samples.astype(np.float32)
    dest = tmp_path / "out.wav"
    AudioEncoder(samples, sample_rate=48000).to_file(dest, codec="pcm_f32le")
    np.testing.assert_array_equal(AudioDecoder(dest).get_all_samples().data, samples)
    mono = AudioEncoder(samples[0], sample_rate=48000).to_tensor("wav", codec="pcm_f32le")
    np.testing.assert_array_equal(AudioDecoder(mono).get_all_samples().data, samples[:1])


def test_encoder_with_pts_and_key_frames_from_numpy(media, tmp_path):
    frames = _frames(media, 4)
    dest = tmp_path / "out.mkv"
    with Encoder() as encoder:
        video = encoder.add_video(
            height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
        )
        audio = encoder.add_audio(sample_rate=8000, num_channels=1, codec="pcm_f32le")
        encoder.open_file(dest)
        video.add_frames(
            frames,
            pts_seconds=np.array([0.0, 0.1, 0.2, 0.5]),
            key_frames=np.array([True, False, True, False]),
        )
        audio.add_samples(np.zeros((1, 800), dtype=np.float32))
    decoded = VideoDecoder(dest).get_all_frames()
    np.testing.assert_array_equal(decoded.data, frames)
    np.testing.assert_allclose(decoded.pts_seconds, [0.0, 0.1, 0.2, 0.5], atol=1e-3)
    assert AudioDecoder(dest).get_all_samples().data.shape == (1, 800)


@pytest.mark.parametrize(
    "frames, message",
    [
        ([[0]], "Tensor"),
        (np.zeros((1, 3, 8, 8), dtype=np.float32), "uint8"),
        (np.zeros((3, 8, 8), dtype=np.uint8), "4-D"),
        (np.zeros((1, 4, 8, 8), dtype=np.uint8), "channels"),
    ],
)
def test_bad_frames_are_value_errors(frames, message):
    with pytest.raises(ValueError, match=message):
        VideoEncoder(frames, frame_rate=30)


@pytest.mark.parametrize(
    "samples, message",
    [
        ("noise", "Tensor"),
        (np.zeros((1, 8), dtype=np.float64), "float32"),
        (np.zeros((1, 1, 8), dtype=np.float32), "2-D"),
    ],
)
def test_bad_samples_are_value_errors(samples, message):
    with pytest.raises(ValueError, match=message):
        AudioEncoder(samples, sample_rate=8000)


def test_nan_samples_are_refused_before_any_output(tmp_path):
    samples = np.zeros((1, 100), dtype=np.float32)
    samples[0, 42] = np.nan
    dest = tmp_path / "out.mp3"
    with pytest.raises(ValueError):
        AudioEncoder(samples, sample_rate=8000).to_file(dest)
    assert not dest.exists()
