"""The NumPy-only suite: codecflow where torch is not installed.

`make test` runs it in a virtual environment that has the built wheel,
NumPy and pytest but no torch (tools/numpy_check.sh); it also runs with
torch installed under CODECFLOW_ARRAY_BACKEND=numpy. It imports nothing of
torch and nothing from the source tree but the test media generator.
"""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

MEDIA_DIR = pathlib.Path(__file__).resolve().parents[1] / "media"
if str(MEDIA_DIR) not in sys.path:
    sys.path.insert(0, str(MEDIA_DIR))

import generate  # noqa: E402

import codecflow  # noqa: E402
from codecflow import _backend  # noqa: E402

FORCED = os.environ.get("CODECFLOW_ARRAY_BACKEND", "").strip().lower() == "numpy"


def pytest_report_header(config: object) -> str:
    return f"codecflow from {codecflow.__file__}, array backend {_backend.name()}"


@pytest.fixture(scope="session", autouse=True)
def _numpy_backend() -> None:
    assert _backend.name() == "numpy", "this suite needs codecflow without torch"
    if not FORCED:
        where = codecflow.__file__
        assert "site-packages" in where, f"not the installed wheel: {where}"


@pytest.fixture(scope="session")
def media():
    """The test media generator module (tests/media/generate.py)."""
    return generate
