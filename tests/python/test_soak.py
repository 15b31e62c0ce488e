"""Soak tests: every decoder and encoder entry point, run for hundreds of
cycles in one process, leaves no threads, memory or file descriptors behind.

Each case runs its cycle a few times to warm up (thread pools, FFmpeg's
one-time tables, the frame cache), takes the process's thread count, RSS
and open descriptors as the baseline, runs the measured cycles with Python's
cyclic garbage collector switched off (whatever a call holds must be
released when the call returns or the object is closed, reference cycles or
not), and then checks: threads back at the baseline, RSS within a few MB of
it, no new descriptors.

``CODECFLOW_SOAK_CYCLES`` sets the measured cycles of every case (``make
soak`` uses 2000); by default each case runs a few seconds. Under the
sanitizer build (``CODECFLOW_ASAN`` set by ``make test-asan``) the RSS bound
is not checked: ASan's quarantine holds freed memory by design.
"""

from __future__ import annotations

import gc
import io
import os
import time
from pathlib import Path
from typing import Callable, Dict

import pytest
import torch

import codecflow
from codecflow.decoders import AudioDecoder, VideoDecoder, WavDecoder
from codecflow.encoders import AudioEncoder, Encoder, VideoEncoder

_CYCLES = int(os.environ.get("CODECFLOW_SOAK_CYCLES", "0"))
_ASAN = bool(os.environ.get("CODECFLOW_ASAN"))
# Growth allowed over the measured cycles.
_RSS_BUDGET_KB = 8 * 1024


def _process_state() -> Dict[str, int]:
    state = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Threads", "VmRSS"):
                state[key] = int(value.split()[0])
    state["fds"] = len(os.listdir("/proc/self/fd"))
    return state


def _soak(cycle: Callable[[int], None], cycles: int, *, warmup: int = 5) -> None:
    cycles = _CYCLES or (max(cycles // 4, 20) if _ASAN else cycles)
    for i in range(warmup):
        cycle(i)
    gc.collect()
    before = _process_state()
    samples = []
    gc.disable()
    try:
        for i in range(cycles):
            cycle(i)
            if i % max(cycles // 10, 1) == 0:
                samples.append(_process_state())
        # Threads that were joined are gone; give exiting ones a moment.
        deadline = time.monotonic() + 2.0
        after = _process_state()
        while after["Threads"] > before["Threads"] and time.monotonic() < deadline:
            time.sleep(0.05)
            after = _process_state()
    finally:
        gc.enable()
        # What a failing case left in reference cycles must not reach the
        # tests that run after it.
        gc.collect()
    trace = ", ".join(f"{s['Threads']}t/{s['VmRSS'] // 1024}MB/{s['fds']}fd" for s in samples)
    detail = f"before {before}, after {after} over {cycles} cycles; during: {trace}"
    assert after["Threads"] <= before["Threads"], f"threads grew: {detail}"
    assert after["fds"] <= before["fds"], f"file descriptors grew: {detail}"
    if not _ASAN:
        growth = after["VmRSS"] - before["VmRSS"]
        assert growth <= _RSS_BUDGET_KB, f"RSS grew by {growth // 1024} MB: {detail}"


@pytest.fixture(scope="module")
def clips(media):
    return {
        "video": Path(media.clip("rot0")),
        "faststart": Path(media.clip("h264_faststart")),
        "audio_video": Path(media.clip("h264_audio")),
        "flac": Path(media.clip("flac")),
        "mp3": Path(media.clip("mp3")),
        "wav": Path(media.clip("wav_s16")),
        "truncated": Path(media.clip("truncated_mp4")),
        "not_media": Path(media.clip("not_media")),
    }


_FRAMES = torch.randint(0, 256, (5, 3, 64, 64), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
_SAMPLES = torch.rand(2, 4800, generator=torch.Generator().manual_seed(2)) * 1.6 - 0.8


# ---- decoders ---------------------------------------------------------------


def _video_cycle(decoder: VideoDecoder, i: int) -> None:
    n = len(decoder)
    decoder.get_frame_at((i * 7) % n)
    decoder.get_frames_at([(i * 13) % n, 0, n - 1])
    decoder.get_frames_played_at([0.0, decoder.metadata.duration_seconds / 2])


@pytest.mark.parametrize(
    "kind, seek_mode",
    [("path", "exact"), ("path", "approximate"), ("bytes", "exact"), ("tensor", "approximate"),
     ("file", "exact"), ("bytesio", "approximate")],
)
def test_video_decoder_soak(clips, kind, seek_mode):
    path = clips["video"]
    data = path.read_bytes()

    def cycle(i: int) -> None:
        if kind == "file":
            with open(path, "rb") as f:
                _video_cycle(VideoDecoder(f, seek_mode=seek_mode), i)
            return
        source = {
            "path": str(path),
            "bytes": data,
            "tensor": torch.frombuffer(bytearray(data), dtype=torch.uint8),
            "bytesio": io.BytesIO(data),
        }[kind]
        _video_cycle(VideoDecoder(source, seek_mode=seek_mode), i)

    _soak(cycle, 60)


def test_video_decoder_threads_and_transforms_soak(clips):
    def cycle(i: int) -> None:
        decoder = VideoDecoder(
            str(clips["video"]),
            num_ffmpeg_threads=0,
            transforms=[codecflow.transforms.Resize((32, 48))],
            dimension_order="NHWC",
        )
        _video_cycle(decoder, i)

    _soak(cycle, 60)


class _ReadFails(io.BytesIO):
    """A file-like source that fails once reading passes `limit` bytes."""

    def __init__(self, data: bytes, limit: int):
        super().__init__(data)
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        if self.tell() >= self._limit:
            raise OSError("the source went away")
        return super().read(size)


def test_pipelined_decoders_and_encoders_soak(clips):
    # A limit set: the conversion thread beside each decoder, swscale's
    # slice threads in each encoder; batches that fail halfway as well.
    codecflow.set_num_threads(3)
    data = clips["faststart"].read_bytes()  # the index first, the frames after it
    try:

        def cycle(i: int) -> None:
            decoder = VideoDecoder(str(clips["video"]), dimension_order="NHWC")
            _video_cycle(decoder, i)
            decoder.get_frames_in_range(0, 10)
            failing = VideoDecoder(_ReadFails(data, len(data) * 2 // 3), seek_mode="approximate")
            with pytest.raises(OSError):
                failing.get_frames_in_range(0, len(failing))
            VideoEncoder(_FRAMES, frame_rate=30).to_tensor(format="mp4", codec="libx264")

        _soak(cycle, 40)
    finally:
        codecflow.set_num_threads(None)


@pytest.mark.parametrize("clip", ["flac", "mp3", "audio_video"])
@pytest.mark.parametrize("kind", ["path", "bytes", "file"])
def test_audio_decoder_soak(clips, clip, kind):
    path = clips[clip]
    data = path.read_bytes()

    def cycle(i: int) -> None:
        if kind == "file":
            with open(path, "rb") as f:
                decoder = AudioDecoder(f, sample_rate=16000 if i % 2 else None)
                decoder.get_samples_played_in_range(0.5, 1.0)
                decoder.get_samples_played_in_range(0.1, 0.3)
            return
        source = str(path) if kind == "path" else data
        decoder = AudioDecoder(source, num_channels=1 if i % 2 else None)
        decoder.get_all_samples()
        decoder.get_samples_played_in_range(0.2, 0.4)

    _soak(cycle, 60)


@pytest.mark.parametrize("kind", ["path", "bytes", "bytesio"])
def test_wav_decoder_soak(clips, kind):
    path = clips["wav"]
    data = path.read_bytes()

    def cycle(i: int) -> None:
        source = {"path": str(path), "bytes": data, "bytesio": io.BytesIO(data)}[kind]
        decoder = WavDecoder(source)
        decoder.get_all_samples()
        decoder.get_samples_played_in_range(0.25, 0.5 + (i % 3) * 0.1)

    _soak(cycle, 200)


def test_failing_opens_soak(clips):
    truncated = clips["truncated"]
    not_media = clips["not_media"]
    garbage = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8

    class BrokenReader(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            raise OSError("disk gone")

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

    def cycle(i: int) -> None:
        with pytest.raises(FileNotFoundError):
            VideoDecoder("/nonexistent/codecflow-soak.mp4")
        with pytest.raises(ValueError):
            VideoDecoder(str(truncated))
        with pytest.raises(ValueError):
            VideoDecoder(garbage)
        with pytest.raises(ValueError):
            AudioDecoder(str(not_media))
        with pytest.raises(ValueError):
            WavDecoder(garbage)
        with pytest.raises(OSError, match="disk gone"):
            AudioDecoder(BrokenReader())
        with pytest.raises(IndexError):
            VideoDecoder(str(clips["video"]), seek_mode="approximate").get_frame_at(10**6)

    _soak(cycle, 100)


# ---- encoders ---------------------------------------------------------------


class _FailingSink(io.RawIOBase):
    """A file-like whose writes fail after `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.written += len(data)
        if self.written > self.limit:
            raise OSError("sink full")
        return len(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0


@pytest.mark.parametrize("kind", ["file", "tensor", "file_like"])
def test_video_encoder_soak(tmp_path, kind):
    dest = tmp_path / "out.mp4"
    encoder = VideoEncoder(_FRAMES, frame_rate=30)

    def cycle(i: int) -> None:
        if kind == "file":
            encoder.to_file(dest)
        elif kind == "tensor":
            assert encoder.to_tensor("mp4").numel() > 0
        else:
            out = io.BytesIO()
            encoder.to_file_like(out, format="matroska" if i % 2 else "mp4")
            assert out.tell() > 0

    _soak(cycle, 100)


@pytest.mark.parametrize("fmt", ["flac", "mp3", "wav", "m4a", "ogg"])
@pytest.mark.parametrize("kind", ["file", "tensor", "file_like"])
def test_audio_encoder_soak(tmp_path, fmt, kind):
    dest = tmp_path / f"out.{fmt}"
    encoder = AudioEncoder(_SAMPLES, sample_rate=48000)
    container = {"m4a": "mp4"}.get(fmt, fmt)

    def cycle(i: int) -> None:
        if kind == "file":
            encoder.to_file(dest)
        elif kind == "tensor":
            assert encoder.to_tensor(fmt).numel() > 0
        else:
            out = io.BytesIO()
            encoder.to_file_like(out, format=container)
            assert out.tell() > 0

    _soak(cycle, 100 if fmt in ("flac", "wav") else 60)


@pytest.mark.parametrize("queued", [0, 4])
@pytest.mark.parametrize("kind", ["file", "file_like"])
def test_multi_stream_encoder_soak(tmp_path, kind, queued):
    dest = tmp_path / "av.mkv"

    def cycle(i: int) -> None:
        encoder = Encoder(max_queued_frames=queued)
        video = encoder.add_video(height=64, width=64, frame_rate=25)
        audio = encoder.add_audio(sample_rate=48000, num_channels=2)
        if kind == "file":
            encoder.open_file(dest)
        else:
            encoder.open_file_like(io.BytesIO(), format="matroska")
        video.add_frames(_FRAMES)
        audio.add_samples(_SAMPLES)
        if i % 2:
            encoder.flush()
        encoder.close()

    _soak(cycle, 80)


def test_failing_encodes_soak(tmp_path):
    def cycle(i: int) -> None:
        # Refused options: nothing is created.
        encoder = Encoder()
        encoder.add_video(height=64, width=64, frame_rate=25, codec="no-such-codec")
        with pytest.raises(ValueError):
            encoder.open_file(tmp_path / "refused.mp4")
        # A sink that fails part-way, on the caller's thread and on the worker.
        for queued in (0, 2):
            with pytest.raises(OSError, match="sink full"):
                with Encoder(max_queued_frames=queued) as encoder:
                    video = encoder.add_video(height=64, width=64, frame_rate=25)
                    encoder.open_file_like(_FailingSink(limit=200), format="matroska")
                    for _ in range(4):
                        video.add_frames(_FRAMES)
        # Bad frames given to an open encoder.
        encoder = Encoder()
        video = encoder.add_video(height=64, width=64, frame_rate=25)
        encoder.open_file(tmp_path / "bad.mkv")
        with pytest.raises(ValueError):
            video.add_frames(_FRAMES[:, :, :32])
        encoder.close()

    _soak(cycle, 60)
