"""[extra] Which FFmpeg libraries this process loaded, and from where.

codecflow either uses the system's FFmpeg (built with ``pip install .``) or
the copy bundled in a self-contained wheel, in ``codecflow.libs/`` next to
the package (docs/install.md). The paths come from the process's memory map
(``/proc/self/maps``), that is, from the dynamic loader's own choice, and the
versions from the libraries themselves.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Dict, List, Optional

from codecflow import _core

# A library's file name: libavcodec.so.59.37.100, or in a repaired wheel
# libavcodec-1a2b3c4d.so.59.37.100 (auditwheel adds a hash).
_FILE = re.compile(r"^(?P<name>lib(?:avutil|avcodec|avformat|swscale|swresample))"
                   r"(?:-[0-9a-f]{8})?\.so(?:\.[0-9]+)*$")


@dataclasses.dataclass(frozen=True)
class FFmpegLibrary:
    """**[extra]** One FFmpeg library loaded into this process.

    Attributes:
        name: "libavutil", "libavcodec", "libavformat", "libswscale" or
            "libswresample".
        version: the version the library reports at run time, e.g.
            "59.37.100".
        path: the file the dynamic loader mapped (symbolic links resolved),
            or None where the process's memory map cannot be read (not Linux).
        bundled: whether the file is the copy inside the self-contained
            wheel (``codecflow.libs/``), not the system's.
    """

    name: str
    version: str
    path: Optional[str]
    bundled: bool


def _bundled_dir() -> str:
    package = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(package), "codecflow.libs")


def _mapped_files(maps: str = "/proc/self/maps") -> Dict[str, str]:
    """{library name: path} of the FFmpeg libraries in the memory map."""
    found: Dict[str, str] = {}
    try:
        with open(maps, encoding="utf-8", errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return found
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or not fields[5].startswith("/"):
            continue
        path = fields[5].rstrip("\n")
        match = _FILE.match(os.path.basename(path))
        if match and match.group("name") not in found:
            found[match.group("name")] = path
    return found


def ffmpeg_libraries() -> List[FFmpegLibrary]:
    """**[extra]** The FFmpeg libraries codecflow's core loaded: name,
    run-time version, the file they were loaded from and whether that file
    is the copy bundled in the wheel.

    Returns:
        One :class:`FFmpegLibrary` per library, in the order libavutil,
        libavcodec, libavformat, libswscale, libswresample.

    Thread safety: safe to call from any thread.
    """
    files = _mapped_files()
    bundled = _bundled_dir() + os.sep
    out = []
    for name, version, _configuration in _core.ffmpeg_libraries():
        path = files.get(name)
        out.append(FFmpegLibrary(name=name, version=version, path=path,
                                 bundled=bool(path and path.startswith(bundled))))
    return out


def ffmpeg_library_path() -> Optional[str]:
    """**[extra]** The directory libavcodec was loaded from: the wheel's
    ``codecflow.libs`` for a self-contained wheel, the system's library
    directory (e.g. ``/usr/lib/x86_64-linux-gnu``) otherwise; None where the
    process's memory map cannot be read.

    Thread safety: safe to call from any thread.
    """
    for library in ffmpeg_libraries():
        if library.name == "libavcodec" and library.path:
            return os.path.dirname(library.path)
    return None
