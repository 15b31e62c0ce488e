"""Encoder: multi-stream muxing, timestamps, key frames, life cycle and the background queue."""

from __future__ import annotations

import gc
import io
import os
import threading
import time

import numpy as np
import pytest
import torch
from _encoding import decode_audio, generate, probe_frames, probe_packets, probe_streams, sines

from codecflow.decoders import VideoDecoder
from codecflow.encoders import Encoder


@pytest.fixture(scope="module")
def frames() -> torch.Tensor:
    return VideoDecoder(generate.clip("gradients")).get_all_frames().data


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---- streams and muxing ----------------------------------------------------------------------


def test_audio_and_video_stay_in_sync(tmp_path):
    # A white flash at 1.0 s in the video and a click at 1.0 s in the audio.
    rate, fps, seconds = 48000, 30, 2
    video = torch.zeros(fps * seconds, 3, 64, 64, dtype=torch.uint8)
    video[fps] = 255
    audio = torch.zeros(2, rate * seconds)
    audio[:, rate : rate + 48] = 0.9
    dest = tmp_path / "av.mp4"
    encoder = Encoder()
    v = encoder.add_video(height=64, width=64, frame_rate=fps)
    a = encoder.add_audio(sample_rate=rate, num_channels=2)
    with encoder.open_file(dest):
        # Fed in pieces, video ahead of audio: interleaving is the muxer's job.
        for k in range(0, fps * seconds, 15):
            v.add_frames(video[k : k + 15])
            a.add_samples(audio[:, k * rate // fps : (k + 15) * rate // fps])

    streams = probe_streams(dest)
    assert [s["codec_type"] for s in streams] == ["video", "audio"]
    assert [s["codec_name"] for s in streams] == ["h264", "aac"]
    for s in streams:
        assert float(s["duration"]) == pytest.approx(seconds, abs=0.05)

    decoder = VideoDecoder(dest)
    batch = decoder.get_all_frames()
    flash = int(torch.argmax(batch.data.float().mean(dim=(1, 2, 3))))
    assert batch.pts_seconds[flash].item() == pytest.approx(1.0, abs=1e-6)
    decoded = decode_audio(dest, 2)
    click = int(np.argmax(np.abs(decoded[0]))) / rate
    assert click == pytest.approx(1.0, abs=0.005)

    # Packets alternate between the streams instead of coming in one block each.
    packets = probe_packets(dest)
    order = [p["stream_index"] for p in packets]
    assert sum(1 for x, y in zip(order, order[1:]) if x != y) > 10
    times = [float(p["dts_time"]) for p in packets]
    assert max(abs(x - y) for x, y in zip(times, times[1:])) < 0.5


def test_two_video_streams(tmp_path, frames):
    dest = tmp_path / "two.mkv"
    encoder = Encoder()
    first = encoder.add_video(
        height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    second = encoder.add_video(height=120, width=160, frame_rate=15)
    with encoder.open_file(dest):
        first.add_frames(frames)
        second.add_frames(frames[:15, :, ::2, ::2])
    streams = probe_streams(dest)
    assert [s["codec_name"] for s in streams] == ["ffv1", "h264"]
    assert torch.equal(VideoDecoder(dest, stream_index=0).get_all_frames().data, frames)
    assert len(VideoDecoder(dest, stream_index=1)) == 15


def test_incremental_frames_keep_their_timestamps(tmp_path, frames):
    dest = tmp_path / "inc.mp4"
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(dest):
        for k in range(0, 30, 7):
            stream.add_frames(frames[k : k + 7])
    pts = [float(f["pts_time"]) for f in probe_frames(dest)]
    assert pts == pytest.approx([i / 30 for i in range(30)], abs=1e-4)


def test_variable_frame_rate(tmp_path, frames):
    times = [0.0, 0.04, 0.1, 0.25, 0.26, 0.5, 0.9, 1.0]
    dest = tmp_path / "vfr.mp4"
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(dest):
        stream.add_frames(frames[:4], pts_seconds=times[:4])
        stream.add_frames(frames[4:8], pts_seconds=torch.tensor(times[4:]))
    probed = [float(f["pts_time"]) for f in probe_frames(dest)]
    assert probed == pytest.approx(times, abs=1e-4)
    decoded = VideoDecoder(dest).get_all_frames()
    assert decoded.pts_seconds.tolist() == pytest.approx(times, abs=1e-4)
    mkv = tmp_path / "vfr.mkv"
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(mkv):
        stream.add_frames(frames[:8], pts_seconds=times)
    assert [float(f["pts_time"]) for f in probe_frames(mkv)] == pytest.approx(times, abs=1e-3)


@pytest.mark.parametrize(
    "pts, message",
    [
        ([0.0, 0.1, 0.1], "strictly increasing"),
        ([0.2, 0.1, 0.3], "strictly increasing"),
        ([0.0, -0.1, 0.3], ">= 0"),
        ([0.0, float("nan"), 0.3], "finite"),
        ([0.0, 0.1], "one time per frame"),
    ],
)
def test_bad_pts_seconds(tmp_path, frames, pts, message):
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(tmp_path / "out.mp4"):
        with pytest.raises(ValueError, match=message):
            stream.add_frames(frames[:3], pts_seconds=pts)
        stream.add_frames(frames[:3], pts_seconds=[0.0, 0.1, 0.2])
        with pytest.raises(ValueError, match="strictly increasing"):
            stream.add_frames(frames[:1], pts_seconds=[0.15])  # not after the last call
    assert len(VideoDecoder(tmp_path / "out.mp4")) == 3


@pytest.mark.parametrize("as_mask", [False, True])
def test_forced_key_frames(tmp_path, frames, as_mask):
    forced = [0, 7, 12, 25]
    dest = tmp_path / "keys.mp4"
    encoder = Encoder()
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, extra_options={"sc_threshold": 0}
    )
    key_frames = [i in forced for i in range(30)] if as_mask else forced
    with encoder.open_file(dest):
        stream.add_frames(frames, key_frames=key_frames)
    keys = [i for i, f in enumerate(probe_frames(dest)) if f["key_frame"] == 1]
    assert keys == forced


@pytest.mark.parametrize(
    "key_frames, message",
    [
        ([30], "outside"),
        ([-1], "outside"),
        ([True, False], "one bool per frame"),
        (["a"], "bool mask"),
    ],
)
def test_bad_key_frames(tmp_path, frames, key_frames, message):
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(tmp_path / "out.mp4"):
        with pytest.raises(ValueError, match=message):
            stream.add_frames(frames, key_frames=key_frames)


def test_audio_resampled_and_remixed_in_a_container(tmp_path):
    dest = tmp_path / "out.mkv"
    encoder = Encoder()
    stream = encoder.add_audio(
        sample_rate=16000, num_channels=2, out_num_channels=1, out_sample_rate=48000, bit_rate=96000
    )
    with encoder.open_file(dest):
        samples = sines(16000, 1.0)
        for k in range(0, 16000, 1000):  # chunks smaller than a codec frame
            stream.add_samples(samples[:, k : k + 1000])
    (audio,) = probe_streams(dest)
    assert audio["codec_name"] == "vorbis"
    assert int(audio["sample_rate"]) == 48000 and audio["channels"] == 1
    assert decode_audio(dest, 1).shape[1] == pytest.approx(48000, abs=2048)


# ---- life cycle ---------------------------------------------------------------------------


def test_exception_inside_with_block_leaves_a_decodable_file(tmp_path, frames):
    dest = tmp_path / "partial.mp4"
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with pytest.raises(KeyError):
        with encoder.open_file(dest):
            stream.add_frames(frames[:12])
            raise KeyError("user code failed")
    decoded = VideoDecoder(dest).get_all_frames()
    assert decoded.data.shape[0] == 12
    assert probe_streams(dest)[0]["nb_frames"] == "12"


def test_open_file_like_bytesio(frames):
    buffer = io.BytesIO()
    encoder = Encoder()
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    assert encoder.open_file_like(buffer, format="mkv") is encoder
    stream.add_frames(frames)
    encoder.close()
    encoder.close()  # idempotent
    assert torch.equal(VideoDecoder(buffer.getvalue()).get_all_frames().data, frames)


def test_life_cycle_errors(tmp_path, frames):
    with pytest.raises(ValueError, match="add a stream"):
        Encoder().open_file(tmp_path / "empty.mp4")
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with pytest.raises(RuntimeError, match="not open"):
        stream.add_frames(frames[:1])
    encoder.open_file(tmp_path / "a.mp4")
    with pytest.raises(RuntimeError, match="before open"):
        encoder.add_audio(sample_rate=16000, num_channels=1)
    with pytest.raises(RuntimeError, match="before open"):
        encoder.open_file(tmp_path / "b.mp4")
    stream.add_frames(frames[:2])
    encoder.close()
    with pytest.raises(RuntimeError, match="closed"):
        stream.add_frames(frames[:1])
    assert len(VideoDecoder(tmp_path / "a.mp4")) == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(height=0, width=16, frame_rate=30), "height"),
        (dict(height=16, width=-2, frame_rate=30), "width"),
        (dict(height=16, width=16, frame_rate=0), "frame_rate"),
        (dict(height=16.5, width=16, frame_rate=30), "height"),
        (dict(height=16, width=16, frame_rate=30, device="tpu"), "device"),
        (dict(height=16, width=16, frame_rate=30, extra_options=[("g", 1)]), "dict"),
    ],
)
def test_bad_add_video(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Encoder().add_video(**kwargs)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sample_rate=0, num_channels=1), "sample_rate"),
        (dict(sample_rate=768001, num_channels=1), r"^invalid sample_rate=768001: .*\[1, 768000\]$"),
        (dict(sample_rate=16000, num_channels=0), "num_channels"),
        (dict(sample_rate=16000, num_channels=1, bit_rate=1.5), "bit_rate"),
        (dict(sample_rate=16000, num_channels=9), "Trying to encode 9 channels"),
        (dict(sample_rate=16000, num_channels=2, out_num_channels=10), "10 channels"),
        (dict(sample_rate=16000, num_channels=1, out_sample_rate=0), "out_sample_rate"),
    ],
)
def test_bad_add_audio(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        Encoder().add_audio(**kwargs)
    assert isinstance(info.value, RuntimeError)


@pytest.mark.parametrize("name", ["out_num_channels", "out_sample_rate"])
def test_output_channels_and_rate_are_positive_ints(name):
    from codecflow.errors import InvalidArgumentError

    # The core checks the values; Python only that they are ints.
    top = 8 if name == "out_num_channels" else 768000
    for bad in (0, -3, np.int64(0), -(2**31), top + 1, 2**31 - 1, 2**40):
        with pytest.raises(InvalidArgumentError) as info:
            Encoder().add_audio(sample_rate=16000, num_channels=1, **{name: bad})
        assert type(info.value) is InvalidArgumentError
        if name == "out_num_channels" and 8 < bad < 2**31:
            # TorchCodec's message for too many channels.
            assert str(info.value) == (
                f"Trying to encode {int(bad)} channels, but at most 8 channels per stream "
                "are supported"
            )
        else:
            # Within C's int: the stream's range; beyond it: C's.
            bounds = f"1, {top}" if -(2**31) <= bad < 2**31 else "-2147483648, 2147483647"
            assert str(info.value) == f"invalid {name}={int(bad)}: must be an integer in [{bounds}]"
    for bad in (True, 2.0, "2"):
        with pytest.raises(InvalidArgumentError, match=rf"^{name} must be an int, got "):
            Encoder().add_audio(sample_rate=16000, num_channels=1, **{name: bad})
    # NumPy and torch integers are ints.
    value = 1 if name == "out_num_channels" else 8000
    for good in (np.int64(value), torch.tensor(value)):
        Encoder().add_audio(sample_rate=16000, num_channels=1, **{name: good})


@pytest.mark.parametrize(
    "option, bad",
    [("num_channels", 0), ("num_channels", -2), ("num_channels", 2**40),
     ("sample_rate", 0), ("sample_rate", -8000), ("sample_rate", 10**7)],
)  # fmt: skip
def test_audio_encoder_output_is_checked_by_the_core_alike(tmp_path, option, bad):
    from codecflow.encoders import AudioEncoder
    from codecflow.errors import InvalidArgumentError

    encoder = AudioEncoder(torch.zeros(1, 100), sample_rate=16000)
    with pytest.raises(InvalidArgumentError, match=rf"^invalid out_{option}={bad}: ") as info:
        encoder.to_file(tmp_path / "out.wav", **{option: bad})
    assert type(info.value) is InvalidArgumentError
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda f: f.tolist(), "Tensor"),
        (lambda f: f.float(), "uint8"),
        (lambda f: f[0], "4-D"),
        (lambda f: f[:, :2], "3 \\(RGB\\)"),
        (lambda f: f[:, :, :100], "240x320"),
        (lambda f: f.to("meta"), "frames are on meta"),
    ],
)
def test_bad_frames(tmp_path, frames, make, message):
    encoder = Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30)
    with encoder.open_file(tmp_path / "out.mp4"):
        with pytest.raises(ValueError, match=message):
            stream.add_frames(make(frames))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda s: s.tolist(), "Tensor"),
        (lambda s: s.double(), "float32"),
        (lambda s: s[None], "2 dimensions"),
        (lambda s: s[0], "2 dimensions"),
        (lambda s: s[:1], "2 channels"),
    ],
)
def test_bad_samples(tmp_path, make, message):
    encoder = Encoder()
    stream = encoder.add_audio(sample_rate=16000, num_channels=2)
    with encoder.open_file(tmp_path / "out.wav"):
        with pytest.raises(ValueError, match=message):
            stream.add_samples(make(sines(16000, 0.1)))


def test_cpu_fallback_of_a_cpu_stream():
    stream = Encoder().add_video(height=16, width=16, frame_rate=30, device="cpu")
    assert stream.cpu_fallback.status_known
    assert not stream.cpu_fallback
    assert "no fallback" in str(stream.cpu_fallback)


def test_bad_max_queued_frames():
    for value in (-1, 1.5, True):
        with pytest.raises(ValueError, match="max_queued_frames"):
            Encoder(max_queued_frames=value)


# ---- background encoding ----------------------------------------------------------------------


def test_background_queue_bounds_memory(tmp_path):
    size = 256
    count = 2000

    def generate_frames():
        for i in range(count):
            frame = torch.full((1, 3, size, size), i % 256, dtype=torch.uint8)
            yield frame

    dest = tmp_path / "long.mp4"
    gc.collect()
    before = rss_bytes()
    peak_queue = 0
    peak_rss = before
    encoder = Encoder(max_queued_frames=8)
    stream = encoder.add_video(height=size, width=size, frame_rate=30, preset="ultrafast")
    with encoder.open_file(dest):
        for i, frame in enumerate(generate_frames()):
            stream.add_frames(frame)
            peak_queue = max(peak_queue, encoder.queued_frames)
            if i % 100 == 0:
                peak_rss = max(peak_rss, rss_bytes())
    assert 0 < peak_queue <= 8
    # The 2,000 frames weigh 393 MB; memory grows by far less than that.
    assert peak_rss - before < 60 * 2**20
    assert int(probe_streams(dest)[0]["nb_frames"]) == count


def test_background_frames_are_copied_before_add_frames_returns(tmp_path):
    dest = tmp_path / "reuse.mkv"
    buffer = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    encoder = Encoder(max_queued_frames=4)
    stream = encoder.add_video(
        height=32, width=32, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    with encoder.open_file(dest):
        for i in range(40):
            buffer.fill_(i * 5)  # the caller reuses its buffer at once
            stream.add_frames(buffer)
        encoder.flush()
        assert encoder.queued_frames == 0
    decoded = VideoDecoder(dest).get_all_frames().data
    assert [int(f[0, 0, 0]) for f in decoded] == [i * 5 for i in range(40)]


def test_background_and_synchronous_outputs_decode_alike(tmp_path, frames):
    outputs = []
    for queued in (0, 3):
        dest = tmp_path / f"q{queued}.mp4"
        encoder = Encoder(max_queued_frames=queued)
        v = encoder.add_video(height=240, width=320, frame_rate=30, extra_options={"threads": 1})
        a = encoder.add_audio(sample_rate=48000, num_channels=2)
        with encoder.open_file(dest):
            v.add_frames(frames)
            a.add_samples(sines(48000, 1.0))
        outputs.append(dest.read_bytes())
    assert outputs[0] == outputs[1]


class Boom(Exception):
    pass


class FailingAfter:
    """A file-like whose write raises once `limit` bytes were written."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.written = 0
        self.threads = set()

    def write(self, data: bytes) -> int:
        self.threads.add(threading.get_ident())
        if self.written + len(data) > self.limit:
            raise Boom(f"full after {self.written} bytes")
        self.written += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.written


def ffv1_mkv_size(frames: torch.Tensor) -> int:
    """Bytes that `frames` make as FFV1 in Matroska: the failing sinks' limits
    are fractions of it, so that they fail part-way whatever the content."""
    out = io.BytesIO()
    encoder = Encoder()
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    encoder.open_file_like(out, format="mkv")
    stream.add_frames(frames)
    encoder.close()
    return len(out.getvalue())


def test_background_error_is_reraised_by_the_next_call(frames):
    # 100 frames are sent; the sink fails after about 20 of them.
    sink = FailingAfter(ffv1_mkv_size(frames[:5]) * 4)
    encoder = Encoder(max_queued_frames=2)
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    encoder.open_file_like(sink, format="mkv")
    with pytest.raises(Boom, match="full after"):
        for _ in range(20):
            stream.add_frames(frames[:5])
    assert threading.get_ident() not in sink.threads or len(sink.threads) > 1
    with pytest.raises(RuntimeError, match="earlier error"):
        stream.add_frames(frames[:1])
    encoder.close()  # discards quietly: the error was reported


def test_background_error_is_reraised_by_flush_and_close(frames):
    for last_call in ("flush", "close"):
        sink = FailingAfter(ffv1_mkv_size(frames[:20]) // 2)
        encoder = Encoder(max_queued_frames=64)
        stream = encoder.add_video(
            height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
        )
        encoder.open_file_like(sink, format="mkv")
        stream.add_frames(frames[:20])  # all queued: the worker fails part-way
        with pytest.raises(Boom):
            getattr(encoder, last_call)()


def test_synchronous_write_error_is_reraised_unchanged(frames):
    encoder = Encoder()
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, codec="ffv1", pixel_format="bgr0"
    )
    # Matroska holds back at most a cluster: a quarter of the output is
    # written long before the last frame.
    encoder.open_file_like(FailingAfter(ffv1_mkv_size(frames) // 4), format="mkv")
    with pytest.raises(Boom):
        stream.add_frames(frames)
    with pytest.raises(RuntimeError, match="earlier error"):
        encoder.flush()


def test_encoding_releases_the_gil(frames):
    # While one thread is inside add_frames, the other keeps running Python:
    # its longest pause is far shorter than the add_frames calls.
    calls = []
    done = threading.Event()

    def encode():
        encoder = Encoder()
        stream = encoder.add_video(height=240, width=320, frame_rate=30, preset="medium")
        with encoder.open_file_like(io.BytesIO(), format="mp4"):
            for _ in range(3):
                begin = time.perf_counter()
                stream.add_frames(frames)
                calls.append(time.perf_counter() - begin)
        done.set()

    worker = threading.Thread(target=encode)
    worker.start()
    longest_pause = 0.0
    last = time.perf_counter()
    while not done.is_set():
        now = time.perf_counter()
        longest_pause = max(longest_pause, now - last)
        last = now
    worker.join()
    # Had the GIL been held, the pause would last as long as the longest call.
    assert max(calls) > 0.05
    assert longest_pause < max(calls) / 2
