"""Tensors cross between the core and torch through DLPack without copies."""

from __future__ import annotations

import gc

import numpy as np
import torch

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
