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
    saved = codecflow.get_frame_cache_limit()
    codecflow.set_frame_cache_limit(0)  # start empty
    yield
    codecflow.set_frame_cache_limit(saved)


def test_frame_cache_limit_defaults_to_a_share_of_memory():
    limit = codecflow.get_frame_cache_limit()
    ram = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert limit == min(ram // 8, 2 << 30)


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


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True, None])
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
