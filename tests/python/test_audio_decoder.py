"""AudioDecoder against the ffmpeg CLI's decoded samples (generate.audio_reference)."""

from __future__ import annotations

import io
import struct
import threading

import numpy as np
import pytest
import torch

import generate
from _sources import ALL_SOURCE_KINDS, source_of
from _threads import main_thread_spins
from codecflow import AudioSamples
from codecflow.decoders import AudioDecoder, AudioStreamMetadata, WavDecoder

# Every audio format of the test media, the AAC track of an MP4 included.
FORMATS = [*generate.AUDIO, "h264_audio", "wav_s16_mono", "wav_adpcm", "wav_alaw"]
LOSSLESS = {n for n in FORMATS if n.startswith("wav_") or n.endswith("flac")} - {"wav_adpcm"}
# Documented bound for lossy codecs after a seek (decoder warm-up); lossless
# codecs are bit-exact.
LOSSY_TOLERANCE = 1e-3
# (sample_rate, num_channels) conversions checked against -ar/-ac.
CONVERSIONS = [(16000, None), (None, 1), (48000, 1), (8000, 2), (22050, 6)]


def _path(name: str) -> str:
    return str(generate.clip(name))


def _bits(tensor: torch.Tensor) -> np.ndarray:
    return tensor.contiguous().numpy().view(np.uint32)


def assert_bit_exact(got: torch.Tensor, expected: np.ndarray) -> None:
    assert got.dtype == torch.float32
    assert tuple(got.shape) == expected.shape
    assert np.array_equal(_bits(got), np.ascontiguousarray(expected).view(np.uint32))


def _first_index(start: float, t0: float, rate: int) -> int:
    return max(0, round((start - t0) * rate))


# -- whole stream ------------------------------------------------------------


@pytest.mark.parametrize("name", FORMATS)
def test_all_samples_equal_ffmpeg_bit_for_bit(name: str) -> None:
    decoder = AudioDecoder(_path(name))
    samples = decoder.get_all_samples()
    assert isinstance(samples, AudioSamples)
    assert_bit_exact(samples.data, generate.audio_reference(name))
    assert samples.sample_rate == decoder.metadata.sample_rate
    assert samples.duration_seconds == samples.data.shape[1] / samples.sample_rate
    assert samples.data.is_contiguous()
    expected_pts = 1105 / 44100 if name == "mp3" else 0.0  # LAME's encoder delay
    assert samples.pts_seconds == pytest.approx(expected_pts, abs=1e-9)


@pytest.mark.parametrize("rate,channels", CONVERSIONS)
@pytest.mark.parametrize("name", ["wav_s16", "wav_u8", "wav_f64", "mp3", "aac_m4a",
                                  "surround51_flac", "mono_flac", "opus_ogg", "vorbis_ogg",
                                  "h264_audio", "wav_extensible"])  # fmt: skip
def test_resampled_and_remixed_equal_ffmpeg_bit_for_bit(name, rate, channels) -> None:
    # swresample is configured as the CLI's aresample configures it, so even
    # the converted samples are exact (tolerance 0).
    decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
    samples = decoder.get_all_samples()
    reference = generate.audio_reference(name, sample_rate=rate, num_channels=channels)
    assert_bit_exact(samples.data, reference)
    assert samples.sample_rate == (rate or decoder.metadata.sample_rate)


def test_same_rate_and_channels_asked_for_explicitly() -> None:
    plain = AudioDecoder(_path("flac")).get_all_samples().data
    explicit = AudioDecoder(_path("flac"), sample_rate=44100, num_channels=2).get_all_samples()
    assert torch.equal(plain, explicit.data)


# -- ranges --------------------------------------------------------------------


def _bounds(duration: float) -> list:
    return [0.0, *(duration * f for f in (0.05, 0.185, 0.25, 0.5, 0.66665, 0.95)), duration + 5]


@pytest.mark.parametrize("convert", [(None, None), (16000, 1)], ids=["native", "16k-mono"])
@pytest.mark.parametrize("name", FORMATS)
def test_consecutive_ranges_concatenate_to_all_samples(name, convert) -> None:
    rate, channels = convert
    whole = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels).get_all_samples()
    duration = whole.data.shape[1] / whole.sample_rate
    decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
    chunks = []
    bounds = _bounds(duration)
    for start, stop in zip(bounds, bounds[1:]):
        chunk = decoder.get_samples_played_in_range(start, stop)
        assert chunk.pts_seconds == max(start, whole.pts_seconds)
        assert chunk.sample_rate == whole.sample_rate
        chunks.append(chunk.data)
    assert torch.equal(torch.cat(chunks, dim=1), whole.data)
    # The same decoder, asked again from the start, starts over exactly.
    assert torch.equal(decoder.get_all_samples().data, whole.data)


def _check_range(name, whole, got, start, lossless) -> None:
    first = _first_index(start, whole.pts_seconds, got.sample_rate)
    expected = whole.data[:, first : first + got.data.shape[1]]
    assert got.data.shape == expected.shape
    if lossless:
        assert torch.equal(got.data, expected), f"{name} at {start}"
    else:
        assert (got.data - expected).abs().max().item() <= LOSSY_TOLERANCE


@pytest.mark.parametrize("convert", [(None, None), (16000, 1)], ids=["native", "16k-mono"])
@pytest.mark.parametrize("name", FORMATS)
def test_ranges_match_all_samples_in_any_order(name, convert) -> None:
    rate, channels = convert
    whole = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels).get_all_samples()
    duration = whole.data.shape[1] / whole.sample_rate
    lossless = name in LOSSLESS
    # A fresh decoder per range.
    bounds = _bounds(duration)
    for start, stop in zip(bounds, bounds[1:]):
        decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
        _check_range(name, whole, decoder.get_samples_played_in_range(start, stop), start, lossless)
    # One decoder going backwards: every range seeks.
    decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
    for fraction in (0.9, 0.7, 0.55, 0.3, 0.02):
        start = fraction * duration
        got = decoder.get_samples_played_in_range(start, start + 0.1)
        assert got.data.shape[1] == min(
            round((start + 0.1 - whole.pts_seconds) * whole.sample_rate),
            whole.data.shape[1],
        ) - _first_index(start, whole.pts_seconds, whole.sample_rate)
        _check_range(name, whole, got, start, lossless)


@pytest.mark.parametrize("convert", [(None, None), (16000, None)], ids=["native", "16k"])
@pytest.mark.parametrize("name", ["long_flac", "long_mp3"])
def test_ranges_far_ahead_seek_forward(name, convert) -> None:
    rate, _ = convert
    whole = AudioDecoder(_path(name), sample_rate=rate).get_all_samples()
    decoder = AudioDecoder(_path(name), sample_rate=rate)
    for start in (1.0, 15.0, 22.5, 12.25, 3.0):  # jumps of more than 10 s seek
        got = decoder.get_samples_played_in_range(start, start + 0.5)
        assert got.pts_seconds == max(start, whole.pts_seconds)
        _check_range(name, whole, got, start, name == "long_flac")
    # Consecutive ranges still concatenate exactly on a long file.
    decoder = AudioDecoder(_path(name), sample_rate=rate)
    starts = np.arange(0, 24, 0.75)
    chunks = [
        decoder.get_samples_played_in_range(t, None if t == starts[-1] else t + 0.75).data
        for t in starts
    ]
    assert torch.equal(torch.cat(chunks, dim=1), whole.data)


def test_range_is_cut_to_the_sample() -> None:
    decoder = AudioDecoder(_path("wav_s16"))
    samples = decoder.get_samples_played_in_range(0.5, 0.75)
    reference = generate.audio_reference("wav_s16")
    assert_bit_exact(samples.data, reference[:, 8000:12000])
    assert samples.pts_seconds == 0.5
    assert samples.duration_seconds == 0.25
    # Between two samples, the nearest one starts the range.
    samples = decoder.get_samples_played_in_range(1.0 + 0.4 / 16000, 1.0 + 10.6 / 16000)
    assert_bit_exact(samples.data, reference[:, 16000:16011])
    assert samples.pts_seconds == 1.0 + 0.4 / 16000


def test_range_defaults_and_stop_past_the_end() -> None:
    reference = generate.audio_reference("flac")
    decoder = AudioDecoder(_path("flac"))
    assert_bit_exact(decoder.get_samples_played_in_range().data, reference)
    tail = decoder.get_samples_played_in_range(1.5, 1000.0)
    assert_bit_exact(tail.data, reference[:, 66150:])
    tail = decoder.get_samples_played_in_range(start_seconds=1.5)
    assert_bit_exact(tail.data, reference[:, 66150:])


def test_range_before_the_first_sample_starts_at_the_first_sample() -> None:
    # MP3's first sample plays after LAME's encoder delay.
    decoder = AudioDecoder(_path("mp3"))
    t0 = decoder.get_all_samples().pts_seconds
    assert t0 > 0
    samples = decoder.get_samples_played_in_range(0.0, 0.5)
    assert samples.pts_seconds == t0
    assert_bit_exact(samples.data, generate.audio_reference("mp3")[:, : round((0.5 - t0) * 44100)])


# -- sources and metadata -------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_SOURCE_KINDS)
def test_sources(kind: str) -> None:
    decoder = AudioDecoder(source_of(generate.clip("aac_m4a"), kind))
    assert_bit_exact(decoder.get_all_samples().data, generate.audio_reference("aac_m4a"))
    # Ranges (and the seeks they imply) work on every kind of source.
    decoder.get_samples_played_in_range(1.5, 1.9)
    first = decoder.get_samples_played_in_range(0.0, 0.5)
    assert_bit_exact(first.data, generate.audio_reference("aac_m4a")[:, :22050])


def test_audio_stream_of_a_video_file() -> None:
    decoder = AudioDecoder(_path("h264_audio"))
    assert decoder.stream_index == 1
    explicit = AudioDecoder(_path("h264_audio"), stream_index=1)
    assert torch.equal(decoder.get_all_samples().data, explicit.get_all_samples().data)


def test_metadata() -> None:
    decoder = AudioDecoder(_path("mp3"))
    metadata = decoder.metadata
    assert isinstance(metadata, AudioStreamMetadata)
    assert metadata.sample_rate == 44100
    assert metadata.num_channels == 2
    assert metadata.codec == "mp3"
    assert metadata.sample_format == "fltp"
    assert metadata.stream_index == decoder.stream_index == 0
    assert metadata.duration_seconds == pytest.approx(2.0, abs=0.05)
    surround = AudioDecoder(_path("surround51_flac"), sample_rate=8000, num_channels=1)
    # The metadata describes the stream, not the conversion.
    assert (surround.metadata.sample_rate, surround.metadata.num_channels) == (44100, 6)
    assert surround.get_all_samples().sample_rate == 8000


def test_decoder_is_thread_safe() -> None:
    whole = AudioDecoder(_path("vorbis_ogg")).get_all_samples().data
    decoder = AudioDecoder(_path("vorbis_ogg"))
    results = {}

    def work(i: int) -> None:
        start = 0.1 * i
        results[i] = decoder.get_samples_played_in_range(start, start + 0.5).data

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, data in results.items():
        first = round(0.1 * i * 44100)
        assert torch.equal(data, whole[:, first : first + data.shape[1]])


def _long_wav(tmp_path) -> str:
    """A 60 s stereo 48 kHz 16-bit WAV of noise."""
    data = np.random.default_rng(0).integers(-(2**15), 2**15, 60 * 48000 * 2, dtype="<i2")
    fmt = struct.pack("<HHIIHH", 1, 2, 48000, 48000 * 4, 4, 16)
    body = b"WAVEfmt " + struct.pack("<I", 16) + fmt
    body += b"data" + struct.pack("<I", data.nbytes) + data.tobytes()
    path = tmp_path / "long.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return str(path)


@pytest.mark.parametrize("cls", [AudioDecoder, WavDecoder])
def test_decoding_releases_the_gil(cls, tmp_path) -> None:
    decoder = cls(_path("long_flac") if cls is AudioDecoder else _long_wav(tmp_path))
    assert main_thread_spins(decoder.get_all_samples, enough=1000) > 1000


# -- errors ---------------------------------------------------------------------


def test_video_only_file_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="no audio stream"):
        AudioDecoder(_path("video_only"))


@pytest.mark.parametrize("index", [0, 2, 99])
def test_invalid_stream_index(index: int) -> None:
    with pytest.raises(ValueError, match="stream"):
        AudioDecoder(_path("h264_audio"), stream_index=index)


def test_start_after_stop() -> None:
    decoder = AudioDecoder(_path("flac"))
    with pytest.raises(ValueError, match="greater than stop"):
        decoder.get_samples_played_in_range(1.0, 0.5)


@pytest.mark.parametrize(
    "start,stop", [(2.0, 3.0), (2.5, 3.0), (5.0, None), (-1.0, -0.5), (-1.0, 0.0)]
)
def test_range_outside_the_audio_raises(start, stop) -> None:
    decoder = AudioDecoder(_path("flac"))
    with pytest.raises(ValueError, match="no samples") as info:
        decoder.get_samples_played_in_range(start, stop)
    assert isinstance(info.value, RuntimeError)
    # The decoder is still usable afterwards.
    assert_bit_exact(decoder.get_all_samples().data, generate.audio_reference("flac"))


@pytest.mark.parametrize("convert", [(None, None), (8000, 1)], ids=["native", "8k-mono"])
@pytest.mark.parametrize("name", ["flac", "mp3", "aac_m4a", "wav_s16", "opus_webm"])
@pytest.mark.parametrize("t", [0.0, 0.01, 1.0, 1.5, 2.5, 1000.0, -3.0])
def test_start_equal_to_stop_is_empty(name, convert, t) -> None:
    # [t, t) holds no samples anywhere, before, inside or after the audio.
    rate, channels = convert
    decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
    t0 = decoder.get_all_samples().pts_seconds
    samples = decoder.get_samples_played_in_range(t, t)
    assert samples.data.dtype == torch.float32
    assert tuple(samples.data.shape) == (channels or decoder.metadata.num_channels, 0)
    assert samples.pts_seconds == max(t, t0)
    assert samples.duration_seconds == 0
    assert samples.sample_rate == (rate or decoder.metadata.sample_rate)
    # Empty ranges do not disturb a decoder going through consecutive ranges.
    decoder = AudioDecoder(_path(name), sample_rate=rate, num_channels=channels)
    bounds = ((0.0, 1.0), (1.0, 1.0), (1.0, None))
    parts = [decoder.get_samples_played_in_range(a, b) for a, b in bounds]
    whole = generate.audio_reference(name, sample_rate=rate, num_channels=channels)
    assert_bit_exact(torch.cat([p.data for p in parts], dim=1), whole)


def test_range_starting_before_the_first_sample_covers_from_it() -> None:
    # LAME's encoder delay puts MP3's first sample at t0 = 1105 / 44100 s; a
    # range starting before it (but ending after it) gives what it covers.
    reference = generate.audio_reference("mp3")
    decoder = AudioDecoder(_path("mp3"))
    t0 = decoder.get_all_samples().pts_seconds
    assert t0 == pytest.approx(1105 / 44100, abs=1e-12)
    stop = t0 + 0.75
    samples = decoder.get_samples_played_in_range(0.01, stop)
    assert samples.pts_seconds == t0
    assert_bit_exact(samples.data, reference[:, : round((stop - t0) * 44100)])
    # Ending at or before the first sample: nothing is played there.
    for stop in (0.01, t0 / 2, t0):
        with pytest.raises(ValueError, match="no samples") as info:
            decoder.get_samples_played_in_range(0.0, stop)
        assert isinstance(info.value, RuntimeError)
    # Just past it: the range overlaps the first sample's time but rounds to
    # no sample (0.44 of one), then to 44 samples.
    samples = decoder.get_samples_played_in_range(0.0, t0 + 1e-5)
    assert tuple(samples.data.shape) == (2, 0)
    assert samples.pts_seconds == t0
    assert samples.duration_seconds == 0
    samples = decoder.get_samples_played_in_range(0.0, t0 + 1e-3)
    assert_bit_exact(samples.data, reference[:, :44])


@pytest.mark.parametrize("name", ["flac", "long_mp3", "opus_webm"])
def test_range_narrower_than_a_sample_is_empty(name) -> None:
    whole = AudioDecoder(_path(name)).get_all_samples()
    rate, t0 = whole.sample_rate, whole.pts_seconds
    n = whole.data.shape[1]
    end = t0 + n / rate
    decoder = AudioDecoder(_path(name))
    for start in (t0 + 1000.6 / rate, t0 + 0.2 / rate, end - 0.25 / rate, t0 + 1.6 / rate):
        got = decoder.get_samples_played_in_range(start, start + 0.1 / rate)
        assert tuple(got.data.shape) == (whole.data.shape[0], 0), start
        assert got.pts_seconds == start
    # The decoder keeps going exactly after such probes.
    got = decoder.get_samples_played_in_range(t0 + 2 / rate, t0 + 500 / rate)
    assert torch.equal(got.data, AudioDecoder(_path(name)).get_samples_played_in_range(
        t0 + 2 / rate, t0 + 500 / rate).data)  # fmt: skip
    # At or after the end of the last sample, the range lies outside the audio.
    for start in (end, end + 0.5 / rate, end + 3.0):
        with pytest.raises(ValueError, match="no samples"):
            decoder.get_samples_played_in_range(start, start + 0.1 / rate)


def test_nan_range() -> None:
    with pytest.raises(ValueError, match="NaN"):
        AudioDecoder(_path("flac")).get_samples_played_in_range(float("nan"))


@pytest.mark.parametrize("option", ["sample_rate", "num_channels"])
@pytest.mark.parametrize("value", [0, -1])
def test_non_positive_rate_or_channels(option, value) -> None:
    with pytest.raises(ValueError, match=option) as info:
        AudioDecoder(_path("flac"), **{option: value})
    assert isinstance(info.value, RuntimeError)


def test_too_many_channels_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"num_channels=100: must be an integer in \[1, 64\]"):
        AudioDecoder(_path("flac"), num_channels=100)


def test_truncated_file() -> None:
    with pytest.raises(ValueError) as info:
        AudioDecoder(_path("truncated_mp4"))
    assert isinstance(info.value, RuntimeError)


def test_not_media() -> None:
    with pytest.raises(ValueError):
        AudioDecoder(_path("not_media"))


def test_missing_path(tmp_path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        AudioDecoder(str(tmp_path / "missing.flac"))
    assert isinstance(info.value, RuntimeError)


class _ReadFails(Exception):
    pass


class _FailingFile(io.BytesIO):
    def __init__(self, data: bytes, fail_after: int):
        super().__init__(data)
        self._fail_after = fail_after

    def read(self, size: int = -1) -> bytes:
        if self.tell() >= self._fail_after:
            raise _ReadFails("the disk went away")
        return super().read(size)


@pytest.mark.parametrize("fail_after", [0, 40000])
def test_file_like_exception_propagates_unchanged(fail_after: int) -> None:
    data = generate.clip("flac").read_bytes()
    with pytest.raises(_ReadFails, match="the disk went away"):
        AudioDecoder(_FailingFile(data, fail_after)).get_all_samples()


def test_text_mode_file_is_a_type_error() -> None:
    with open(_path("flac"), encoding="latin-1") as text, pytest.raises(TypeError):
        AudioDecoder(text)
