"""Tensors cross between the core and torch through DLPack without copies."""

from __future__ import annotations

import gc
import os
import threading

import numpy as np
import pytest
import torch

import codecflow
from codecflow import _core
from codecflow.decoders import VideoDecoder


def test_core_tensor_reaches_torch_without_copy():
    capsule = _core._empty_uint8([4, 5, 3])
    tensor = torch.from_dlpack(capsule)
    assert tensor.shape == (4, 5, 3)
    assert tensor.dtype == torch.uint8
    assert tensor.data_ptr() % 64 == 0


def test_torch_tensor_round_trip_shares_memory():
    source = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)
    back = torch.from_dlpack(_core._roundtrip(source))
    assert back.data_ptr() == source.data_ptr()
    source[0, 0, 0] = 100.0
    assert back[0, 0, 0] == 100.0
    strided = source.permute(2, 0, 1)
    back = torch.from_dlpack(_core._roundtrip(strided))
    assert back.data_ptr() == strided.data_ptr()
    assert back.stride() == strided.stride()
    torch.testing.assert_close(back, strided)


def test_numpy_arrays_cross_too():
    array = np.arange(12, dtype=np.int64).reshape(3, 4)
    back = torch.from_dlpack(_core._roundtrip(array))
    assert back.data_ptr() == array.ctypes.data


def test_frames_outlive_their_decoder(media):
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")
    frames = decoder.get_frames_at([3, 4]).data
    del decoder
    gc.collect()
    np.testing.assert_array_equal(frames.numpy(), reference[[3, 4]])


def test_unconsumed_capsule_is_released():
    for _ in range(100):
        _core._empty_uint8([1024, 1024])
    gc.collect()


@pytest.fixture
def frame_cache():
    codecflow.set_frame_cache_limit(0)  # start empty
    yield
    codecflow.set_frame_cache_limit(None)


def _default_frame_cache_cap() -> int:
    """An eighth of the machine's memory, never under 256 MiB nor over 2 GiB."""
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return min(max(memory // 8, 256 << 20), 2 << 30)


def test_frame_cache_limit_defaults_to_two_recent_blocks_at_most_an_eighth_of_memory(
        frame_cache):
    codecflow.set_frame_cache_limit(None)
    mib = 1 << 20
    cap = _default_frame_cache_cap()
    # Earlier tests' larger blocks leave the record of recent sizes: four
    # 1 MiB blocks replace it, and the cache is emptied again.
    for _ in range(4):
        _core._empty_uint8([1, mib])
    codecflow.set_frame_cache_limit(0)
    codecflow.set_frame_cache_limit(None)
    # The default follows the blocks just freed: twice the largest of the
    # last few, so a loop keeps about two batches and no more.
    _core._empty_uint8([3, mib])  # freed at once
    limit = codecflow.get_frame_cache_limit()
    assert 6 * mib < limit <= 6 * mib + 4096
    assert _core.frame_cache_bytes() <= limit
    kept = _core.frame_cache_bytes()
    assert 3 * mib <= kept <= limit
    # A block larger than the cap is never kept, and the limit stays the cap
    # (its pages are never touched: the allocation costs no memory).
    _core._empty_uint8([cap // mib + 1, mib])
    assert codecflow.get_frame_cache_limit() == cap
    assert _core.frame_cache_bytes() == kept
    # After a loop of 64 MiB batches, about two of them stay behind.
    for _ in range(6):
        _core._empty_uint8([64, mib])
        assert _core.frame_cache_bytes() <= 128 * mib + 8192
    assert 128 * mib < codecflow.get_frame_cache_limit() <= 128 * mib + 4096
    assert _core.frame_cache_bytes() <= codecflow.get_frame_cache_limit()


def test_default_frame_cache_keeps_a_100_frame_1080p_batch(frame_cache):
    # 100 frames of 1920x1080 RGB are 622 MB: with a bound below that, every
    # batch of a loop faulted in fresh pages (0.70 of the CLI's speed on the
    # 1080p whole-file benchmark row).
    if _default_frame_cache_cap() < 2 * 100 * 1080 * 1920 * 3:
        pytest.fail("this machine has too little memory for the test: "
                    f"cap {_default_frame_cache_cap()} bytes")
    codecflow.set_frame_cache_limit(None)
    shape = [100, 1080, 1920 * 3]
    first = _core._empty_uint8(shape)
    pointer = torch.from_dlpack(first).data_ptr()
    del first
    assert _core.frame_cache_bytes() >= 100 * 1080 * 1920 * 3
    again = torch.from_dlpack(_core._empty_uint8(shape))
    assert again.data_ptr() == pointer


def test_a_freed_batch_is_reused_by_the_next_batch_and_stays_exact(media, frame_cache):
    codecflow.set_frame_cache_limit(256 << 20)
    reference = media.reference_frames("h264_bframes")
    decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")
    first = decoder.get_frames_in_range(0, 10).data
    pointer = first.data_ptr()
    del first
    assert _core.frame_cache_bytes() >= reference[:10].nbytes
    second = decoder.get_frames_in_range(10, 20).data
    assert second.data_ptr() == pointer
    np.testing.assert_array_equal(second.numpy(), reference[10:20])
    # A batch still alive is never handed out again.
    third = decoder.get_frames_in_range(0, 10).data
    assert third.data_ptr() != second.data_ptr()
    np.testing.assert_array_equal(third.numpy(), reference[:10])
    np.testing.assert_array_equal(second.numpy(), reference[10:20])


def test_zero_limit_keeps_nothing(media, frame_cache):
    decoder = VideoDecoder(media.clip("h264_bframes"))
    decoder.get_frames_in_range(0, 10)  # freed at once
    assert _core.frame_cache_bytes() == 0
    codecflow.set_frame_cache_limit(256 << 20)
    decoder.get_frames_in_range(0, 10)
    assert _core.frame_cache_bytes() > 0
    codecflow.set_frame_cache_limit(0)
    assert _core.frame_cache_bytes() == 0


@pytest.mark.parametrize("bad", [-1, 2**63, 1.5, "1", True])
def test_frame_cache_limit_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="nbytes"):
        codecflow.set_frame_cache_limit(bad)


def test_threads_reusing_batch_memory_get_exact_frames(media, frame_cache):
    # Two threads free and take same-sized blocks from the cache at once;
    # every batch must hold exactly its frames.
    codecflow.set_frame_cache_limit(64 << 20)
    reference = media.reference_frames("h264_bframes")
    errors = []

    def work(offset: int) -> None:
        decoder = VideoDecoder(media.clip("h264_bframes"), dimension_order="NHWC")
        for round_ in range(12):
            start = (offset + 3 * round_) % (len(reference) - 8)
            batch = decoder.get_frames_in_range(start, start + 8).data
            if not np.array_equal(batch.numpy(), reference[start : start + 8]):
                errors.append((offset, start))

    threads = [threading.Thread(target=work, args=(k,)) for k in (0, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
