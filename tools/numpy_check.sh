#!/usr/bin/env bash
# Runs the NumPy-only suite (tests/numpy) against the built wheel in a
# virtual environment that has no torch: the wheel tools/build_wheel.sh
# builds (the one `make package-check` installs), NumPy and pytest at the
# versions PYTHON has. The environment is kept in build/numpy-venv/HASH,
# keyed by the wheel's hash, and made again only for a new wheel.
# Usage: tools/numpy_check.sh PYTHON [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"
shift
start=$SECONDS
wheel=$(tools/build_wheel.sh "$PY")
wheel_s=$((SECONDS - start))
key=$(sha256sum "$wheel" | cut -c1-16)
root="$PWD/build/numpy-venv"
venv="$root/$key"
if [ ! -f "$venv/.ready" ]; then
  rm -rf "$root"
  mkdir -p "$root"
  "$PY" -m venv --without-pip "$venv"
  versions=$("$PY" -c "from importlib.metadata import version as v; print(f'numpy=={v(\"numpy\")} pytest=={v(\"pytest\")}')")
  # PYTHON's pip installs into the new environment; the constraints pin
  # torch, which nothing here asks for.
  # shellcheck disable=SC2086
  PIP_CONSTRAINT="$PWD/tools/constraints.txt" "$PY" -m pip --python "$venv/bin/python" install -q \
    --disable-pip-version-check "$wheel" $versions 2>&1 | { grep -v "is ignored: it is neither" || true; } >&2
  touch "$venv/.ready"
fi
venv_s=$((SECONDS - start - wheel_s))
if "$venv/bin/python" -c "import torch" 2>/dev/null; then
  echo "numpy-check: torch is importable in $venv; the NumPy-only suite needs it absent" >&2
  exit 1
fi
if ls "$venv"/lib/python*/site-packages | grep -qiE '^(torch|nvidia)'; then
  echo "numpy-check: torch or nvidia packages in $venv" >&2
  exit 1
fi
export CODECFLOW_MEDIA_DIR="${CODECFLOW_MEDIA_DIR:-$PWD/tests/media/cache}"
env -u PYTHONPATH -u CODECFLOW_ARRAY_BACKEND "$venv/bin/python" -m pytest tests/numpy -q \
  -p no:cacheprovider "$@"
echo "numpy-check: passed without torch in $((SECONDS - start)) s (wheel ${wheel_s} s, venv" \
  "${venv_s} s, tests $((SECONDS - start - wheel_s - venv_s)) s; $(basename "$wheel"))"
