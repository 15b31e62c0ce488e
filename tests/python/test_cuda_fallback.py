"""CUDA fallbacks and decoders: a codec NVDEC lacks, AV1 (FFmpeg's native
decoder decodes it only through NVDEC), streams NVDEC may refuse (the reason
in cpu_fallback is FFmpeg's), and the top-left crop of hardware frames.

The GPU tests skip without a GPU; on a GPU machine the clips and the ffmpeg
CLI's references come from the GPU test kit (CODECFLOW_GPU_KIT).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch

from _cuda_checks import GPU_KIT, assert_close_to_cpu, behind_queued_work, generate, needs_gpu
from codecflow.decoders import VideoDecoder


@needs_gpu
def test_codec_without_nvdec_falls_back_to_cpu_and_says_so() -> None:
    path = generate.clip("ffv1")
    gpu = VideoDecoder(path, device="cuda")
    assert not gpu.cpu_fallback.status_known
    frames = gpu.get_frames_at([0, 3])
    assert frames.data.device == torch.device("cuda", 0)
    assert gpu.cpu_fallback.status_known and gpu.cpu_fallback
    assert "ffv1" in str(gpu.cpu_fallback)
    assert "FFmpeg has no NVDEC decoder for it" in str(gpu.cpu_fallback)
    # Decoded on the CPU with the CPU path, then uploaded: identical.
    assert torch.equal(frames.data.cpu(), VideoDecoder(path).get_frames_at([0, 3]).data)


def av1_cli_frames(indices: list[int]) -> torch.Tensor:
    # The ffmpeg CLI's frames (libdav1d), from the kit on a GPU machine whose
    # FFmpeg decodes AV1 only through NVDEC.
    frames = generate.reference_frames("av1")[indices]
    return torch.from_numpy(frames.copy()).permute(0, 3, 1, 2)


def test_av1_reference_matches_the_cpu_decode() -> None:
    # The reference the AV1 GPU test compares against is the CPU path's output.
    try:
        expected = VideoDecoder(generate.clip("av1")).get_frames_at([0, 5]).data
    except RuntimeError as error:  # a GPU machine's FFmpeg without libdav1d
        assert "hardware accelerated AV1" in str(error) and GPU_KIT, str(error)
        return
    assert torch.equal(expected, av1_cli_frames([0, 5]))


@needs_gpu
def test_av1_decodes_on_nvdec() -> None:
    # FFmpeg's default AV1 decoder (libdav1d) has no hwaccel; the native one
    # that has NVDEC's must be used.
    path = generate.clip("av1")
    gpu = VideoDecoder(path, device="cuda:0")
    frames = behind_queued_work(lambda: gpu.get_frames_at([0, 5]))
    assert gpu.cpu_fallback.status_known and not gpu.cpu_fallback, str(gpu.cpu_fallback)
    assert_close_to_cpu(frames, av1_cli_frames([0, 5]))


@needs_gpu
def test_stream_nvdec_may_refuse_reports_ffmpegs_reason() -> None:
    # H.264 4:4:4 and HEVC Main 10: whether NVDEC takes them depends on the
    # GPU; when it refuses, the reason is FFmpeg's, not a guess, and the
    # frames are the CPU's.
    for name in ("yuv444p", "yuv420p10"):
        path = generate.clip(name)
        gpu = VideoDecoder(path, device="cuda:0")
        got = behind_queued_work(lambda: gpu.get_frames_at([0, 3]))
        assert_close_to_cpu(got, VideoDecoder(path).get_frames_at([0, 3]).data)
        status = str(gpu.cpu_fallback)
        assert gpu.cpu_fallback.status_known, status
        assert "profile, bit depth or size unsupported" not in status
        if gpu.cpu_fallback:
            assert "FFmpeg" in status and "gave no reason" not in status, status


def test_top_left_cropped_clip_decodes_cropped_on_cpu() -> None:
    # The reference for the CUDA test below: the CPU path applies the whole
    # crop, the left one included.
    import subprocess

    path = generate.clip("h264_crop_topleft")
    frame = VideoDecoder(path)[0]
    assert tuple(frame.shape) == (3, 232, 304)
    if shutil.which("ffmpeg") is None and GPU_KIT:
        # The kit carries the CLI's frame (tools/gpu/make_kit.py).
        raw = (Path(GPU_KIT) / "media" / "h264_crop_topleft.unaligned-frame0.rgb").read_bytes()
    else:
        raw = subprocess.run(
            # "-flags unaligned": the CLI, too, would otherwise round the left
            # crop down to the planes' alignment (here to 0) and keep 16 columns.
            ["ffmpeg", "-v", "error", "-flags", "unaligned", "-i", str(path), "-frames:v", "1",
             "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
            capture_output=True, check=True,
        ).stdout
    reference = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(232, 304, 3)
    assert torch.equal(frame.permute(1, 2, 0), reference)


@needs_gpu
@pytest.mark.parametrize("resize", [False, True])
def test_top_left_crop_applies_on_cuda(resize: bool) -> None:
    # The kernel (and, with a transform, the download path) must start at
    # the crop's corner, not at the coded picture's.
    from codecflow.transforms import Resize

    path = generate.clip("h264_crop_topleft")
    transforms = [Resize((116, 152))] if resize else None
    gpu = VideoDecoder(path, device="cuda:0", transforms=transforms)
    cpu = VideoDecoder(path, transforms=transforms)
    frames = behind_queued_work(lambda: gpu.get_frames_at([0, 7]))
    assert_close_to_cpu(frames, cpu.get_frames_at([0, 7]).data)
