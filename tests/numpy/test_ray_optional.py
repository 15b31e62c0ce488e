"""codecflow.ray is optional: codecflow imports without Ray, and codecflow.ray
names the extra to install when Ray Data is missing."""

from __future__ import annotations

import subprocess
import sys

# Makes ``import ray`` fail whether or not Ray is installed here.
BLOCK_RAY = r"""
import sys

class NoRay:
    def find_spec(self, name, path=None, target=None):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoRay())
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_RAY + code], capture_output=True, text=True, timeout=120
    )


def test_codecflow_works_without_ray():
    out = _run(
        "import codecflow, codecflow.decoders, codecflow.samplers, codecflow.encoders\n"
        "assert not any(m == 'ray' or m.startswith('ray.') for m in sys.modules)\n"
        "print('ok')\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_codecflow_ray_names_the_extra_when_ray_is_missing():
    out = _run(
        "try:\n"
        "    import codecflow.ray\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__, error)\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ImportError codecflow.ray needs Ray Data")
    assert "pip install 'codecflow[ray]'" in out.stdout
