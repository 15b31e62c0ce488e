"""[extra] The persistent frame index: FrameIndex, index_cache=, set_index_cache."""

from __future__ import annotations

import multiprocessing
import os
import pathlib
import struct
import subprocess
import sys
import warnings

import pytest
import torch

import codecflow
from codecflow import FrameIndex, IndexCacheWarning, _core
from codecflow.decoders import VideoDecoder

CLIPS = ["h264_bframes", "h264_open_gop", "edit_list", "vfr", "vp9", "mpeg4"]


def _entries(cache):
    return sorted(p for p in os.listdir(cache) if p.endswith(".cfidx"))


def _assert_same_decoding(a, b):
    assert len(a) == len(b)
    assert a.metadata == b.metadata
    assert torch.equal(a.key_frame_indices, b.key_frame_indices)
    order = list(range(len(a)))[::-1] + [0, len(a) // 2]
    fa, fb = a.get_frames_at(order), b.get_frames_at(order)
    assert torch.equal(fa.data, fb.data)
    assert torch.equal(fa.pts_seconds, fb.pts_seconds)
    assert torch.equal(fa.duration_seconds, fb.duration_seconds)
    begin, end = a.metadata.begin_stream_seconds, a.metadata.end_stream_seconds
    times = [begin + (end - begin) * i / 5 for i in range(5)]
    ta, tb = a.get_frames_played_at(times), b.get_frames_played_at(times)
    assert torch.equal(ta.data, tb.data) and torch.equal(ta.pts_seconds, tb.pts_seconds)


@pytest.mark.parametrize("name", CLIPS)
def test_cached_index_decodes_as_a_fresh_scan(media, tmp_path, name):
    path = media.clip(name)
    fresh = VideoDecoder(path)
    first = VideoDecoder(path, index_cache=tmp_path)
    assert first._index_origin == "scan"
    assert len(_entries(tmp_path)) == 1
    cached = VideoDecoder(path, index_cache=tmp_path)
    assert cached._index_origin == "cache"
    assert cached.frame_index() == fresh.frame_index()
    _assert_same_decoding(fresh, cached)


def test_miss_then_hit_per_file_and_per_stream_request(media, tmp_path):
    a, b = media.clip("h264_bframes"), media.clip("vp9")
    assert VideoDecoder(a, index_cache=tmp_path)._index_origin == "scan"
    assert VideoDecoder(b, index_cache=tmp_path)._index_origin == "scan"
    assert VideoDecoder(a, index_cache=tmp_path, stream_index=0)._index_origin == "scan"
    assert len(_entries(tmp_path)) == 3
    assert VideoDecoder(a, index_cache=tmp_path)._index_origin == "cache"
    assert VideoDecoder(b, index_cache=tmp_path)._index_origin == "cache"


def test_edited_file_is_stale(media, tmp_path):
    path = tmp_path / "clip.mp4"
    cache = tmp_path / "cache"
    path.write_bytes(media.clip("h264_bframes").read_bytes())
    assert VideoDecoder(path, index_cache=cache)._index_origin == "scan"
    assert VideoDecoder(path, index_cache=cache)._index_origin == "cache"
    # Another video under the same name: size, blocks and mtime change.
    path.write_bytes(media.clip("h264_open_gop").read_bytes())
    replaced = VideoDecoder(path, index_cache=cache)
    assert replaced._index_origin == "scan"
    assert len(replaced) == len(VideoDecoder(media.clip("h264_open_gop")))
    # Same size and content but a new modification time: rescanned too.
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert VideoDecoder(path, index_cache=cache)._index_origin == "scan"
    # One byte changed in the last block, size and mtime kept.
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    stat = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    key_before = len(_entries(cache))
    VideoDecoder(path, index_cache=cache)
    assert len(_entries(cache)) == key_before + 1


def test_bytes_and_tensor_sources_share_a_content_key(media, tmp_path):
    data = media.clip("h264_bframes").read_bytes()
    assert VideoDecoder(data, index_cache=tmp_path)._index_origin == "scan"
    assert VideoDecoder(data, index_cache=tmp_path)._index_origin == "cache"
    tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    assert VideoDecoder(tensor, index_cache=tmp_path)._index_origin == "cache"
    other = data[:-1] + bytes([data[-1] ^ 1])
    assert VideoDecoder(other, index_cache=tmp_path)._index_origin == "scan"


def test_file_like_sources_are_not_cached(media, tmp_path):
    with open(media.clip("h264_bframes"), "rb") as f:
        decoder = VideoDecoder(f, index_cache=tmp_path)
    assert decoder._index_origin == "scan"
    assert not tmp_path.exists() or _entries(tmp_path) == []


def _damage(entry, how):
    data = entry.read_bytes()
    if how == "flip":
        data = data[:100] + bytes([data[100] ^ 0x40]) + data[101:]
    elif how == "truncate":
        data = data[: len(data) // 2]
    elif how == "empty":
        data = b""
    elif how == "garbage":
        data = os.urandom(len(data))
    elif how == "header_only":
        data = data[: data.index(b"\n", data.index(b"\n") + 1) + 1]
    entry.write_bytes(data)


@pytest.mark.parametrize("how", ["flip", "truncate", "empty", "garbage", "header_only"])
def test_damaged_entry_is_ignored_with_a_warning_and_replaced(media, tmp_path, how):
    path = media.clip("h264_open_gop")
    VideoDecoder(path, index_cache=tmp_path)
    (entry,) = [tmp_path / e for e in _entries(tmp_path)]
    _damage(entry, how)
    with pytest.warns(IndexCacheWarning, match="ignoring index cache file"):
        decoder = VideoDecoder(path, index_cache=tmp_path)
    assert decoder._index_origin == "scan"
    _assert_same_decoding(VideoDecoder(path), decoder)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert VideoDecoder(path, index_cache=tmp_path)._index_origin == "cache"


def test_foreign_entry_under_the_key_is_not_trusted(media, tmp_path):
    # A valid entry of another file renamed to this file's key.
    a, b = media.clip("h264_bframes"), media.clip("h264_open_gop")
    VideoDecoder(a, index_cache=tmp_path)
    (entry_a,) = _entries(tmp_path)
    VideoDecoder(b, index_cache=tmp_path)
    (entry_b,) = [e for e in _entries(tmp_path) if e != entry_a]
    os.replace(tmp_path / entry_a, tmp_path / entry_b)
    with pytest.warns(IndexCacheWarning, match="not an index cache entry for this file"):
        decoder = VideoDecoder(b, index_cache=tmp_path)
    assert decoder._index_origin == "scan"
    assert len(decoder) == len(VideoDecoder(b))


def test_entry_for_another_stream_is_rescanned(media, tmp_path):
    # The header and key are right, the index inside describes another
    # time base: the core refuses it and the file is scanned.
    path = media.clip("h264_bframes")
    VideoDecoder(path, index_cache=tmp_path)
    (name,) = _entries(tmp_path)
    entry = tmp_path / name
    data = entry.read_bytes()
    header = data[: data.index(b"\n", data.index(b"\n") + 1) + 1]
    foreign = VideoDecoder(media.clip("vp9")).frame_index().to_bytes()
    entry.write_bytes(header + foreign)
    with pytest.warns(IndexCacheWarning, match="not stream 0 in 1/15360"):
        decoder = VideoDecoder(path, index_cache=tmp_path)
    assert decoder._index_origin == "scan"


def test_unwritable_cache_warns_and_decodes(media, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.warns(IndexCacheWarning, match="cannot write"):
        decoder = VideoDecoder(media.clip("h264_bframes"), index_cache=blocker / "cache")
    assert len(decoder) == 60


def test_set_index_cache_is_the_default(media, tmp_path, monkeypatch):
    monkeypatch.setattr("codecflow._index_cache._default_dir", None)
    assert codecflow.get_index_cache() is None
    codecflow.set_index_cache(tmp_path)
    try:
        assert codecflow.get_index_cache() == str(tmp_path)
        path = media.clip("h264_bframes")
        assert VideoDecoder(path)._index_origin == "scan"
        assert VideoDecoder(path)._index_origin == "cache"
        assert VideoDecoder(path, index_cache=False)._index_origin == "scan"
        # Approximate mode never scans, so the default cache does not apply.
        assert VideoDecoder(path, seek_mode="approximate")._index_origin == "none"
    finally:
        codecflow.set_index_cache(None)
    assert VideoDecoder(media.clip("h264_bframes"))._index_origin == "scan"
    with pytest.raises(TypeError):
        codecflow.set_index_cache(3)


def test_environment_variable_sets_the_default(tmp_path):
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=str(root / "python"), CODECFLOW_INDEX_CACHE=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", "import codecflow; print(codecflow.get_index_cache())"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout
    assert out.strip() == str(tmp_path)


def test_bad_combinations(media, tmp_path):
    path = media.clip("h264_bframes")
    with pytest.raises(ValueError, match="index_cache"):
        VideoDecoder(path, seek_mode="approximate", index_cache=tmp_path)
    with pytest.raises(TypeError, match="index_cache"):
        VideoDecoder(path, index_cache=3)
    index = VideoDecoder(path).frame_index()
    with pytest.raises(ValueError, match="frame_index"):
        VideoDecoder(path, seek_mode="approximate", frame_index=index)
    with pytest.raises(TypeError, match="frame_index"):
        VideoDecoder(path, frame_index=[1, 2])


def _open_in_child(args):
    path, cache, barrier = args
    barrier.wait()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decoder = VideoDecoder(path, index_cache=cache)
        pts = decoder.get_frames_at(list(range(len(decoder)))).pts_seconds.tolist()
    return decoder._index_origin, pts, [str(w.message) for w in caught]


def test_concurrent_processes_share_one_entry(media, tmp_path):
    path = str(media.clip("h264_open_gop"))
    expected = VideoDecoder(path).get_all_frames().pts_seconds.tolist()
    context = multiprocessing.get_context("spawn")
    workers = 3
    with context.Manager() as manager:
        barrier = manager.Barrier(workers)
        with context.Pool(workers) as pool:
            results = pool.map(_open_in_child, [(path, str(tmp_path), barrier)] * workers)
    origins = [origin for origin, _, _ in results]
    assert origins.count("scan") >= 1
    for _, pts, problems in results:
        assert pts == expected
        assert problems == []
    assert len(_entries(tmp_path)) == 1
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".tmp-")]
    assert VideoDecoder(path, index_cache=tmp_path)._index_origin == "cache"


def _rewrite_many(args):
    path, cache, rounds = args
    from codecflow import _index_cache

    key = _index_cache.cache_key(path, (-1, []))
    saved = VideoDecoder(path).frame_index().to_bytes()
    for _ in range(rounds):
        _index_cache.write_entry(cache, key, saved)
    return key


def test_readers_never_see_a_partial_entry_while_writers_replace_it(media, tmp_path):
    path = str(media.clip("h264_bframes"))
    VideoDecoder(path, index_cache=tmp_path)
    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        pending = pool.map_async(_rewrite_many, [(path, str(tmp_path), 60)] * 2)
        reads = 0
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            while not pending.ready() or reads < 5:
                assert VideoDecoder(path, index_cache=tmp_path)._index_origin == "cache"
                reads += 1
        pending.get()
    assert len(_entries(tmp_path)) == 1


# -- FrameIndex ------------------------------------------------------------


def test_frame_index_export_and_import(media, tmp_path):
    path = media.clip("edit_list")
    decoder = VideoDecoder(path)
    index = decoder.frame_index()
    assert isinstance(index, FrameIndex)
    assert len(index) == len(decoder)
    assert index.stream_index == decoder.stream_index
    seconds = (index.pts.double() * float(index.time_base)).tolist()
    assert seconds == pytest.approx(decoder.get_all_frames().pts_seconds.tolist(), abs=1e-12)
    assert torch.equal(torch.nonzero(index.key_frames).flatten(), decoder.key_frame_indices)
    assert (index.durations > 0).all()
    file = tmp_path / "clip.index"
    index.save(file)
    loaded = FrameIndex.load(file)
    assert loaded == index and hash(loaded) == hash(index)
    assert FrameIndex.from_bytes(index.to_bytes()) == index
    reopened = VideoDecoder(path, frame_index=loaded)
    assert reopened._index_origin == "frame_index"
    _assert_same_decoding(decoder, reopened)
    assert VideoDecoder(path, frame_index=index.to_bytes())._index_origin == "frame_index"
    assert "frames=" in repr(index) and "key_frames=" in repr(index)


def test_frame_index_of_another_stream_is_an_error(media):
    other = VideoDecoder(media.clip("vp9")).frame_index()
    with pytest.raises(ValueError, match="describes stream 0 in time base 1/1000"):
        VideoDecoder(media.clip("h264_bframes"), frame_index=other)


def test_frame_index_approximate_mode_has_none(media):
    with pytest.raises(RuntimeError, match="approximate"):
        VideoDecoder(media.clip("h264_bframes"), seek_mode="approximate").frame_index()


def _fnv(data: bytes) -> int:
    h = 1469598103934665603
    for c in data:
        h = ((h ^ c) * 1099511628211) % 2**64
    return h


def _blob(frames, seeks, *, stream=0, tb=(1, 1000), version=2, numbered=0, counts=None):
    n_frames, n_seeks = counts or (len(frames), len(seeks))
    body = b"CFLWIDX\0" + struct.pack(
        "<Iiiiqqq", version, stream, *tb, numbered, n_frames, n_seeks
    )
    for pts, duration, key in frames:
        body += struct.pack("<qqB", pts, duration, key)
    for pts, dts in seeks:
        body += struct.pack("<qq", pts, dts)
    return body + struct.pack("<Q", _fnv(body))


def test_saved_index_format_is_validated_in_full():
    good = _blob([(0, 10, 1), (10, 10, 0)], [(0, -10)])
    stream, tb, frames, seeks = _core.inspect_saved_index(good)
    assert (stream, tb, frames, seeks) == (0, (1, 1000), [(0, 10, True), (10, 10, False)], 1)
    bad = {
        "order": _blob([(10, 10, 1), (10, 10, 0)], [(0, 0)]),
        "decreasing": _blob([(10, 10, 1), (0, 10, 0)], [(0, 0)]),
        "negative duration": _blob([(0, -1, 1)], [(0, 0)]),
        "overflow": _blob([(2**63 - 5, 10, 1)], [(0, 0)]),
        "key flag": _blob([(0, 10, 2)], [(0, 0)]),
        "seek order": _blob([(0, 10, 1)], [(5, 5), (0, 0)]),
        "counts": _blob([(0, 10, 1)], [(0, 0)], counts=(2, 1)),
        "huge counts": _blob([(0, 10, 1)], [(0, 0)], counts=(2**62, 2**62)),
        "old version": _blob([(0, 10, 1)], [(0, 0)], version=1),
        "newer version": _blob([(0, 10, 1)], [(0, 0)], version=3),
        "numbered duration": _blob([(0, 10, 1)], [(0, 0)], numbered=-1),
        "time base": _blob([(0, 10, 1)], [(0, 0)], tb=(1, 0)),
        "stream": _blob([(0, 10, 1)], [(0, 0)], stream=-1),
    }
    for what, data in bad.items():
        with pytest.raises(ValueError, match="not a valid saved frame index"):
            _core.inspect_saved_index(data)
            pytest.fail(what)


def test_every_truncation_and_bit_flip_of_a_real_index_is_rejected(media):
    data = VideoDecoder(media.clip("h264_bframes")).frame_index().to_bytes()
    for size in range(len(data)):
        with pytest.raises(ValueError):
            FrameIndex(data[:size])
    for position in range(len(data)):
        for bit in (0x01, 0x80):
            damaged = bytearray(data)
            damaged[position] ^= bit
            with pytest.raises(ValueError):
                FrameIndex(bytes(damaged))
