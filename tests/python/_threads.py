"""What the GIL tests share: how far the main thread gets while a decoder
works in another thread."""

from __future__ import annotations

import sys
import threading
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
