"""The thread limit inside DataLoader workers (Note [Thread limit]).

A DataLoader runs one worker process per core already, so a decoder in a
worker starting threads of its own would only oversubscribe the machine:
as torch does for its own threads, codecflow's limit is 1 in a worker
unless the user set one (in the worker, or in the parent before it forked).
"""

from __future__ import annotations

import sys

from codecflow import _core


def limit_in_dataloader_worker() -> None:
    """Sets the thread limit to 1 when called in a DataLoader worker whose
    limit was never set. Thread safety: safe from any thread."""
    data = sys.modules.get("torch.utils.data")
    if data is None or _core.thread_limit_set():
        return
    if data.get_worker_info() is not None:
        _core.set_num_threads(1)
