"""[extra] codecflow.ffmpeg_libraries / ffmpeg_library_path and the doctor's
report of where FFmpeg was loaded from (docs/install.md)."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

import codecflow
from codecflow import _cli, _core, _libraries

NAMES = ["libavutil", "libavcodec", "libavformat", "libswscale", "libswresample"]


def _resolved_by_loader() -> dict:
    """{name: real path} of the FFmpeg libraries, as ldd resolves the core's."""
    out = subprocess.run(["ldd", _core.__file__], capture_output=True, text=True, check=True)
    found = {}
    for line in out.stdout.splitlines():
        match = re.match(r"\s*(lib\w+)\.so\.\d+ => (\S+)", line)
        if match and match.group(1) in NAMES:
            found[match.group(1)] = os.path.realpath(match.group(2))
    return found


def test_libraries_are_the_files_the_loader_resolves():
    libraries = codecflow.ffmpeg_libraries()
    assert [lib.name for lib in libraries] == NAMES
    expected = _resolved_by_loader()
    assert set(expected) == set(NAMES)
    for lib in libraries:
        assert lib.path == expected[lib.name]
        # The run-time version is the one in the file's name (lib*.so.MAJOR.MINOR.MICRO).
        assert os.path.basename(lib.path).endswith(".so." + lib.version)
        assert lib.bundled is False  # the in-place build uses the system's FFmpeg
    assert codecflow.ffmpeg_library_path() == os.path.dirname(expected["libavcodec"])


def test_versions_are_the_cores():
    assert [(lib.name, lib.version) for lib in codecflow.ffmpeg_libraries()] == [
        (name, version) for name, version, _ in _core.ffmpeg_libraries()
    ]


def test_memory_map_lines_of_a_repaired_wheel(tmp_path):
    libs = tmp_path / "site" / "codecflow.libs"
    maps = tmp_path / "maps"
    maps.write_text(
        "7f00-7f01 r--p 00000000 fd:01 11 /usr/lib/libavcodec.so.59.37.100.txt\n"
        "7f01-7f02 r-xp 00001000 fd:01 12 " + str(libs / "libavcodec-1a2b3c4d.so.59.37.100") + "\n"
        "7f02-7f03 r-xp 00001000 fd:01 12 " + str(libs / "libavcodec-1a2b3c4d.so.59.37.100") + "\n"
        "7f03-7f04 rw-p 00000000 00:00 0 \n"
        "7f04-7f05 r-xp 00000000 fd:01 13 /opt/my libs/libswscale.so.6.7.100\n"
        "7f05-7f06 r-xp 00000000 fd:01 14 /usr/lib/libavfilter.so.8\n"
        "7f06-7f07 rw-p 00000000 00:00 0 [heap]\n"
    )
    assert _libraries._mapped_files(str(maps)) == {
        "libavcodec": str(libs / "libavcodec-1a2b3c4d.so.59.37.100"),
        "libswscale": "/opt/my libs/libswscale.so.6.7.100",
    }
    assert _libraries._mapped_files(str(tmp_path / "missing")) == {}


def test_bundled_copies_are_recognised(monkeypatch):
    bundled = _libraries._bundled_dir()
    assert os.path.basename(bundled) == "codecflow.libs"
    assert os.path.dirname(bundled) == os.path.dirname(os.path.dirname(codecflow.__file__))
    files = {name: os.path.join(bundled, f"{name}-0123abcd.so.1") for name in NAMES}
    monkeypatch.setattr(_libraries, "_mapped_files", lambda: files)
    libraries = codecflow.ffmpeg_libraries()
    assert all(lib.bundled for lib in libraries)
    assert [lib.path for lib in libraries] == [files[name] for name in NAMES]
    assert codecflow.ffmpeg_library_path() == bundled
    # A library of the same name elsewhere is not the wheel's.
    monkeypatch.setattr(_libraries, "_mapped_files",
                        lambda: {"libavcodec": bundled + "-other/libavcodec.so.59"})
    libraries = codecflow.ffmpeg_libraries()
    assert not any(lib.bundled for lib in libraries)
    assert [lib.path is None for lib in libraries] == [name != "libavcodec" for name in NAMES]


def test_no_memory_map_means_unknown_paths(monkeypatch):
    monkeypatch.setattr(_libraries, "_mapped_files", lambda: {})
    assert all(lib.path is None and not lib.bundled for lib in codecflow.ffmpeg_libraries())
    assert codecflow.ffmpeg_library_path() is None


def test_doctor_says_where_ffmpeg_was_loaded_from(capsys):
    expected = _resolved_by_loader()
    assert _cli.main(["doctor"]) == 0
    lines = capsys.readouterr().out.splitlines()
    directory = os.path.dirname(expected["libavcodec"])
    assert lines[1] == f"FFmpeg libraries: the system's, from {directory}"
    for name, line in zip(NAMES, lines[2:7]):
        fields = line.split()
        assert fields[0] == name and fields[2] == expected[name]
    assert _cli.main(["doctor", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ffmpeg_library_path"] == directory
    assert {lib["name"]: (lib["path"], lib["bundled"]) for lib in data["libraries"]} == {
        name: (path, False) for name, path in expected.items()
    }


@pytest.mark.parametrize("name", ["FFmpegLibrary", "ffmpeg_libraries", "ffmpeg_library_path"])
def test_exported(name):
    assert name in codecflow.__all__ and hasattr(codecflow, name)
