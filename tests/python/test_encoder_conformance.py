"""Encoders behave as TorchCodec's do: exact frame rates, crf/preset where the
codec has them, container options, agreement with the ffmpeg CLI, and the
exception types for bad input."""

from __future__ import annotations

import io
import subprocess
from fractions import Fraction

import numpy as np
import pytest
import torch
from _encoding import generate, probe_packets, probe_streams, psnr, sines

from codecflow.decoders import AudioDecoder, VideoDecoder
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder
from codecflow._errors import InvalidArgumentError


@pytest.fixture(scope="module")
def source() -> torch.Tensor:
    """20 testsrc2 frames (sharp edges, text), 320x240."""
    return VideoDecoder(generate.clip("h264_bframes")).get_frames_in_range(0, 20).data


ZEROS = torch.zeros(10, 3, 64, 64, dtype=torch.uint8)


def video_stream(path) -> dict:
    return next(s for s in probe_streams(path) if s["codec_type"] == "video")


# ---- frame rates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate, expected",
    [
        (29.97, "30000/1001"),
        (23.976, "24000/1001"),
        (59.94, "60000/1001"),
        (119.88, "120000/1001"),
        (29.9705, "30000/1001"),  # within 0.001 of 30000/1001
        (29.96, "749/25"),  # not: the nearest fraction
        (12.34, "617/50"),
        (7.5, "15/2"),
        (1000, "1000/1"),
        (Fraction(30000, 1001), "30000/1001"),
        (Fraction(2997, 100), "2997/100"),  # a Fraction is used as given
        (Fraction(1, 3600), "1/3600"),
    ],
)
def test_frame_rate_is_exact(tmp_path, rate, expected):
    dest = tmp_path / "out.mp4"
    VideoEncoder(ZEROS[:3], frame_rate=rate).to_file(dest)
    stream = video_stream(dest)
    assert stream["r_frame_rate"] == expected
    assert stream["avg_frame_rate"] == expected
    num, den = map(int, expected.split("/"))
    pts = VideoDecoder(dest).get_all_frames().pts_seconds.tolist()
    assert pts == pytest.approx([i * den / num for i in range(3)], rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("method", ["to_file", "to_file_like"])
def test_non_integer_frame_rate_through_encoder(tmp_path, method):
    encoder = Encoder()
    video = encoder.add_video(height=64, width=64, frame_rate=29.97)
    dest = tmp_path / "out.mp4" if method == "to_file" else io.BytesIO()
    if method == "to_file":
        encoder.open_file(dest)
    else:
        encoder.open_file_like(dest, format="mp4")
    video.add_frames(ZEROS)
    encoder.close()
    source = str(dest) if method == "to_file" else dest.getvalue()
    decoder = VideoDecoder(source)
    assert decoder.metadata.average_fps == pytest.approx(30000 / 1001, rel=1e-9)
    assert decoder.get_all_frames().pts_seconds.tolist() == pytest.approx(
        [i * 1001 / 30000 for i in range(10)], abs=1e-6
    )


@pytest.mark.parametrize(
    "rate", [0, -1, 1000.001, 1e-9, 1e-5, float("nan"), float("inf"), Fraction(1001, 1)]
)
def test_frame_rate_out_of_range_fails_before_any_output(tmp_path, rate):
    with pytest.raises(ValueError, match="frame_rate") as info:
        Encoder().add_video(height=64, width=64, frame_rate=rate)
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(ValueError, match="frame_rate"):
        VideoEncoder(ZEROS, frame_rate=rate).to_file(tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


# ---- crf and preset ----------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["avi", "flv"])
def test_crf_and_preset_are_ignored_where_the_codec_has_none(tmp_path, ext, source):
    plain = tmp_path / f"plain.{ext}"
    tuned = tmp_path / f"tuned.{ext}"
    VideoEncoder(source, frame_rate=30).to_file(plain)
    VideoEncoder(source, frame_rate=30).to_file(tuned, crf=30, preset="ultrafast")
    assert video_stream(tuned)["codec_name"] in ("mpeg4", "flv1")
    assert torch.equal(VideoDecoder(tuned).get_all_frames().data,
                       VideoDecoder(plain).get_all_frames().data)  # fmt: skip


@pytest.mark.parametrize("method", ["to_file", "to_tensor", "to_file_like"])
@pytest.mark.parametrize("crf", [23, 23.5, -0.9, 60])
def test_crf_within_the_codecs_own_range(tmp_path, method, crf):
    encoder = VideoEncoder(ZEROS[:5], frame_rate=30)
    if method == "to_file":
        encoder.to_file(tmp_path / "out.mp4", crf=crf)
        data = (tmp_path / "out.mp4").read_bytes()
    elif method == "to_tensor":
        data = encoder.to_tensor("mp4", crf=crf).numpy().tobytes()
    else:
        buffer = io.BytesIO()
        encoder.to_file_like(buffer, "mp4", crf=crf)
        data = buffer.getvalue()
    assert len(VideoDecoder(data)) == 5


def test_crf_below_the_codecs_range_fails_before_any_output(tmp_path):
    with pytest.raises(RuntimeError, match=r"crf=-10 .*allowed range \[-1, ") as info:
        VideoEncoder(ZEROS, frame_rate=30).to_file(tmp_path / "out.mp4", crf=-10)
    assert isinstance(info.value, ValueError)
    assert list(tmp_path.iterdir()) == []


# ---- container options in extra_options --------------------------------------------------


@pytest.mark.parametrize("ext", ["mp4", "mov"])
@pytest.mark.parametrize(
    "options",
    [
        {"movflags": "+frag_keyframe+empty_moov"},
        {"movflags": "+empty_moov", "frag_duration": 100000},
    ],
)
def test_fragmented_output_decodes_also_when_truncated(tmp_path, ext, options, source):
    dest = tmp_path / f"frag.{ext}"
    VideoEncoder(source, frame_rate=30).to_file(dest, extra_options={**options, "g": 5})
    data = dest.read_bytes()
    assert b"moof" in data  # fragments, not one moov at the end
    reference = VideoDecoder(data).get_all_frames().data
    assert reference.shape[0] == 20
    truncated = VideoDecoder(data[: len(data) // 2])
    assert len(truncated) >= 5
    first = truncated.get_frames_in_range(0, 5).data
    assert torch.equal(first, reference[:5])


@pytest.mark.parametrize("method", ["to_file", "to_file_like"])
def test_fragmented_output_is_readable_before_close(tmp_path, method, source):
    encoder = Encoder()
    video = encoder.add_video(
        height=240, width=320, frame_rate=30, pixel_format="yuv444p", crf=0,
        extra_options={"movflags": "+frag_every_frame+empty_moov", "flush_packets": 1,
                       "threads": 1, "tune": "zerolatency"},
    )  # fmt: skip
    dest = tmp_path / "live.mp4" if method == "to_file" else io.BytesIO()
    if method == "to_file":
        encoder.open_file(dest)
    else:
        encoder.open_file_like(dest, format="mp4")

    def read():
        return VideoDecoder(str(dest) if method == "to_file" else dest.getvalue())

    video.add_frames(source[:10])
    live = read()
    assert 0 < len(live) <= 10
    assert (live.get_all_frames().data.int() - source[: len(live)].int()).abs().max() <= 2
    video.add_frames(source[10:])
    encoder.close()
    assert len(read()) == 20


def test_container_option_values_are_checked_before_any_output(tmp_path):
    encoder = VideoEncoder(ZEROS, frame_rate=30)
    with pytest.raises(ValueError, match="movflags"):
        encoder.to_file(tmp_path / "out.mp4", extra_options={"movflags": "no_such_flag"})
    with pytest.raises(ValueError, match="no option 'no_such_option'"):
        encoder.to_file(tmp_path / "out.mp4", extra_options={"no_such_option": 1})
    assert list(tmp_path.iterdir()) == []


# ---- agreement with the ffmpeg CLI ---------------------------------------------------------


def encode_with_cli(frames: torch.Tensor, dest, rate, pixel_format, crf, preset) -> None:
    n, _, h, w = frames.shape
    command = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", str(rate), "-i", "-", "-pix_fmt", pixel_format]  # fmt: skip
    if preset is not None:
        command += ["-preset", preset]
    if crf is not None:
        command += ["-crf", str(crf)]
    raw = frames.permute(0, 2, 3, 1).contiguous().numpy().tobytes()
    subprocess.run([*command, str(dest)], input=raw, check=True)


PARAMS = [("yuv444p", 0, None), ("yuv420p", 30, None), ("yuv420p", None, "ultrafast"),
          ("yuv420p", None, None)]  # fmt: skip
CASES = [
    (ext, *params, 30)
    for ext in ("avi", "flv", "mkv", "mov", "mp4", "webm")
    for params in PARAMS
    if not (ext in ("avi", "flv") and params[0] == "yuv444p")
] + [(ext, "yuv420p", None, None, 29.97) for ext in ("avi", "flv", "mkv", "mov", "mp4", "webm")]


@pytest.mark.parametrize("ext, pixel_format, crf, preset, rate", CASES)
def test_frames_agree_with_the_ffmpeg_cli(tmp_path, source, ext, pixel_format, crf, preset, rate):
    frames = source[:10]
    cli = tmp_path / f"cli.{ext}"
    encode_with_cli(frames, cli, rate, pixel_format, crf, preset)
    ours = tmp_path / f"ours.{ext}"
    VideoEncoder(frames, frame_rate=rate).to_file(
        ours, pixel_format=pixel_format, crf=crf, preset=preset
    )
    expected = VideoDecoder(cli).get_all_frames().data
    actual = VideoDecoder(ours).get_all_frames().data
    assert actual.shape == expected.shape
    for a, b in zip(actual, expected):
        assert psnr(a, b) > 30
        close = ((a.int() - b.int()).abs() <= 2).float().mean().item()
        assert close >= 0.99, close
    assert video_stream(ours)["codec_name"] == video_stream(cli)["codec_name"]
    # The CLI takes 29.97 as 2997/100; codecflow as NTSC's 30000/1001.
    expected_rate = "30000/1001" if rate == 29.97 else video_stream(cli)["r_frame_rate"]
    if ext not in ("flv", "mkv", "webm"):  # these store milliseconds: ffprobe guesses
        assert video_stream(ours)["r_frame_rate"] == expected_rate


def packet_times(path) -> list:
    """Each packet's pts and dts in seconds, one after another."""
    return [float(p[key]) for p in probe_packets(path) for key in ("pts_time", "dts_time")]


# libx265 leaves its B-frame reorder delay unset below 3 frames and gave the
# first packets a dts of whatever memory held, which mp4 and mov refused.
@pytest.mark.parametrize("ext", ["mp4", "mov"])
@pytest.mark.parametrize("codec", ["libx265", "libx264"])
@pytest.mark.parametrize("count", [1, 2, 3])
def test_very_short_b_frame_encodes_have_the_clis_timestamps(tmp_path, source, ext, codec, count):
    frames = source[:count, :, :64, :64]
    cli = tmp_path / f"cli.{ext}"
    n, _, h, w = frames.shape
    command = ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{w}x{h}", "-r", "30", "-i", "-", "-pix_fmt", "yuv420p", "-c:v", codec]  # fmt: skip
    raw = frames.permute(0, 2, 3, 1).contiguous().numpy().tobytes()
    subprocess.run([*command, str(cli)], input=raw, check=True)
    ours = tmp_path / f"ours.{ext}"
    VideoEncoder(frames, frame_rate=30).to_file(ours, codec=codec, pixel_format="yuv420p")
    assert packet_times(ours) == pytest.approx(packet_times(cli), abs=1e-4)
    assert VideoDecoder(ours).get_all_frames().data.shape[0] == count
    data = VideoEncoder(frames, frame_rate=30).to_tensor(ext, codec=codec)
    assert VideoDecoder(data).get_all_frames().data.shape[0] == count


# ---- exception types for bad input ---------------------------------------------------------


@pytest.mark.parametrize("dest_kind", ["file", "file_like"])
def test_add_samples_needs_2d_samples(tmp_path, dest_kind):
    encoder = Encoder()
    audio = encoder.add_audio(sample_rate=44100, num_channels=1)
    if dest_kind == "file":
        encoder.open_file(tmp_path / "out.wav")
    else:
        encoder.open_file_like(io.BytesIO(), format="wav")
    for bad in (torch.randn(1, 1, 1000), torch.randn(1000)):
        with pytest.raises(RuntimeError, match="must have 2 dimensions") as info:
            audio.add_samples(bad)
        assert isinstance(info.value, ValueError)
    encoder.close()


def test_unsupported_channel_counts():
    with pytest.raises(RuntimeError, match="Trying to encode 10 channels"):
        Encoder().add_audio(sample_rate=44100, num_channels=10)
    with pytest.raises(RuntimeError, match="Trying to encode 10 channels"):
        AudioEncoder(torch.rand(10, 20), sample_rate=16000).to_tensor("wav")
    encoder = Encoder()
    encoder.add_audio(sample_rate=44100, num_channels=1, out_num_channels=3)
    with pytest.raises(RuntimeError, match=r"Desired number of channels \(3\) is not supported"):
        encoder.open_file_like(io.BytesIO(), format="mp3")


def test_negative_bit_rate_fails_at_open(tmp_path):
    encoder = Encoder()
    encoder.add_audio(sample_rate=44100, num_channels=2, bit_rate=-1)  # accepted here
    with pytest.raises(RuntimeError, match="bit_rate=-1") as info:
        encoder.open_file(tmp_path / "out.mp4")
    assert isinstance(info.value, ValueError)
    assert list(tmp_path.iterdir()) == []


class NoWrite:
    def seek(self, offset, whence=0):
        return 0


class NoSeek:
    def write(self, data):
        return len(data)


@pytest.mark.parametrize("bad, method", [(NoWrite(), "write"), (NoSeek(), "seek"), (3, "write")])
def test_file_like_without_write_or_seek(bad, method):
    message = f"must implement a {method} method"
    video = Encoder()
    video.add_video(height=64, width=64, frame_rate=30)
    with pytest.raises(RuntimeError, match=message) as info:
        video.open_file_like(bad, format="mp4")
    assert isinstance(info.value, TypeError)
    audio = Encoder()
    audio.add_audio(sample_rate=44100, num_channels=1)
    with pytest.raises(RuntimeError, match=message):
        audio.open_file_like(bad, format="wav")
    with pytest.raises(RuntimeError, match=message):
        VideoEncoder(ZEROS, frame_rate=30).to_file_like(bad, "mp4")
    with pytest.raises(RuntimeError, match=message):
        AudioEncoder(torch.zeros(1, 100), sample_rate=16000).to_file_like(bad, "wav")


# ---- non-finite samples -----------------------------------------------------------------


AUDIO_FORMATS = [("wav", 48000), ("flac", 48000), ("mp3", 44100), ("m4a", 44100),
                 ("ogg", 44100), ("opus", 48000)]  # fmt: skip


@pytest.mark.parametrize("ext, rate", AUDIO_FORMATS)
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_samples_fail_before_any_output(tmp_path, ext, rate, value):
    samples = sines(rate, 0.2)
    samples[1, 700] = value
    samples[0, 900] = value  # later in time: the first is channel 1's
    with pytest.raises(InvalidArgumentError, match=r"sample 700 of channel 1 .*\[1, 700\]") as info:
        AudioEncoder(samples, sample_rate=rate).to_file(tmp_path / f"out.{ext}")
    assert isinstance(info.value, RuntimeError)
    with pytest.raises(ValueError, match="sample 700 of channel 1"):
        AudioEncoder(samples, sample_rate=rate).to_tensor(ext)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("queued", [0, 4])
def test_non_finite_samples_fail_in_add_samples(tmp_path, queued):
    encoder = Encoder(max_queued_frames=queued)
    audio = encoder.add_audio(sample_rate=44100, num_channels=2)
    dest = tmp_path / "out.mp3"
    with encoder.open_file(dest):
        good = sines(44100, 0.5)
        audio.add_samples(good[:, :10000])
        bad = good[:, 10000:].clone()
        bad[0, 5] = float("nan")
        with pytest.raises(ValueError, match=r"sample 5 of channel 0"):
            audio.add_samples(bad)
        audio.add_samples(good[:, 10000:])  # the encoder goes on
    decoded = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(dest), "-f", "f32le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    assert np.frombuffer(decoded, np.float32).size // 2 == pytest.approx(22050, abs=2048)


@pytest.mark.parametrize("loudness", [1e5, 1e6, 3e38])
def test_samples_too_loud_for_mp3_fail_before_any_output(tmp_path, loudness):
    # libmp3lame aborts the process on samples this loud (its own
    # assertions); codecflow refuses them, naming the first one.
    samples = torch.zeros(2, 4800)
    samples[1, 700] = loudness
    dest = tmp_path / "loud.mp3"
    with pytest.raises(ValueError, match=r"within \+-1000: sample 700 of channel 1"):
        AudioEncoder(samples, sample_rate=48000).to_file(dest)
    assert list(tmp_path.iterdir()) == []
    encoder = Encoder()
    stream = encoder.add_audio(sample_rate=48000, num_channels=2)
    encoder.open_file(tmp_path / "loud2.mp3")
    with pytest.raises(ValueError, match="within"):
        stream.add_samples(samples)
    encoder._abort()


@pytest.mark.parametrize("fmt", ["m4a", "aac"])
def test_samples_too_loud_for_aac_fail_before_any_output(tmp_path, fmt):
    # FFmpeg's AAC encoder spends minutes on a frame holding samples of 1e7
    # and louder (the ffmpeg CLI too); codecflow refuses them.
    samples = torch.zeros(1, 1420)
    samples[0, 2] = -2.3e8
    dest = tmp_path / f"loud.{fmt}"
    with pytest.raises(ValueError, match=r"within \+-1000: sample 2 of channel 0"):
        AudioEncoder(samples, sample_rate=16000).to_file(dest, sample_rate=8000)
    assert list(tmp_path.iterdir()) == []


def test_loud_samples_within_the_mp3_bound_encode(tmp_path):
    samples = (torch.rand(2, 48000) * 2 - 1) * 1000
    data = AudioEncoder(samples, sample_rate=48000).to_tensor("mp3")
    assert AudioDecoder(data).get_all_samples().data.shape[0] == 2
    data = AudioEncoder(samples, sample_rate=48000).to_tensor("m4a")
    assert AudioDecoder(data).get_all_samples().data.shape[0] == 2
    # Other codecs take loud samples as they are (clipped where their format has a range).
    AudioEncoder(samples * 1e6, sample_rate=48000).to_tensor("flac")
