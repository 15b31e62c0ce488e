"""A directory of videos -> clips on Ray Data -> a toy training loop.

    PYTHONPATH=python python examples/ray_clips.py [DIRECTORY] [--num-cpus 2] [--epochs 2]
    PYTHONPATH=python python examples/ray_clips.py DIRECTORY --address auto   # a running cluster

Without DIRECTORY it uses test assets from tests/media/generate.py. Ray tasks
plan the clips of each file (exact frames, drawn with a seed per file), then
decode them in groups of GOPs as the training loop pulls batches through
``iter_torch_batches``; a file that cannot be read is skipped and listed at
the end. The model is a tiny classifier that learns which video a clip came
from: the point is the data path, not the model.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time
from typing import List

import ray
import torch

import codecflow.ray as cfray
from codecflow.samplers import clips_at_random_indices
from codecflow.transforms import Resize

DEFAULT_ASSETS = ("h264_bframes", "h264_open_gop", "vfr")


def default_directory() -> str:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests" / "media"))
    import generate

    directory = tempfile.mkdtemp(prefix="codecflow-ray-")
    for name in DEFAULT_ASSETS:
        path = generate.clip(name)
        os.symlink(path, os.path.join(directory, path.name))
    return directory


class TinyClassifier(torch.nn.Module):
    def __init__(self, num_classes: int):
        super().__init__()
        self.conv = torch.nn.Conv3d(3, 8, kernel_size=3, padding=1)
        self.head = torch.nn.Linear(8, num_classes)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        # clips: (B, T, C, H, W) uint8 -> (B, C, T, H, W) float in [0, 1]
        x = clips.permute(0, 2, 1, 3, 4).float() / 255
        return self.head(torch.relu(self.conv(x)).mean(dim=(2, 3, 4)))


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description="Train on clips read with Ray Data")
    parser.add_argument("directory", nargs="?", help="a directory of videos")
    parser.add_argument("--address", help="a running Ray cluster (default: start a local one)")
    parser.add_argument("--num-cpus", type=int, default=2, help="CPUs of the local cluster")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--clips-per-video", type=int, default=4)
    parser.add_argument("--frames-per-clip", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--index-cache", help="a shared index cache directory")
    args = parser.parse_args(argv)

    directory = args.directory or default_directory()
    if args.address:
        ray.init(address=args.address)
    else:
        ray.init(num_cpus=args.num_cpus, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        files = [n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n))]
        model = TinyClassifier(num_classes=len(files))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        report = cfray.ReadReport()
        for epoch in range(args.epochs):
            start = time.perf_counter()
            # A new seed per epoch: new clips, the same for every run.
            clips = cfray.read_video_clips(
                directory, sampler=clips_at_random_indices, num_clips=args.clips_per_video,
                num_frames_per_clip=args.frames_per_clip, seed=epoch,
                transforms=[Resize((64, 64))], index_cache=args.index_cache or False,
                report=report,
            )  # fmt: skip
            seen, total_loss = 0, 0.0
            # A local shuffle buffer mixes clips of several files without a global shuffle.
            for batch in clips.iter_torch_batches(
                batch_size=args.batch_size, collate_fn=cfray.collate_to_torch,
                local_shuffle_buffer_size=4 * args.batch_size, local_shuffle_seed=epoch,
            ):  # fmt: skip
                loss = torch.nn.functional.cross_entropy(model(batch["frames"]), batch["file"])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                seen += len(batch["file"])
                total_loss += float(loss) * len(batch["file"])
            elapsed = time.perf_counter() - start
            print(
                f"epoch {epoch}: {seen} clips, mean loss {total_loss / max(seen, 1):.4f}, "
                f"{seen / elapsed:.1f} clips/s",
                flush=True,
            )
        for failure in report.failures:
            print(f"skipped: {failure}", flush=True)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
