#!/usr/bin/env bash
# Builds codecflow's wheel the way `pip install .` does (scikit-build-core,
# incremental in build/wheel) into build/package-check/dist, unless the wheel
# there is newer than every source file, and prints its path.
# Usage: tools/build_wheel.sh PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"
dist="$PWD/build/package-check/dist"
wheel=$(ls "$dist"/codecflow-*.whl 2>/dev/null | head -n 1 || true)
if [ -n "$wheel" ] && [ -z "$(find python src include CMakeLists.txt pyproject.toml README.md \
    -type f -newer "$wheel" ! -name '*.so' ! -name '*.pyc' -print -quit 2>/dev/null)" ]; then
  echo "$wheel"
  exit 0
fi
rm -rf "$dist"
mkdir -p "$dist"
# With ccache the wheel's compile reuses the objects of `make build`
# (build/dev and build/wheel are equally deep, so the paths agree).
if command -v ccache >/dev/null && [[ "${CMAKE_ARGS:-}" != *LAUNCHER* ]]; then
  export CMAKE_ARGS="${CMAKE_ARGS:-} -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
PIP_CONSTRAINT="$PWD/tools/constraints.txt" "$PY" -m pip wheel -q --no-deps --no-build-isolation \
  -Cbuild-dir=build/wheel -w "$dist" . >&2
ls "$dist"/codecflow-*.whl
