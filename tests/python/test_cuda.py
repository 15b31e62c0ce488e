"""CUDA decoding and the RGB -> NV12 conversion for encoders.

GPU tests compare every decoding method with device="cuda" against the
same method on the CPU: within 2 levels on at least 99% of values and
within 3 everywhere, for each colour matrix and range. They run where torch
sees a GPU and codecflow was built with CUDA, and are skipped elsewhere;
the rest runs everywhere. The comparisons run on a non-default torch stream
with work queued ahead of the decode (behind_queued_work).

On a GPU machine without the ffmpeg CLI and its encoders, the clips and the
CLI's references come from the kit tools/gpu/make_kit.py writes: set
CODECFLOW_GPU_KIT to its folder (tools/gpu/README.md).
"""

from __future__ import annotations

import io
import math
import re
import sys
from pathlib import Path

import pytest
import torch

import codecflow
from codecflow import _core
from codecflow._nv12 import rgb_to_nv12
from codecflow.decoders import (
    VideoDecoder,
    get_nvdec_cache_capacity,
    set_cuda_backend,
    set_nvdec_cache_capacity,
)

from _cuda_checks import (  # noqa: E402
    HAS_GPU,
    assert_close_to_cpu,
    behind_queued_work,
    generate,
    needs_gpu,
)

COLOR_CLIPS = ["color_bt601", "color_bt709", "color_bt709_full", "color_bt2020_10bit"]


# -- everywhere ---------------------------------------------------------------


def test_cuda_unavailable_raises_runtime_error_naming_what_is_missing() -> None:
    path = generate.clip("h264_bframes")
    if HAS_GPU:
        assert VideoDecoder(path, device="cuda")[0].device.type == "cuda"
        return
    with pytest.raises(RuntimeError) as info:
        VideoDecoder(path, device="cuda")
    message = str(info.value)
    assert "'cuda'" in message
    if not _core.has_cuda():
        assert "no CUDA support" in message
    else:
        assert "torch sees no CUDA device" in message or "cudaGetDeviceCount" in message
        assert _core.cuda_versions() in message
    with pytest.raises(RuntimeError):
        VideoDecoder(path, device=torch.device("cuda", 0))


def test_core_cuda_device_count_names_what_is_missing() -> None:
    if HAS_GPU:
        assert _core.cuda_device_count() == torch.cuda.device_count()
    elif _core.has_cuda():
        try:
            count = _core.cuda_device_count()
        except RuntimeError as error:
            assert "cudaGetDeviceCount failed" in str(error)
            assert re.search(r"CUDA driver (none \(no driver\)|\d+\.\d+), runtime \d+\.\d+", str(error))
        else:
            # A GPU the core sees but torch (a CPU-only build) does not.
            assert count >= 0
    else:
        with pytest.raises(RuntimeError, match="no CUDA support"):
            _core.cuda_device_count()


def test_set_cuda_backend_names_and_restores() -> None:
    from codecflow.decoders._cuda import get_cuda_backend

    assert get_cuda_backend() == "nvdec"  # the default
    with set_cuda_backend("ffmpeg"):
        assert get_cuda_backend() == "ffmpeg"
        with set_cuda_backend("nvdec"):
            assert get_cuda_backend() == "nvdec"
        assert get_cuda_backend() == "ffmpeg"
    assert get_cuda_backend() == "nvdec"
    # Any case; "beta" is another name for "nvdec".
    for name, expected in (("FFMPEG", "ffmpeg"), ("FFmpeg", "ffmpeg"), ("NVDEC", "nvdec"),
                           ("beta", "nvdec"), ("Beta", "nvdec")):  # fmt: skip
        with set_cuda_backend("ffmpeg" if expected == "nvdec" else "nvdec"):
            with set_cuda_backend(name):
                assert get_cuda_backend() == expected
    # Called outside a with block, it changes nothing.
    set_cuda_backend("ffmpeg")
    assert get_cuda_backend() == "nvdec"
    for bad in ("bad_backend", "cuda", "", "nvdec "):
        with pytest.raises(ValueError, match="unknown CUDA backend"), set_cuda_backend(bad):
            pass
    assert get_cuda_backend() == "nvdec"


def test_cuda_backend_reaches_the_core_decoder() -> None:
    from codecflow.decoders import _cuda

    cuda0 = torch.device("cuda", 0)
    assert _cuda.core_device_kwargs(cuda0) == {"cuda_device": 0, "cuda_backend": "nvdec"}
    with set_cuda_backend("FFmpeg"):
        assert _cuda.core_device_kwargs(cuda0)["cuda_backend"] == "ffmpeg"
    with set_cuda_backend("beta"):
        assert _cuda.core_device_kwargs(cuda0)["cuda_backend"] == "nvdec"
    assert _cuda.core_device_kwargs(torch.device("cpu")) == {}


def test_nvdec_cache_capacity_round_trip() -> None:
    old = get_nvdec_cache_capacity()
    assert old == 20
    try:
        for capacity in (42, 0, 1):
            set_nvdec_cache_capacity(capacity)
            assert get_nvdec_cache_capacity() == capacity
        # A negative capacity is a RuntimeError (and a ValueError), checked by
        # the core; the capacity stays as it was.
        for bad in (-1, -20):
            with pytest.raises(RuntimeError, match="capacity") as info:
                set_nvdec_cache_capacity(bad)
            assert isinstance(info.value, ValueError)
            assert get_nvdec_cache_capacity() == 1
        with pytest.raises(RuntimeError, match="capacity"):
            _core.set_nvdec_cache_capacity(-1)
        for bad in (1.5, True, "2"):
            with pytest.raises(ValueError):
                set_nvdec_cache_capacity(bad)  # type: ignore[arg-type]
        assert get_nvdec_cache_capacity() == 1
    finally:
        set_nvdec_cache_capacity(old)
    assert get_nvdec_cache_capacity() == old


def test_cuda_versions_name_driver_and_runtime() -> None:
    versions = _core.cuda_versions()
    if _core.has_cuda():
        assert re.fullmatch(r"CUDA driver (none \(no driver\)|\d+\.\d+), runtime \d+\.\d+", versions)
    else:
        assert versions == "no CUDA runtime in this build"


@pytest.mark.parametrize("device", [None, "cpu", torch.device("cpu")])
def test_cpu_decoder_reports_no_fallback(device) -> None:
    # Known from construction: a CPU decoder has nothing to fall back from.
    decoder = VideoDecoder(generate.clip("h264_bframes"), device=device)
    assert decoder.cpu_fallback.status_known
    assert not decoder.cpu_fallback
    assert "No fallback required" in str(decoder.cpu_fallback)
    decoder[0]
    assert decoder.cpu_fallback.status_known
    assert not decoder.cpu_fallback


@pytest.mark.parametrize(
    ("matrix", "full", "white", "black"),
    [
        ("bt601", False, (235, 128, 128), (16, 128, 128)),
        ("bt709", True, (255, 128, 128), (0, 128, 128)),
        ("bt2020", False, (235, 128, 128), (16, 128, 128)),
    ],
)
def test_rgb_to_nv12_on_cpu_levels(matrix: str, full: bool, white: tuple, black: tuple) -> None:
    frame = torch.zeros(3, 4, 6, dtype=torch.uint8)
    frame[:, :2] = 255  # top half white, bottom half black
    nv12 = rgb_to_nv12(frame, matrix=matrix, full_range=full)
    assert nv12.shape == (6, 6) and nv12.dtype == torch.uint8
    assert nv12[:2].eq(white[0]).all() and nv12[2:4].eq(black[0]).all()
    assert nv12[4].tolist() == [white[1], white[2]] * 3
    assert nv12[5].tolist() == [black[1], black[2]] * 3


def test_rgb_to_nv12_red_differs_by_matrix() -> None:
    red = torch.zeros(2, 2, 3, dtype=torch.uint8)
    red[..., 0] = 255
    ys = {m: rgb_to_nv12(red, matrix=m)[0, 0].item() for m in ("bt601", "bt709", "bt2020")}
    # 16 + 219 * Kr, rounded: 81.48, 62.56, 73.53.
    assert ys == {"bt601": 81, "bt709": 63, "bt2020": 74}


def test_rgb_to_nv12_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        rgb_to_nv12(torch.zeros(3, 5, 4, dtype=torch.uint8))  # odd height
    with pytest.raises(ValueError):
        rgb_to_nv12(torch.zeros(3, 4, 4, dtype=torch.float32))
    with pytest.raises(ValueError, match="bt601"):
        rgb_to_nv12(torch.zeros(3, 4, 4, dtype=torch.uint8), matrix="srgb")


# -- GPU ------------------------------------------------------------------------


@needs_gpu
@pytest.mark.parametrize("name", COLOR_CLIPS)
def test_every_method_on_cuda_matches_cpu(name: str) -> None:
    path = generate.clip(name)
    gpu = VideoDecoder(path, device="cuda")
    cpu = VideoDecoder(path, device="cpu")
    n = len(cpu)
    assert len(gpu) == n

    def check(on_gpu, on_cpu) -> None:
        expected = on_cpu()
        assert_close_to_cpu(behind_queued_work(on_gpu), getattr(expected, "data", expected))

    check(lambda: gpu[0], lambda: cpu[0])
    check(lambda: gpu[-1], lambda: cpu[-1])
    check(lambda: gpu[1:n:3], lambda: cpu[1:n:3])
    check(lambda: gpu.get_frame_at(2), lambda: cpu.get_frame_at(2))
    assert gpu.get_frame_at(2).pts_seconds == cpu.get_frame_at(2).pts_seconds
    indices = [5, 0, 5, n - 1, 3]
    check(lambda: gpu.get_frames_at(indices), lambda: cpu.get_frames_at(indices))
    batch_gpu, batch_cpu = gpu.get_frames_at(indices), cpu.get_frames_at(indices)
    assert torch.equal(batch_gpu.pts_seconds, batch_cpu.pts_seconds)
    assert batch_gpu.pts_seconds.device.type == "cpu"
    check(lambda: gpu.get_frames_in_range(1, n, 2), lambda: cpu.get_frames_in_range(1, n, 2))
    t = float(cpu.metadata.begin_stream_seconds) + 0.1
    check(lambda: gpu.get_frame_played_at(t), lambda: cpu.get_frame_played_at(t))
    times = [t + 0.2, t, t + 0.05]
    check(lambda: gpu.get_frames_played_at(times), lambda: cpu.get_frames_played_at(times))
    check(
        lambda: gpu.get_frames_played_in_range(t, t + 0.2),
        lambda: cpu.get_frames_played_in_range(t, t + 0.2),
    )
    check(gpu.get_all_frames, cpu.get_all_frames)
    check(lambda: gpu.get_all_frames(fps=10), lambda: cpu.get_all_frames(fps=10))
    check(lambda: torch.stack(list(gpu)), lambda: torch.stack(list(cpu)))
    assert gpu.cpu_fallback.status_known and not gpu.cpu_fallback, str(gpu.cpu_fallback)


@needs_gpu
@pytest.mark.parametrize("name", COLOR_CLIPS)
def test_float_and_nhwc_output_on_cuda(name: str) -> None:
    path = generate.clip(name)
    gpu = VideoDecoder(path, device="cuda", output_dtype=torch.float32, dimension_order="NHWC")
    cpu = VideoDecoder(path, output_dtype=torch.float32, dimension_order="NHWC")
    got, expected = gpu.get_all_frames().data, cpu.get_all_frames().data
    assert got.dtype == torch.float32 and got.shape == expected.shape
    assert_close_to_cpu(got, expected, scale=255.0)


@needs_gpu
def test_transforms_and_rotation_on_cuda_match_cpu() -> None:
    from codecflow.transforms import CenterCrop, Resize

    transforms = [Resize((120, 160)), CenterCrop((100, 100))]
    gpu = VideoDecoder(generate.clip("color_bt709"), device="cuda", transforms=transforms)
    cpu = VideoDecoder(generate.clip("color_bt709"), transforms=transforms)
    assert_close_to_cpu(gpu[0:4], cpu[0:4])
    gpu = VideoDecoder(generate.clip("rot90"), device="cuda")
    cpu = VideoDecoder(generate.clip("rot90"))
    assert_close_to_cpu(gpu[0:3], cpu[0:3])


@needs_gpu
def test_decoders_reuse_cached_nvdec_contexts() -> None:
    path = generate.clip("color_bt709")
    old = get_nvdec_cache_capacity()
    try:
        set_nvdec_cache_capacity(0)
        set_nvdec_cache_capacity(4)
        first = VideoDecoder(path, device="cuda")
        expected = first[0:3].cpu()
        del first
        assert _core.nvdec_cache_size() == 1
        for backend in ("nvdec", "ffmpeg"):
            with set_cuda_backend(backend):
                second = VideoDecoder(path, device="cuda:0")
            assert _core.nvdec_cache_size() == 0  # taken by the new decoder
            assert torch.equal(second[0:3].cpu(), expected)
            del second
        set_nvdec_cache_capacity(0)
        assert _core.nvdec_cache_size() == 0
    finally:
        set_nvdec_cache_capacity(old)


@needs_gpu
def test_bad_cuda_index_raises() -> None:
    with pytest.raises(RuntimeError, match="CUDA device"):
        VideoDecoder(generate.clip("h264_bframes"), device=f"cuda:{torch.cuda.device_count()}")


@needs_gpu
def test_rgb_to_nv12_on_gpu_equals_cpu_reference() -> None:
    torch.manual_seed(0)
    frame = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    for matrix in ("bt601", "bt709", "bt2020"):
        for full in (False, True):
            gpu = rgb_to_nv12(frame.cuda(), matrix=matrix, full_range=full)
            assert gpu.device.type == "cuda" and gpu.shape == (96, 96)
            cpu = rgb_to_nv12(frame, matrix=matrix, full_range=full)
            assert (gpu.cpu().int() - cpu.int()).abs().max().item() <= 1


@needs_gpu
def test_cuda_tensor_encoding_round_trip() -> None:
    from codecflow import encoders

    frames = VideoDecoder(generate.clip("color_bt601"))[0:8]
    data = encoders.VideoEncoder(frames.cuda(), frame_rate=30).to_tensor("mp4", crf=0)
    decoded = VideoDecoder(data)[:]
    assert decoded.shape == frames.shape
    # 4:2:0 chroma loses detail; the levels must survive.
    assert (decoded.double() - frames.double()).abs().mean().item() < 3
    encoder = encoders.Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30, device="cuda")
    encoder.open_file_like(io.BytesIO(), format="mp4")
    assert stream.cpu_fallback.status_known
    stream.add_frames(frames.cuda())
    encoder.close()
    # NVENC where the GPU has it, else libx264 with NVENC's reason.
    if stream.cpu_fallback:
        assert "h264_nvenc could not encode" in str(stream.cpu_fallback)
        assert "libx264" in str(stream.cpu_fallback)
    else:
        assert "h264_nvenc" in str(stream.cpu_fallback)


def _nvenc_opens(codec: str) -> bool:
    from codecflow import encoders

    try:
        encoders.VideoEncoder(
            torch.zeros(1, 3, 64, 64, dtype=torch.uint8, device="cuda"), frame_rate=30
        ).to_tensor("mp4", codec=codec)
        return True
    except RuntimeError:
        return False


@needs_gpu
@pytest.mark.parametrize(
    "codec, pixel_format", [("h264_nvenc", None), ("hevc_nvenc", None), ("hevc_nvenc", "p010le")]
)
def test_nvenc_round_trip_from_cuda_frames(tmp_path, codec: str, pixel_format) -> None:
    from codecflow import encoders

    frames = VideoDecoder(generate.clip("color_bt601"))[0:8]
    out = tmp_path / "nvenc.mp4"
    encoder = encoders.Encoder()
    stream = encoder.add_video(
        height=240, width=320, frame_rate=30, device="cuda:0", codec=codec,
        pixel_format=pixel_format,
    )
    if not _nvenc_opens(codec):
        # A GPU without NVENC (A100, H100, H200): explicit NVENC never falls back.
        with pytest.raises(RuntimeError, match=codec) as info:
            encoder.open_file(out)
        assert not isinstance(info.value, ValueError)
        assert not out.exists()
        return
    encoder.open_file(out)
    assert stream.cpu_fallback.status_known and not stream.cpu_fallback
    assert encoder._core.stream_info(stream._index)["codec"] == codec
    stream.add_frames(frames.cuda())
    encoder.close()
    decoded = VideoDecoder(str(out))[:]
    assert decoded.shape == frames.shape
    assert (decoded.double() - frames.double()).abs().mean().item() < 4


@needs_gpu
def test_cuda_frames_without_nvenc_encode_as_cpu_frames_do() -> None:
    from codecflow import encoders

    frames = VideoDecoder(generate.clip("gradients"))[0:6]
    gpu = encoders.VideoEncoder(frames.cuda(), frame_rate=30).to_tensor("mkv", codec="libx264")
    cpu = encoders.VideoEncoder(frames, frame_rate=30).to_tensor("mkv", codec="libx264")
    assert torch.equal(VideoDecoder(gpu)[:], VideoDecoder(cpu)[:])
    encoder = encoders.Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30, device="cuda")
    encoder.open_file_like(io.BytesIO(), format="mp4")
    if _nvenc_opens("h264_nvenc"):
        assert not stream.cpu_fallback
        assert "h264_nvenc" in str(stream.cpu_fallback)
    else:
        # NVENC-less GPUs: libx264, with NVENC's reason.
        assert stream.cpu_fallback
        assert "h264_nvenc could not encode" in str(stream.cpu_fallback)
        assert encoder._core.stream_info(stream._index)["codec"] == "libx264"
    stream.add_frames(frames.cuda())
    encoder.close()


def test_nv12_frames_encode_like_rgb_frames(tmp_path) -> None:
    """NV12 frames from the CPU reference of the encoders' kernel, given to the
    core as NV12: decoding the result gives back the RGB frames."""
    from codecflow import encoders

    frames = VideoDecoder(generate.clip("gradients"))[0:10]
    out = io.BytesIO()
    encoder = encoders.Encoder()
    stream = encoder.add_video(height=240, width=320, frame_rate=30, crf=0)
    encoder.open_file_like(out, format="mkv")
    nv12 = torch.stack([rgb_to_nv12(frame) for frame in frames])
    encoder._core.add_frames(stream._index, nv12, nv12=True)
    encoder.close()
    decoded = VideoDecoder(out.getvalue())[:]
    assert decoded.shape == frames.shape
    mse = ((decoded.double() - frames.double()) ** 2).mean().item()
    assert 10 * math.log10(255**2 / mse) > 38
    with pytest.raises(ValueError):
        encoder2 = encoders.Encoder()
        bad = encoder2.add_video(height=240, width=320, frame_rate=30)
        encoder2.open_file(tmp_path / "x.mkv")
        encoder2._core.add_frames(
            bad._index, torch.zeros(2, 100, 320, dtype=torch.uint8), nv12=True
        )


@needs_gpu
def test_decoding_after_torch_made_the_primary_context() -> None:
    # A fresh process whose first CUDA call is torch's: the primary context
    # then exists with the runtime's flags, and the decoder must use it.
    import subprocess

    script = (
        "import sys, torch\n"
        "from codecflow.decoders import VideoDecoder\n"
        "x = torch.ones(4, device='cuda:0'); torch.cuda.synchronize()\n"
        "frame = VideoDecoder(sys.argv[1], device='cuda:0')[0]\n"
        "assert frame.device == torch.device('cuda', 0), frame.device\n"
        "print(int(frame.float().sum().item() > 0) + int(x.sum().item()))\n"
    )
    path = generate.clip("h264_bframes")
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(codecflow.__file__).parents[1])}
    run = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "5"


def _current_driver_context() -> int:
    import ctypes

    libcuda = ctypes.CDLL("libcuda.so.1")
    context = ctypes.c_void_p()
    assert libcuda.cuCtxGetCurrent(ctypes.byref(context)) == 0
    return context.value or 0


@needs_gpu
def test_device_guard_leaves_no_context_on_a_thread_that_had_none() -> None:
    import threading

    frame = torch.zeros(8, 8, 3, dtype=torch.uint8, device="cuda:0")
    torch.cuda.synchronize()
    seen: list = []

    def work() -> None:
        before = _current_driver_context()
        out = rgb_to_nv12(frame)
        seen.append((before, _current_driver_context(), out.device))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    before, after, device = seen[0]
    assert before == 0 and after == 0
    assert device == torch.device("cuda", 0)


@pytest.mark.skipif(not HAS_GPU or torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_decoding_on_cuda_1_creates_no_context_on_gpu_0() -> None:
    import subprocess

    script = (
        "import ctypes, sys\n"
        "from codecflow.decoders import VideoDecoder\n"
        "frames = VideoDecoder(sys.argv[1], device='cuda:1').get_frames_in_range(0, 3)\n"
        "cuda = ctypes.CDLL('libcuda.so.1'); cuda.cuInit(0)\n"
        "flags, active = ctypes.c_uint(), ctypes.c_int()\n"
        "assert cuda.cuDevicePrimaryCtxGetState(0, ctypes.byref(flags), ctypes.byref(active)) == 0\n"
        "print(active.value, frames.data.device.index)\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": str(Path(codecflow.__file__).parents[1])}
    run = subprocess.run(
        [sys.executable, "-c", script, str(generate.clip("h264_bframes"))],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["0", "1"]


@pytest.mark.skipif(not _core.has_cuda(), reason="needs a codecflow build with CUDA")
def test_forked_child_asks_for_spawn_workers() -> None:
    import os

    try:
        _core.cuda_device_count()  # CUDA used in this process, GPU or not
    except RuntimeError:
        pass
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            _core.cuda_device_count()
            message = "no error"
        except RuntimeError as e:
            message = str(e)
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            message = repr(e)
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        message = pipe.read().decode()
    os.waitpid(pid, 0)
    assert "CUDA decoding needs spawn workers (multiprocessing start method 'spawn' or 'forkserver')" in message
    if HAS_GPU:
        assert _core.cuda_device_count() == torch.cuda.device_count()
