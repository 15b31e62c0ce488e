"""decode_clips: many videos in one call on native threads. Each batch
equals what a VideoDecoder returns for it; the GIL is released; an error
names its item and source and leaves no thread; out= and pin_memory; the
DataLoader dataset."""

from __future__ import annotations

import threading

import pytest
import torch
from torch.utils.data import DataLoader

import codecflow
from codecflow.decoders import Clip, ClipDataset, VideoDecoder, decode_clips
from codecflow.errors import InvalidArgumentError, MediaNotFoundError, OutOfRangeError
from codecflow.transforms import Resize

from _threads import main_thread_spins, native_threads, threads_settled

NAMES = ["h264_bframes", "vp9", "rot90", "mkv_audio_video", "hevc", "h264_open_gop"]



def _same(a, b):
    assert torch.equal(a.data, b.data)
    assert torch.equal(a.pts_seconds, b.pts_seconds)
    assert torch.equal(a.duration_seconds, b.duration_seconds)


@pytest.mark.parametrize("seek_mode", ["exact", "approximate"])
def test_batches_equal_video_decoder_results(media, seek_mode):
    paths = [str(media.clip(n)) for n in NAMES]
    items = [(p, [9, 0, 4, 4, 29]) for p in paths]
    items.append(Clip(media.clip("vfr").read_bytes(), seconds=[0.5, 0.1, 0.5]))
    items.append((paths[0], [3, 1], [Resize((60, 80))]))
    got = decode_clips(items, seek_mode=seek_mode, num_threads=3)
    assert len(got) == len(items)
    for item, batch in zip(items[: len(paths)], got):
        _same(batch, VideoDecoder(item[0], seek_mode=seek_mode).get_frames_at(item[1]))
    vfr = VideoDecoder(media.clip("vfr").read_bytes(), seek_mode=seek_mode)
    _same(got[-2], vfr.get_frames_played_at([0.5, 0.1, 0.5]))
    resized = VideoDecoder(paths[0], seek_mode=seek_mode, transforms=[Resize((60, 80))])
    _same(got[-1], resized.get_frames_at([3, 1]))
    nhwc = decode_clips(items[:1], dimension_order="NHWC")[0]
    assert torch.equal(nhwc.data, got[0].data.permute(0, 2, 3, 1))


def test_the_gil_is_released_while_decoding(media):
    items = [(str(media.clip(n)), list(range(0, 30, 2))) for n in NAMES]
    assert main_thread_spins(lambda: decode_clips(items), enough=1000) > 1000


def test_an_error_names_the_item_and_leaves_no_thread(media, tmp_path):
    good = str(media.clip("h264_bframes"))
    decode_clips([(good, [0])] * 4)  # warm-up
    baseline = native_threads()
    missing = str(tmp_path / "missing.mp4")
    with pytest.raises(MediaNotFoundError, match=r"decode_clips item 2 \('.*missing\.mp4'\)"):
        decode_clips([(good, [0, 5]), (good, [1]), (missing, [0]), (good, [2])])
    with pytest.raises(OutOfRangeError, match=r"decode_clips item 1 \('.*h264_bframes\.mp4'\)"):
        decode_clips([(good, [0]), (good, [1000])])
    assert threads_settled(baseline) == baseline
    # The first failing item is reported, whichever thread finished first.
    with pytest.raises(OutOfRangeError, match="decode_clips item 0 "):
        decode_clips([(good, [-1])] + [(good, [0])] * 5 + [(missing, [0])])
    assert threads_settled(baseline) == baseline


def test_bad_items_are_refused_naming_them(media):
    good = str(media.clip("h264_bframes"))
    with pytest.raises(TypeError, match="decode_clips item 1"):
        decode_clips([(good, [0]), good])
    with pytest.raises(InvalidArgumentError, match="decode_clips item 0"):
        decode_clips([Clip(good, [0], seconds=[0.0])])
    with pytest.raises(TypeError, match="decode_clips item 0: indices"):
        decode_clips([(good, ["0"])])
    with pytest.raises(InvalidArgumentError, match="num_threads"):
        decode_clips([(good, [0])], num_threads=-1)
    assert decode_clips([]) == []


def test_out_receives_the_frames(media):
    good = str(media.clip("h264_bframes"))
    reference = VideoDecoder(good).get_frames_at([4, 2]).data
    out = [torch.zeros_like(reference), torch.zeros_like(reference)]
    got = decode_clips([(good, [4, 2]), (good, [4, 2])], out=out)
    assert got[0].data is out[0] and got[1].data is out[1]
    assert torch.equal(out[0], reference) and torch.equal(out[1], reference)
    with pytest.raises(InvalidArgumentError, match=r"out\[0\] has shape"):
        decode_clips([(good, [4])], out=[torch.zeros_like(reference)])
    with pytest.raises(InvalidArgumentError, match="one per clip"):
        decode_clips([(good, [4])], out=out)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="pinned memory needs CUDA")
def test_pin_memory_returns_pinned_batches(media):
    good = str(media.clip("h264_bframes"))
    batch = decode_clips([(good, [0, 1])], pin_memory=True)[0]
    assert batch.data.is_pinned()
    assert torch.equal(batch.data, VideoDecoder(good).get_frames_at([0, 1]).data)


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal without CUDA")
def test_pin_memory_without_cuda_is_refused(media):
    with pytest.raises(InvalidArgumentError, match="pin_memory"):
        decode_clips([(str(media.clip("h264_bframes")), [0])], pin_memory=True)


def test_threads_follow_the_limit_and_end_with_the_call(media):
    items = [(str(media.clip(n)), list(range(0, 30, 3))) for n in NAMES] * 2
    previous = codecflow.get_num_threads()
    try:
        results = {}
        for n in (1, 4):
            codecflow.set_num_threads(n)
            baseline = native_threads()
            peak = [baseline]
            done = threading.Event()

            def watch():
                while not done.is_set():
                    peak[0] = max(peak[0], native_threads())

            watcher = threading.Thread(target=watch)
            watcher.start()
            for _ in range(5):
                got = decode_clips(items)
            done.set()
            watcher.join()
            results[n] = (got, peak[0] - baseline)
            assert threads_settled(baseline) == baseline
        assert results[1][1] <= 1  # the watcher only
        assert results[4][1] >= 2  # the watcher and at least one worker
        for a, b in zip(results[1][0], results[4][0]):
            _same(a, b)
    finally:
        codecflow.set_num_threads(previous)
        codecflow.set_num_threads(None)


def test_clip_dataset_decodes_a_batch_in_one_call(media):
    paths = [str(media.clip(n)) for n in ["h264_bframes", "h264_open_gop", "vfr"]]
    clips = [(p, [i, i + 10]) for p in paths for i in range(4)]
    dataset = ClipDataset(clips, dimension_order="NHWC")
    assert len(dataset) == len(clips)
    loader = DataLoader(dataset, batch_size=5, shuffle=False, num_workers=0)
    batches = list(loader)
    assert [b.shape[0] for b in batches] == [5, 5, 2]
    flat = torch.cat(batches)
    for k, (path, indices) in enumerate(clips):
        expected = VideoDecoder(path, dimension_order="NHWC").get_frames_at(indices).data
        assert torch.equal(flat[k], expected)
    assert torch.equal(dataset[3], flat[3])
