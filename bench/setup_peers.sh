#!/usr/bin/env bash
# Creates .peers/venv, the interpreter the benchmarks run in: torch==2.13.0
# (CPU build, from the local wheel), the peer libraries codecflow is compared
# with, and matplotlib for the chart. Every pip call after torch runs under
# tools/constraints.txt, so torch is never replaced. A peer that does not
# install is recorded in .peers/status.txt with the reason, and the benchmark
# reports it as "not installable" instead of failing.
# Prints the interpreter to use on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.peers/venv
TORCH_WHEELS="${TORCH_WHEELS:-${PIP_FIND_LINKS:-/opt/wheels}}"
REQS=bench/peers-requirements.txt
STATUS=.peers/status.txt

log() { echo "[setup_peers] $*" >&2; }
# shellcheck source=tools/torch_pin.sh
source tools/torch_pin.sh

mkdir -p .peers
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
fi
PY="$PWD/$VENV/bin/python"
PIP=("$PY" -m pip install -q --disable-pip-version-check)

if ! torch_ok; then
  log "installing torch==$TORCH_VERSION from $TORCH_WHEELS"
  "${PIP[@]}" --no-index --no-deps --find-links "$TORCH_WHEELS" "torch==$TORCH_VERSION" >&2
fi
# torch's own dependencies (filelock, sympy, ...), under the constraints.
"${PIP[@]}" -c tools/constraints.txt "torch==$TORCH_VERSION" >&2

stamp="$VENV/.peers-stamp"
want=$(cat tools/constraints.txt "$REQS" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$STATUS" ]; then
  echo "$PY"
  exit 0
fi

# How each distribution is checked after installing it.
declare -A CHECKS=(
  [torchcodec]="import torchcodec.decoders"
  [av]="import av"
  [opencv-python-headless]="import cv2"
  [decord]="import decord"
  [matplotlib]="import matplotlib.pyplot"
)

: > "$STATUS"
# One pip call per requirement line, so that one peer that cannot be installed
# (decord has no wheel for every Python) does not keep the others out.
while IFS= read -r line; do
  req="${line%%#*}"
  req="$(echo "$req" | xargs)"
  [ -z "$req" ] && continue
  name="${req%%[=<>!~ ]*}"
  log "installing $req"
  if out=$("${PIP[@]}" -c tools/constraints.txt --only-binary=:all: "$req" 2>&1); then
    # Installed is not enough: a wheel built for another torch or for CUDA
    # installs and then fails to load. Import it (and decode, where cheap).
    if check=$("$PY" -c "${CHECKS[$name]:-import $name}" 2>&1); then
      echo "$name	ok" >> "$STATUS"
    else
      reason=$(echo "$check" | tail -n 1 | tr '\n\t' '  ')
      log "$req installs but does not load: $reason"
      echo "$name	installs but does not load: $reason" >> "$STATUS"
    fi
  else
    reason=$(echo "$out" | grep -E "ERROR" | head -n 2 | tr '\n\t' '  ')
    log "could not install $req: $reason"
    echo "$name	not installable: $reason" >> "$STATUS"
  fi
done < "$REQS"

check_torch_intact
echo "$want" > "$stamp"
echo "$PY"
