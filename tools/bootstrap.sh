#!/usr/bin/env bash
# Installs what building and testing codecflow needs, and only what is
# missing: Debian's FFmpeg development packages, the ffmpeg CLI, GoogleTest
# and DLPack with apt-get; torch==2.13.0 (CPU build, from a local wheel) and
# the Python build and test tools (with Ray Data for codecflow.ray) with pip,
# into .venv unless PYTHON names another interpreter. Prints the interpreter
# to use on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(pkg-config ffmpeg libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libswresample-dev libgtest-dev libdlpack-dev)
TORCH_WHEELS="${TORCH_WHEELS:-${PIP_FIND_LINKS:-/opt/wheels}}"

log() { echo "[bootstrap] $*" >&2; }
# shellcheck source=tools/torch_pin.sh
source tools/torch_pin.sh
# shellcheck source=tools/apt_packages.sh
source tools/apt_packages.sh

apt_install_missing "${APT_PACKAGES[@]}"

if [ -n "${PYTHON:-}" ]; then
  PY="$PYTHON"
else
  if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv
  fi
  PY="$PWD/.venv/bin/python"
fi


if ! torch_ok; then
  log "installing torch==$TORCH_VERSION from the local wheel in $TORCH_WHEELS"
  if ! "$PY" -m pip install -q --no-index --no-deps --find-links "$TORCH_WHEELS" \
      "torch==$TORCH_VERSION" >&2; then
    log "ERROR: no local torch==$TORCH_VERSION wheel in $TORCH_WHEELS (set TORCH_WHEELS)."
    log "Refusing to download torch from the index: that would fetch the CUDA build (GBs)."
    exit 1
  fi
fi

stamp_dir=$("$PY" -c "import sys; print(sys.prefix)")
stamp="$stamp_dir/.codecflow-deps"
want=$(cat tools/constraints.txt tools/requirements-dev.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing Python build and test tools"
  if ! "$PY" -m pip install -q -c tools/constraints.txt -r tools/requirements-dev.txt >&2; then
    log "ERROR: installing tools/requirements-dev.txt under tools/constraints.txt failed"
    log "(Ray Data, for codecflow.ray, must install beside torch==$TORCH_VERSION)"
    exit 1
  fi
  check_torch_intact
  if ! "$PY" -c "import ray.data, ray.train" >&2; then
    log "ERROR: Ray Data was installed but does not import; codecflow.ray's tests need it"
    exit 1
  fi
  echo "$want" > "$stamp"
fi
echo "$PY"
