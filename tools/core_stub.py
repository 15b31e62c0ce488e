"""Writes python/codecflow/_core.pyi, the type stub of the compiled module,
from the signatures pybind11 puts in its docstrings.

    PYTHONPATH=python python tools/core_stub.py          # rewrite the stub
    PYTHONPATH=python python tools/core_stub.py --check  # exit 1 if it is stale

Run it after changing the binding (python/codecflow/_core/*.cpp);
tests/python/test_core_stub.py fails while the stub and the module differ.
"""

from __future__ import annotations

import argparse
import inspect
import pathlib
import re
import sys
from typing import Iterator, List

STUB = pathlib.Path(__file__).resolve().parents[1] / "python" / "codecflow" / "_core.pyi"

HEADER = '''"""Type stub of codecflow._core, the compiled core (written by tools/core_stub.py)."""

# ruff: noqa: E501

from __future__ import annotations

import collections.abc
import typing

from typing_extensions import CapsuleType
'''


def _clean(text: str) -> str:
    text = text.replace("codecflow._core.", "").replace("typing_extensions.CapsuleType", "CapsuleType")
    return text


def _split_params(text: str) -> List[str]:
    params, depth, current = [], 0, ""
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            params.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        params.append(current.strip())
    return params


def _signature(doc: str, name: str) -> List[str]:
    """The ``(params) -> result`` of each overload in a pybind11 docstring."""
    found = []
    for line in (doc or "").splitlines():
        line = re.sub(r"^\d+\. ", "", line.strip())
        match = re.match(rf"^{re.escape(name)}\((.*)\) -> (.+)$", line)
        if match:
            params = []
            for param in _split_params(match.group(1)):
                if param == "/":
                    params.append(param)
                    continue
                head, _, default = param.partition(" = ")
                params.append(head + (" = ..." if default else ""))
            found.append(f"({', '.join(params)}) -> {match.group(2)}")
    return [_clean(s) for s in found]


def _function(name: str, obj: object, indent: str = "", static: bool = False) -> Iterator[str]:
    signatures = _signature(getattr(obj, "__doc__", ""), name)
    if not signatures:
        if name == "__init__":
            return  # a class bound without a constructor (made by the core only)
        raise SystemExit(f"no signature for {name}")
    for signature in signatures:
        if len(signatures) > 1:
            yield f"{indent}@typing.overload"
        if static:
            yield f"{indent}@staticmethod"
        if indent and not static:
            signature = re.sub(r"^\((self|arg0): \w+", "(self", signature)
        yield f"{indent}def {name}{signature}: ..."


def _class(name: str, cls: type) -> Iterator[str]:
    bases = [b.__name__ for b in cls.__bases__ if b.__name__ != "pybind11_object"]
    yield f"class {name}({', '.join(bases)}):" if bases else f"class {name}:"
    members = [m for m in cls.__dict__ if not m.startswith("_pybind11")]
    if "__members__" in cls.__dict__ or hasattr(cls, "__members__"):
        for member in getattr(cls, "__members__"):
            yield f"    {member}: typing.ClassVar[{name}]"
    body = False
    for member in members:
        value = cls.__dict__[member]
        if member.startswith("__") and member not in ("__init__", "__getstate__", "__setstate__"):
            continue
        if member in getattr(cls, "__members__", {}):
            continue
        if isinstance(value, property):
            doc = (value.fget.__doc__ or "").strip()
            match = re.search(r"-> (.+)$", doc.splitlines()[0]) if doc else None
            kind = _clean(match.group(1)) if match else "typing.Any"
            yield "    @property"
            yield f"    def {member}(self) -> {kind}: ..."
        elif isinstance(value, staticmethod):
            yield from _function(member, value.__func__, "    ", static=True)
        else:
            before = len(lines_of := list(_function(member, value, "    ")))
            yield from lines_of
            if not before:
                continue
        body = True
    if not body and not getattr(cls, "__members__", None):
        yield "    ..."


def render() -> str:
    from codecflow import _core

    lines = [HEADER]
    names = sorted(n for n in dir(_core) if not n.startswith("__"))
    for name in names:
        value = getattr(_core, name)
        if inspect.isclass(value):
            lines.append("")
            lines.extend(_class(name, value))
            lines.append("")
    lines.append("")
    for name in names:
        value = getattr(_core, name)
        if not inspect.isclass(value):
            lines.extend(_function(name, value))
    return "\n".join(lines).replace("\n\n\n\n", "\n\n\n") + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the stub is stale")
    args = parser.parse_args()
    text = render()
    if args.check:
        stale = not STUB.exists() or STUB.read_text() != text
        if stale:
            print(f"{STUB} is stale: run tools/core_stub.py", file=sys.stderr)
        return int(stale)
    STUB.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
