"""One function per library per workload.

Every video workload returns a list of uint8 RGB tensors of shape
``(N, 3, H, W)`` (views where the library hands out NHWC), so that all
libraries produce the same thing and the runner can check the frame counts
and compare the pixels. Each library is used the way its documentation
recommends:

- codecflow and TorchCodec: their batch APIs (``get_frames_at``,
  ``get_frames_played_at``, ``get_frames_in_range``) and samplers; TorchCodec
  in its exact and approximate seek modes.
- PyAV: ``container.decode`` with a seek only when the target lies behind the
  last decoded frame or more than one GOP ahead of it.
- OpenCV: ``CAP_PROP_POS_FRAMES`` to jump (only when the next frame read would
  not be the target), ``read`` to decode, ``cvtColor`` from BGR to RGB.
- decord: ``VideoReader.get_batch``; for resized output its own ``width`` /
  ``height`` arguments.

Targets given in any order are fetched in increasing time by the peers that
have no batch API (as any user of those libraries would) and returned in the
order asked. Single-decoder workloads let every library use all cores (FFmpeg
threads = 0/auto, PyAV's ``thread_type = "AUTO"``); the DataLoader workload
runs 2 Python threads with one decoding thread each.

A library without a workload raises ``Unsupported``; an API missing from this
build of codecflow raises ``NotAvailable``. Neither ever produces a number.
"""

from __future__ import annotations

import math
import random
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

SEED = 0
CLIP_COUNT = 8
CLIP_FRAMES = 16
LOADER_JOBS = 50  # the full profile; the quick profile runs 10 (Job.loader_jobs)
LOADER_FRAMES = 10
LOADER_THREADS = 2
LOADER_SIZE = (256, 256)
ENCODE_FRAMES = 300
CHUNK = 100  # frames per batch when decoding a whole file
# A whole-file decode keeps only the top rows of each batch it has consumed
# (for the checks), as a consumer that processes and drops batches would:
# holding every frame of a long 1080p clip would not fit in memory.
KEPT_ROWS = 8

VIDEO_WORKLOADS = ["first100", "uniform10", "random10", "all", "clips", "dataloader"]
AUDIO_WORKLOADS = ["audio"]
ENCODE_WORKLOADS = ["encode_ultrafast", "encode_medium"]

DESCRIPTIONS = {
    "first100": "first 100 frames",
    "uniform10": "10 evenly spaced timestamps",
    "random10": "10 random timestamps (seeded)",
    "all": "whole file in order",
    "clips": f"{CLIP_COUNT} random clips of {CLIP_FRAMES} frames",
    "dataloader": "{jobs} jobs x " + f"{LOADER_FRAMES} frames resized to 256x256, "
    f"{LOADER_THREADS} threads",
    "audio": "whole-file audio decode",
    "encode_ultrafast": f"encode {ENCODE_FRAMES} 1080p frames, libx264 ultrafast crf 23",
    "encode_medium": f"encode {ENCODE_FRAMES} 1080p frames, libx264 medium crf 23",
}


class Unsupported(Exception):
    """The library has no way to do this workload."""


class NotAvailable(Exception):
    """The API this workload needs is missing from this build."""


@dataclass
class Job:
    """One input and the targets every library fetches from it."""

    path: str
    num_frames: int = 0
    fps: float = 0.0
    seconds: float = 0.0
    width: int = 0
    height: int = 0
    gop: int = 0
    loader_jobs: int = LOADER_JOBS
    uniform_times: List[float] = field(default_factory=list)
    random_times: List[float] = field(default_factory=list)
    clip_starts: List[int] = field(default_factory=list)
    loader_indices: List[int] = field(default_factory=list)
    encode_frames: Optional[torch.Tensor] = None  # (N, 3, H, W) uint8
    encode_dir: str = ""


def make_job(path: str, *, num_frames: int = 0, fps: float = 0.0, seconds: float = 0.0,
             width: int = 0, height: int = 0, gop: int = 0,
             loader_jobs: int = LOADER_JOBS) -> Job:
    """Builds the targets of a clip; the same for every library."""
    job = Job(path, num_frames, fps, seconds, width, height, gop, loader_jobs)
    if num_frames:
        frame = 1.0 / fps
        # Times in the middle of a frame, so every library agrees on which
        # frame is on screen.
        job.uniform_times = [(math.floor(seconds * (i + 0.5) / 10 * fps) + 0.5) * frame
                             for i in range(10)]
        rng = random.Random(SEED)
        job.random_times = [(rng.randrange(num_frames) + 0.5) * frame for _ in range(10)]
        # The clip starts that clips_at_random_indices draws after
        # torch.manual_seed(SEED): uniform over the valid starts.
        gen = torch.Generator().manual_seed(SEED)
        job.clip_starts = torch.randint(0, num_frames - CLIP_FRAMES + 1, (CLIP_COUNT,),
                                        generator=gen).tolist()
        job.loader_indices = [int(i) for i in
                              torch.linspace(0, num_frames - 1, LOADER_FRAMES).round().tolist()]
    return job


def expected_frames(workload: str, job: Job) -> int:
    return {
        "first100": 100,
        "uniform10": 10,
        "random10": 10,
        "all": job.num_frames,
        "clips": CLIP_COUNT * CLIP_FRAMES,
        "dataloader": job.loader_jobs * LOADER_FRAMES,
    }.get(workload, 0)


def clip_indices(job: Job) -> List[int]:
    return [s + k for s in job.clip_starts for k in range(CLIP_FRAMES)]


def index_of_time(job: Job, t: float) -> int:
    return min(job.num_frames - 1, int(math.floor(t * job.fps)))


def _nchw(data: torch.Tensor) -> torch.Tensor:
    return data.permute(0, 3, 1, 2)


def _kept(batch: torch.Tensor) -> torch.Tensor:
    return batch[:, :, :KEPT_ROWS, :].clone()


def _resize(batch: torch.Tensor) -> torch.Tensor:
    """A peer's resize: torch's bilinear antialiased interpolate, back to uint8."""
    out = torch.nn.functional.interpolate(batch.float(), size=LOADER_SIZE, mode="bilinear",
                                          antialias=True, align_corners=False)
    return out.round_().clamp_(0, 255).to(torch.uint8)


def _reorder(frames_sorted: List, order: List[int]) -> List:
    out: List = [None] * len(order)
    for k, slot in enumerate(order):
        out[slot] = frames_sorted[k]
    return out


def _sorted_order(values: Sequence[float]) -> List[int]:
    return sorted(range(len(values)), key=lambda i: values[i])


def _run_loader(job: Job, one_job: Callable[[], torch.Tensor]) -> List[torch.Tensor]:
    with ThreadPoolExecutor(LOADER_THREADS) as pool:
        return list(pool.map(lambda _: one_job(), range(job.loader_jobs)))


REGISTRY: Dict[Tuple[str, str], Callable[[Job], List[torch.Tensor]]] = {}


def workload(library: str, name: str):
    def register(fn):
        REGISTRY[(library, name)] = fn
        return fn
    return register


def get(library: str, name: str) -> Callable[[Job], List[torch.Tensor]]:
    fn = REGISTRY.get((library, name))
    if fn is None:
        raise Unsupported(f"{library} has no {DESCRIPTIONS.get(name, name)} API")
    return fn


# ---------------------------------------------------------------- codecflow

def _cf_decoder(job: Job, *, seek_mode: str = "exact", threads: int = 0, transforms=None):
    from codecflow.decoders import VideoDecoder
    return VideoDecoder(job.path, seek_mode=seek_mode, num_ffmpeg_threads=threads,
                        transforms=transforms)


def _cf_family(library: str, seek_mode: str) -> None:
    @workload(library, "first100")
    def first100(job: Job) -> List[torch.Tensor]:
        return [_cf_decoder(job, seek_mode=seek_mode).get_frames_in_range(0, 100).data]

    @workload(library, "uniform10")
    def uniform10(job: Job) -> List[torch.Tensor]:
        return [_cf_decoder(job, seek_mode=seek_mode).get_frames_played_at(job.uniform_times).data]

    @workload(library, "random10")
    def random10(job: Job) -> List[torch.Tensor]:
        return [_cf_decoder(job, seek_mode=seek_mode).get_frames_played_at(job.random_times).data]

    @workload(library, "all")
    def all_frames(job: Job) -> List[torch.Tensor]:
        decoder = _cf_decoder(job, seek_mode=seek_mode)
        n = len(decoder)
        return [_kept(decoder.get_frames_in_range(i, min(i + CHUNK, n)).data)
                for i in range(0, n, CHUNK)]

    @workload(library, "clips")
    def clips(job: Job) -> List[torch.Tensor]:
        decoder = _cf_decoder(job, seek_mode=seek_mode)
        try:
            from codecflow.samplers import clips_at_random_indices
        except ImportError:
            # No samplers in this build: the indices the sampler would draw.
            return [decoder.get_frames_at(clip_indices(job)).data]
        torch.manual_seed(SEED)
        batch = clips_at_random_indices(decoder, num_clips=CLIP_COUNT,
                                        num_frames_per_clip=CLIP_FRAMES)
        return [batch.data.flatten(0, 1)]

    @workload(library, "dataloader")
    def dataloader(job: Job) -> List[torch.Tensor]:
        from codecflow.transforms import Resize

        def one() -> torch.Tensor:
            decoder = _cf_decoder(job, seek_mode=seek_mode, threads=1,
                                  transforms=[Resize(LOADER_SIZE)])
            return decoder.get_frames_at(job.loader_indices).data
        return _run_loader(job, one)

    @workload(library, "audio")
    def audio(job: Job) -> List[torch.Tensor]:
        try:
            from codecflow.decoders import AudioDecoder
        except ImportError:
            raise NotAvailable("codecflow.decoders.AudioDecoder is not in this build") from None
        return [AudioDecoder(job.path).get_all_samples().data]

    for preset in ("ultrafast", "medium"):
        def encode(job: Job, preset: str = preset) -> List[torch.Tensor]:
            try:
                from codecflow.encoders import VideoEncoder
            except ImportError:
                raise NotAvailable("codecflow.encoders is not in this build") from None
            out = Path(job.encode_dir) / f"{library}_{preset}.mp4"
            VideoEncoder(job.encode_frames, frame_rate=job.fps).to_file(
                str(out), codec="libx264", preset=preset, crf=23)
            return [_encoded_count(out, job)]
        if seek_mode == "exact":
            workload(library, f"encode_{preset}")(encode)


_cf_family("codecflow", "exact")
_cf_family("codecflow-approx", "approximate")


# --------------------------------------------------------------- TorchCodec

def _tc_decoder(job: Job, seek_mode: str, threads: int = 0):
    from torchcodec.decoders import VideoDecoder
    return VideoDecoder(job.path, seek_mode=seek_mode, num_ffmpeg_threads=threads)


def _tc_family(library: str, seek_mode: str) -> None:
    @workload(library, "first100")
    def first100(job: Job) -> List[torch.Tensor]:
        return [_tc_decoder(job, seek_mode).get_frames_in_range(0, 100).data]

    @workload(library, "uniform10")
    def uniform10(job: Job) -> List[torch.Tensor]:
        return [_tc_decoder(job, seek_mode).get_frames_played_at(job.uniform_times).data]

    @workload(library, "random10")
    def random10(job: Job) -> List[torch.Tensor]:
        return [_tc_decoder(job, seek_mode).get_frames_played_at(job.random_times).data]

    @workload(library, "all")
    def all_frames(job: Job) -> List[torch.Tensor]:
        decoder = _tc_decoder(job, seek_mode)
        n = len(decoder)
        return [_kept(decoder.get_frames_in_range(i, min(i + CHUNK, n)).data)
                for i in range(0, n, CHUNK)]

    @workload(library, "clips")
    def clips(job: Job) -> List[torch.Tensor]:
        from torchcodec.samplers import clips_at_random_indices
        torch.manual_seed(SEED)
        batch = clips_at_random_indices(_tc_decoder(job, seek_mode), num_clips=CLIP_COUNT,
                                        num_frames_per_clip=CLIP_FRAMES)
        return [batch.data.flatten(0, 1)]

    @workload(library, "dataloader")
    def dataloader(job: Job) -> List[torch.Tensor]:
        def one() -> torch.Tensor:
            frames = _tc_decoder(job, seek_mode, threads=1).get_frames_at(job.loader_indices).data
            return _resize(frames)
        return _run_loader(job, one)

    if seek_mode == "exact":
        @workload(library, "audio")
        def audio(job: Job) -> List[torch.Tensor]:
            from torchcodec.decoders import AudioDecoder
            return [AudioDecoder(job.path).get_all_samples().data]

        for preset in ("ultrafast", "medium"):
            def encode(job: Job, preset: str = preset) -> List[torch.Tensor]:
                from torchcodec.encoders import VideoEncoder
                out = Path(job.encode_dir) / f"{library}_{preset}.mp4"
                VideoEncoder(job.encode_frames, frame_rate=job.fps).to_file(
                    str(out), codec="libx264", preset=preset, crf=23)
                return [_encoded_count(out, job)]
            workload(library, f"encode_{preset}")(encode)


_tc_family("torchcodec", "exact")
_tc_family("torchcodec-approx", "approximate")


# -------------------------------------------------------------------- PyAV

class _PyAVReader:
    """Frames on screen at increasing times, seeking only when the target lies
    behind the last decoded frame or more than one GOP ahead of it."""

    def __init__(self, job: Job, *, auto_threads: bool = True):
        import av
        self.container = av.open(job.path)
        self.stream = self.container.streams.video[0]
        if auto_threads:
            self.stream.thread_type = "AUTO"
        self.gop_seconds = (job.gop or 250) / (job.fps or 25.0)
        self.frames = None
        self.current = None
        self.peek = None

    def _seek(self, t: float) -> None:
        tb = self.stream.time_base
        self.container.seek(int(t / tb), stream=self.stream, backward=True)
        self.frames = self.container.decode(self.stream)
        self.current = None
        self.peek = next(self.frames, None)

    def frame_at(self, t: float):
        if (self.frames is None or self.current is None and self.peek is not None
                and self.peek.time > t
                or self.current is not None and (t < self.current.time
                                                 or t > self.current.time + self.gop_seconds)):
            self._seek(t)
        while self.peek is not None and self.peek.time <= t:
            self.current = self.peek
            self.peek = next(self.frames, None)
        if self.current is None:
            raise RuntimeError(f"PyAV found no frame at {t} s")
        return self.current

    def rgb_at_times(self, times: Sequence[float]) -> torch.Tensor:
        order = _sorted_order(times)
        arrays = [self.frame_at(times[i]).to_ndarray(format="rgb24") for i in order]
        import numpy as np
        return _nchw(torch.from_numpy(np.stack(_reorder(arrays, order))))


def _times_of(job: Job, indices: Sequence[int]) -> List[float]:
    return [(i + 0.5) / job.fps for i in indices]


@workload("pyav", "first100")
def pyav_first100(job: Job) -> List[torch.Tensor]:
    import av
    import numpy as np
    with av.open(job.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        arrays = []
        for frame in container.decode(stream):
            arrays.append(frame.to_ndarray(format="rgb24"))
            if len(arrays) == 100:
                break
    return [_nchw(torch.from_numpy(np.stack(arrays)))]


@workload("pyav", "uniform10")
def pyav_uniform10(job: Job) -> List[torch.Tensor]:
    return [_PyAVReader(job).rgb_at_times(job.uniform_times)]


@workload("pyav", "random10")
def pyav_random10(job: Job) -> List[torch.Tensor]:
    return [_PyAVReader(job).rgb_at_times(job.random_times)]


@workload("pyav", "all")
def pyav_all(job: Job) -> List[torch.Tensor]:
    import av
    import numpy as np
    out, arrays = [], []
    with av.open(job.path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            arrays.append(frame.to_ndarray(format="rgb24"))
            if len(arrays) == CHUNK:
                out.append(_kept(_nchw(torch.from_numpy(np.stack(arrays)))))
                arrays = []
    if arrays:
        out.append(_kept(_nchw(torch.from_numpy(np.stack(arrays)))))
    return out


@workload("pyav", "clips")
def pyav_clips(job: Job) -> List[torch.Tensor]:
    return [_PyAVReader(job).rgb_at_times(_times_of(job, clip_indices(job)))]


@workload("pyav", "dataloader")
def pyav_dataloader(job: Job) -> List[torch.Tensor]:
    times = _times_of(job, job.loader_indices)

    def one() -> torch.Tensor:
        reader = _PyAVReader(job, auto_threads=False)
        frames = reader.rgb_at_times(times)
        reader.container.close()
        return _resize(frames)
    return _run_loader(job, one)


@workload("pyav", "audio")
def pyav_audio(job: Job) -> List[torch.Tensor]:
    import av
    import numpy as np
    with av.open(job.path) as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout=stream.layout, rate=stream.rate)
        chunks = []
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray())
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray())
    return [torch.from_numpy(np.concatenate(chunks, axis=1))]


def _pyav_encode(job: Job, preset: str) -> List[torch.Tensor]:
    import av
    out = Path(job.encode_dir) / f"pyav_{preset}.mp4"
    frames = job.encode_frames.permute(0, 2, 3, 1).contiguous().numpy()
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=round(job.fps))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": preset, "crf": "23"}
        for array in frames:
            frame = av.VideoFrame.from_ndarray(array, format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return [_encoded_count(out, job)]


workload("pyav", "encode_ultrafast")(lambda job: _pyav_encode(job, "ultrafast"))
workload("pyav", "encode_medium")(lambda job: _pyav_encode(job, "medium"))


# ------------------------------------------------------------------ OpenCV

class _CvReader:
    """cv2.VideoCapture positioned with CAP_PROP_POS_FRAMES when the next
    frame read would not be the target."""

    def __init__(self, job: Job, threads: Optional[int] = None):
        import cv2
        self.cv2 = cv2
        params = [] if threads is None else [cv2.CAP_PROP_N_THREADS, threads]
        self.cap = cv2.VideoCapture(job.path, cv2.CAP_FFMPEG, params)
        if not self.cap.isOpened():
            raise RuntimeError(f"OpenCV could not open {job.path}")
        self.next_index = 0

    def read(self) -> torch.Tensor:
        ok, bgr = self.cap.read()
        if not ok:
            raise RuntimeError(f"OpenCV could not read frame {self.next_index}")
        self.next_index += 1
        return torch.from_numpy(self.cv2.cvtColor(bgr, self.cv2.COLOR_BGR2RGB))

    def at(self, index: int) -> torch.Tensor:
        if index != self.next_index:
            self.cap.set(self.cv2.CAP_PROP_POS_FRAMES, index)
            self.next_index = index
        return self.read()

    def rgb_at(self, indices: Sequence[int]) -> torch.Tensor:
        order = _sorted_order(indices)
        frames: List[torch.Tensor] = []
        last = None
        for i in order:
            if last is not None and indices[i] == last:
                frames.append(frames[-1])
                continue
            frames.append(self.at(indices[i]))
            last = indices[i]
        return _nchw(torch.stack(_reorder(frames, order)))


@workload("opencv", "first100")
def opencv_first100(job: Job) -> List[torch.Tensor]:
    reader = _CvReader(job)
    return [_nchw(torch.stack([reader.read() for _ in range(100)]))]


@workload("opencv", "uniform10")
def opencv_uniform10(job: Job) -> List[torch.Tensor]:
    return [_CvReader(job).rgb_at([index_of_time(job, t) for t in job.uniform_times])]


@workload("opencv", "random10")
def opencv_random10(job: Job) -> List[torch.Tensor]:
    return [_CvReader(job).rgb_at([index_of_time(job, t) for t in job.random_times])]


@workload("opencv", "all")
def opencv_all(job: Job) -> List[torch.Tensor]:
    reader = _CvReader(job)
    out, frames = [], []
    while True:
        ok, bgr = reader.cap.read()
        if not ok:
            break
        frames.append(torch.from_numpy(reader.cv2.cvtColor(bgr, reader.cv2.COLOR_BGR2RGB)))
        if len(frames) == CHUNK:
            out.append(_kept(_nchw(torch.stack(frames))))
            frames = []
    if frames:
        out.append(_kept(_nchw(torch.stack(frames))))
    return out


@workload("opencv", "clips")
def opencv_clips(job: Job) -> List[torch.Tensor]:
    return [_CvReader(job).rgb_at(clip_indices(job))]


@workload("opencv", "dataloader")
def opencv_dataloader(job: Job) -> List[torch.Tensor]:
    import cv2

    def one() -> torch.Tensor:
        reader = _CvReader(job, threads=1)
        frames = []
        for i in job.loader_indices:
            rgb = reader.at(i).numpy()
            frames.append(torch.from_numpy(cv2.resize(rgb, LOADER_SIZE[::-1],
                                                      interpolation=cv2.INTER_AREA)))
        reader.cap.release()
        return _nchw(torch.stack(frames))
    return _run_loader(job, one)


# ------------------------------------------------------------------ decord

def _decord_reader(job: Job, **kwargs):
    import decord
    return decord.VideoReader(job.path, ctx=decord.cpu(0), **kwargs)


def _decord_batch(vr, indices: Sequence[int]) -> torch.Tensor:
    return _nchw(torch.from_numpy(vr.get_batch(list(indices)).asnumpy()))


@workload("decord", "first100")
def decord_first100(job: Job) -> List[torch.Tensor]:
    return [_decord_batch(_decord_reader(job), range(100))]


@workload("decord", "uniform10")
def decord_uniform10(job: Job) -> List[torch.Tensor]:
    return [_decord_batch(_decord_reader(job), [index_of_time(job, t) for t in job.uniform_times])]


@workload("decord", "random10")
def decord_random10(job: Job) -> List[torch.Tensor]:
    return [_decord_batch(_decord_reader(job), [index_of_time(job, t) for t in job.random_times])]


@workload("decord", "all")
def decord_all(job: Job) -> List[torch.Tensor]:
    vr = _decord_reader(job)
    n = len(vr)
    return [_kept(_decord_batch(vr, range(i, min(i + CHUNK, n)))) for i in range(0, n, CHUNK)]


@workload("decord", "clips")
def decord_clips(job: Job) -> List[torch.Tensor]:
    return [_decord_batch(_decord_reader(job), clip_indices(job))]


@workload("decord", "dataloader")
def decord_dataloader(job: Job) -> List[torch.Tensor]:
    def one() -> torch.Tensor:
        vr = _decord_reader(job, width=LOADER_SIZE[1], height=LOADER_SIZE[0], num_threads=1)
        return _decord_batch(vr, job.loader_indices)
    return _run_loader(job, one)


@workload("decord", "audio")
def decord_audio(job: Job) -> List[torch.Tensor]:
    import decord
    reader = decord.AudioReader(job.path, ctx=decord.cpu(0), mono=False)
    return [torch.from_numpy(reader[:].asnumpy())]


# --------------------------------------------------------- the ffmpeg CLI

def cli_command(workload_name: str, job: Job, out: Optional[str] = None) -> List[str]:
    """The ffmpeg CLI command that is the limit for a workload."""
    base = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error"]
    if workload_name == "all":
        return base + ["-i", job.path, "-map", "0:v:0", "-pix_fmt", "rgb24", "-f", "null", "-"]
    if workload_name == "audio":
        return base + ["-i", job.path, "-map", "0:a:0", "-c:a", "pcm_f32le", "-f", "null", "-"]
    if workload_name.startswith("encode_"):
        preset = workload_name.split("_", 1)[1]
        return base + ["-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                       f"{job.width}x{job.height}", "-r", f"{job.fps:g}",
                       "-i", raw_frames_path(job),
                       "-c:v", "libx264", "-preset", preset, "-crf", "23",
                       "-pix_fmt", "yuv420p", out or "out.mp4"]
    raise Unsupported(f"the ffmpeg CLI is not a reference for {workload_name}")


def run_cli(workload_name: str, job: Job, timeout: Optional[float] = None) -> None:
    out = str(Path(job.encode_dir) / f"cli_{workload_name}.mp4") if job.encode_dir else None
    subprocess.run(cli_command(workload_name, job, out), check=True, timeout=timeout)


def _encoded_count(out: Path, job: Job) -> torch.Tensor:
    """A stand-in 'frame batch' for an encode: one entry per packet written."""
    del job
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
         "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(out)],
        check=True, capture_output=True, text=True)
    return torch.empty((int(probe.stdout.strip()), 0))


def raw_frames_path(job: Job, count: int = ENCODE_FRAMES) -> str:
    """Where the encode workloads' input frames are kept as raw RGB24."""
    return f"{job.path}.{count}frames.rgb"


def prepare_encode_frames(job: Job, count: int = ENCODE_FRAMES) -> str:
    """Writes the first ``count`` frames of the clip as raw RGB24 (decoded by
    the ffmpeg CLI) next to the clip, once; the libraries read them from
    there, and the CLI encodes straight from the file."""
    path = Path(raw_frames_path(job, count))
    size = count * job.width * job.height * 3
    if not path.exists() or path.stat().st_size != size:
        partial = path.with_name(path.name + ".partial")
        subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", job.path,
                        "-frames:v", str(count), "-pix_fmt", "rgb24", "-f", "rawvideo",
                        str(partial)], check=True)
        if partial.stat().st_size != size:
            raise RuntimeError(f"{partial}: {partial.stat().st_size} bytes, expected {size}")
        partial.rename(path)
    return str(path)


def load_encode_frames(job: Job, count: int = ENCODE_FRAMES) -> None:
    """Fills job.encode_frames with the first ``count`` frames of the clip
    (untimed) and makes a scratch directory for the encoded files."""
    import numpy as np

    raw = np.fromfile(prepare_encode_frames(job, count), dtype=np.uint8)
    frames = torch.from_numpy(raw).view(count, job.height, job.width, 3)
    job.encode_frames = frames.permute(0, 3, 1, 2)
    job.encode_dir = tempfile.mkdtemp(prefix="codecflow-bench-")
