"""The type stub of the compiled module names exactly what the module has,
and the package says it is typed (PEP 561), in the tree and in the wheel."""

from __future__ import annotations

import ast
import fnmatch
import inspect
import pathlib
import re
import sys
import tomllib

import codecflow
from codecflow import _core

PACKAGE = pathlib.Path(codecflow.__file__).parent
STUB = PACKAGE / "_core.pyi"
ROOT = pathlib.Path(__file__).resolve().parents[2]  # the source tree (pyproject.toml)
HINT = "the stub is stale: run PYTHONPATH=python python tools/core_stub.py"
# Dunder methods the binding defines and the stub lists.
_DUNDERS = {"__init__", "__getstate__", "__setstate__"}


def _stub_names() -> dict:
    """{top-level name: None for a function, else the set of member names}."""
    names: dict = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members.add(item.target.id)
            names[node.name] = members
    return names


def _has_constructor(cls: type) -> bool:
    # pybind11 gives a class bound without py::init the default __init__.
    return "__init__" in vars(cls) and (cls.__init__.__doc__ or "").startswith("__init__(")


def _module_names() -> dict:
    names: dict = {}
    for name in dir(_core):
        if name.startswith("__"):
            continue
        value = getattr(_core, name)
        if not inspect.isclass(value):
            names[name] = None
            continue
        members = set()
        for member in vars(value):
            if member.startswith("_pybind11"):
                continue
            if member.startswith("__") and member not in _DUNDERS:
                continue
            if member == "__init__" and not _has_constructor(value):
                continue
            members.add(member)
        names[name] = members
    return names


def test_stub_names_match_the_module() -> None:
    stub, module = _stub_names(), _module_names()
    assert sorted(stub) == sorted(module), HINT
    for name, members in module.items():
        assert stub[name] == members, f"{name}: {HINT}"


def test_stub_parameter_names_match() -> None:
    # Keyword names are what the Python side passes: they must not drift.
    tree = {n.name: n for n in ast.parse(STUB.read_text()).body if hasattr(n, "name")}
    for name, node in tree.items():
        if not isinstance(node, ast.FunctionDef):
            continue
        doc = getattr(_core, name).__doc__ or ""
        match = re.match(rf"{name}\((.*)\) ->", doc.strip().splitlines()[0])
        assert match, name
        wanted = re.findall(r"(?:^|, )(\w+):", match.group(1))
        assert [a.arg for a in node.args.args] == wanted, f"{name}: {HINT}"


def test_a_stale_stub_is_seen(tmp_path, monkeypatch) -> None:
    # The comparison above can fail: a stub missing a function differs.
    text = STUB.read_text()
    missing = tmp_path / "_core.pyi"
    missing.write_text(re.sub(r"^def has_cuda\(.*\n", "", text, flags=re.M))
    monkeypatch.setattr(sys.modules[__name__], "STUB", missing)
    assert _stub_names() != _module_names()


def test_package_is_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()
    assert STUB.is_file()


def test_wheel_ships_the_stub_and_marker() -> None:
    # The wheel takes python/codecflow whole but for the binding's C++
    # sources: the stub and py.typed must not fall under an exclusion.
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["scikit-build"]["wheel"]
    assert "python/codecflow" in wheel["packages"]
    for shipped in ("codecflow/_core.pyi", "codecflow/py.typed"):
        for pattern in wheel.get("exclude", []):
            assert not fnmatch.fnmatch(shipped, pattern), (shipped, pattern)
