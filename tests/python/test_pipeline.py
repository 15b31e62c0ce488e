"""Conversion beside decoding (Note [Conversion pipeline]) and swscale's slice
threads: the same frames, timestamps and errors as one thread converting
after decoding, threads only when asked, and none left behind."""

from __future__ import annotations

import gc
import io
import os
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

import codecflow
from codecflow._errors import InvalidMediaError
from codecflow.decoders import VideoDecoder
from codecflow.encoders import VideoEncoder
from codecflow.transforms import CenterCrop, Resize

import generate
from _threads import threads_settled, threads_steady


def _native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


@pytest.fixture(autouse=True)
def _default_limit_after():
    yield
    codecflow.set_num_threads(None)


def _decode(name_or_path, *, limit: int | None, ffmpeg_threads: int = 1, **kwargs):
    """All frames, in batches of 7 (several batches, a short last one)."""
    codecflow.set_num_threads(limit)
    decoder = VideoDecoder(
        name_or_path, num_ffmpeg_threads=ffmpeg_threads, dimension_order="NHWC", **kwargs
    )
    batches = [
        decoder.get_frames_in_range(start, min(start + 7, len(decoder)))
        for start in range(0, len(decoder), 7)
    ]
    data = torch.cat([b.data for b in batches])
    pts = torch.cat([b.pts_seconds for b in batches])
    durations = torch.cat([b.duration_seconds for b in batches])
    return data, pts, durations


_CLIPS = [
    "h264_bframes", "hevc", "vp9", "av1", "mpeg4", "yuv444p", "yuvj420p", "yuv420p10",
    "color_bt709_full", "color_bt2020_10bit", "rot90", "rot180", "odd_size", "vfr",
    "h264_720p", "hevc_720p10",
]  # fmt: skip


@pytest.mark.parametrize("ffmpeg_threads", [1, 0])
@pytest.mark.parametrize("name", _CLIPS)
def test_pipelined_frames_equal_the_cli_and_one_thread(name, ffmpeg_threads):
    expected = torch.from_numpy(generate.reference_frames(name))
    one = _decode(generate.clip(name), limit=1, ffmpeg_threads=ffmpeg_threads)
    # Two threads: the conversion thread beside the decoder; four: slice
    # threads too on the 720p clips.
    for limit in (2, 4):
        many = _decode(generate.clip(name), limit=limit, ffmpeg_threads=ffmpeg_threads)
        assert torch.equal(many[0], expected), (name, limit)
        assert torch.equal(many[1], one[1]) and torch.equal(many[2], one[2]), (name, limit)
    assert torch.equal(one[0], expected)


@pytest.mark.parametrize("name", ["color_bt709_full", "yuv420p10", "hevc_720p10", "h264_720p"])
def test_pipelined_float_output_equals_the_cli_rgb48(name):
    expected = torch.from_numpy(generate.reference_frames_rgb48(name).astype(np.float32) / 65535)
    for limit in (1, 2, 4):
        data, _, _ = _decode(generate.clip(name), limit=limit, output_dtype=torch.float32)
        assert torch.equal(data, expected), limit


@pytest.mark.parametrize(
    "transforms",
    [[Resize((97, 131))], [CenterCrop((100, 120))], [Resize((360, 640)), CenterCrop((64, 64))]],
    ids=["resize", "crop", "resize-crop"],
)
@pytest.mark.parametrize("name", ["h264_bframes", "rot270", "h264_720p"])
def test_pipelined_transforms_equal_one_thread(name, transforms):
    one = _decode(generate.clip(name), limit=1, transforms=transforms)
    for limit in (2, 4):
        many = _decode(generate.clip(name), limit=limit, transforms=transforms)
        for a, b in zip(one, many):
            assert torch.equal(a, b), limit


def test_out_of_order_and_repeated_indices_equal_one_thread():
    indices = [40, 3, 3, 17, 59, 0, 40, 22, 21, 22]
    results = []
    for limit in (1, 2):
        codecflow.set_num_threads(limit)
        batch = VideoDecoder(generate.clip("h264_bframes")).get_frames_at(indices)
        results.append(batch)
    assert torch.equal(results[0].data, results[1].data)
    assert torch.equal(results[0].pts_seconds, results[1].pts_seconds)
    reference = torch.from_numpy(generate.reference_frames("h264_bframes")).permute(0, 3, 1, 2)
    assert torch.equal(results[1].data, reference[indices])


# -- when threads start, and that they end -----------------------------------------


def test_one_ffmpeg_thread_starts_nothing_unless_a_limit_is_set():
    VideoDecoder(generate.clip("h264_720p"))[0:4]  # warm up FFmpeg's one-time state
    before = _native_threads()
    decoder = VideoDecoder(generate.clip("h264_720p"), num_ffmpeg_threads=1)
    decoder.get_frames_in_range(0, len(decoder))
    assert _native_threads() == before
    del decoder
    codecflow.set_num_threads(2)
    decoder = VideoDecoder(generate.clip("h264_720p"), num_ffmpeg_threads=1)
    decoder.get_frames_in_range(0, 4)  # in the first GOP: one context
    assert _native_threads() == before + 1  # the conversion thread, living with the decoder
    # A batch over both GOPs decodes them in parallel, its workers the limit:
    # the conversion thread ends, and the workers with the call.
    decoder.get_frames_in_range(0, len(decoder))
    assert threads_settled(before) == before
    decoder.get_frames_in_range(0, 4)
    assert _native_threads() == before + 1
    del decoder
    gc.collect()
    assert _native_threads() == before


def test_a_limit_of_one_starts_nothing_whatever_num_ffmpeg_threads():
    codecflow.set_num_threads(1)
    decoder = VideoDecoder(generate.clip("h264_720p"), num_ffmpeg_threads=2)
    decoder[0:2]
    with_codec_threads = _native_threads()
    decoder.get_frames_in_range(0, len(decoder))
    assert _native_threads() == with_codec_threads


def test_a_lowered_limit_ends_the_conversion_thread_at_the_next_batch():
    codecflow.set_num_threads(2)
    decoder = VideoDecoder(generate.clip("h264_720p"), num_ffmpeg_threads=1)
    before = _native_threads()
    decoder[0:4]
    assert _native_threads() == before + 1
    codecflow.set_num_threads(1)
    decoder[4:8]
    assert _native_threads() == before


def test_single_frames_do_not_start_the_thread():
    # 320x240: too small for slice threads, which 720p frames would start.
    codecflow.set_num_threads(2)
    decoder = VideoDecoder(generate.clip("h264_bframes"))
    before = _native_threads()
    for i in range(5):
        decoder[i]
        decoder.get_frame_at(i)
    assert _native_threads() == before


def test_many_decoders_leave_no_thread_behind():
    codecflow.set_num_threads(2)
    VideoDecoder(generate.clip("h264_bframes"))[0:3]
    gc.collect()
    before = _native_threads()
    for _ in range(30):
        decoder = VideoDecoder(generate.clip("h264_bframes"))
        decoder[0:5]
        decoder.get_frames_at([9, 2, 30])
        del decoder
    gc.collect()
    assert _native_threads() == before


# -- errors halfway through a batch -------------------------------------------------


class _FailingReader:
    """A file-like source whose read() raises once `limit` bytes were read."""

    def __init__(self, data: bytes, limit: int):
        self._stream = io.BytesIO(data)
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        if self._stream.tell() >= self._limit:
            raise OSError("the source went away")
        return self._stream.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


def _error_of(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the type is what is compared
        return type(error), str(error)
    return None


def test_a_source_raising_mid_batch_raises_the_same_and_leaves_no_thread(tmp_path):
    path = tmp_path / "faststart.mp4"  # the index first: the frames come last
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(generate.clip("h264_720p")), "-c",
         "copy", "-movflags", "+faststart", str(path)],
        check=True,
    )  # fmt: skip
    data = path.read_bytes()
    errors = []
    gc.collect()
    before = _native_threads()
    for limit in (1, 2):
        codecflow.set_num_threads(limit)
        decoder = VideoDecoder(
            _FailingReader(data, len(data) * 2 // 3), seek_mode="approximate"
        )
        errors.append(_error_of(lambda: decoder.get_frames_in_range(0, len(decoder))))
        del decoder
    gc.collect()
    assert errors[0] is not None and issubclass(errors[0][0], OSError)
    assert errors[0] == errors[1]
    assert _native_threads() == before


def _size_change(tmp_path: Path) -> Path:
    """An MPEG-TS stream whose frames change size (320x240, then 160x120)."""
    parts = []
    for i, size in enumerate(["320x240", "160x120"]):
        part = tmp_path / f"part{i}.ts"
        subprocess.run(
            ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=size={size}:rate=30:duration=0.5", "-c:v", "libx264", "-preset",
             "ultrafast", "-bf", "0", "-pix_fmt", "yuv420p", str(part)],
            check=True,
        )  # fmt: skip
        parts.append(part.read_bytes())
    path = tmp_path / "size_change.ts"
    path.write_bytes(b"".join(parts))
    return path


def test_a_conversion_error_reaches_the_caller_as_with_one_thread(tmp_path):
    path = _size_change(tmp_path)
    errors, firsts = [], []
    for limit in (1, 2):
        codecflow.set_num_threads(limit)
        decoder = VideoDecoder(path, seek_mode="approximate")
        errors.append(_error_of(lambda: decoder.get_frames_in_range(0, 30)))
        # The decoder goes on: the frames before the change still decode.
        firsts.append(decoder.get_frames_in_range(0, 10).data)
    assert errors[0] is not None and errors[0][0] is InvalidMediaError
    assert "frame size changed mid-stream" in errors[0][1]
    assert errors[0] == errors[1]
    assert torch.equal(firsts[0], firsts[1])


# -- the encoders' RGB -> YUV on slice threads ----------------------------------------


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_encoded_bytes_equal_at_one_and_many_threads(layout):
    frames = torch.from_numpy(generate.reference_frames("h264_720p"))
    frames = frames.permute(0, 3, 1, 2)
    if layout == "NCHW":
        frames = frames.contiguous()
    outputs = []
    for limit in (1, 2, 4):
        codecflow.set_num_threads(limit)
        encoded = VideoEncoder(frames, frame_rate=30).to_tensor(
            format="mp4", codec="libx264", preset="ultrafast", extra_options={"threads": 1}
        )
        outputs.append(bytes(encoded.numpy()))
    assert outputs[0] == outputs[1] == outputs[2]
    # The frames decoded back are the same too (one stream, so the same bytes
    # are the same frames), and close to the input.
    decoded = VideoDecoder(outputs[1]).get_frames_in_range(0, len(frames)).data
    assert decoded.shape == frames.shape


# -- DataLoader workers -----------------------------------------------------------------


class _ThreadsInWorker(torch.utils.data.Dataset):
    """Item i: (the worker's limit, its native threads with a 720p decoder
    asking for two FFmpeg threads open after a batch of its first GOP (one
    context: no GOP workers), whether the batch equals the reference)."""

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int):
        decoder = VideoDecoder(generate.clip("h264_720p"), num_ffmpeg_threads=2)
        first_gop = int(decoder.key_frame_indices[1])
        batch = decoder.get_frames_in_range(0, first_gop).data
        reference = torch.from_numpy(generate.reference_frames("h264_720p")).permute(0, 3, 1, 2)
        reference = reference[:first_gop]
        return codecflow.get_num_threads(), _native_threads(), torch.equal(batch, reference)


def _limit(n):
    return lambda _worker: codecflow.set_num_threads(n)


def _in_worker(init=None):
    loader = torch.utils.data.DataLoader(
        _ThreadsInWorker(), batch_size=None, num_workers=1, multiprocessing_context="fork",
        worker_init_fn=init,
    )  # fmt: skip
    return next(iter(loader))


def test_dataloader_workers_start_nothing_unless_asked():
    limit, threads, same = _in_worker()
    assert limit == 1 and same
    limit_one, threads_one, same = _in_worker(_limit(1))
    assert limit_one == 1 and same and threads_one == threads
    # Asked for in the worker: the conversion thread beside the decoder.
    limit_two, threads_two, same = _in_worker(_limit(2))
    assert limit_two == 2 and same and threads_two == threads + 1
    # Asked for in the parent before the workers forked.
    codecflow.set_num_threads(2)
    assert list(_in_worker()[:2]) == [2, threads + 1]


def _most_threads_while(work) -> int:
    """The most native threads seen while `work` runs (it releases the GIL)."""
    most = _native_threads()
    done = threading.Event()

    def watch():
        nonlocal most
        while not done.is_set():
            most = max(most, _native_threads())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        work()
    finally:
        done.set()
        watcher.join()
    return most


def test_the_encoders_slice_threads_follow_the_limit():
    frames = torch.from_numpy(generate.reference_frames("h264_720p")).permute(0, 3, 1, 2)
    frames = torch.cat([frames] * 4)

    def encode():
        VideoEncoder(frames, frame_rate=30).to_tensor(
            format="mp4", codec="libx264", preset="ultrafast", extra_options={"threads": 1}
        )

    encode()
    seen = {}
    for limit in (1, 3):
        codecflow.set_num_threads(limit)
        gc.collect()
        before = threads_steady()
        seen[limit] = _most_threads_while(encode) - before
    # swscale's slice threads: the calling thread and limit - 1 more.
    assert seen[3] == seen[1] + 2
