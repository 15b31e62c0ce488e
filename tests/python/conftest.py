"""Shared fixtures: the test media generator and reference helpers."""

from __future__ import annotations

import pathlib
import sys

import pytest

MEDIA_DIR = pathlib.Path(__file__).resolve().parents[1] / "media"
if str(MEDIA_DIR) not in sys.path:
    sys.path.insert(0, str(MEDIA_DIR))

import generate  # noqa: E402


@pytest.fixture(scope="session")
def media():
    """The test media generator module (tests/media/generate.py)."""
    return generate
