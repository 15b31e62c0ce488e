"""Every public entry point, given bad arguments, raises a codecflow.errors
class that is also the builtin the public API promises for the case."""

from __future__ import annotations

import ast
import builtins
import io
import math
import pathlib
from fractions import Fraction

import pytest
import torch

import codecflow
import codecflow.errors
from codecflow import samplers, transforms
from codecflow.decoders import AudioDecoder, VideoDecoder, WavDecoder, set_nvdec_cache_capacity
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder
from codecflow.errors import CodecflowError

PACKAGE = pathlib.Path(codecflow.__file__).parent


@pytest.fixture(scope="module")
def video(media) -> pathlib.Path:
    return media.clip("h264_bframes")


@pytest.fixture(scope="module")
def wav(media) -> pathlib.Path:
    return media.clip("wav_s16")


class _TooMuch(io.RawIOBase):
    """A file-like whose read() returns more bytes than asked for."""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return b"\0" * (size + 10)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0


class _Text:
    """A binary-looking file-like whose read() returns str."""

    def read(self, size: int = -1) -> str:
        return "text"

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def tell(self) -> int:
        return 0


FRAMES = torch.zeros(2, 3, 16, 16, dtype=torch.uint8)
SAMPLES = torch.zeros(1, 1600)


def _encoder_opened(tmp: pathlib.Path) -> Encoder:
    encoder = Encoder()
    encoder.add_video(height=16, width=16, frame_rate=10)
    encoder.open_file(tmp / "out.mp4")
    return encoder


# (id, call(video path, wav path, tmp dir), the builtin the API promises)
CASES = [
    # decoder construction
    ("dimension_order", lambda v, w, t: VideoDecoder(v, dimension_order="CHW"), ValueError),
    ("seek_mode", lambda v, w, t: VideoDecoder(v, seek_mode="fast"), ValueError),
    ("output_dtype", lambda v, w, t: VideoDecoder(v, output_dtype=torch.int16), ValueError),
    ("stream_index type", lambda v, w, t: VideoDecoder(v, stream_index="0"), ValueError),
    ("stream_index range", lambda v, w, t: VideoDecoder(v, stream_index=9), ValueError),
    ("threads type", lambda v, w, t: VideoDecoder(v, num_ffmpeg_threads=1.5), ValueError),
    ("threads range", lambda v, w, t: VideoDecoder(v, num_ffmpeg_threads=100), ValueError),
    ("device", lambda v, w, t: VideoDecoder(v, device="tpu"), ValueError),
    ("transform", lambda v, w, t: VideoDecoder(v, transforms=["flip"]), ValueError),
    ("transform size", lambda v, w, t: VideoDecoder(v, transforms=[transforms.Resize(0)]),
     ValueError),  # fmt: skip
    ("crop too large",
     lambda v, w, t: VideoDecoder(v, transforms=[transforms.CenterCrop(10000)]), ValueError),
    ("frame mappings", lambda v, w, t: VideoDecoder(v, custom_frame_mappings=5), ValueError),
    ("ffmpeg_options type", lambda v, w, t: VideoDecoder(v, ffmpeg_options=5), TypeError),
    ("ffmpeg_options name", lambda v, w, t: VideoDecoder(v, ffmpeg_options={"nope": 1}),
     ValueError),  # fmt: skip
    ("index_cache", lambda v, w, t: VideoDecoder(v, index_cache=5), TypeError),
    ("frame_index", lambda v, w, t: VideoDecoder(v, frame_index=5), TypeError),
    ("source type", lambda v, w, t: VideoDecoder(12345), TypeError),
    ("text file", lambda v, w, t: VideoDecoder(io.StringIO("x")), TypeError),
    ("read returns str", lambda v, w, t: VideoDecoder(_Text()), TypeError),
    ("read returns too much", lambda v, w, t: VideoDecoder(_TooMuch()), OSError),
    ("tensor source", lambda v, w, t: VideoDecoder(torch.zeros(4, 4, dtype=torch.uint8)),
     ValueError),  # fmt: skip
    ("missing path", lambda v, w, t: VideoDecoder(t / "missing.mp4"), FileNotFoundError),
    ("directory", lambda v, w, t: VideoDecoder(t), IsADirectoryError),
    ("not media", lambda v, w, t: VideoDecoder(b"not a video at all" * 10), ValueError),
    # decoding calls
    ("key type", lambda v, w, t: VideoDecoder(v)["1"], TypeError),
    ("key range", lambda v, w, t: VideoDecoder(v)[10**6], IndexError),
    ("index type", lambda v, w, t: VideoDecoder(v).get_frame_at(1.5), TypeError),
    ("indices entry", lambda v, w, t: VideoDecoder(v).get_frames_at(["a"]), ValueError),
    ("indices type", lambda v, w, t: VideoDecoder(v).get_frames_at(5), TypeError),
    ("indices range", lambda v, w, t: VideoDecoder(v).get_frames_at([0, 10**6]), IndexError),
    ("range bound type", lambda v, w, t: VideoDecoder(v).get_frames_in_range("0"), TypeError),
    ("range step", lambda v, w, t: VideoDecoder(v).get_frames_in_range(0, 5, 0), ValueError),
    ("time type", lambda v, w, t: VideoDecoder(v).get_frame_played_at("1"), TypeError),
    ("time NaN", lambda v, w, t: VideoDecoder(v).get_frame_played_at(math.nan), ValueError),
    ("time outside", lambda v, w, t: VideoDecoder(v).get_frame_played_at(1e6), IndexError),
    ("times entry", lambda v, w, t: VideoDecoder(v).get_frames_played_at(["a"]), ValueError),
    ("time range", lambda v, w, t: VideoDecoder(v).get_frames_played_in_range(1, 0.5),
     ValueError),  # fmt: skip
    ("time range NaN",
     lambda v, w, t: VideoDecoder(v).get_frames_played_in_range(math.nan, 1), ValueError),
    ("fps type", lambda v, w, t: VideoDecoder(v).get_frames_played_in_range(0, 1, fps="x"),
     ValueError),  # fmt: skip
    ("fps range", lambda v, w, t: VideoDecoder(v).get_all_frames(fps=-1), ValueError),
    ("approximate index", lambda v, w, t: VideoDecoder(v, seek_mode="approximate").frame_index(),
     RuntimeError),  # fmt: skip
    ("pickle file-like",
     lambda v, w, t: VideoDecoder(io.BytesIO(v.read_bytes())).__getstate__(), TypeError),
    # audio
    ("audio stream_index", lambda v, w, t: AudioDecoder(w, stream_index="0"), ValueError),
    ("sample_rate type", lambda v, w, t: AudioDecoder(w, sample_rate=1.5), ValueError),
    ("sample_rate range", lambda v, w, t: AudioDecoder(w, sample_rate=0), ValueError),
    ("num_channels range", lambda v, w, t: AudioDecoder(w, num_channels=100), ValueError),
    ("no audio stream", lambda v, w, t: AudioDecoder(v), ValueError),
    ("audio time type", lambda v, w, t: AudioDecoder(w).get_samples_played_in_range("0"),
     TypeError),  # fmt: skip
    ("audio time range", lambda v, w, t: AudioDecoder(w).get_samples_played_in_range(1, 0.5),
     ValueError),  # fmt: skip
    ("audio time NaN",
     lambda v, w, t: AudioDecoder(w).get_samples_played_in_range(0, math.nan), ValueError),
    ("audio range outside", lambda v, w, t: AudioDecoder(w).get_samples_played_in_range(50, 60),
     ValueError),  # fmt: skip
    ("wav not wav", lambda v, w, t: WavDecoder(v), ValueError),
    ("wav time NaN", lambda v, w, t: WavDecoder(w).get_samples_played_in_range(math.nan),
     ValueError),  # fmt: skip
    ("wav pickle file-like",
     lambda v, w, t: WavDecoder(io.BytesIO(w.read_bytes())).__getstate__(), TypeError),
    # samplers
    ("num_clips", lambda v, w, t: samplers.clips_at_random_indices(VideoDecoder(v), num_clips=0),
     ValueError),  # fmt: skip
    ("policy", lambda v, w, t: samplers.clips_at_regular_indices(VideoDecoder(v), policy="x"),
     ValueError),  # fmt: skip
    ("sampler decoder", lambda v, w, t: samplers.clips_at_random_indices("decoder"), ValueError),
    ("clip starts",
     lambda v, w, t: samplers.clips_at_regular_timestamps(
         VideoDecoder(v), seconds_between_clip_starts=-1.0), ValueError),  # fmt: skip
    ("sampling range",
     lambda v, w, t: samplers.clips_at_random_timestamps(
         VideoDecoder(v), sampling_range_start=1.0, sampling_range_end=0.5), ValueError),
    ("key frames flag",
     lambda v, w, t: samplers.clips_at_random_indices(VideoDecoder(v), start_at_key_frames=1),
     ValueError),  # fmt: skip
    # transforms
    ("resize size", lambda v, w, t: transforms.Resize("big"), ValueError),
    ("crop size", lambda v, w, t: transforms.CenterCrop((0, 4)), ValueError),
    # encoders
    ("frames type", lambda v, w, t: VideoEncoder("frames", frame_rate=10), ValueError),
    ("frames dtype", lambda v, w, t: VideoEncoder(FRAMES.float(), frame_rate=10), ValueError),
    ("frame_rate type", lambda v, w, t: VideoEncoder(FRAMES, frame_rate="10"), ValueError),
    ("frame_rate range", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=0), ValueError),
    ("frame_rate beyond C",
     lambda v, w, t: VideoEncoder(FRAMES, frame_rate=Fraction(2**70, 3)), ValueError),
    ("container", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_file(t / "x.nope"),
     ValueError),  # fmt: skip
    ("codec", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_tensor("mp4", codec="x"),
     ValueError),  # fmt: skip
    ("crf type", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_tensor("mp4", crf="1"),
     ValueError),  # fmt: skip
    ("format", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_tensor(""), ValueError),
    ("dest type", lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_file(5), TypeError),
    ("dest text",
     lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_file_like(io.StringIO(), "mp4"),
     TypeError),  # fmt: skip
    ("dest no write",
     lambda v, w, t: VideoEncoder(FRAMES, frame_rate=10).to_file_like(object(), "mp4"),
     TypeError),  # fmt: skip
    ("samples type", lambda v, w, t: AudioEncoder([0.0], sample_rate=8000), ValueError),
    ("samples rate", lambda v, w, t: AudioEncoder(SAMPLES, sample_rate=0), ValueError),
    ("samples NaN",
     lambda v, w, t: AudioEncoder(torch.full((1, 8), math.nan), sample_rate=8000).to_tensor("wav"),
     ValueError),  # fmt: skip
    ("audio channels",
     lambda v, w, t: AudioEncoder(SAMPLES, sample_rate=8000).to_tensor("wav", num_channels=0),
     ValueError),  # fmt: skip
    ("queue bound", lambda v, w, t: Encoder(max_queued_frames=-1), ValueError),
    ("queue type", lambda v, w, t: Encoder(max_queued_frames="1"), ValueError),
    ("video size", lambda v, w, t: Encoder().add_video(height=0, width=16, frame_rate=10),
     ValueError),  # fmt: skip
    ("audio stream",
     lambda v, w, t: Encoder().add_audio(sample_rate=0, num_channels=1), ValueError),
    ("bit_rate type",
     lambda v, w, t: Encoder().add_audio(sample_rate=8000, num_channels=1, bit_rate="x"),
     ValueError),  # fmt: skip
    ("add after open", lambda v, w, t: _encoder_opened(t).add_audio(sample_rate=8000,
                                                                     num_channels=1),
     RuntimeError),  # fmt: skip
    ("frames before open",
     lambda v, w, t: Encoder().add_video(height=16, width=16, frame_rate=10).add_frames(FRAMES),
     RuntimeError),  # fmt: skip
    # module functions
    ("log level name", lambda v, w, t: codecflow.set_ffmpeg_log_level("loud"), ValueError),
    ("log level type", lambda v, w, t: codecflow.set_ffmpeg_log_level(1.5), ValueError),
    ("log level range", lambda v, w, t: codecflow.set_ffmpeg_log_level(100), ValueError),
    ("log level beyond C", lambda v, w, t: codecflow.set_ffmpeg_log_level(2**70), ValueError),
    ("cache limit type", lambda v, w, t: codecflow.set_frame_cache_limit("1"), ValueError),
    ("cache limit range", lambda v, w, t: codecflow.set_frame_cache_limit(-1), ValueError),
    ("index cache dir", lambda v, w, t: codecflow.set_index_cache(5), TypeError),
    ("frame index type", lambda v, w, t: codecflow.FrameIndex(5), TypeError),
    ("frame index bytes", lambda v, w, t: codecflow.FrameIndex(b"junk"), ValueError),
    ("nvdec capacity", lambda v, w, t: set_nvdec_cache_capacity(-1), ValueError),
    ("metadata path", lambda v, w, t: codecflow.get_container_metadata(t / "no.mp4"),
     FileNotFoundError),  # fmt: skip
    ("frame data", lambda v, w, t: codecflow.Frame(torch.zeros(2), 0.0, 0.0), ValueError),
]


@pytest.mark.parametrize("call, builtin", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_arguments_raise_codecflow_errors(video, wav, tmp_path, call, builtin) -> None:
    with pytest.raises(Exception) as info:
        call(video, wav, tmp_path)
    error = info.value
    assert isinstance(error, CodecflowError), f"{type(error).__mro__}: {error}"
    assert isinstance(error, builtin), f"{type(error).__mro__}: {error}"
    assert str(error)


def test_public_classes() -> None:
    # Each class is public, a CodecflowError, and the builtin it stands for.
    expected = {
        "InvalidArgumentError": ValueError,
        "InvalidTypeError": TypeError,
        "InvalidMediaError": ValueError,
        "OutOfRangeError": IndexError,
        "MediaNotFoundError": FileNotFoundError,
        "MediaIsADirectoryError": IsADirectoryError,
        "MediaIOError": OSError,
        "NetworkError": ConnectionError,
        "NetworkTimeoutError": TimeoutError,
    }
    assert set(codecflow.errors.__all__) == set(expected) | {"CodecflowError"}
    assert issubclass(CodecflowError, RuntimeError)
    for name, base in expected.items():
        cls = getattr(codecflow.errors, name)
        assert issubclass(cls, CodecflowError) and issubclass(cls, base), name


def _raised_builtins(path: pathlib.Path) -> list:
    """(line, name) of each ``raise X(...)`` or ``raise X`` of a builtin exception."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        if isinstance(target, ast.Name):
            value = getattr(builtins, target.id, None)
            # ImportError stays Python's own: an optional dependency (Ray's
            # extra) that is not installed.
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value is not ImportError
            ):
                found.append((node.lineno, target.id))
    return found


def test_the_package_raises_only_codecflow_classes() -> None:
    # Re-raising what was caught (``raise``) is fine; a new builtin is not.
    offenders = {
        str(path.relative_to(PACKAGE)): _raised_builtins(path)
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_scan_finds_builtin_raises(tmp_path) -> None:
    # The scan above can fail: it sees a builtin raised.
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    raise ValueError('x')\n\ndef g():\n    raise KeyError\n")
    assert _raised_builtins(sample) == [(2, "ValueError"), (5, "KeyError")]
