"""CUDA output memory, streams and the NVDEC cache's byte bound.

Everywhere: the device-allocator hook (which allocator serves, errors that
come through unchanged, calls from many threads without the GIL), its
arguments, and the NVDEC cache's byte-limit setting. On a GPU: batches come
from torch's caching allocator (they count in ``memory_allocated``, and
running out raises ``torch.OutOfMemoryError``), are right under a
non-default torch stream with work queued ahead, the DLPack stream protocol
of CUDA exports, cuda:1 leaves GPU 0 alone, and the cache stays under its
bound.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Iterator, List

import pytest
import torch

from codecflow import _core, _device
from codecflow._errors import CodecflowError
from codecflow.decoders import VideoDecoder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media"))
import generate

HAS_GPU = torch.cuda.is_available() and _core.has_cuda()
needs_gpu = pytest.mark.skipif(
    not HAS_GPU, reason="needs an NVIDIA GPU visible to torch and a codecflow build with CUDA"
)
ROOT = Path(__file__).resolve().parents[2]


class FakeAllocator:
    """Hands out made-up pointers and records every call."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.next = 0x1000
        self.calls: List[tuple] = []
        self.live: set = set()
        self.freed: List[int] = []

    def allocate(self, size: int, device: int, stream: int) -> int:
        with self.lock:
            pointer = self.next
            self.next += max(size, 1) + 256
            self.calls.append((size, device, stream))
            self.live.add(pointer)
            return pointer

    def release(self, pointer: int) -> None:
        with self.lock:
            self.live.remove(pointer)
            self.freed.append(pointer)


@pytest.fixture(autouse=True)
def reinstall_torch_allocator() -> Iterator[None]:
    """Whatever a test installs, the next CUDA device installs torch's again."""
    yield
    _core.set_device_allocator(None, None)
    _device._state.pop("allocator", None)


@pytest.fixture
def fake_allocator() -> Iterator[FakeAllocator]:
    fake = FakeAllocator()
    _core.set_device_allocator(fake.allocate, fake.release)
    yield fake


# -- everywhere ---------------------------------------------------------------


def test_the_installed_allocator_serves_and_takes_back(fake_allocator: FakeAllocator) -> None:
    assert _core.has_device_allocator()
    allocation = _core._allocate_device_memory(1000, 3)
    assert fake_allocator.calls == [(1000, 3, 0)]
    assert allocation.pointer in fake_allocator.live
    pointer = allocation.pointer
    allocation.release()  # from C++, without the GIL
    assert fake_allocator.freed == [pointer]
    assert not fake_allocator.live
    # Dropping the handle gives the memory back too.
    _core._allocate_device_memory(10, 0)
    gc.collect()
    assert not fake_allocator.live and len(fake_allocator.freed) == 2


def test_memory_goes_back_to_the_allocator_that_gave_it(fake_allocator: FakeAllocator) -> None:
    allocation = _core._allocate_device_memory(64, 0)
    other = FakeAllocator()
    _core.set_device_allocator(other.allocate, other.release)
    allocation.release()
    assert not fake_allocator.live and fake_allocator.freed
    assert not other.freed


def test_the_allocators_own_exception_comes_through() -> None:
    class OutOfMemory(MemoryError):
        pass

    def refuse(size: int, device: int, stream: int) -> int:
        raise OutOfMemory(f"no {size} bytes on cuda:{device}")

    _core.set_device_allocator(refuse, lambda pointer: None)
    with pytest.raises(OutOfMemory, match="no 77 bytes on cuda:2"):
        _core._allocate_device_memory(77, 2)


@pytest.mark.parametrize("returned", [0, "0x10", None])
def test_an_allocator_returning_no_pointer_is_refused(returned: object) -> None:
    _core.set_device_allocator(lambda size, device, stream: returned, lambda pointer: None)
    with pytest.raises(CodecflowError, match="instead of a device pointer"):
        _core._allocate_device_memory(8, 0)


def test_allocations_from_many_threads_without_the_gil(fake_allocator: FakeAllocator) -> None:
    errors: List[BaseException] = []

    def work() -> None:
        try:
            for i in range(200):
                allocation = _core._allocate_device_memory(i + 1, i % 3)
                if i % 2:
                    allocation.release()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "the hook deadlocked"
    gc.collect()
    assert not errors
    assert len(fake_allocator.calls) == 1600
    assert not fake_allocator.live and len(fake_allocator.freed) == 1600


def test_without_an_allocator_the_hook_says_so() -> None:
    _core.set_device_allocator(None, None)
    assert not _core.has_device_allocator()
    with pytest.raises(CodecflowError, match="cuda:4"):
        _core._allocate_device_memory(8, 4)


def test_set_device_allocator_arguments() -> None:
    with pytest.raises(ValueError, match="two callables"):
        _core.set_device_allocator(lambda s, d, t: 1, None)
    with pytest.raises(TypeError, match="two callables"):
        _core.set_device_allocator(1, 2)
    with pytest.raises(ValueError, match="0 or more"):
        _core._allocate_device_memory(-1, 0)


def test_torch_allocator_installed_once() -> None:
    _device._state.pop("allocator", None)
    _device.use_torch_allocator(torch)
    assert _core.has_device_allocator()
    _core.set_device_allocator(None, None)
    _device.use_torch_allocator(torch)  # already installed: nothing again
    assert not _core.has_device_allocator()


def test_nvdec_cache_byte_limit_setting() -> None:
    default = _core.get_nvdec_cache_byte_limit()
    assert default == 4 << 30
    try:
        _core.set_nvdec_cache_byte_limit(123)
        assert _core.get_nvdec_cache_byte_limit() == 123
        with pytest.raises(ValueError, match="0 or more"):
            _core.set_nvdec_cache_byte_limit(-1)
        assert _core.get_nvdec_cache_byte_limit() == 123
        with pytest.raises(ValueError):
            _core.set_nvdec_cache_byte_limit(1 << 70)
        assert _core.get_nvdec_cache_byte_limit() == 123
    finally:
        _core.set_nvdec_cache_byte_limit(default)
    if not HAS_GPU:
        assert _core.nvdec_cache_bytes(0) == 0


# -- on a GPU -----------------------------------------------------------------


def busy(stream: torch.cuda.Stream) -> None:
    """Queues about a second of work on `stream`."""
    with torch.cuda.stream(stream):
        torch.cuda._sleep(2_000_000_000)


@needs_gpu
def test_batch_right_under_a_busy_non_default_stream() -> None:
    path = generate.clip("color_bt709")
    expected = VideoDecoder(path).get_frames_at([0, 3, 7]).data
    stream = torch.cuda.Stream()
    busy(stream)
    with torch.cuda.stream(stream):
        got = VideoDecoder(path, device="cuda").get_frames_at([0, 3, 7]).data
        # Read on the busy stream, which waits for the batch's event.
        host = got.cpu()
    diff = (host.double() - expected.double()).abs()
    assert diff.max().item() <= 3
    assert (diff <= 2).double().mean().item() >= 0.99
    assert got.device == torch.device("cuda", torch.cuda.current_device())


@needs_gpu
def test_batches_come_from_torchs_caching_allocator() -> None:
    path = generate.clip("color_bt709")
    decoder = VideoDecoder(path, device="cuda")
    decoder[0]  # opened, warm
    gc.collect()
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    batch = decoder.get_frames_at([0, 1, 2, 3]).data
    grown = torch.cuda.memory_allocated() - before
    assert batch.numel() <= grown < batch.numel() + (2 << 20)
    del batch
    gc.collect()
    assert torch.cuda.memory_allocated() == before


@needs_gpu
def test_out_of_memory_is_torchs_own_error() -> None:
    # A fresh process whose torch may use almost nothing of the GPU.
    code = textwrap.dedent(
        f"""
        import torch
        from codecflow.decoders import VideoDecoder
        decoder = VideoDecoder({str(generate.clip("color_bt709"))!r}, device="cuda")
        decoder[0]
        torch.cuda.set_per_process_memory_fraction(1e-6)
        try:
            decoder.get_frames_in_range(0, 10)
        except torch.OutOfMemoryError:
            print("torch.OutOfMemoryError")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT / "python"), **_env()},
    )
    assert out.stdout.strip() == "torch.OutOfMemoryError", out.stderr


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@needs_gpu
def test_dlpack_stream_protocol_of_cuda_exports() -> None:
    rgb = torch.randint(0, 256, (34, 50, 3), dtype=torch.uint8)
    expected = torch.from_dlpack(_core.rgb_to_nv12(rgb, "bt601", False))
    stream = torch.cuda.Stream()
    busy(stream)
    with torch.cuda.stream(stream):
        # Written on the busy stream: the conversion must wait for it.
        gpu = torch.empty_like(rgb, device="cuda")
        gpu.copy_(rgb, non_blocking=False)
        export = _core.rgb_to_nv12(gpu, "bt601", False)
        assert export.__dlpack_device__() == (2, gpu.device.index)
        with pytest.raises(ValueError, match="ambiguous"):
            export.__dlpack__(stream=0)
        with pytest.raises(TypeError, match="int or None"):
            export.__dlpack__(stream="1")
        got = torch.from_dlpack(export)
        # On the busy stream: after the conversion, which came after the copy.
        assert torch.equal(got.cpu(), expected)
    torch.cuda.synchronize()
    assert torch.equal(torch.from_dlpack(export.__dlpack__(stream=-1)).cpu(), expected)


@needs_gpu
@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two GPUs")
def test_cuda_1_creates_no_context_on_gpu_0() -> None:
    code = textwrap.dedent(
        f"""
        import ctypes
        from codecflow.decoders import VideoDecoder
        frames = VideoDecoder({str(generate.clip("color_bt709"))!r}, device="cuda:1")[0:4].data
        assert frames.device.index == 1
        cuda = ctypes.CDLL("libcuda.so.1")
        device, flags, active = ctypes.c_int(), ctypes.c_uint(), ctypes.c_int()
        assert cuda.cuInit(0) == 0 and cuda.cuDeviceGet(ctypes.byref(device), 0) == 0
        cuda.cuDevicePrimaryCtxGetState(device, ctypes.byref(flags), ctypes.byref(active))
        print("active", active.value)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
        env={"PYTHONPATH": str(ROOT / "python"), **_env()},
    )
    assert out.stdout.strip() == "active 0", out.stderr


@needs_gpu
def test_nvdec_cache_stays_under_its_byte_bound() -> None:
    path = generate.clip("color_bt709")
    limit = _core.get_nvdec_cache_byte_limit()
    try:
        _core.set_nvdec_cache_byte_limit(0)  # empty, then room again
        _core.set_nvdec_cache_byte_limit(limit)
        VideoDecoder(path, device="cuda")[0]
        gc.collect()
        one = _core.nvdec_cache_bytes(0)
        assert one > 0 and _core.nvdec_cache_size() >= 1
        _core.set_nvdec_cache_byte_limit(one)  # room for one such decoder
        decoders = [VideoDecoder(path, device="cuda") for _ in range(3)]
        for decoder in decoders:
            decoder[0]
        del decoders, decoder
        gc.collect()
        assert _core.nvdec_cache_bytes(0) <= one
        assert _core.nvdec_cache_size() == 1
        _core.set_nvdec_cache_byte_limit(0)
        assert _core.nvdec_cache_size() == 0 and _core.nvdec_cache_bytes(0) == 0
    finally:
        _core.set_nvdec_cache_byte_limit(limit)
