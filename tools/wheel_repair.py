"""auditwheel, bundling also the libraries that its manylinux policies let a
wheel assume on the system but that a minimal Linux root lacks.

PEP 600's policies allow a manylinux wheel to link the system's libX11,
libXext, libXrender, libglib-2.0, libgobject-2.0 (and a few more) without
bundling them. Debian's FFmpeg loads several of them (libavutil through
libva-x11 and libvdpau, libavcodec through librsvg), so a wheel repaired
under the plain policy fails to import on a server or container without X11
or GLib. Here they are taken off the policy's list and bundled like the
rest. Only the C and C++ runtimes (glibc's libraries, libstdc++, libgcc_s),
zlib and expat stay the system's: every Python installation has them.

Usage: python tools/wheel_repair.py repair [auditwheel repair's arguments]
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

import auditwheel.policy as policy
from auditwheel.main import main

BUNDLED_ANYWAY = frozenset({
    "libGL.so.1",
    "libICE.so.6",
    "libSM.so.6",
    "libX11.so.6",
    "libXext.so.6",
    "libXrender.so.1",
    "libglib-2.0.so.0",
    "libgobject-2.0.so.0",
    "libgthread-2.0.so.0",
})

_fixup = getattr(policy, "_fixup_musl_libc_soname", None)
if _fixup is None:
    sys.exit("wheel_repair.py: this auditwheel has no _fixup_musl_libc_soname; "
             "pin the version tools/constraints.txt names")


def _whitelist(libc: Any, arch: Any, whitelist: Iterable[str]) -> frozenset:
    return _fixup(libc, arch, [name for name in whitelist if name not in BUNDLED_ANYWAY])


policy._fixup_musl_libc_soname = _whitelist

if __name__ == "__main__":
    sys.argv[0] = "auditwheel"
    sys.exit(main())
