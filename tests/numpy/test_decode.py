"""Decoding without torch: NumPy arrays equal to the ffmpeg CLI's frames and samples."""

from __future__ import annotations

import fractions

import numpy as np
import pytest

from codecflow.decoders import AudioDecoder, VideoDecoder


@pytest.mark.parametrize("name", ["h264_bframes", "vfr", "odd_size", "mpeg4"])
def test_all_frames_equal_the_cli_reference(media, name):
    reference = media.reference_frames(name)  # (N, H, W, 3)
    batch = VideoDecoder(media.clip(name)).get_all_frames()
    assert type(batch.data) is np.ndarray and batch.data.dtype == np.uint8
    assert batch.data.shape == (len(reference), 3) + reference.shape[1:3]
    np.testing.assert_array_equal(batch.data.transpose(0, 2, 3, 1), reference)
    video = [s for s in media.probe_streams(name)["streams"] if s["codec_type"] == "video"][0]
    time_base = fractions.Fraction(video["time_base"])
    expected_pts = [float(f["pts"] * time_base) for f in media.probe_frames(name)]
    assert type(batch.pts_seconds) is np.ndarray and batch.pts_seconds.dtype == np.float64
    np.testing.assert_allclose(np.sort(batch.pts_seconds), sorted(expected_pts), atol=1e-6)
    assert batch.duration_seconds.dtype == np.float64


def test_access_methods_return_numpy(media):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")
    frame = decoder.get_frame_at(-1)
    assert type(frame.data) is np.ndarray and isinstance(frame.pts_seconds, float)
    np.testing.assert_array_equal(frame.data, reference[-1])
    np.testing.assert_array_equal(decoder[3], reference[3])
    np.testing.assert_array_equal(decoder[2:9:3], reference[2:9:3])
    batch = decoder.get_frames_at(np.array([5, 1, 5]))
    np.testing.assert_array_equal(batch.data, reference[[5, 1, 5]])
    played = decoder.get_frames_played_at(np.array([0.0, 0.5]))
    np.testing.assert_array_equal(played.data, reference[[0, 15]])
    np.testing.assert_allclose(played.pts_seconds, [0.0, 0.5])
    ranged = decoder.get_frames_in_range(10, 14)
    np.testing.assert_array_equal(ranged.data, reference[10:14])
    assert [b.data.shape for b in ranged] == [reference.shape[1:]] * 4
    assert ranged[0].pts_seconds.shape == ()
    keys = decoder.key_frame_indices
    assert type(keys) is np.ndarray and keys.dtype == np.int64 and keys.tolist() == [0, 15, 30, 45]
    first = next(iter(decoder))
    np.testing.assert_array_equal(first, reference[0])
    empty = decoder.get_frames_in_range(5, 5)
    assert empty.data.shape == (0,) + reference.shape[1:] and empty.pts_seconds.shape == (0,)


def test_frames_are_writable_and_independent(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    frame = decoder[0]
    assert frame.flags.writeable
    frame[:] = 0
    reference = media.reference_frames("h264_bframes")[0]
    np.testing.assert_array_equal(decoder[0].transpose(1, 2, 0), reference)


@pytest.mark.parametrize("dtype", ["float32", np.float32, np.dtype("float32")])
def test_float32_output(media, dtype):
    reference = media.reference_frames_rgb48("h264_bframes")[:2]
    data = VideoDecoder(media.clip("h264_bframes"), output_dtype=dtype).get_frames_at([0, 1]).data
    assert data.dtype == np.float32
    expected = reference.astype(np.float32) / np.float32(65535.0)
    np.testing.assert_array_equal(data.transpose(0, 2, 3, 1), expected)


@pytest.mark.parametrize("dtype", ["uint8", np.uint8])
def test_uint8_output_by_numpy_names(media, dtype):
    data = VideoDecoder(media.clip("h264_bframes"), output_dtype=dtype)[0]
    assert data.dtype == np.uint8


def test_encoded_bytes_as_a_numpy_source(media):
    encoded = np.frombuffer(media.clip("h264_bframes").read_bytes(), dtype=np.uint8)
    decoder = VideoDecoder(encoded)
    np.testing.assert_array_equal(
        decoder[7].transpose(1, 2, 0), media.reference_frames("h264_bframes")[7]
    )


@pytest.mark.parametrize(
    "name, options",
    [("h264_audio", {}), ("aac_m4a", {"sample_rate": 16000}), ("aac_m4a", {"num_channels": 1})],
)
def test_audio_equals_the_cli_reference(media, name, options):
    reference = media.audio_reference(name, **options)
    samples = AudioDecoder(media.clip(name), **options).get_all_samples()
    assert type(samples.data) is np.ndarray and samples.data.dtype == np.float32
    np.testing.assert_array_equal(samples.data, reference)
    assert samples.duration_seconds == reference.shape[1] / samples.sample_rate


def test_audio_range(media):
    decoder = AudioDecoder(media.clip("h264_audio"))
    whole = decoder.get_all_samples()
    part = decoder.get_samples_played_in_range(0.0, 0.5)
    rate = whole.sample_rate
    np.testing.assert_array_equal(part.data, whole.data[:, : round(0.5 * rate)])


def test_decoders_over_arrays_pickle(media):
    import pickle

    from codecflow.decoders import WavDecoder

    video = np.frombuffer(media.clip("h264_bframes").read_bytes(), dtype=np.uint8)
    copy = pickle.loads(pickle.dumps(VideoDecoder(video)))
    np.testing.assert_array_equal(
        copy[5].transpose(1, 2, 0), media.reference_frames("h264_bframes")[5]
    )
    audio = np.frombuffer(media.clip("h264_audio").read_bytes(), dtype=np.uint8)
    samples = pickle.loads(pickle.dumps(AudioDecoder(audio))).get_all_samples().data
    np.testing.assert_array_equal(samples, media.audio_reference("h264_audio"))
    assert WavDecoder is not None
