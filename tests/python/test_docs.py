"""Every ```python block of README.md and docs/*.md runs.

Each file's blocks run in order in one namespace, in a temporary folder that
holds the media the docs read: clip.mp4 and speech.mp3, made by the ffmpeg
commands of README.md's ```sh block (so those commands are tested too). A
block of ``>>>`` lines runs as a doctest, its printed output checked. A
block right after the line ``<!-- doc-test: needs cuda -->`` runs only where
a CUDA GPU is, on its own (it must not depend on earlier blocks); the
markers are few, and test_markers_are_rare keeps them so.
"""

from __future__ import annotations

import dataclasses
import doctest
import os
import pathlib
import re
import subprocess
import sys
from typing import Dict, List

import pytest

import codecflow

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
MARKER = re.compile(r"^<!-- doc-test: needs (\w+) -->$")
KNOWN_NEEDS = {"cuda"}
MAX_MARKED = 3


@dataclasses.dataclass
class Block:
    path: pathlib.Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    needs: str = ""

    @property
    def where(self) -> str:
        name = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{name}:{self.line}"


def blocks(path: pathlib.Path, lang: str = "python") -> List[Block]:
    """The fenced blocks of ``lang`` in ``path``, with their markers."""
    found: List[Block] = []
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        start, body = i, []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if fence.group(1) != lang:
            continue
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        found.append(
            Block(path, start + 1, lang, "\n".join(body) + "\n", marker.group(1) if marker else "")
        )
    return found


def _make_media(folder: pathlib.Path) -> None:
    """Runs README.md's ffmpeg commands in ``folder``."""
    (script,) = [b for b in blocks(ROOT / "README.md", "sh") if "clip.mp4" in b.code]
    subprocess.run(
        ["bash", "-euc", script.code],
        cwd=folder,
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory) -> pathlib.Path:
    folder = tmp_path_factory.mktemp("doc_media")
    _make_media(folder)
    return folder


def _run(block: Block, namespace: Dict) -> None:
    if block.code.lstrip().startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(block.code, namespace, block.where, str(block.path), block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        output: List[str] = []
        runner.run(test, out=output.append, clear_globs=False)
        assert runner.failures == 0, f"{block.where}:\n" + "".join(output)
        return
    exec(compile(block.code, block.where, "exec"), namespace)


@pytest.fixture
def doc_folder(media_dir, tmp_path, monkeypatch) -> pathlib.Path:
    for name in os.listdir(media_dir):
        (tmp_path / name).symlink_to(media_dir / name)
    # Processes the docs start (Ray's workers) import this codecflow from
    # the new folder too: PYTHONPATH's entries made absolute.
    package_root = str(pathlib.Path(codecflow.__file__).resolve().parents[1])
    entries = [
        str(pathlib.Path(e).resolve())
        for e in os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if e
    ]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([package_root] + entries))
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    codecflow.set_index_cache(None)  # docs may set process-wide defaults
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():  # a block that failed before ray.shutdown()
        ray.shutdown()


@pytest.mark.parametrize("path", DOCS, ids=[p.name for p in DOCS])
def test_doc_blocks_run(path: pathlib.Path, doc_folder) -> None:
    namespace: Dict = {"__name__": "__doc_test__"}
    for block in blocks(path):
        if not block.needs:
            _run(block, namespace)


MARKED = [b for p in DOCS for b in blocks(p) if b.needs]


@pytest.mark.parametrize("block", MARKED, ids=[b.where for b in MARKED])
def test_marked_blocks_run(block: Block, doc_folder) -> None:
    assert block.needs in KNOWN_NEEDS, block.where
    torch = pytest.importorskip("torch")
    if not (codecflow._core.has_cuda() and torch.cuda.is_available()):
        pytest.skip("needs a CUDA GPU and a CUDA build")
    _run(block, {"__name__": "__doc_test__"})


def test_markers_are_rare() -> None:
    assert len(MARKED) <= MAX_MARKED, [b.where for b in MARKED]
    assert {b.needs for b in MARKED} <= KNOWN_NEEDS


def test_every_doc_has_its_blocks_found() -> None:
    # The extraction above can fail: a doc with python blocks yields them.
    counted = {p.name: p.read_text().count("```python") for p in DOCS}
    assert {p.name: len(blocks(p)) for p in DOCS} == counted
    assert sum(counted.values()) >= 15


def test_a_failing_block_fails(tmp_path) -> None:
    # A block that raises (here a NameError) fails the run, as the docs'
    # blocks did before they defined what they use.
    doc = tmp_path / "bad.md"
    doc.write_text("text\n\n```python\nVideoEncoder(frames, frame_rate=30)\n```\n")
    with pytest.raises(NameError):
        _run(blocks(doc)[0], {})
    doc.write_text("```python\n>>> 1 + 1\n3\n```\n")
    with pytest.raises(AssertionError):
        _run(blocks(doc)[0], {})
