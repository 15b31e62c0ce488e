"""Hostile input: damaged headers and out-of-range arguments raise codecflow's
errors (never a crash, a huge allocation or a pybind11 error)."""

from __future__ import annotations

import io
import math
import resource
import struct

import numpy as np
import pytest
import torch

import _damage
from codecflow import _core
from codecflow.decoders import AudioDecoder, VideoDecoder, WavDecoder
from codecflow.encoders import AudioEncoder
from codecflow._errors import InvalidArgumentError, InvalidMediaError


# ---- damaged audio headers ---------------------------------------------------


def _wav_65535_channels_truncated(media) -> bytes:
    data = media.clip("wav_s16").read_bytes()
    fmt = _damage.wav_chunks(data)["fmt "]
    return _damage.patch(data, fmt + 8 + 2, "<H", 65535)[:2000]


def _wav_65535_channels_shifted(media) -> bytes:
    data = media.clip("wav_s16").read_bytes()
    fmt = _damage.wav_chunks(data)["fmt "]
    damaged = _damage.patch(data, fmt + 8 + 2, "<H", 65535)
    start = _damage.wav_chunks(data)["data"] + 8
    return damaged[:start] + damaged[start + 3 :]  # samples shifted by 3 bytes


def _opus_head(channels: int, family: int):
    def build(media) -> bytes:
        def patch(head: bytearray) -> None:
            head[9] = channels
            head[18] = family  # family 1 needs a mapping table the packet lacks

        return _damage.patch_ogg_first_packet(media.clip("opus_ogg").read_bytes(), patch)

    return build


def _flac_max_block(size: int):
    def build(media) -> bytes:
        data = media.clip("flac").read_bytes()
        return _damage.patch(data, _damage.flac_streaminfo_offset(data) + 2, ">H", size)

    return build


DAMAGED_AUDIO = {
    "wav_65535_channels_truncated": _wav_65535_channels_truncated,
    "wav_65535_channels_shifted": _wav_65535_channels_shifted,
    "opus_family1_without_table": _opus_head(2, 1),
    "opus_family1_255_channels": _opus_head(255, 1),
    "opus_family0_3_channels": _opus_head(3, 0),
    "flac_max_block_1": _flac_max_block(1),
    "flac_max_block_15": _flac_max_block(15),
}


@pytest.mark.parametrize("from_path", [False, True], ids=["bytes", "path"])
@pytest.mark.parametrize("case", sorted(DAMAGED_AUDIO))
def test_damaged_audio_header_is_invalid_media(media, tmp_path, case, from_path):
    data = DAMAGED_AUDIO[case](media)
    source = data
    if from_path:
        source = tmp_path / f"{case}.bin"
        source.write_bytes(data)
    with pytest.raises(InvalidMediaError, match="could not open the .* decoder") as info:
        AudioDecoder(source).get_all_samples()
    assert isinstance(info.value, ValueError)


def test_ogg_crc_matches_the_pages_ffmpeg_writes(media):
    data = media.clip("opus_ogg").read_bytes()
    for offset, header, body in _damage.ogg_pages(data)[:3]:
        page = bytearray(data[offset : offset + header + body])
        stored = struct.unpack_from("<I", page, 22)[0]
        page[22:26] = b"\0\0\0\0"
        assert _damage.ogg_crc(bytes(page)) == stored


# ---- WAV header sizes --------------------------------------------------------


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("chunk", ["fmt ", "ds64"])
def test_wav_chunk_size_beyond_the_file_is_invalid_media(media, chunk):
    name = "wav_rf64" if chunk == "ds64" else "wav_s16"
    data = media.clip(name).read_bytes()
    offset = _damage.wav_chunks(data)[chunk]
    damaged = _damage.patch(data, offset + 4, "<I", 0xFFFFFFFF)
    before = _peak_rss_mib()
    with pytest.raises(InvalidMediaError, match=f"ends inside the '{chunk}' chunk"):
        WavDecoder(damaged)
    # Nothing near the 4 GiB the header claims was allocated.
    assert _peak_rss_mib() - before < 64


def test_wav_fmt_chunk_longer_than_its_fields_still_decodes(media):
    # A valid fmt chunk with trailing bytes: only the fields are read.
    data = media.clip("wav_s16").read_bytes()
    chunks = _damage.wav_chunks(data)
    fmt = chunks["fmt "]
    size = struct.unpack_from("<I", data, fmt + 4)[0]
    body_end = fmt + 8 + size
    padded = data[:fmt + 4] + struct.pack("<I", size + 1000) + data[fmt + 8 : body_end]
    padded += bytes(1000) + data[body_end:]
    padded = _damage.patch(padded, 4, "<I", len(padded) - 8)
    expected = WavDecoder(data).get_all_samples().data
    torch.testing.assert_close(WavDecoder(padded).get_all_samples().data, expected, rtol=0, atol=0)


# ---- numeric arguments -------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(stream_index=2**40), r"stream_index=1099511627776: must be an integer in \[0, 65535\]"),
        (dict(stream_index=2**70), r"stream_index=1180591620717411303424: .*\[0, 65535\]"),
        (dict(stream_index=-1), r"stream_index=-1: .*\[0, 65535\]"),
        (dict(num_ffmpeg_threads=10**6), r"num_ffmpeg_threads=1000000: .*\[0, 64\]"),
        (dict(num_ffmpeg_threads=200), r"num_ffmpeg_threads=200: .*\[0, 64\]"),
        (dict(num_ffmpeg_threads=-1), r"num_ffmpeg_threads=-1: .*\[0, 64\]"),
    ],
)
def test_video_decoder_numeric_arguments_have_ranges(media, kwargs, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        VideoDecoder(media.clip("h264_bframes"), **kwargs)


@pytest.mark.parametrize("threads", [0, 64])
def test_video_decoder_thread_bounds_decode_exact_frames(media, threads):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(
        media.clip("h264_bframes"), num_ffmpeg_threads=threads, dimension_order="NHWC"
    )
    frames = decoder.get_frames_at([40, 3, 59]).data.numpy()
    np.testing.assert_array_equal(frames, reference[[40, 3, 59]])


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        (dict(sample_rate=2**40), r"sample_rate=1099511627776: .*\[1, 768000\]"),
        (dict(sample_rate=768001), r"sample_rate=768001: .*\[1, 768000\]"),
        (dict(num_channels=2**70), r"num_channels=1180591620717411303424: .*\[1, 64\]"),
        (dict(num_channels=65), r"num_channels=65: .*\[1, 64\]"),
        (dict(stream_index=2**40), r"stream_index=1099511627776: .*\[0, 65535\]"),
    ],
)
def test_audio_decoder_numeric_arguments_have_ranges(media, kwargs, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern):
        AudioDecoder(media.clip("flac"), **kwargs)


@pytest.mark.parametrize("sample_rate, num_channels", [(768000, 1), (8000, 8)])
def test_audio_decoder_range_bounds_are_accepted(media, sample_rate, num_channels):
    decoder = AudioDecoder(media.clip("flac"), sample_rate=sample_rate, num_channels=num_channels)
    samples = decoder.get_samples_played_in_range(0.0, 0.5)
    assert samples.data.shape == (num_channels, sample_rate // 2)


def _wav_claiming_rate(media, rate: int) -> bytes:
    data = media.clip("wav_s16").read_bytes()
    fmt = _damage.wav_chunks(data)["fmt "]
    return _damage.patch(data, fmt + 8 + 4, "<I", rate)


@pytest.mark.parametrize(
    "file_rate, sample_rate", [(538_997_873, 48000), (48000, 1), (48000, 187), (2000, 768000)]
)
def test_audio_decoder_rates_too_far_apart_are_a_value_error(media, file_rate, sample_rate):
    # swresample's filter grows with the ratio of the two rates: a header
    # claiming 539 MHz converted to 48 kHz took minutes and gigabytes.
    data = _wav_claiming_rate(media, file_rate)
    with pytest.raises(InvalidArgumentError, match=r"within a factor of 256"):
        AudioDecoder(data, sample_rate=sample_rate)


def test_audio_decoder_rates_256_times_apart_convert(media):
    data = _wav_claiming_rate(media, 48000)
    decoder = AudioDecoder(data, sample_rate=188)  # 255.3 times lower
    assert decoder.get_samples_played_in_range(0.0, 0.5).data.shape[1] == 94


@pytest.mark.parametrize("rate, out_rate", [(1, 8000), (2000, 2000 * 257)])
def test_audio_encoder_rates_too_far_apart_are_a_value_error(tmp_path, rate, out_rate):
    encoder = AudioEncoder(torch.zeros(1, 10), sample_rate=rate)
    with pytest.raises(InvalidArgumentError, match=r"within a factor of 256"):
        encoder.to_file(tmp_path / "out.wav", sample_rate=out_rate)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fps", [math.inf, -math.inf, math.nan, 0, -5, 1e7])
def test_resampling_fps_outside_its_range_is_a_value_error(media, fps):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    with pytest.raises(InvalidArgumentError, match=r"fps=.*\(0, 1e6\]"):
        decoder.get_all_frames(fps=fps)


def test_resampling_that_asks_for_too_many_frames_is_a_value_error(media):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    with pytest.raises(InvalidArgumentError, match="more than 1000000 frames"):
        decoder.get_all_frames(fps=1e6)  # 2 s at 1e6 fps


@pytest.mark.parametrize(
    "call, pattern",
    [
        (lambda e: e.add_video(height=2**31, width=64, frame_rate=30), r"height=2147483648"),
        (lambda e: e.add_video(height=64, width=2**70, frame_rate=30), r"width=1180591620717411303424"),
        (lambda e: e.add_audio(sample_rate=2**40, num_channels=2), r"sample_rate=1099511627776"),
        (lambda e: e.add_audio(sample_rate=8000, num_channels=-(2**40)), r"num_channels=-1099511627776"),
        (lambda e: e.add_audio(sample_rate=8000, num_channels=2, bit_rate=2**64), r"bit_rate=18446744073709551616"),
        (lambda e: e.stream_info(2**40), r"stream=1099511627776"),
    ],
)
def test_encoder_integer_arguments_beyond_c_are_value_errors(call, pattern):
    with pytest.raises(InvalidArgumentError, match=pattern + r": must be an integer in \["):
        call(_core.Encoder())


def test_transform_sizes_have_ranges():
    with pytest.raises(InvalidArgumentError, match=r"transform size=100000: .*\[1, 16384\]"):
        _core.TransformStep("resize", 100000, 10)
    with pytest.raises(InvalidArgumentError, match=r"crop corner=4294967296"):
        _core.TransformStep("crop", 10, 10, top=2**32, left=0)


class _SeekReturnsText(io.BytesIO):
    def seek(self, offset, whence=0):
        super().seek(offset, whence)
        return "somewhere"


class _TellReturnsFloat(io.BytesIO):
    def seek(self, offset, whence=0):
        super().seek(offset, whence)

    def tell(self):
        return float(super().tell())


@pytest.mark.parametrize(
    "cls, method", [(_SeekReturnsText, r"seek\(\)"), (_TellReturnsFloat, r"tell\(\)")]
)
def test_file_like_returning_a_non_int_position_is_a_type_error(media, cls, method):
    data = media.clip("h264_bframes").read_bytes()
    with pytest.raises(TypeError, match=method + " of a file-like object must return an int"):
        VideoDecoder(cls(data))


def test_nvdec_cache_capacity_beyond_64_bits_is_a_value_error():
    from codecflow.decoders import get_nvdec_cache_capacity, set_nvdec_cache_capacity

    before = get_nvdec_cache_capacity()
    with pytest.raises(InvalidArgumentError, match=r"capacity=18446744073709551616"):
        set_nvdec_cache_capacity(2**64)
    assert get_nvdec_cache_capacity() == before
