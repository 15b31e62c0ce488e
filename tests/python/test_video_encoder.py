"""VideoEncoder: round trips per codec, container defaults, options and errors."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from _encoding import generate, probe_frames, probe_streams, psnr

from codecflow import _core
from codecflow.decoders import VideoDecoder
from codecflow.encoders import Encoder, VideoEncoder


@pytest.fixture(scope="module")
def frames() -> torch.Tensor:
    """30 frames decoded (by codecflow) from a 4:2:0 H.264 clip of smooth gradients."""
    return VideoDecoder(generate.clip("gradients")).get_all_frames().data


@pytest.fixture(scope="module")
def sharp_frames() -> torch.Tensor:
    """testsrc2 frames (sharp edges and text), decoded from a 4:2:0 H.264 clip."""
    return VideoDecoder(generate.clip("h264_bframes")).get_frames_in_range(0, 20).data


def _x264_asm_without_avx512() -> str:
    """The CPU's features as libx264 names them, AVX-512 left out."""
    with open("/proc/cpuinfo") as f:
        flags = set(next(line for line in f if line.startswith("flags")).split())
    names = [
        ("sse", "MMX2"), ("sse", "SSE"), ("sse2", "SSE2"), ("pni", "SSE3"), ("ssse3", "SSSE3"),
        ("sse4_1", "SSE4.1"), ("sse4_2", "SSE4.2"), ("avx", "AVX"), ("xop", "XOP"),
        ("fma4", "FMA4"), ("fma", "FMA3"), ("bmi1", "BMI1,LZCNT"), ("bmi2", "BMI2"),
        ("avx2", "AVX2"),
    ]  # fmt: skip
    return ",".join(["Cache64"] + [name for flag, name in names if flag in flags])


X264_ASM = _x264_asm_without_avx512()


def decode(source) -> torch.Tensor:
    return VideoDecoder(source).get_all_frames().data


# codec, extension, pixel format, options, minimum PSNR (inf: bit-exact)
ROUND_TRIPS = [
    ("libx264", "mp4", "yuv420p", dict(crf=18), 40.0),
    ("libx264", "mkv", "yuv444p", dict(crf=18, preset="veryfast"), 40.0),
    ("libx265", "mp4", "yuv420p", dict(crf=18, preset="ultrafast"), 40.0),
    ("libx265", "mkv", "yuv444p", dict(crf=18, preset="ultrafast"), 40.0),
    (
        "libvpx-vp9",
        "webm",
        "yuv420p",
        dict(crf=20, extra_options={"b": 0, "cpu-used": 8, "deadline": "realtime"}),
        40.0,
    ),
    (
        "libvpx-vp9",
        "webm",
        "yuv444p",
        dict(crf=20, extra_options={"b": 0, "cpu-used": 8, "deadline": "realtime"}),
        40.0,
    ),
    ("libsvtav1", "mp4", "yuv420p", dict(crf=20, preset=12), 40.0),
    ("libaom-av1", "mkv", "yuv420p", dict(crf=20, extra_options={"cpu-used": 8}), 40.0),
    ("mpeg4", "avi", "yuv420p", dict(extra_options={"qmax": 3}), 38.0),
    ("ffv1", "mkv", "yuv420p", {}, 44.0),
    ("ffv1", "mkv", "yuv444p", {}, 44.0),
    ("ffv1", "mkv", "bgr0", {}, float("inf")),
]


@pytest.mark.parametrize("codec, ext, pixel_format, options, min_psnr", ROUND_TRIPS)
def test_round_trip(frames, tmp_path, codec, ext, pixel_format, options, min_psnr):
    dest = tmp_path / f"out.{ext}"
    VideoEncoder(frames, frame_rate=30).to_file(
        dest, codec=codec, pixel_format=pixel_format, **options
    )
    decoded = decode(dest)
    assert decoded.shape == frames.shape
    if min_psnr == float("inf"):
        assert torch.equal(decoded, frames)
    else:
        assert psnr(decoded, frames) >= min_psnr
    (video,) = probe_streams(dest)
    assert video["pix_fmt"] == pixel_format
    assert video["width"] == 320 and video["height"] == 240


def test_lossless_rgb_is_bit_exact_on_sharp_content(sharp_frames, tmp_path):
    out = VideoEncoder(sharp_frames, frame_rate=30).to_tensor(
        "mkv", codec="ffv1", pixel_format="bgr0"
    )
    assert torch.equal(decode(out), sharp_frames)


def test_x264_matches_the_ffmpeg_cli(sharp_frames, tmp_path):
    # Same conversion (swscale, bicubic) and encoder settings as the CLI:
    # the decoded frames are identical. Both run libx264 without its
    # AVX-512 code, which makes the output depend on the heap's earlier
    # contents.
    ours = tmp_path / "ours.mp4"
    VideoEncoder(sharp_frames, frame_rate=30).to_file(ours, crf=18, extra_options={"threads": 1})
    cli = tmp_path / "cli.mp4"
    raw = sharp_frames.permute(0, 2, 3, 1).contiguous().numpy().tobytes()
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x240",
         "-r", "30", "-i", "-", "-c:v", "libx264", "-crf", "18", "-threads", "1",
         "-x264-params", f"asm={X264_ASM}", "-pix_fmt", "yuv420p", str(cli)],
        input=raw, check=True,
    )  # fmt: skip
    assert torch.equal(decode(ours), decode(cli))


def test_planar_and_channels_last_inputs_encode_alike(frames):
    channels_last = frames  # a decoder's NCHW output is a view of an NHWC buffer
    assert channels_last.stride()[1] == 1
    planar = frames.contiguous()
    a = VideoEncoder(channels_last, frame_rate=30).to_tensor(
        "mkv", codec="ffv1", pixel_format="yuv444p"
    )
    b = VideoEncoder(planar, frame_rate=30).to_tensor("mkv", codec="ffv1", pixel_format="yuv444p")
    assert torch.equal(decode(a), decode(b))
    odd = frames[:, :, :, :].transpose(2, 3).contiguous().transpose(2, 3)  # column-major planes
    c = VideoEncoder(odd, frame_rate=30).to_tensor("mkv", codec="ffv1", pixel_format="bgr0")
    assert torch.equal(decode(c), frames)


def test_to_file_to_tensor_and_to_file_like_agree(frames, tmp_path):
    encoder = VideoEncoder(frames, frame_rate=30)
    options = dict(codec="libx264", crf=23, extra_options={"threads": 1})
    encoder.to_file(tmp_path / "a.mp4", **options)
    as_tensor = encoder.to_tensor("mp4", **options)
    assert as_tensor.dtype == torch.uint8 and as_tensor.dim() == 1
    buffer = io.BytesIO()
    encoder.to_file_like(buffer, "mp4", **options)
    assert (tmp_path / "a.mp4").read_bytes() == as_tensor.numpy().tobytes() == buffer.getvalue()


@pytest.mark.parametrize(
    "ext, codec_name",
    [("mp4", "h264"), ("mov", "h264"), ("mkv", "h264"), ("webm", "vp9"), ("avi", "mpeg4")],
)
def test_default_codec_from_container(frames, tmp_path, ext, codec_name):
    dest = tmp_path / f"out.{ext}"
    extra = {"cpu-used": 8, "deadline": "realtime"} if ext == "webm" else None
    VideoEncoder(frames[:5], frame_rate=30).to_file(dest, extra_options=extra)
    (video,) = probe_streams(dest)
    assert video["codec_name"] == codec_name
    assert video["pix_fmt"] == "yuv420p"


@pytest.mark.parametrize("codec, codec_name", [("h264", "h264"), ("hevc", "hevc")])
def test_codec_names_pick_an_encoder(frames, tmp_path, codec, codec_name):
    dest = tmp_path / "out.mp4"
    VideoEncoder(frames[:5], frame_rate=30).to_file(dest, codec=codec)
    assert probe_streams(dest)[0]["codec_name"] == codec_name


@pytest.mark.parametrize(
    "rate, expected", [(30, "30/1"), (25, "25/1"), (30000 / 1001, "30000/1001")]
)
def test_frame_count_rate_and_duration(frames, tmp_path, rate, expected):
    dest = tmp_path / "out.mp4"
    VideoEncoder(frames, frame_rate=rate).to_file(dest)
    (video,) = probe_streams(dest)
    assert int(video["nb_frames"]) == 30
    assert video["avg_frame_rate"] == expected
    assert video["r_frame_rate"] == expected
    assert float(video["duration"]) == pytest.approx(30 / rate, abs=1e-3)
    pts = [float(f["pts_time"]) for f in probe_frames(dest)]
    assert pts == pytest.approx([i / rate for i in range(30)], abs=1e-4)


def test_extra_options_reach_the_encoder(frames, tmp_path):
    dest = tmp_path / "out.mp4"
    VideoEncoder(frames, frame_rate=30).to_file(
        dest, extra_options={"g": 10, "bf": 0, "sc_threshold": 0, "tune": "fastdecode"}
    )
    kinds = [f["pict_type"] for f in probe_frames(dest)]
    assert "B" not in kinds
    assert [i for i, f in enumerate(probe_frames(dest)) if f["key_frame"] == 1] == [0, 10, 20]


def test_to_file_like_with_write_that_raises(frames):
    class Boom(Exception):
        pass

    class Failing(io.RawIOBase):
        def writable(self):
            return True

        def write(self, data):
            raise Boom("disk on fire")

        def seek(self, offset, whence=0):
            return 0

    with pytest.raises(Boom, match="disk on fire"):
        VideoEncoder(frames, frame_rate=30).to_file_like(Failing(), "mkv")


def test_failing_to_file_removes_the_partial_file(tmp_path):
    # A file-size limit makes the writes fail part-way.
    script = textwrap.dedent(
        f"""
        import resource, signal, sys, torch
        from codecflow.encoders import VideoEncoder
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
        frames = torch.randint(0, 256, (20, 3, 240, 320), dtype=torch.uint8)
        try:
            VideoEncoder(frames, frame_rate=30).to_file({str(tmp_path / "big.mkv")!r},
                                                        codec="ffv1", pixel_format="bgr0")
        except Exception as error:
            print(type(error).__name__, isinstance(error, RuntimeError))
            sys.exit(0)
        sys.exit(3)
        """
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "True" in result.stdout
    assert not (tmp_path / "big.mkv").exists()
    assert list(tmp_path.iterdir()) == []  # nor the temporary file beside it


# ---- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_frames, message",
    [
        (lambda: [[1, 2, 3]], "Expected frames to be a Tensor"),
        (lambda: torch.zeros(2, 3, 8, 8, dtype=torch.float32), "uint8"),
        (lambda: torch.zeros(3, 8, 8, dtype=torch.uint8), "4-D"),
        (lambda: torch.zeros(2, 4, 8, 8, dtype=torch.uint8), "3 \\(RGB\\)"),
        (lambda: torch.zeros(0, 3, 8, 8, dtype=torch.uint8), "at least one"),
    ],
)
def test_bad_frames(make_frames, message):
    with pytest.raises(ValueError, match=message):
        VideoEncoder(make_frames(), frame_rate=30)


@pytest.mark.parametrize("rate", [0, -1, float("nan"), "30"])
def test_bad_frame_rate(rate):
    with pytest.raises(ValueError, match="frame_rate"):
        VideoEncoder(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), frame_rate=rate)


@pytest.mark.parametrize(
    "dest, options, message",
    [
        ("out.mp4", dict(codec="no_such_codec"), "allowed: .*libx264"),
        ("out.mp4", dict(codec="aac"), "not a video encoder"),
        ("out.mp4", dict(codec="pcm_s16le"), "not a video encoder"),
        ("out.mp4", dict(pixel_format="yuv999p"), "allowed: yuv420p"),
        ("out.mp4", dict(codec="mpeg4", pixel_format="yuv444p"), "allowed: yuv420p"),
        ("out.mp4", dict(crf=-3), r"crf=-3 for encoder libx264: allowed range \[-1, "),
        ("out.webm", dict(crf=70), r"\[-1, 63\]"),
        ("out.webm", dict(crf=20.5), "integer"),
        ("out.mp4", dict(preset="quick"), "allowed: ultrafast, superfast"),
        ("out.mp4", dict(codec="libsvtav1", preset=14), r"\[-1, 13\]"),
        ("out.mp4", dict(extra_options={"no_such_option": 1}), "no option 'no_such_option'"),
        ("out.mp4", dict(extra_options={"qmin": 100}), r"qmin.*allowed range \[-1, 69\]"),
        ("out.webm", dict(extra_options={"deadline": "soon"}), "allowed: .*realtime"),
        ("out.mp4", dict(extra_options={"tune": "nonsense"}), "refused"),
        ("out.bad_extension", {}, "extension"),
        ("out.mp4", dict(extra_options={1: 2}), "keys must be str"),
        ("out.mp4", dict(crf="18"), "crf must be"),
    ],
)
def test_bad_options_fail_before_the_file_exists(tmp_path, dest, options, message):
    path = tmp_path / dest
    encoder = VideoEncoder(torch.zeros(2, 3, 16, 16, dtype=torch.uint8), frame_rate=30)
    with pytest.raises(ValueError, match=message):
        encoder.to_file(path, **options)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_format_for_memory_and_file_like():
    encoder = VideoEncoder(torch.zeros(2, 3, 16, 16, dtype=torch.uint8), frame_rate=30)
    with pytest.raises(ValueError, match="format"):
        encoder.to_tensor("no_such_format")
    with pytest.raises(TypeError, match="write"):
        encoder.to_file_like(object(), "mp4")
    with pytest.raises(TypeError, match="text mode"):
        encoder.to_file_like(io.StringIO(), "mp4")


def test_unwritable_path(tmp_path):
    encoder = VideoEncoder(torch.zeros(2, 3, 16, 16, dtype=torch.uint8), frame_rate=30)
    with pytest.raises(OSError):
        encoder.to_file(tmp_path / "missing_dir" / "out.mp4")
    with pytest.raises(IsADirectoryError):
        (tmp_path / "dir.mp4").mkdir()
        encoder.to_file(tmp_path / "dir.mp4")


@pytest.mark.skipif(
    torch.cuda.is_available() and _core.has_cuda(),
    reason="CUDA is present here: test_cuda.py encodes from it",
)
def test_cuda_device_names_what_is_missing():
    with pytest.raises(RuntimeError, match="CUDA|cuda"):
        Encoder().add_video(height=16, width=16, frame_rate=30, device="cuda")


def test_demo_encodes_what_it_decoded():
    demo = Path(__file__).resolve().parents[2] / "examples" / "demo.py"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run(
        [sys.executable, str(demo)], capture_output=True, text=True, env=env, check=True
    )
    assert "ffprobe: h264 320x240 yuv420p, 60 frames, 2.000 s" in result.stdout
