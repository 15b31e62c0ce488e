"""What the GIL tests share: how far the main thread gets while a decoder
works in another thread."""

from __future__ import annotations

import sys
import threading
import time
from typing import Callable


def main_thread_spins(decode: Callable[[], object], *, enough: int) -> int:
    """Runs ``decode`` on a thread, again (up to 20 times) until the main
    thread has spun ``enough`` times, and returns the main thread's spins.

    With a long switch interval a thread holding the GIL keeps it: the main
    thread spins meanwhile only because decoding releases it. Decoding again
    covers a busy machine, where one decode may end before the main thread
    is scheduled at all.
    """
    started = threading.Event()
    spins = 0

    def work() -> None:
        started.set()
        for _ in range(20):
            decode()
            if spins > enough:
                break

    previous = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        thread = threading.Thread(target=work)
        thread.start()
        started.wait()
        while thread.is_alive():
            spins += 1
        thread.join()
    finally:
        sys.setswitchinterval(previous)
    return spins


def native_threads() -> int:
    """The threads of this process, as the kernel counts them."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no thread count")


def threads_settled(baseline: int) -> int:
    """The thread count once threads that were joined are gone (the OS
    reaps them a moment after join returns)."""
    deadline = time.monotonic() + 2.0
    count = native_threads()
    while count > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
        count = native_threads()
    return count


def threads_steady(timeout: float = 2.0) -> int:
    """The thread count once it stops falling: threads joined a moment ago
    are reaped by the OS a little later (later still under sanitizers)."""
    deadline = time.monotonic() + timeout
    count = native_threads()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = native_threads()
        if now == count:
            return count
        count = now
    return count
