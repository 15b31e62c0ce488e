"""AudioEncoder: round trips per format, conversions, options and errors."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from _encoding import decode_audio, probe_streams, sines

from codecflow.encoders import AudioEncoder


def aligned_snr_db(decoded: np.ndarray, reference: np.ndarray, max_lag: int = 4096) -> float:
    """SNR of `decoded` against `reference` after removing the codec's delay."""
    ref = reference[0, :8192]
    dec = decoded[0, : 8192 + max_lag]
    scores = [np.dot(dec[lag : lag + len(ref)], ref) for lag in range(max_lag)]
    lag = int(np.argmax(scores))
    n = min(reference.shape[1], decoded.shape[1] - lag)
    # Ignore the first and last codec frames (priming and padding).
    a = decoded[:, lag + 2048 : lag + n - 2048]
    b = reference[:, 2048 : n - 2048]
    noise = np.mean((a - b) ** 2)
    return float(10 * np.log10(np.mean(b**2) / noise))


@pytest.fixture(scope="module")
def stereo() -> torch.Tensor:
    return sines(48000, 1.0)


def test_float_wav_is_exact(tmp_path, stereo):
    dest = tmp_path / "out.wav"
    AudioEncoder(stereo, sample_rate=48000).to_file(dest, codec="pcm_f32le")
    (stream,) = probe_streams(dest)
    assert stream["codec_name"] == "pcm_f32le"
    np.testing.assert_array_equal(decode_audio(dest, 2), stereo.numpy())


def test_default_wav_is_16_bit(tmp_path, stereo):
    dest = tmp_path / "out.wav"
    AudioEncoder(stereo, sample_rate=48000).to_file(dest)
    (stream,) = probe_streams(dest)
    assert stream["codec_name"] == "pcm_s16le"
    assert int(stream["sample_rate"]) == 48000 and stream["channels"] == 2
    decoded = decode_audio(dest, 2)
    assert decoded.shape == stereo.shape
    np.testing.assert_allclose(decoded, stereo.numpy(), rtol=0, atol=1 / 32768 + 1e-7)


def test_flac_keeps_24_bits(tmp_path, stereo):
    dest = tmp_path / "out.flac"
    AudioEncoder(stereo, sample_rate=48000).to_file(dest)
    (stream,) = probe_streams(dest)
    assert stream["codec_name"] == "flac"
    assert stream["bits_per_raw_sample"] == "24"
    decoded = decode_audio(dest, 2)
    assert decoded.shape == stereo.shape
    np.testing.assert_allclose(decoded, stereo.numpy(), rtol=0, atol=2.0**-23 + 1e-7)


def encode_with_cli(samples: torch.Tensor, rate: int, dest: Path) -> None:
    raw = samples.T.contiguous().numpy().tobytes()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "f32le", "-ar", str(rate), "-ac",
         str(samples.shape[0]), "-i", "-", str(dest)],
        input=raw, check=True,
    )  # fmt: skip


def dominant_frequencies(channel: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(channel * np.hanning(len(channel))))
    return float(np.argmax(spectrum) * rate / len(channel))


# extension, codec name, sample rate, minimum SNR after alignment (None: not
# meaningful for the codec, which does not preserve the waveform's phase)
LOSSY = [
    ("mp3", "mp3", 44100, 24.0),
    ("m4a", "aac", 44100, 20.0),
    ("aac", "aac", 44100, 20.0),
    ("ogg", "vorbis", 44100, 30.0),
    ("opus", "opus", 48000, None),
]


@pytest.mark.parametrize("ext, codec_name, rate, min_snr", LOSSY)
def test_lossy_round_trip(tmp_path, ext, codec_name, rate, min_snr):
    samples = sines(rate, 1.0)
    dest = tmp_path / f"out.{ext}"
    AudioEncoder(samples, sample_rate=rate).to_file(dest)
    (stream,) = probe_streams(dest)
    assert stream["codec_name"] == codec_name
    assert stream["channels"] == 2
    decoded = decode_audio(dest, 2)
    # Codec delay and padding change the length by at most a few frames.
    assert abs(decoded.shape[1] - rate) <= 4096
    if min_snr is not None:
        assert aligned_snr_db(decoded, samples.numpy()) >= min_snr
    for channel, frequency in zip(decoded, (440, 660)):
        assert dominant_frequencies(channel, rate) == pytest.approx(frequency, abs=2)
        assert np.sqrt(np.mean(channel**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.1)
    # The same samples encoded by the ffmpeg CLI decode to the same values.
    reference = tmp_path / f"cli.{ext}"
    encode_with_cli(samples, rate, reference)
    np.testing.assert_allclose(decoded, decode_audio(reference, 2), rtol=0, atol=1e-6)


def test_opus_in_ogg_by_codec_name(tmp_path):
    dest = tmp_path / "out.ogg"
    AudioEncoder(sines(48000, 0.5), sample_rate=48000).to_file(dest, codec="libopus")
    assert probe_streams(dest)[0]["codec_name"] == "opus"


def test_resampling_and_remixing(tmp_path):
    samples = sines(16000, 1.0)
    dest = tmp_path / "out.wav"
    AudioEncoder(samples, sample_rate=16000).to_file(
        dest, sample_rate=8000, num_channels=1, codec="pcm_f32le"
    )
    (stream,) = probe_streams(dest)
    assert int(stream["sample_rate"]) == 8000 and stream["channels"] == 1
    decoded = decode_audio(dest, 1)
    assert abs(decoded.shape[1] - 8000) <= 32
    # swresample's default downmix: (left + right) / sqrt(2).
    expected = (samples.sum(0) / np.sqrt(2)).numpy()[::2][: decoded.shape[1]]
    assert np.max(np.abs(decoded[0, 100:-100] - expected[100:-100])) < 0.02


def test_1d_samples_are_mono(tmp_path):
    dest = tmp_path / "out.flac"
    AudioEncoder(sines(16000, 0.5, freqs=(440.0,))[0], sample_rate=16000).to_file(dest)
    assert probe_streams(dest)[0]["channels"] == 1


def test_bit_rate(tmp_path):
    samples = sines(44100, 2.0)
    sizes = {}
    for bit_rate in (64_000, 192_000):
        dest = tmp_path / f"out{bit_rate}.mp3"
        AudioEncoder(samples, sample_rate=44100).to_file(dest, bit_rate=bit_rate)
        assert int(probe_streams(dest)[0]["bit_rate"]) == bit_rate
        sizes[bit_rate] = dest.stat().st_size
    assert sizes[192_000] > 2.5 * sizes[64_000]


def test_non_contiguous_samples_encode_alike(stereo):
    transposed = stereo.T.contiguous().T
    assert transposed.stride() == (1, 2)
    a = AudioEncoder(stereo, sample_rate=48000).to_tensor("flac")
    b = AudioEncoder(transposed, sample_rate=48000).to_tensor("flac")
    assert torch.equal(a, b)


def test_to_tensor_file_and_file_like_agree(tmp_path, stereo):
    encoder = AudioEncoder(stereo, sample_rate=48000)
    encoder.to_file(tmp_path / "a.wav")
    as_tensor = encoder.to_tensor("wav")
    assert as_tensor.dtype == torch.uint8 and as_tensor.dim() == 1
    buffer = io.BytesIO()
    encoder.to_file_like(buffer, "wav")
    assert (tmp_path / "a.wav").read_bytes() == as_tensor.numpy().tobytes() == buffer.getvalue()


def test_long_output_to_tensor():
    samples = torch.rand(1, 4_000_000) * 2 - 1
    out = AudioEncoder(samples, sample_rate=16000).to_tensor("wav", codec="pcm_f32le")
    assert out.numel() > 16_000_000


def test_file_like_write_error_is_reraised():
    class Boom(Exception):
        pass

    class Failing:
        def write(self, data):
            raise Boom("no space")

        def seek(self, offset, whence=0):
            return 0

    with pytest.raises(Boom, match="no space"):
        AudioEncoder(sines(16000, 0.5), sample_rate=16000).to_file_like(Failing(), "wav")


@pytest.mark.parametrize(
    "samples, rate, error, message",
    [
        (123, 16000, ValueError, "Expected samples to be a Tensor"),
        (torch.zeros(2, 10, dtype=torch.float64), 16000, ValueError, "float32"),
        (torch.zeros(1, 2, 10), 16000, ValueError, "2-D"),
        (torch.zeros(2, 10), 0, ValueError, "sample_rate = 0 must be > 0"),
        (torch.zeros(2, 10), -5, ValueError, "must be > 0"),
    ],
)
def test_bad_samples(samples, rate, error, message):
    with pytest.raises(error, match=message):
        AudioEncoder(samples, sample_rate=rate)


@pytest.mark.parametrize(
    "dest, rate, options, message",
    [
        ("out.mp3", 16000, dict(bit_rate=-1), "bit_rate=-1"),
        ("out.opus", 44100, {}, "invalid sample rate=44100 .*allowed: 48000"),
        ("out.mp3", 10, {}, "invalid sample rate=10"),
        ("out.mp3", 16000, dict(num_channels=3), r"number of channels \(3\).*allowed: 1, 2"),
        ("out.mp3", 16000, dict(num_channels=0), "num_channels"),
        ("out.wav", 16000, dict(codec="libx264"), "not a audio encoder|not an audio"),
        ("out.wav", 16000, dict(codec="nope"), "allowed: .*pcm_s16le"),
        ("out.bad_extension", 16000, {}, "extension"),
    ],
)
def test_bad_options_fail_before_the_file_exists(tmp_path: Path, dest, rate, options, message):
    encoder = AudioEncoder(torch.zeros(2, 1000), sample_rate=rate)
    with pytest.raises(ValueError, match=message) as info:
        encoder.to_file(tmp_path / dest, **options)
    assert isinstance(info.value, RuntimeError)  # as TorchCodec raises
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "format, codec, atol",
    [("wav", "pcm_f32le", 0.0), ("flac", None, 2.0**-23), ("wav", None, 2.0**-15)],
)
def test_round_trip_through_codecflow_decoder(stereo, format, codec, atol):
    from codecflow.decoders import AudioDecoder

    encoded = AudioEncoder(stereo, sample_rate=48000).to_tensor(format, codec=codec)
    decoded = AudioDecoder(encoded).get_all_samples()
    assert decoded.sample_rate == 48000
    torch.testing.assert_close(decoded.data, stereo, rtol=0, atol=atol)
