"""Transforms, rotation and NVDEC layouts on device="cuda" as CUDA kernels.

GPU tests compare the kernels' frames with the CPU path (uint8 colour of
every layout is swscale's bit for bit, so resized frames differ by the
resize alone: within 1 level on 99% of values, 2 everywhere; float32
within 3.5 levels), check that crops and
rotation are exact rearrangements of the untransformed GPU frames, and
count device->host copies on the decode path (none). They run where torch
sees a GPU and codecflow was built with CUDA and are skipped elsewhere.
The arithmetic itself is checked on every machine by the C++ tests of the
kernels' CPU reference (tests/cpp/TransformReferenceTest.cpp); the rest of
this file (the benchmark's command line, the copy counter's CPU side) runs
everywhere.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, List, Optional

import pytest
import torch

import codecflow
from codecflow import _core
from codecflow.decoders import VideoDecoder
from codecflow.transforms import CenterCrop, RandomCrop, Resize

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
import generate

ROOT = Path(__file__).resolve().parents[2]

needs_gpu = pytest.mark.skipif(
    not torch.cuda.is_available() or not codecflow._core.has_cuda(),
    reason="needs an NVIDIA GPU visible to torch and a codecflow build with CUDA",
)


def load_bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_gpu", ROOT / "bench" / "gpu.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_close(gpu: torch.Tensor, cpu: torch.Tensor, worst: float = 3.0) -> None:
    assert gpu.device.type == "cuda"
    assert gpu.shape == cpu.shape and gpu.dtype == cpu.dtype
    scale = 255.0 if gpu.dtype == torch.float32 else 1.0
    diff = (gpu.cpu().double() - cpu.double()).abs() * scale
    if gpu.dtype == torch.float32:
        # Float output: the CPU path's rgb48 against the kernels' colour.
        assert diff.max().item() <= 3.5, f"largest difference {diff.max().item()} levels"
        return
    within = (diff <= 2).double().mean().item()
    assert within >= 0.99, f"only {within:.4f} of values within 2 levels"
    assert diff.max().item() <= worst, f"largest difference {diff.max().item()} levels"


def assert_resize_close(gpu: torch.Tensor, cpu: torch.Tensor) -> None:
    """8-bit frames whose colour is swscale's: the resize's differences only."""
    assert gpu.device.type == "cuda"
    assert gpu.shape == cpu.shape and gpu.dtype == cpu.dtype == torch.uint8
    diff = (gpu.cpu().int() - cpu.int()).abs()
    within = (diff <= 1).double().mean().item()
    assert within >= 0.99, f"only {within:.4f} of values within 1 level"
    assert diff.max().item() <= 2, f"largest difference {diff.max().item()} levels"


def decode_pair(
    clip: str, transforms: Optional[List[Any]], indices: List[int], seed: int = 0, **kwargs: Any
) -> "tuple[torch.Tensor, torch.Tensor, VideoDecoder]":
    """The frames at `indices` on the GPU and on the CPU, each decoder made
    right after torch.manual_seed(seed); checks that the GPU decode made no
    device->host copy and did not fall back."""
    path = generate.clip(clip)
    torch.manual_seed(seed)
    cpu = VideoDecoder(path, transforms=transforms, **kwargs)
    torch.manual_seed(seed)
    gpu = VideoDecoder(path, device="cuda", transforms=transforms, **kwargs)
    before = _core.cuda_device_to_host_copies()
    frames = gpu.get_frames_at(indices).data
    torch.cuda.synchronize()
    assert _core.cuda_device_to_host_copies() == before, "the GPU decode copied to the host"
    assert gpu.cpu_fallback.status_known and not gpu.cpu_fallback, str(gpu.cpu_fallback)
    return frames, cpu.get_frames_at(indices).data, gpu


# -- everywhere ---------------------------------------------------------------


def test_bench_decode_resize_row_runs_the_cli_with_scale_cuda() -> None:
    bench = load_bench()
    clip = Path("/clips/a.mp4")
    assert bench.cli_command(clip) == [
        "ffmpeg", "-v", "error", "-hwaccel", "cuda", "-hwaccel_output_format", "cuda",
        "-i", "/clips/a.mp4", "-f", "null", "-",
    ]  # fmt: skip
    # (H, W) for codecflow's Resize, W:H for scale_cuda.
    assert bench.cli_command(clip, (224, 320))[-5:] == [
        "-vf", "scale_cuda=320:224", "-f", "null", "-",
    ]  # fmt: skip
    assert bench.parse_size("224x320") == (224, 320)
    import argparse

    for bad in ("224", "0x10", "axb", "1x2x3"):
        with pytest.raises(argparse.ArgumentTypeError):
            bench.parse_size(bad)


def test_cpu_decoding_makes_no_device_to_host_copy() -> None:
    before = _core.cuda_device_to_host_copies()
    assert isinstance(before, int) and before >= 0
    decoder = VideoDecoder(generate.clip("rot90"), transforms=[Resize((64, 48))])
    assert decoder[0].shape == (3, 64, 48)
    assert _core.cuda_device_to_host_copies() == before


# -- on a GPU -----------------------------------------------------------------


@needs_gpu
@pytest.mark.parametrize(
    "clip", ["color_bt709", "odd_size", "yuv420p10", "hevc_yuv444p", "hevc_yuv444p10"]
)
@pytest.mark.parametrize(
    "transforms",
    [
        [Resize((224, 224))],
        [Resize((61, 97))],
        [Resize((481, 643))],
        [CenterCrop((101, 77)), Resize((50, 40))],
        [Resize((120, 160)), CenterCrop((100, 100))],
    ],
    ids=["square", "down-odd", "up-odd", "crop-resize", "resize-crop"],
)
def test_resize_chains_on_cuda_match_cpu(clip: str, transforms: List[Any]) -> None:
    gpu, cpu, _ = decode_pair(clip, transforms, [0, 4, 9])
    assert_close(gpu, cpu, worst=4.0)


@needs_gpu
@pytest.mark.parametrize("clip", ["color_bt601", "yuv420p10", "hevc_yuv444p10"])
def test_float_output_with_transforms_on_cuda(clip: str) -> None:
    gpu, cpu, _ = decode_pair(
        clip, [Resize((100, 130)), CenterCrop((80, 90))], [0, 3], output_dtype="float32"
    )
    assert gpu.dtype == torch.float32
    assert 0.0 <= gpu.min().item() and gpu.max().item() <= 1.0
    assert_close(gpu, cpu)


@needs_gpu
@pytest.mark.parametrize("clip", ["rot90", "rot180", "rot270"])
def test_rotation_on_cuda_is_the_cpu_rotation(clip: str) -> None:
    gpu, cpu, _ = decode_pair(clip, None, [0, 5])
    assert_close(gpu, cpu)
    # The same pixels as the unrotated GPU frames, turned.
    plain = VideoDecoder(generate.clip("rot0"), device="cuda").get_frames_at([0, 5]).data
    turns = {"rot90": 1, "rot180": 2, "rot270": 3}[clip]
    # rotN is rot0 turned N degrees clockwise; torch.rot90 with k > 0 turns
    # counter-clockwise over dims (H, W) of NCHW.
    assert torch.equal(gpu, torch.rot90(plain, -turns, dims=(2, 3)))

@needs_gpu
def test_crops_on_cuda_are_exact_windows_of_the_frame() -> None:
    path = generate.clip("odd_size")
    whole = VideoDecoder(path, device="cuda").get_frames_at([2]).data
    center = VideoDecoder(path, device="cuda", transforms=[CenterCrop((101, 77))])
    h, w = whole.shape[-2:]
    # Centred as torchvision rounds it (halves away from zero).
    top, left = int((h - 101) / 2.0 + 0.5), int((w - 77) / 2.0 + 0.5)
    assert torch.equal(center.get_frames_at([2]).data, whole[..., top : top + 101, left : left + 77])
    # RandomCrop: the corner the host draws under a seed, the same on both
    # devices.
    for seed in (0, 1, 2):
        torch.manual_seed(seed)
        state = RandomCrop((64, 96))._make_step(h, w).__getstate__()
        _, ch, cw, top, left = state
        gpu, cpu, _ = decode_pair("odd_size", [RandomCrop((64, 96))], [2], seed=seed)
        assert torch.equal(gpu, whole[..., top : top + ch, left : left + cw])
        assert_close(gpu, cpu)


@needs_gpu
@pytest.mark.parametrize(
    "clip", ["hevc_yuv444p", "hevc_yuv444p10", "yuv420p10", "color_bt2020_10bit"]
)
def test_nvdec_layouts_without_transforms_stay_on_the_gpu(clip: str) -> None:
    # HEVC 4:4:4 comes out of NVDEC as yuv444p / yuv444p16 (H.264 4:4:4
    # falls back to software on most GPUs), 10-bit 4:2:0 as P010.
    gpu, cpu, _ = decode_pair(clip, None, [0, 1, 8])
    assert_close(gpu, cpu)


@needs_gpu
def test_rotated_resized_batches_never_touch_the_host() -> None:
    path = generate.clip("rot90")
    decoder = VideoDecoder(path, device="cuda", transforms=[Resize((90, 70)), CenterCrop(60)])
    before = _core.cuda_device_to_host_copies()
    frames = decoder.get_frames_in_range(0, len(decoder)).data
    frames = decoder.get_frames_at([3, 3, 0]).data
    torch.cuda.synchronize()
    assert _core.cuda_device_to_host_copies() == before
    assert frames.shape[-2:] == (60, 60)
    assert torch.equal(frames[0], frames[1])
    assert decoder.cpu_fallback.status_known and not decoder.cpu_fallback


@needs_gpu
@pytest.mark.parametrize(
    "clip", ["color_bt601", "color_bt709", "color_bt709_full", "odd_size", "color_fcc",
             "color_smpte240m", "yuv420p10", "color_bt2020_10bit", "hevc_yuv444p",
             "hevc_yuv444p10"]
)  # fmt: skip
def test_uint8_colour_on_cuda_is_the_cpu_path_bit_for_bit(clip: str) -> None:
    # FCC and SMPTE 240M (swscale's matrices of their own) included: none
    # of them leaves the GPU (decode_pair counts the copies).
    gpu, cpu, _ = decode_pair(clip, None, [0, 3, 7])
    assert torch.equal(gpu.cpu(), cpu)
    for transforms in ([Resize((224, 224))], [Resize((61, 97))], [Resize((481, 643))]):
        gpu, cpu, _ = decode_pair(clip, transforms, [0, 3])
        assert_resize_close(gpu, cpu)
