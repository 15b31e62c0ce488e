"""The examples, run as the user runs them (subprocesses, small sizes)."""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import List

import torch

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

sys.path.insert(0, str(ROOT / "tests" / "media"))
import generate  # noqa: E402


def _run(args: List[str], timeout: float = 300) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "python"))
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _example(name: str, *args: str) -> str:
    return _run([sys.executable, str(EXAMPLES / name), *args])


def _import_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_dataloader_output(out: str, *, videos: int, clips: int, batches: int) -> None:
    lines = out.strip().splitlines()
    batch_lines = [line for line in lines if line.startswith("batch ")]
    assert len(batch_lines) == batches, out
    seen_videos: List[int] = []
    for line in batch_lines:
        match = re.match(
            r"batch \d+: clips \((\d+), 4, 3, 112, 112\) torch.uint8, videos (\[.*?\]), "
            r"first pts (\[.*\])$",
            line,
        )
        assert match, line
        batch_videos = ast.literal_eval(match.group(2))
        assert len(batch_videos) == int(match.group(1)) == len(ast.literal_eval(match.group(3)))
        seen_videos += batch_videos
    # Every video gives clips_per_video clips, shuffled across batches.
    assert sorted(seen_videos) == sorted(list(range(videos)) * (clips // videos))
    assert lines[-1].startswith(f"loaded {clips} clips from {videos} videos in {batches} batches")


def test_dataloader_fork() -> None:
    out = _example("dataloader.py", "--clips-per-video", "2", "--frames-per-clip", "4")
    _check_dataloader_output(out, videos=4, clips=8, batches=2)
    assert "decoded in 2 processes (fork workers: 2)" in out


def test_dataloader_spawn_with_paths() -> None:
    paths = [str(generate.clip("h264_bframes")), str(generate.clip("vfr"))]
    out = _example(
        "dataloader.py",
        *paths,
        "--clips-per-video",
        "3",
        "--frames-per-clip",
        "4",
        "--batch-size",
        "3",
        "--start-method",
        "spawn",
    )
    _check_dataloader_output(out, videos=2, clips=6, batches=2)
    assert "decoded in 2 processes (spawn workers: 2)" in out


def test_dataloader_is_reproducible() -> None:
    args = ["--clips-per-video", "2", "--frames-per-clip", "4", "--seed", "3"]
    assert _example("dataloader.py", *args) == _example("dataloader.py", *args)


def test_parallel_decoding_fork() -> None:
    out = _example("parallel_decoding.py", "--workers", "2", "--start-method", "fork")
    assert "(320x240, 60 frames, h264)" in out
    assert re.search(r"^sequential: 60 frames in ", out, re.M)
    assert re.search(r"^threads \(2\): 60 frames in .*identical to sequential: True$", out, re.M)
    assert re.search(
        r"^processes \(2, fork, .*\): 60 frames in .*identical to sequential: True$", out, re.M
    )


def test_parallel_decoding_spawn_processes() -> None:
    path = str(generate.clip("vfr"))
    out = _example("parallel_decoding.py", path, "--workers", "3", "--mode", "processes")
    assert "threads" not in out
    assert re.search(
        r"^processes \(3, spawn, .*\): 60 frames in .*identical to sequential: True$", out, re.M
    )


def test_distributed_torchrun() -> None:
    torchrun = Path(sys.executable).parent / "torchrun"
    assert torchrun.is_file(), f"torchrun is missing next to {sys.executable}"
    out = _run(
        [
            str(torchrun),
            "--standalone",
            "--nproc_per_node=2",
            str(EXAMPLES / "distributed.py"),
            "--clips-per-video",
            "2",
        ]
    )
    shards = {}
    sums = {}
    for rank in (0, 1):
        match = re.search(
            rf"^rank {rank}/2: decoded items (\[.*?\]) \(clips of shape \(4, 3, 64, 64\), "
            r"pixel sum (\d+)\)$",
            out,
            re.M,
        )
        assert match, out
        shards[rank] = ast.literal_eval(match.group(1))
        sums[rank] = int(match.group(2))
    assert len(shards[0]) == len(shards[1]) == 3
    assert sorted(shards[0] + shards[1]) == list(range(6))
    total = re.search(
        r"^all 2 ranks: 6 items decoded, covering 6 of 6, repeated as padding: 0, "
        r"total pixel sum (\d+)$",
        out,
        re.M,
    )
    assert total, out
    assert int(total.group(1)) == sums[0] + sums[1]

    # Each rank's clips are the ones this process decodes for the same items.
    example = _import_example("distributed")
    dataset = example.SeededClips(example.default_videos(), clips_per_video=2, frames_per_clip=4)
    for rank in (0, 1):
        expected = sum(int(dataset[i]["clip"].sum(dtype=torch.int64)) for i in shards[rank])
        assert sums[rank] == expected


def test_demo_decodes_encodes_and_muxes():
    out = _example("demo.py")
    assert "video: h264 320x240 yuv420p, 60 frames" in out
    assert "ffprobe: h264 320x240 yuv420p, 60 frames, 2.000 s" in out
    psnr = float(re.search(r"round trip: PSNR ([0-9.]+) dB", out).group(1))
    assert psnr > 35
    assert re.search(r"audio: \(2, \d+\) float32 at 48000 Hz", out)
    assert re.search(r"muxed muxed\.mp4: \d+ bytes, h264, aac", out)
