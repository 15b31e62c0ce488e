"""Core objects never run their destructors in a forked child.

Note [Fork safety]
A core decoder or encoder may own threads (FFmpeg's frame threads,
swscale's slice threads, the background encoding thread). fork() copies
the object but not its threads, so destroying the copy in the child waits
forever for threads that do not exist there. When a process forks, every
core object alive at that moment is kept alive for the whole life of the
child: the child never destroys (or uses) its copies; Python wrappers reopen
their own (see VideoDecoder._decoder).
"""

from __future__ import annotations

import os
import weakref
from typing import Any, List

_live: "weakref.WeakSet[Any]" = weakref.WeakSet()
_inherited: List[Any] = []


def track(core_object: Any) -> Any:
    """Registers a core object so that forked children never destroy it."""
    _live.add(core_object)
    return core_object


def _keep_inherited_objects() -> None:
    _inherited.extend(_live)
    _live.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_keep_inherited_objects)
