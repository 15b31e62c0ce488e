"""codecflow.ray on a real local Ray cluster (2 CPUs, started once for the module)."""

from __future__ import annotations

import functools
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest
import ray  # installed with the development tools (tools/bootstrap.sh)
import torch

import codecflow  # noqa: E402
import codecflow.ray as cfray  # noqa: E402
from codecflow.decoders import AudioDecoder, VideoDecoder  # noqa: E402
from codecflow.encoders import VideoEncoder  # noqa: E402
from codecflow.ray import _plan  # noqa: E402
from codecflow.ray._read import _data_context  # noqa: E402
from codecflow.samplers import (  # noqa: E402
    clips_at_random_indices,
    clips_at_random_timestamps,
    clips_at_regular_indices,
)
from codecflow.transforms import Resize  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
VIDEOS = ("h264_bframes", "h264_open_gop", "vfr")


@pytest.fixture(scope="module")
def cluster():
    # Workers get the source tree on their path, as the driver has it.
    path = os.pathsep.join([str(ROOT / "python"), os.environ.get("PYTHONPATH", "")])
    if ray.is_initialized():  # left by an earlier test in this process
        ray.shutdown()
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        object_store_memory=256 * 2**20,
        runtime_env={"env_vars": {"PYTHONPATH": path}},
        log_to_driver=False,
    )
    # Ray Data warns about one of its own defaults when a process makes its
    # first DataContext; codecflow.ray makes it quietly (so would this).
    _data_context()
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def videos(media):
    return [str(media.clip(name)) for name in VIDEOS]


def _sorted_rows(dataset):
    return sorted(dataset.take_all(), key=lambda row: (row["file"], row["clip"]))


def _assert_rows_match(rows, paths, sample):
    """Rows equal the plain sampler's clips of each file, frame and time."""
    expected = {}
    for file, path in enumerate(paths):
        clips = sample(file, path)
        for clip in range(clips.data.shape[0]):
            expected[(file, clip)] = clips[clip]
    assert sorted((row["file"], row["clip"]) for row in rows) == sorted(expected)
    for row in rows:
        want = expected[(row["file"], row["clip"])]
        assert row["path"] == paths[row["file"]]
        assert np.array_equal(row["frames"], want.data.numpy())
        assert np.array_equal(row["pts_seconds"], want.pts_seconds.numpy())
        assert np.array_equal(row["duration_seconds"], want.duration_seconds.numpy())


@pytest.mark.parametrize(
    "sampler, kwargs",
    [
        (clips_at_random_indices, dict(num_indices_between_frames=2)),
        (clips_at_regular_indices, dict()),
        (clips_at_random_timestamps, dict(seconds_between_frames=0.1)),
    ],
    ids=["random_indices", "regular_indices", "random_timestamps"],
)
def test_clips_equal_the_plain_samplers_with_the_same_seed(cluster, videos, sampler, kwargs):
    # frames_per_task=8 splits every file into several read tasks.
    dataset = cfray.read_video_clips(
        videos, sampler=sampler, num_clips=5, num_frames_per_clip=3, sampler_kwargs=kwargs,
        seed=7, frames_per_task=8, index_cache=False,
    )  # fmt: skip

    def plain(file, path):
        extra = dict(kwargs)
        if sampler is not clips_at_regular_indices:
            extra["generator"] = np.random.default_rng((7, file))
        return sampler(VideoDecoder(path), num_clips=5, num_frames_per_clip=3, **extra)

    _assert_rows_match(_sorted_rows(dataset), videos, plain)


def test_a_directory_with_transforms_and_nhwc(cluster, videos, tmp_path):
    for path in videos:
        os.symlink(path, tmp_path / os.path.basename(path))
    paths = sorted(str(tmp_path / os.path.basename(p)) for p in videos)
    dataset = cfray.read_video_clips(
        tmp_path, num_clips=2, num_frames_per_clip=2, transforms=[Resize((24, 32))],
        dimension_order="NHWC", index_cache=False,
    )  # fmt: skip

    def plain(file, path):
        decoder = VideoDecoder(path, transforms=[Resize((24, 32))], dimension_order="NHWC")
        return clips_at_random_indices(
            decoder, num_clips=2, num_frames_per_clip=2, generator=cfray.file_generator(0, file)
        )

    _assert_rows_match(_sorted_rows(dataset), paths, plain)


def test_gop_split_cuts_only_between_key_frames(videos):
    decoder = VideoDecoder(videos[0])  # 60 frames, key frames every 15
    keys = decoder.key_frame_indices.tolist()
    kwargs = dict(num_clips=8, num_frames_per_clip=4)
    options = dict(
        sampler=clips_at_regular_indices, sampler_kwargs=kwargs, seed=0, index_cache=None
    )
    plan = _plan.plan_file(0, videos[0], frames_per_task=10, **options)
    groups = plan.groups
    whole = _plan.plan_file(0, videos[0], frames_per_task=10**6, **options).groups
    assert len(whole) == 1 and whole[0].clips == list(range(8))
    assert len(groups) > 1
    assert sorted(n for g in groups for n in g.clips) == list(range(8))
    starts = []
    for group in groups:
        gops = {max(k for k in keys if k <= min(values)) for values in group.values}
        starts.append(gops)
    # A GOP's clips stay in one group: decoding never starts at one key frame in two tasks.
    for i, a in enumerate(starts):
        for b in starts[i + 1 :]:
            assert not a & b
    assert plan.frame_index == decoder.frame_index().to_bytes()


def test_a_corrupt_file_is_reported_with_its_path_and_the_others_are_read(
    cluster, videos, tmp_path
):
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(pathlib.Path(videos[0]).read_bytes()[:3000])
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00not a video\xff" * 300)
    paths = [videos[0], str(truncated), videos[1], str(garbage)]
    report = cfray.ReadReport()
    with pytest.warns(cfray.ReadWarning) as warned:
        dataset = cfray.read_video_clips(
            paths, num_clips=3, num_frames_per_clip=2, report=report, index_cache=False
        )
    named = {p for w in warned for p in paths if p in str(w.message)}
    assert {str(truncated), str(garbage)} <= named
    rows = _sorted_rows(dataset)
    assert sorted({row["file"] for row in rows}) == [0, 2]
    assert len(rows) == 6
    failures = report.failures
    assert sorted(f.path for f in failures) == sorted([str(truncated), str(garbage)])
    assert all(f.stage == "plan" and f.error_type and f.message for f in failures)

    with pytest.raises(cfray.ReadError, match="garbage.mp4"):
        cfray.read_video_clips([videos[0], str(garbage)], on_error="raise", index_cache=False)


def test_a_file_damaged_after_planning_is_reported_by_the_read_task(cluster, videos, tmp_path):
    victim = tmp_path / "victim.mp4"
    shutil.copy(videos[1], victim)
    report = cfray.ReadReport()
    dataset = cfray.read_video_clips(
        [videos[0], str(victim)], num_clips=4, num_frames_per_clip=2, report=report,
        frames_per_task=4, index_cache=False,
    )  # fmt: skip
    victim.write_bytes(b"replaced" * 100)  # decoding is lazy: the read tasks find this
    rows = _sorted_rows(dataset)
    assert {row["file"] for row in rows} == {0} and len(rows) == 4
    failures = report.failures
    assert failures and {f.path for f in failures} == {str(victim)}
    assert all(f.stage == "read" for f in failures)
    assert sorted(n for f in failures for n in f.clips) == [0, 1, 2, 3]

    shutil.copy(videos[1], victim)
    dataset = cfray.read_video_clips(str(victim), on_error="raise", index_cache=False)
    victim.write_bytes(b"replaced" * 100)
    # Ray Data wraps what a task raised in its own task error, message included.
    with pytest.raises(ray.exceptions.RayTaskError, match=r"ReadError: \S*victim.mp4"):
        dataset.take_all()


def test_the_index_cache_is_written_once_and_shared_by_the_workers(cluster, videos, tmp_path):
    cache = tmp_path / "index"

    def entries():
        return {p.name: p.stat().st_mtime_ns for p in cache.glob("*.cfidx")}

    previous = codecflow.get_index_cache()
    codecflow.set_index_cache(cache)  # the driver's default reaches the workers
    try:
        read = functools.partial(
            cfray.read_video_clips, videos, num_clips=4, num_frames_per_clip=2, frames_per_task=4
        )
        dataset = read()
        # Planning (one open per file) filled the cache before any clip is read.
        assert len(entries()) == len(videos)
        saved = {p.name: p.read_bytes() for p in cache.glob("*.cfidx")}
        # Damaged entries are noticed and rewritten by whoever opens them next:
        # only read tasks that look in the shared cache can repair them.
        for name in saved:
            (cache / name).write_bytes(b"damaged")
        rows = _sorted_rows(dataset)
        assert len(rows) == 4 * len(videos)
        assert {p.name: p.read_bytes() for p in cache.glob("*.cfidx")} == saved
        # From now on every open (a planning task per file, several read tasks
        # per file) loads the entries: none is rewritten and none is added.
        before = entries()
        again = _sorted_rows(read())
        assert entries() == before
        for a, b in zip(rows, again):
            assert np.array_equal(a["frames"], b["frames"])
    finally:
        codecflow.set_index_cache(previous)


def test_iter_torch_batches_and_encoding_back(cluster, videos, tmp_path):
    dataset = cfray.read_video_clips(
        videos, num_clips=2, num_frames_per_clip=4, transforms=[Resize((32, 48))],
        index_cache=False,
    )  # fmt: skip
    seen = 0
    for batch in dataset.iter_torch_batches(batch_size=4, collate_fn=cfray.collate_to_torch):
        assert batch["frames"].dtype == torch.uint8
        assert tuple(batch["frames"].shape[1:]) == (4, 3, 32, 48)
        assert batch["pts_seconds"].dtype == torch.float64
        assert all(p in videos for p in batch["path"])
        seen += len(batch["path"])
    assert seen == 2 * len(videos)

    written = cfray.write_videos(dataset, tmp_path / "out", frame_rate=30, crf=0)
    stems = [os.path.splitext(os.path.basename(v))[0] for v in videos]
    assert [os.path.basename(p) for p in written] == sorted(
        f"{s}_clip{c:05d}.mp4" for s in stems for c in range(2)
    )
    rows = {(os.path.basename(r["path"]), r["clip"]): r for r in dataset.take_all()}
    for path in written:
        stem, clip = os.path.basename(path)[: -len(".mp4")].rsplit("_clip", 1)
        frames = rows[(stem + ".mp4", int(clip))]["frames"]
        direct = tmp_path / "direct.mp4"
        VideoEncoder(frames, frame_rate=30).to_file(direct, crf=0)
        # The same bytes as encoding the row's frames here (x264 is deterministic).
        assert pathlib.Path(path).read_bytes() == direct.read_bytes()
        decoded = VideoDecoder(path).get_all_frames()
        assert decoded.data.shape == frames.shape
        assert np.allclose(decoded.pts_seconds.numpy(), np.arange(4) / 30)

    with pytest.raises(ray.exceptions.RayTaskError, match="name_column"):
        cfray.write_videos(dataset.select_columns(["frames"]), tmp_path / "x", frame_rate=30)


def test_read_audio_rows_equal_the_decoder(cluster, media, tmp_path):
    path = str(media.clip("aac_m4a"))
    decoder = AudioDecoder(path)
    whole = cfray.read_audio(path).take_all()
    assert len(whole) == 1 and whole[0]["chunk"] == 0
    assert np.array_equal(whole[0]["samples"], decoder.get_all_samples().data.numpy())
    chunks = cfray.read_audio([path], seconds_per_row=0.5).take_all()
    chunks.sort(key=lambda row: row["chunk"])
    begin = decoder.metadata.begin_stream_seconds or 0.0
    assert len(chunks) > 1
    for row in chunks:
        k = row["chunk"]
        stop = None if k == len(chunks) - 1 else begin + (k + 1) * 0.5
        want = decoder.get_samples_played_in_range(begin + k * 0.5, stop)
        assert row["sample_rate"] == want.sample_rate
        assert row["pts_seconds"] == want.pts_seconds
        assert np.array_equal(row["samples"], want.data.numpy())

    garbage = tmp_path / "garbage.wav"
    garbage.write_bytes(b"RIFF" + b"\x00" * 60)
    report = cfray.ReadReport()
    with pytest.warns(cfray.ReadWarning, match="garbage.wav"):
        rows = cfray.read_audio([str(garbage), path], report=report).take_all()
    assert [row["file"] for row in rows] == [1]
    assert [(f.path, f.stage) for f in report.failures] == [(str(garbage), "plan")]


def test_bad_arguments_raise_value_error(cluster, videos):
    with pytest.raises(ValueError, match="on_error"):
        cfray.read_video_clips(videos, on_error="ignore")
    with pytest.raises(ValueError, match="frames_per_task"):
        cfray.read_video_clips(videos, frames_per_task=0)
    with pytest.raises(ValueError, match="seed"):
        cfray.read_video_clips(videos, seed=-1)
    with pytest.raises(ValueError, match="no input files"):
        cfray.read_video_clips([])
    with pytest.raises(ValueError, match="seconds_per_row"):
        cfray.read_audio(videos, seconds_per_row=0)


def test_importing_codecflow_does_not_import_ray():
    code = (
        "import sys, codecflow, codecflow.decoders, codecflow.samplers, codecflow.encoders;"
        "assert 'ray' not in sys.modules, 'ray imported'; print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "python")),
    )  # fmt: skip
    assert out.stdout.strip() == "ok"


def test_the_example_trains_on_a_directory_of_videos(cluster, videos, tmp_path):
    for path in videos:
        os.symlink(path, tmp_path / os.path.basename(path))
    # The example joins the suite's cluster rather than starting a second one.
    address = ray.get_runtime_context().gcs_address
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "ray_clips.py"), str(tmp_path),
         "--address", address, "--epochs", "2", "--clips-per-video", "2"],
        capture_output=True, text=True, timeout=300,
        env=dict(os.environ, PYTHONPATH=str(ROOT / "python")),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("epoch")]
    assert len(lines) == 2
    assert all(f"{2 * len(videos)} clips" in line for line in lines)
