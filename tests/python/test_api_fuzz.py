"""Property-based fuzzing of the public API's arguments (hypothesis).

Indices, times, ranges, dtypes, shapes, options and misbehaving file-likes of
hypothesis's choosing go to the decoders and encoders. Every call must end in
a result or in one of the exceptions of the API's error table: a codecflow
exception, or the builtin the table names (ValueError, IndexError; TypeError
only where an argument of the wrong type was passed), or a file-like's own
exception unchanged. Never a crash, never another exception: no OverflowError,
MemoryError or SystemError, and no error text of the binding layer.

The examples are derandomized, so a run of the suite is repeatable; set
``CODECFLOW_FUZZ_EXAMPLES=N`` for N examples per test with fresh randomness
(docs/reliability.md).
"""

from __future__ import annotations

import gc
import io
import math
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Type

import pytest
import torch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import codecflow  # noqa: E402
from codecflow.decoders import AudioDecoder, VideoDecoder, WavDecoder  # noqa: E402
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder  # noqa: E402
from codecflow._errors import CodecflowError  # noqa: E402

_EXAMPLES = int(os.environ.get("CODECFLOW_FUZZ_EXAMPLES", "0"))


def _settings(examples: int):
    return settings(
        max_examples=_EXAMPLES or examples,
        derandomize=not _EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


class Marker(Exception):
    """What a misbehaving file-like raises: it must reach the caller unchanged."""


# Text of errors from the binding layer rather than from codecflow's checks.
_BINDING_TEXT = ("incompatible function arguments", "Unable to cast", "unable to convert")


@contextmanager
def allowed(*, type_error: bool = False, marker: bool = False, os_error: bool = False) -> Iterator[None]:
    """Lets a call end in a result or a documented exception; anything else fails."""
    try:
        yield
    except CodecflowError:
        pass
    except Marker:
        assert marker, "a file-like's exception where none was raised"
    except (ValueError, IndexError) as e:
        assert not any(t in str(e) for t in _BINDING_TEXT), repr(e)
    except OSError as e:
        # A file-like that broke its contract (a read longer than asked, ...).
        assert os_error, f"OSError without a misbehaving file-like: {e!r}"
    except TypeError as e:
        assert type_error, f"TypeError for arguments of the right types: {e!r}"
        assert not any(t in str(e) for t in _BINDING_TEXT), repr(e)


# ---- strategies ---------------------------------------------------------------

# Ints around the valid ranges, and beyond C's int and int64.
ints = st.one_of(
    st.integers(-3, 40),
    st.sampled_from([2**31 - 1, 2**31, 2**32, 2**40, 2**63 - 1, 2**63, 2**64, -(2**31) - 1, -(2**63), -(2**64)]),
)
floats = st.one_of(
    st.floats(-1.0, 3.0),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 1e-300, 5e-324, 0.0, -0.0]),
)
positive_ints = st.one_of(st.integers(1, 200000), ints)


@pytest.fixture(scope="module", autouse=True)
def _release_leftovers():
    """Collects what failing examples left in reference cycles (encoders and
    their threads) before the tests of the next module run."""
    yield
    gc.collect()


@pytest.fixture(scope="module")
def paths(media):
    return {
        "video": Path(media.clip("rot0")),
        "av": Path(media.clip("h264_audio")),
        "flac": Path(media.clip("flac")),
        "wav": Path(media.clip("wav_s16")),
    }


@pytest.fixture(scope="module")
def decoders(paths):
    return {
        "exact": VideoDecoder(str(paths["video"])),
        "approximate": VideoDecoder(str(paths["video"]), seek_mode="approximate"),
    }


# ---- video decoding -------------------------------------------------------------


@_settings(150)
@given(
    mode=st.sampled_from(["exact", "approximate"]),
    call=st.sampled_from(
        ["at", "batch", "tensor", "range", "played", "played_batch", "played_range", "all", "item", "slice"]
    ),
    a=ints,
    b=ints,
    c=ints,
    t0=floats,
    t1=floats,
    fps=st.one_of(st.none(), floats),
    dtype=st.sampled_from([torch.int64, torch.int32, torch.uint8, torch.int16]),
)
def test_video_decoder_calls(decoders, mode, call, a, b, c, t0, t1, fps, dtype):
    decoder = decoders[mode]
    with allowed():
        if call == "at":
            decoder.get_frame_at(a)
        elif call == "batch":
            decoder.get_frames_at([a, b, c])
        elif call == "tensor":
            values = [v for v in (a, b, c) if -(2**63) <= v < 2**63]
            info = torch.iinfo(dtype)
            decoder.get_frames_at(torch.tensor([v for v in values if info.min <= v <= info.max], dtype=dtype))
        elif call == "range":
            decoder.get_frames_in_range(a, b, c)
        elif call == "played":
            decoder.get_frame_played_at(t0)
        elif call == "played_batch":
            decoder.get_frames_played_at([t0, t1])
        elif call == "played_range":
            decoder.get_frames_played_in_range(t0, t1, fps)
        elif call == "all":
            decoder.get_all_frames(fps)
        elif call == "item":
            decoder[a]
        else:
            decoder[a:b:c if c != 0 else None]


@_settings(60)
@given(
    stream_index=st.one_of(st.none(), ints),
    seek_mode=st.sampled_from(["exact", "approximate", "EXACT", ""]),
    order=st.sampled_from(["NCHW", "NHWC", "nchw", "CHW"]),
    threads=st.sampled_from([-1, 0, 1, 2, 8, 2**31, 2**40]),
    dtype=st.sampled_from([torch.uint8, torch.float32, "auto", torch.float64, "uint8"]),
    resize=st.one_of(st.none(), st.tuples(ints, ints)),
    crop=st.one_of(st.none(), st.tuples(ints, ints)),
    index=ints,
)
def test_video_decoder_options(paths, stream_index, seek_mode, order, threads, dtype, resize, crop, index):
    transforms = []
    with allowed():
        if resize is not None:
            transforms.append(codecflow.transforms.Resize(resize))
        if crop is not None:
            transforms.append(codecflow.transforms.CenterCrop(crop))
        decoder = VideoDecoder(
            str(paths["av"]),
            stream_index=stream_index,
            seek_mode=seek_mode,
            dimension_order=order,
            num_ffmpeg_threads=threads,
            output_dtype=dtype,
            transforms=transforms,
        )
        decoder.get_frame_at(index)


# ---- audio decoding -------------------------------------------------------------


@_settings(100)
@given(
    clip=st.sampled_from(["flac", "av", "wav"]),
    stream_index=st.one_of(st.none(), ints),
    sample_rate=st.one_of(st.none(), positive_ints),
    num_channels=st.one_of(st.none(), st.integers(-1, 10), ints),
    ranges=st.lists(st.tuples(floats, st.one_of(st.none(), floats)), min_size=1, max_size=3),
)
def test_audio_decoder_calls(paths, clip, stream_index, sample_rate, num_channels, ranges):
    with allowed():
        decoder = AudioDecoder(
            str(paths[clip]), stream_index=stream_index, sample_rate=sample_rate, num_channels=num_channels
        )
        for start, stop in ranges:
            with allowed():
                decoder.get_samples_played_in_range(start, stop)


@_settings(100)
@given(ranges=st.lists(st.tuples(floats, st.one_of(st.none(), floats)), min_size=1, max_size=4))
def test_wav_decoder_ranges(paths, ranges):
    decoder = WavDecoder(str(paths["wav"]))
    for start, stop in ranges:
        with allowed():
            decoder.get_samples_played_in_range(start, stop)


# ---- misbehaving file-likes -----------------------------------------------------


class ScriptedReader:
    """A file-like over real bytes that misbehaves on the calls its script names."""

    def __init__(self, data: bytes, read_faults: dict, seek_faults: dict) -> None:
        self._data = io.BytesIO(data)
        self._read_faults = read_faults
        self._seek_faults = seek_faults
        self._reads = 0
        self._seeks = 0

    def read(self, size: int = -1):
        self._reads += 1
        fault = self._read_faults.get(self._reads)
        if fault == "raise":
            raise Marker("read failed")
        if fault == "str":
            return "text"
        if fault == "none":
            return None
        if fault == "too_much":
            return self._data.read(size) + b"\0" * 64
        if fault == "short":
            return self._data.read(max(size // 3, 1))
        if fault == "empty":
            return b""
        return self._data.read(size)

    def seek(self, offset: int, whence: int = 0):
        self._seeks += 1
        fault = self._seek_faults.get(self._seeks)
        if fault == "raise":
            raise Marker("seek failed")
        if fault == "str":
            return "0"
        if fault == "none":
            return None
        if fault == "negative":
            return -5
        if fault == "huge":
            return 2**70
        return self._data.seek(offset, whence)

    def tell(self) -> int:
        return self._data.tell()


_faults = st.dictionaries(
    st.integers(1, 12), st.sampled_from(["raise", "str", "none", "too_much", "short", "empty", "huge", "negative"]),
    max_size=3,
)


@_settings(80)
@given(
    kind=st.sampled_from(["video", "audio", "wav"]),
    read_faults=_faults,
    seek_faults=_faults,
    index=st.integers(-2, 40),
)
def test_misbehaving_file_likes(paths, kind, read_faults, seek_faults, index):
    path = paths["wav" if kind == "wav" else "av"]
    reader = ScriptedReader(path.read_bytes(), read_faults, seek_faults)
    with allowed(type_error=True, marker=True, os_error=True):
        if kind == "video":
            VideoDecoder(reader).get_frame_at(index)
        elif kind == "audio":
            AudioDecoder(reader).get_samples_played_in_range(index / 10, None)
        else:
            WavDecoder(reader).get_samples_played_in_range(index / 10, None)


class ScriptedSink:
    """A writable file-like that misbehaves on the calls its script names."""

    def __init__(self, faults: dict) -> None:
        self._buffer = io.BytesIO()
        self._faults = faults
        self._calls = 0

    def write(self, data):
        self._calls += 1
        fault = self._faults.get(self._calls)
        if fault == "raise":
            raise Marker("write failed")
        if fault == "str":
            return "many"
        return self._buffer.write(data)

    def seek(self, offset: int, whence: int = 0):
        self._calls += 1
        fault = self._faults.get(self._calls)
        if fault == "raise":
            raise Marker("seek failed")
        if fault == "str":
            return "0"
        if fault == "huge":
            return 2**70
        return self._buffer.seek(offset, whence)


# ---- encoding -------------------------------------------------------------------

_video_formats = st.sampled_from(["mp4", "mkv", "matroska", "webm", "avi", "mov", "nut", "gif", "wav", "bogus", ""])
_audio_formats = st.sampled_from(["wav", "flac", "mp3", "m4a", "ogg", "opus", "mkv", "mp4", "bogus", ""])


@_settings(60)
@given(
    shape=st.tuples(st.integers(0, 3), st.integers(1, 4), st.integers(0, 20), st.integers(0, 20)),
    dtype=st.sampled_from([torch.uint8, torch.uint8, torch.float32, torch.int16]),
    frame_rate=st.one_of(floats, st.integers(-2, 240), st.sampled_from([29.97, 23.976, 1e-9, 1e9])),
    fmt=_video_formats,
    codec=st.one_of(st.none(), st.sampled_from(["libx264", "mpeg4", "ffv1", "mjpeg", "png", "h264", "bogus", "flac"])),
    pixel_format=st.one_of(st.none(), st.sampled_from(["yuv420p", "yuv444p", "rgb24", "gray", "nv12", "bogus"])),
    crf=st.one_of(st.none(), st.integers(-5, 70), floats),
    preset=st.one_of(st.none(), st.sampled_from(["ultrafast", "veryslow", "bogus", ""]), st.integers(-3, 20)),
    extra=st.one_of(
        st.none(),
        st.dictionaries(st.sampled_from(["g", "bf", "tune", "threads", "bogus", "x264-params"]),
                        st.one_of(st.integers(-2, 100), st.text(max_size=8)), max_size=2),
    ),
    sink=st.sampled_from(["tensor", "file_like"]),
    sink_faults=st.dictionaries(st.integers(1, 6), st.sampled_from(["raise", "str", "huge"]), max_size=2),
)
def test_video_encoder_arguments(shape, dtype, frame_rate, fmt, codec, pixel_format, crf, preset, extra, sink,
                                 sink_faults):
    frames = torch.randint(0, 256, shape, dtype=torch.int32).to(dtype)
    with allowed(type_error=True, marker=sink == "file_like", os_error=sink == "file_like"):
        encoder = VideoEncoder(frames, frame_rate=frame_rate)
        options = dict(codec=codec, pixel_format=pixel_format, crf=crf, preset=preset, extra_options=extra)
        if sink == "tensor":
            encoder.to_tensor(fmt, **options)
        else:
            encoder.to_file_like(ScriptedSink(sink_faults), format=fmt, **options)


@_settings(60)
@given(
    shape=st.one_of(st.tuples(st.integers(0, 9), st.integers(0, 3000)), st.tuples(st.integers(0, 3000))),
    dtype=st.sampled_from([torch.float32, torch.float32, torch.float64, torch.int16]),
    sample_rate=positive_ints,
    fmt=_audio_formats,
    bit_rate=st.one_of(st.none(), ints, st.integers(8000, 320000)),
    num_channels=st.one_of(st.none(), st.integers(-1, 9)),
    out_rate=st.one_of(st.none(), positive_ints),
    codec=st.one_of(st.none(), st.sampled_from(["pcm_f32le", "pcm_s16le", "flac", "aac", "libopus", "bogus"])),
    special=st.sampled_from([None, None, math.nan, math.inf, 2.0, -7.5]),
    queued=st.sampled_from([0, 2]),
)
def test_audio_encoder_arguments(shape, dtype, sample_rate, fmt, bit_rate, num_channels, out_rate, codec, special,
                                 queued):
    samples = (torch.rand(shape, generator=torch.Generator().manual_seed(3)) * 2 - 1).to(dtype)
    if special is not None and samples.numel() > 0 and fmt != "mp3" and codec is None \
            and samples.is_floating_point():
        # Non-finite samples given to MP3 are covered by the encoder's own tests.
        samples.view(-1)[samples.numel() // 2] = special
    with allowed(type_error=True):
        AudioEncoder(samples, sample_rate=sample_rate).to_tensor(
            fmt, bit_rate=bit_rate, num_channels=num_channels, sample_rate=out_rate, codec=codec
        )
    with allowed(type_error=True):
        encoder = Encoder(max_queued_frames=queued)
        stream = encoder.add_audio(sample_rate=sample_rate, num_channels=max(len(shape) and shape[0], 1),
                                   bit_rate=bit_rate, codec=codec)
        with encoder.open_file_like(io.BytesIO(), format=fmt or "wav"):
            stream.add_samples(samples)
