"""Decoders in DataLoader workers (fork and spawn), forked children and threads."""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import threading
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

_MEDIA = Path(__file__).resolve().parents[1] / "media"
if str(_MEDIA) not in sys.path:
    sys.path.insert(0, str(_MEDIA))

import generate  # noqa: E402
from codecflow.decoders import VideoDecoder  # noqa: E402
from codecflow.samplers import clips_at_regular_indices  # noqa: E402

NAME = "h264_bframes"


class FrameDataset(Dataset):
    """Item i: frame i of a decoder created in the parent, with the worker's pid."""

    def __init__(self, decoder: VideoDecoder):
        self.decoder = decoder

    def __len__(self) -> int:
        return len(self.decoder)

    def __getitem__(self, i: int) -> Dict[str, torch.Tensor]:
        frame = self.decoder.get_frame_at(i)
        return {
            "index": torch.tensor(i),
            "data": frame.data,
            "pts": torch.tensor(frame.pts_seconds),
            "pid": torch.tensor(os.getpid()),
            "reopened_here": torch.tensor(self.decoder._core_pid == os.getpid()),
        }


class ClipDataset(Dataset):
    """Item i: 2 clips of 3 frames from video i % len(decoders)."""

    def __init__(self, decoders: List[VideoDecoder]):
        self.decoders = decoders

    def __len__(self) -> int:
        return 6

    def __getitem__(self, i: int) -> torch.Tensor:
        decoder = self.decoders[i % len(self.decoders)]
        return clips_at_regular_indices(decoder, num_clips=2, num_frames_per_clip=3).data


@pytest.fixture(scope="module")
def reference() -> torch.Tensor:
    return VideoDecoder(generate.clip(NAME)).get_all_frames().data


def _run_loader(decoder: VideoDecoder, context: str) -> List[Dict[str, torch.Tensor]]:
    loader = DataLoader(
        FrameDataset(decoder),
        batch_size=4,
        shuffle=True,
        num_workers=2,
        multiprocessing_context=context,
        generator=torch.Generator().manual_seed(0),
    )
    return list(loader)


@pytest.mark.parametrize("context", ["fork", "spawn"])
@pytest.mark.parametrize("used_in_parent", [False, True])
def test_dataloader_workers(reference: torch.Tensor, context: str, used_in_parent: bool) -> None:
    decoder = VideoDecoder(generate.clip(NAME))
    if used_in_parent:
        decoder[33]  # the parent's decoder sits mid-stream when the workers start
    batches = _run_loader(decoder, context)
    seen = set()
    pids = set()
    for batch in batches:
        for i, data, pts in zip(batch["index"].tolist(), batch["data"], batch["pts"].tolist()):
            assert torch.equal(data, reference[i]), i
            assert pts == pytest.approx(i / 30)
            seen.add(i)
        assert batch["reopened_here"].all()
        pids.update(batch["pid"].tolist())
    assert seen == set(range(60))
    assert len(pids) == 2 and os.getpid() not in pids
    # The parent's decoder is untouched and still works.
    assert decoder._core_pid == os.getpid()
    assert torch.equal(decoder[59], reference[59])


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_clip_dataset(context: str) -> None:
    names = [NAME, "h264_open_gop", "vfr"]
    decoders = [VideoDecoder(generate.clip(n)) for n in names]
    expected = [
        clips_at_regular_indices(d, num_clips=2, num_frames_per_clip=3).data for d in decoders
    ]
    loader = DataLoader(
        ClipDataset(decoders), batch_size=3, num_workers=2, multiprocessing_context=context
    )
    items = [clip for batch in loader for clip in batch]
    assert len(items) == 6
    for i, clip in enumerate(items):
        assert clip.shape == (2, 3, 3, 240, 320)
        assert torch.equal(clip, expected[i % 3])


def _child_decode(
    decoder: VideoDecoder, indices: List[int], queue: "multiprocessing.Queue"
) -> None:
    # numpy arrays travel by value (torch tensors would travel by a shared fd).
    queue.put([decoder[i].numpy() for i in indices])


def _busy(decoder: VideoDecoder, stop: threading.Event) -> None:
    rng = random.Random(0)
    while not stop.is_set():
        decoder[rng.randrange(len(decoder))]


@pytest.mark.parametrize("threads", [1, 2])
def test_fork_while_parent_decodes(reference: torch.Tensor, threads: int) -> None:
    # Forking while another thread is inside the decoder (its mutex held, its
    # FFmpeg threads running) must not hang or corrupt the child's frames.
    decoder = VideoDecoder(generate.clip(NAME), num_ffmpeg_threads=threads)
    stop = threading.Event()
    worker = threading.Thread(target=_busy, args=(decoder, stop))
    worker.start()
    ctx = multiprocessing.get_context("fork")
    try:
        for attempt in range(6):
            queue = ctx.Queue()
            indices = [attempt * 7, 59 - attempt, 20]
            child = ctx.Process(target=_child_decode, args=(decoder, indices, queue))
            child.start()
            try:
                frames = queue.get(timeout=60)  # a child that deadlocked never answers
                child.join(timeout=60)
            finally:
                if child.is_alive():
                    child.kill()
            assert child.exitcode == 0
            for i, frame in zip(indices, frames):
                assert torch.equal(torch.from_numpy(frame), reference[i])
    finally:
        stop.set()
        worker.join()
    assert torch.equal(decoder[12], reference[12])


def _decode_many(
    decoder: VideoDecoder,
    indices: List[int],
    out: Dict[int, List[Tuple[int, torch.Tensor]]],
    slot: int,
    errors: List[BaseException],
) -> None:
    try:
        out[slot] = [(i, decoder[i]) for i in indices]
    except BaseException as error:  # reported by the main thread
        errors.append(error)


def test_threads_share_one_decoder(reference: torch.Tensor) -> None:
    decoder = VideoDecoder(generate.clip(NAME))
    rng = random.Random(1)
    plans = [[rng.randrange(60) for _ in range(25)] for _ in range(6)]
    out: Dict[int, List[Tuple[int, torch.Tensor]]] = {}
    errors: List[BaseException] = []
    threads = [
        threading.Thread(target=_decode_many, args=(decoder, plan, out, k, errors))
        for k, plan in enumerate(plans)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(out) == list(range(6))
    for results in out.values():
        for i, frame in results:
            assert torch.equal(frame, reference[i]), i


def test_threads_with_one_decoder_each(reference: torch.Tensor) -> None:
    path = generate.clip(NAME)
    decoders = [VideoDecoder(path) for _ in range(4)]
    out: Dict[int, List[Tuple[int, torch.Tensor]]] = {}
    errors: List[BaseException] = []
    plan = list(range(0, 60, 3)) + [5, 50, 5]
    threads = [
        threading.Thread(target=_decode_many, args=(d, plan, out, k, errors))
        for k, d in enumerate(decoders)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for results in out.values():
        for i, frame in results:
            assert torch.equal(frame, reference[i]), i
