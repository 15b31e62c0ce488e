"""Helpers of the GPU suites (test_cuda*.py): the GPU test kit, the skip
marker, the CPU comparison and decoding behind queued stream work."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch

import codecflow
from codecflow import _core

# On a GPU machine without the ffmpeg CLI and its encoders, the clips and
# the CLI's references come from the kit tools/gpu/make_kit.py writes.
GPU_KIT = os.environ.get("CODECFLOW_GPU_KIT")
if GPU_KIT:
    # generate.clip() finds the kit's clips fresh (their sidecars are
    # carried) and never runs the CLI. (For the whole session: a GPU run
    # collects only the GPU suites.)
    os.environ["CODECFLOW_MEDIA_DIR"] = str(Path(GPU_KIT) / "media")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
import generate  # noqa: E402

HAS_GPU = torch.cuda.is_available() and _core.has_cuda()
needs_gpu = pytest.mark.skipif(
    not torch.cuda.is_available() or not codecflow._core.has_cuda(),
    reason="needs an NVIDIA GPU visible to torch and a codecflow build with CUDA",
)


def assert_close_to_cpu(
    gpu: torch.Tensor, cpu: torch.Tensor, scale: float = 1.0, index: int = 0
) -> None:
    assert gpu.device == torch.device("cuda", index), gpu.device
    assert gpu.shape == cpu.shape and gpu.dtype == cpu.dtype
    diff = (gpu.cpu().double() - cpu.double()).abs() * scale
    within = (diff <= 2).double().mean().item()
    assert within >= 0.99, f"only {within:.4f} of values within 2 levels"
    assert diff.max().item() <= 3, f"largest difference {diff.max().item()} levels"


def behind_queued_work(decode, spin_cycles: int = 200_000_000) -> torch.Tensor:
    """``decode()`` on a fresh non-default torch stream with work queued ahead.

    The stream first runs a GPU spin, then fills a scratch buffer as large as
    the decoded output, and frees it while the fill is still queued: torch's
    allocator may hand that block to the decode at once (it is free for work
    on this stream). Output written before the queued work has run, or
    read on this stream before the decoder's own work has finished, differs
    from the CPU's. Returns the output cloned on the stream (a tensor; a
    FrameBatch gives its data).
    """

    def data(result):
        return result.data if hasattr(result, "data") and not torch.is_tensor(result) else result

    nbytes = data(decode()).nbytes  # the output's size, for the scratch buffer
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        scratch = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
        torch.cuda._sleep(spin_cycles)
        scratch.fill_(0xA5)
        del scratch
        got = data(decode()).clone()
    stream.synchronize()
    return got
