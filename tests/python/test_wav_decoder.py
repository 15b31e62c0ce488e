"""WavDecoder: its own RIFF/RF64 reader, bit for bit AudioDecoder's (and ffmpeg's) samples."""

from __future__ import annotations

import io
import struct
import threading

import numpy as np
import pytest
import torch

import generate
from _sources import ALL_SOURCE_KINDS, source_of
from codecflow.decoders import AudioDecoder, AudioStreamMetadata, WavDecoder

WAVS = [n for n in generate.AUDIO if n.startswith("wav_")] + ["wav_s16_mono"]


def _path(name: str) -> str:
    return str(generate.clip(name))


def _bits(tensor: torch.Tensor) -> np.ndarray:
    return tensor.contiguous().numpy().view(np.uint32)


def assert_identical(got: torch.Tensor, expected) -> None:
    if isinstance(expected, torch.Tensor):
        expected = expected.numpy()
    assert got.dtype == torch.float32
    assert tuple(got.shape) == expected.shape
    assert np.array_equal(_bits(got), np.ascontiguousarray(expected).view(np.uint32))


_PCM_GUID_SUFFIX = bytes.fromhex("000000001000800000aa00389b71")


def make_wav(
    data: bytes,
    *,
    tag: int = 1,
    channels: int = 2,
    rate: int = 8000,
    bits: int = 16,
    block_align: int | None = None,
    extensible: bool = False,
    riff: bytes = b"RIFF",
    chunks_before: bytes = b"",
    fmt_after_data: bool = False,
    data_size: int | None = None,
) -> bytes:
    """A WAV file written field by field, for the cases encoders never write."""
    if block_align is None:
        block_align = channels * ((bits + 7) // 8)
    fmt = struct.pack(
        "<HHIIHH",
        0xFFFE if extensible else tag,
        channels,
        rate,
        rate * block_align,
        block_align,
        bits,
    )
    if extensible:
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", tag) + _PCM_GUID_SUFFIX
    fmt_chunk = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    size = len(data) if data_size is None else data_size
    data_chunk = b"data" + struct.pack("<I", size) + data + (b"\0" if len(data) % 2 else b"")
    body = chunks_before + (data_chunk + fmt_chunk if fmt_after_data else fmt_chunk + data_chunk)
    return riff + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def _random_bytes(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


# -- equality with ffmpeg and AudioDecoder ---------------------------------------


@pytest.mark.parametrize("name", WAVS)
def test_all_samples_equal_ffmpeg_and_audio_decoder(name: str) -> None:
    samples = WavDecoder(_path(name)).get_all_samples()
    assert_identical(samples.data, generate.audio_reference(name))
    assert samples.pts_seconds == 0.0
    other = AudioDecoder(_path(name)).get_all_samples()
    assert_identical(samples.data, other.data)
    assert samples.sample_rate == other.sample_rate
    assert samples.duration_seconds == other.duration_seconds


@pytest.mark.parametrize("name", WAVS)
def test_metadata_equals_audio_decoder(name: str) -> None:
    wav = WavDecoder(_path(name)).metadata
    ffmpeg = AudioDecoder(_path(name)).metadata
    assert isinstance(wav, AudioStreamMetadata)
    for field in ("sample_rate", "num_channels", "sample_format", "codec", "stream_index",
                  "duration_seconds_from_header", "begin_stream_seconds_from_header",
                  "bit_rate"):  # fmt: skip
        assert getattr(wav, field) == getattr(ffmpeg, field), field


@pytest.mark.parametrize(
    "tag,bits,extensible",
    [(1, 8, False), (1, 16, True), (1, 24, False), (1, 32, False), (1, 20, True), (1, 12, False),
     (1, 64, False), (3, 32, False), (3, 64, True), (1, 8, True)],
)  # fmt: skip
@pytest.mark.parametrize("channels", [1, 3])
def test_sample_formats_match_ffmpeg(tag, bits, extensible, channels) -> None:
    # Random bytes reach every value of every format (NaNs and infinities of
    # float formats included); ffmpeg reads the same file.
    block = channels * ((bits + 7) // 8)
    data = _random_bytes(block * 1001, seed=bits + channels)
    wav = make_wav(data, tag=tag, bits=bits, channels=channels, extensible=extensible)
    mine = WavDecoder(wav).get_all_samples()
    ffmpeg = AudioDecoder(wav).get_all_samples()
    assert mine.data.shape == (channels, 1001)
    assert_identical(mine.data, ffmpeg.data)


def test_extra_chunks_and_odd_sizes() -> None:
    data = _random_bytes(2 * 3 * 51)  # 51 stereo 24-bit samples: 306 bytes
    chunks = (
        b"LIST" + struct.pack("<I", 5) + b"INFOx\0" + b"JUNK" + struct.pack("<I", 4) + b"\0" * 4
    )
    wav = make_wav(data, bits=24, chunks_before=chunks)
    assert_identical(
        WavDecoder(wav).get_all_samples().data, AudioDecoder(wav).get_all_samples().data
    )


def test_truncated_data_decodes_what_is_there() -> None:
    data = generate.clip("wav_s16").read_bytes()
    cut = data[: len(data) // 2 + 1]  # ends inside a sample
    mine = WavDecoder(cut).get_all_samples()
    assert_identical(mine.data, AudioDecoder(cut).get_all_samples().data)
    assert mine.data.shape[1] == (len(cut) - data.index(b"data") - 8) // 4


# -- ranges --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wav_s16", "wav_u8", "wav_f64", "wav_extensible", "wav_rf64"])
def test_ranges_equal_audio_decoder(name: str) -> None:
    wav = WavDecoder(_path(name))
    audio = AudioDecoder(_path(name))
    whole = wav.get_all_samples()
    duration = whole.data.shape[1] / whole.sample_rate
    bounds = [0.0, 0.1, 0.1 + 1.4 / 16000, 0.37, duration / 2, duration - 0.01, duration + 3]
    chunks = []
    for start, stop in zip(bounds, bounds[1:]):
        mine = wav.get_samples_played_in_range(start, stop)
        theirs = audio.get_samples_played_in_range(start, stop)
        assert_identical(mine.data, theirs.data)
        assert mine.pts_seconds == theirs.pts_seconds == start
        chunks.append(mine.data)
    assert torch.equal(torch.cat(chunks, dim=1), whole.data)
    # Any order, any decoder.
    for start in (0.9 * duration, 0.2, 0.0):
        got = WavDecoder(_path(name)).get_samples_played_in_range(start, start + 0.05)
        first = round(start * whole.sample_rate)
        assert torch.equal(got.data, whole.data[:, first : first + got.data.shape[1]])
    assert torch.equal(wav.get_samples_played_in_range().data, whole.data)


_EDGE_RANGES = [(0.0, 1.0), (0.2, 0.6), (1.0, 1.0), (0.0, None), (-1.0, 1.0), (-1.0, None),
                (0.5, 0.5), (-2.0, -2.0), (7.0, 7.0), (0.3, 0.3 + 0.2 / 16000),
                (2.0 - 0.25 / 16000, 2.5), (None, None)]  # fmt: skip


@pytest.mark.parametrize("kind", ["path", "bytes", "tensor", "file-like"])
@pytest.mark.parametrize("name", ["wav_s16", "wav_u8", "wav_s24", "wav_f32", "wav_f64",
                                  "wav_extensible", "wav_s16_mono"])  # fmt: skip
def test_edge_ranges_equal_audio_decoder(name, kind) -> None:
    data = generate.clip(name).read_bytes()
    source = {
        "path": _path(name),
        "bytes": data,
        "tensor": torch.frombuffer(bytearray(data), dtype=torch.uint8),
        "file-like": io.BytesIO(data),
    }[kind]
    wav = WavDecoder(source)
    audio = AudioDecoder(_path(name))
    assert wav.metadata == audio.metadata
    assert wav.stream_index == audio.stream_index
    for start, stop in _EDGE_RANGES:
        if start is None:
            mine, theirs = wav.get_all_samples(), audio.get_all_samples()
        elif start >= wav.metadata.duration_seconds_from_header and stop != start:
            for decoder in (wav, audio):
                with pytest.raises(ValueError, match="no samples"):
                    decoder.get_samples_played_in_range(start, stop)
            continue
        else:
            mine = wav.get_samples_played_in_range(start, stop)
            theirs = audio.get_samples_played_in_range(start, stop)
        assert_identical(mine.data, theirs.data.numpy())
        assert mine.pts_seconds == theirs.pts_seconds
        assert mine.duration_seconds == theirs.duration_seconds
        if start is not None and (stop == start or stop == start + 0.2 / 16000):
            assert tuple(mine.data.shape) == (wav.metadata.num_channels, 0)
            assert mine.pts_seconds == max(start, 0.0)


class _CountingFile(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def test_range_reads_only_its_bytes() -> None:
    data = generate.clip("wav_s16").read_bytes()
    source = _CountingFile(data)
    decoder = WavDecoder(source)
    header = source.bytes_read
    assert header < 100
    samples = decoder.get_samples_played_in_range(1.0, 1.1)  # 1600 samples of 4 bytes
    assert samples.data.shape == (2, 1600)
    assert source.bytes_read - header == 1600 * 4


@pytest.mark.parametrize("kind", ALL_SOURCE_KINDS)
def test_sources(kind: str) -> None:
    decoder = WavDecoder(source_of(generate.clip("wav_s24"), kind))
    assert_identical(decoder.get_all_samples().data, generate.audio_reference("wav_s24"))
    assert_identical(
        decoder.get_samples_played_in_range(0.5, 0.75).data,
        generate.audio_reference("wav_s24")[:, 8000:12000],
    )


def test_decoder_is_thread_safe() -> None:
    decoder = WavDecoder(io.BytesIO(generate.clip("wav_f32").read_bytes()))
    whole = decoder.get_all_samples().data
    results = {}

    def work(i: int) -> None:
        results[i] = decoder.get_samples_played_in_range(0.1 * i, 0.1 * i + 0.3).data

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, data in results.items():
        first = round(0.1 * i * 16000)
        assert torch.equal(data, whole[:, first : first + data.shape[1]])


# -- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,message",
    [("wav_adpcm", r"compressed \(format tag 0x0002, Microsoft ADPCM\)"),
     ("wav_alaw", r"compressed \(format tag 0x0006, A-law\)"),
     ("flac", "RIFF"), ("not_media", "RIFF")],
)  # fmt: skip
def test_not_pcm_wav_is_a_value_error(name, message) -> None:
    with pytest.raises(ValueError, match=message) as info:
        WavDecoder(_path(name))
    assert isinstance(info.value, RuntimeError)


def test_compressed_wav_still_decodes_with_audio_decoder() -> None:
    samples = AudioDecoder(_path("wav_adpcm")).get_all_samples()
    assert_identical(samples.data, generate.audio_reference("wav_adpcm"))


_SAMPLES = _random_bytes(400)


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (make_wav(_SAMPLES)[:20], "ends inside the 'fmt ' chunk"),
        (make_wav(_SAMPLES)[:8], "ends inside the RIFF header"),
        (make_wav(_SAMPLES, riff=b"RIFX"), "big-endian"),
        (make_wav(_SAMPLES, fmt_after_data=True), "'data' chunk comes before the 'fmt ' chunk"),
        (make_wav(_SAMPLES)[:36], "no 'data' chunk"),
        (make_wav(_SAMPLES, block_align=6), "block align is 6 bytes"),
        (make_wav(_SAMPLES, tag=3, bits=16), "16-bit float samples are not supported"),
        (make_wav(_SAMPLES, bits=40), "40-bit integer samples are not supported"),
        (make_wav(_SAMPLES, channels=0, block_align=0), "0 channels"),
        (make_wav(_SAMPLES, rate=0), "sample rate is 0"),
        (make_wav(_SAMPLES, tag=0x55), r"compressed \(format tag 0x0055, MP3\)"),
        (make_wav(_SAMPLES, tag=2, extensible=True), "compressed"),
        (b"RF64" + make_wav(_SAMPLES)[4:], "must start with a 'ds64' chunk"),
    ],
)
def test_malformed_wav(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        WavDecoder(data)
    assert isinstance(info.value, RuntimeError)
    assert "not a valid WAV file" in str(info.value)


def test_start_after_stop() -> None:
    with pytest.raises(ValueError, match="greater than stop"):
        WavDecoder(_path("wav_s16")).get_samples_played_in_range(1.0, 0.5)


@pytest.mark.parametrize("start,stop", [(2.0, 3.0), (-1.0, -0.5), (-1.0, 0.0), (10.0, None)])
def test_range_outside_the_audio_raises(start, stop) -> None:
    with pytest.raises(ValueError, match="no samples") as info:
        WavDecoder(_path("wav_s16")).get_samples_played_in_range(start, stop)
    assert isinstance(info.value, RuntimeError)


def test_missing_path(tmp_path) -> None:
    with pytest.raises(FileNotFoundError) as info:
        WavDecoder(str(tmp_path / "missing.wav"))
    assert isinstance(info.value, RuntimeError)


def test_directory(tmp_path) -> None:
    with pytest.raises(IsADirectoryError):
        WavDecoder(tmp_path)


class _ReadFails(Exception):
    pass


class _FailingFile(io.BytesIO):
    def __init__(self, data: bytes, fail_after: int):
        super().__init__(data)
        self._fail_after = fail_after

    def read(self, size: int = -1) -> bytes:
        if self.tell() + max(size, 1) > self._fail_after:
            raise _ReadFails("the disk went away")
        return super().read(size)


def test_file_like_exception_propagates_unchanged() -> None:
    data = generate.clip("wav_s16").read_bytes()
    with pytest.raises(_ReadFails, match="the disk went away"):
        WavDecoder(_FailingFile(data, 0))
    decoder = WavDecoder(_FailingFile(data, 1000))
    with pytest.raises(_ReadFails, match="the disk went away"):
        decoder.get_all_samples()


def test_empty_file(tmp_path) -> None:
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="it is empty"):
        WavDecoder(path)
