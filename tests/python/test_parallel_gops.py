"""GOP-parallel batches: a batch whose frames fall in several GOPs is decoded
on several decoder contexts at once, and must equal what one context
returns (frames, pts and durations), in any order, with duplicates, in both
seek modes; a failing GOP raises without a hang and leaves the decoder
usable; the threads end with the call."""

from __future__ import annotations

import ctypes
import json
import os
import random
import threading
import time

import pytest
import torch

import codecflow
from codecflow.decoders import VideoDecoder
from codecflow.errors import InvalidMediaError
from codecflow.samplers import clips_at_random_indices

from _threads import native_threads, threads_settled

CLIPS = ["h264_bframes", "h264_open_gop", "vfr", "mkv_audio_video", "rot90", "ffv1"]


@pytest.fixture
def limit():
    """Sets codecflow's thread limit, restored afterwards."""
    previous = codecflow.get_num_threads()
    yield codecflow.set_num_threads
    codecflow.set_num_threads(previous)
    codecflow.set_num_threads(None)


def _batches(source, indices, seek_mode, call="get_frames_at"):
    out = []
    for n in (1, 4):
        codecflow.set_num_threads(n)
        decoder = VideoDecoder(source, seek_mode=seek_mode)
        out.append(getattr(decoder, call)(indices))
    return out


def _same(a, b):
    assert torch.equal(a.data, b.data)
    assert torch.equal(a.pts_seconds, b.pts_seconds)
    assert torch.equal(a.duration_seconds, b.duration_seconds)


@pytest.mark.parametrize("seek_mode", ["exact", "approximate"])
@pytest.mark.parametrize("name", CLIPS)
def test_parallel_batch_equals_sequential_and_the_cli(media, limit, name, seek_mode):
    path = str(media.clip(name))
    n = len(VideoDecoder(path))
    rng = random.Random(name)
    # Any order, duplicates, both ends.
    wanted = [rng.randrange(n) for _ in range(14)] + [n - 1, 0, 0]
    wanted += wanted[:4]
    sequential, parallel = _batches(path, wanted, seek_mode)
    _same(sequential, parallel)
    if seek_mode == "approximate":
        return  # the header's frame rate maps indices to times: not the CLI's frames on VFR
    reference = torch.from_numpy(media.reference_frames(name)).permute(0, 3, 1, 2)
    for k, i in enumerate(wanted):
        assert torch.equal(parallel.data[k], reference[i]), f"{name}: frame {i}"


@pytest.mark.parametrize("name", ["h264_bframes", "vfr"])
def test_parallel_times_equal_sequential(media, limit, name):
    path = str(media.clip(name))
    decoder = VideoDecoder(path)
    end = decoder.metadata.end_stream_seconds
    times = [end * f for f in (0.9, 0.1, 0.5, 0.1, 0.75, 0.3, 0.0)]
    sequential, parallel = _batches(path, times, "exact", "get_frames_played_at")
    _same(sequential, parallel)


def test_bytes_source_and_samplers_decode_in_parallel_alike(media, limit):
    data = media.clip("h264_open_gop").read_bytes()
    results = []
    for n in (1, 3):
        codecflow.set_num_threads(n)
        decoder = VideoDecoder(data)
        batch = clips_at_random_indices(
            decoder, num_clips=6, num_frames_per_clip=3, generator=torch.Generator().manual_seed(7)
        )
        results.append(batch)
    _same(results[0], results[1])



def test_workers_are_started_only_above_one_thread_and_end_with_the_call(media, limit):
    path = str(media.clip("h264_bframes"))
    wanted = list(range(59, 0, -3))
    seen = {}
    for n in (1, 4):
        codecflow.set_num_threads(n)
        decoder = VideoDecoder(path)
        # A first batch: the threads that live with the decoder (FFmpeg's,
        # a conversion thread beside decoding) are in the baseline.
        decoder.get_frames_at(wanted)
        baseline = native_threads()
        peak = baseline
        stop = threading.Event()

        def decode():
            for _ in range(30):
                decoder.get_frames_at(wanted)
                if stop.is_set():
                    break

        worker = threading.Thread(target=decode)
        worker.start()
        deadline = time.monotonic() + 30
        while worker.is_alive() and time.monotonic() < deadline:
            peak = max(peak, native_threads())
            if n > 1 and peak >= baseline + 2:
                stop.set()
        worker.join()
        seen[n] = peak - baseline
        # Joined before the call returned: back at the baseline at once.
        assert threads_settled(baseline) == baseline
    assert seen[1] <= 1  # the decode thread of this test only
    assert seen[4] >= 2  # that thread and at least one GOP worker


def _peak_threads(call, baseline: int, *, enough: int, rounds: int) -> int:
    """Runs ``call`` on a thread of its own up to ``rounds`` times, sampling
    the process's thread count while it runs, until the peak reaches
    ``baseline + enough``; returns the peak. After each round nothing may
    stay behind (a conversion thread or swscale's slice threads would):
    threads joined a moment ago are counted until the OS reaps them."""
    peak = baseline

    def run(done: threading.Event) -> None:
        try:
            call()
        finally:
            done.set()

    for _ in range(rounds):
        done = threading.Event()
        worker = threading.Thread(target=run, args=(done,))
        worker.start()
        while not done.is_set():
            peak = max(peak, native_threads())
        worker.join()
        assert threads_settled(baseline) == baseline
        if peak - baseline >= enough:
            break
    return peak


@pytest.mark.parametrize("name", ["h264_bframes", "h264_720p"])
@pytest.mark.parametrize("n", [2, 3])
def test_a_parallel_batch_uses_no_more_threads_than_the_limit(media, limit, name, n):
    # The calling thread is one of the limit: the workers started beside it
    # are all of codecflow's threads, the decoder's own context converting
    # its frames on its worker's thread (no conversion thread, and for the
    # 1280x720 frames no swscale slices, beside it).
    path = str(media.clip(name))
    codecflow.set_num_threads(n)
    decoder = VideoDecoder(path)
    keys = [i for i, k in enumerate(decoder._decoder.index_key_frames()) if k]
    assert len(keys) >= 2, "a clip of one GOP decodes sequentially"
    # Every frame, last first: each GOP takes a while to decode.
    wanted = list(range(len(decoder)))[::-1]
    expected = min(n, len(keys)) - 1
    baseline = native_threads()
    peak = _peak_threads(lambda: decoder.get_frames_at(wanted), baseline,
                         enough=1 + expected, rounds=40)
    # The test's own thread, and the workers (at least one seen: the batch
    # was decoded in parallel).
    assert 2 <= peak - baseline <= 1 + expected
    del decoder
    assert threads_settled(baseline) == baseline


@pytest.mark.parametrize("n", [2, 3])
def test_decode_clips_uses_no_more_threads_than_the_limit(media, limit, n):
    # Each item's decoder converts on its worker's thread: no conversion
    # thread beside it, the workers being the limit.
    from codecflow.decoders import decode_clips

    items = [(str(media.clip("h264_bframes")), list(range(0, 60, 2)))] * 6
    codecflow.set_num_threads(n)
    baseline = native_threads()
    peak = _peak_threads(lambda: decode_clips(items), baseline, enough=n, rounds=20)
    # The test's own thread, and the n - 1 workers beside it.
    assert 2 <= peak - baseline <= n


def test_file_like_sources_stay_sequential(media, limit):
    path = media.clip("h264_bframes")
    codecflow.set_num_threads(4)
    with open(path, "rb") as f:
        got = VideoDecoder(f).get_frames_at([50, 5, 30, 5])
    codecflow.set_num_threads(1)
    _same(got, VideoDecoder(str(path)).get_frames_at([50, 5, 30, 5]))


def test_a_failing_gop_raises_and_the_decoder_stays_usable(media, limit):
    path = str(media.clip("h264_bframes"))
    plain = VideoDecoder(path)
    pts = plain._decoder.index_pts()
    durations = plain._decoder.index_durations()
    keys = plain._decoder.index_key_frames()
    # One frame of the third GOP listed at a pts no frame has: that GOP's
    # worker cannot reach it, whichever thread decodes it.
    bad = [i for i, k in enumerate(keys) if k][2] + 1
    frames = [
        {"pts": p + (1 if i == bad else 0), "duration": d, "key_frame": int(k)}
        for i, (p, d, k) in enumerate(zip(pts, durations, keys))
    ]
    codecflow.set_num_threads(4)
    decoder = VideoDecoder(path, custom_frame_mappings=json.dumps({"frames": frames}))
    wanted = [2, 20, bad, 40, 55]
    for _ in range(3):
        with pytest.raises(InvalidMediaError, match=f"could not decode frame {bad}"):
            decoder.get_frames_at(wanted)
    good = [w for w in wanted if w != bad]
    codecflow.set_num_threads(1)
    _same(decoder.get_frames_at(good), plain.get_frames_at(good))
    codecflow.set_num_threads(4)
    _same(decoder.get_frames_at(good), plain.get_frames_at(good))
    assert os.path.exists(path)


def _rss_kb() -> int:
    # Free memory at the top of the worker threads' malloc arenas comes and
    # goes by 5 to 20 MB from cycle to cycle; handing it back first leaves
    # only what is really held.
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_repeated_parallel_batches_keep_threads_and_memory_bounded(media, limit):
    from codecflow.decoders import decode_clips

    path = str(media.clip("h264_bframes"))
    data = media.clip("h264_open_gop").read_bytes()
    codecflow.set_num_threads(4)

    def cycle() -> None:
        decoder = VideoDecoder(path)
        decoder.get_frames_at([55, 3, 40, 20, 3])
        VideoDecoder(data).get_frames_at([50, 1, 33])
        decode_clips([(path, [5, 50]), (data, [40, 2])] * 2)

    for _ in range(3):
        cycle()
    threads, rss = native_threads(), _rss_kb()
    for _ in range(15):
        cycle()
    assert threads_settled(threads) <= threads
    assert _rss_kb() - rss < 16 * 1024, "memory grew by more than 16 MB over 15 cycles"


def test_a_file_cut_short_decodes_alike_every_time(media, limit, tmp_path):
    # Its last frame is partly missing: what fills the gap depends on what
    # the context decoded before, so such a file stays on one context.
    data = media.clip("mpeg4").read_bytes()
    cut = tmp_path / ("cut" + media.clip("mpeg4").suffix)
    cut.write_bytes(data[: len(data) // 2])
    codecflow.set_num_threads(1)
    expected = VideoDecoder(str(cut)).get_all_frames()
    codecflow.set_num_threads(4)
    for _ in range(6):
        _same(VideoDecoder(str(cut)).get_all_frames(), expected)
