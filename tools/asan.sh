#!/usr/bin/env bash
# `make test-asan`: builds the core, the C++ tests and the extension module
# with gcc's AddressSanitizer and UndefinedBehaviorSanitizer (CUDA off) in
# ASAN_DIR (default build/asan), then runs the C++ suite (leak checking on)
# and the Python suite against that module with the sanitizer runtimes
# preloaded (leak checking off there: the interpreter and torch keep memory
# until exit by design; leaks are the C++ run's and the soak tests' job).
# The developer module python/codecflow/_core*.so is left alone: the
# sanitized one goes into ASAN_DIR/python/codecflow beside a copy of the
# package's Python files, first on PYTHONPATH.
#
# Usage: tools/asan.sh PYTHON [PYTEST_ARGS...]
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"
shift
DIR="${ASAN_DIR:-build/asan}"
ROOT="$PWD"
log() { echo "[asan] $*" >&2; }

BIN=$(dirname "$PY")
CMAKE=$([ -x "$BIN/cmake" ] && echo "$BIN/cmake" || echo cmake)
CTEST=$([ -x "$BIN/ctest" ] && echo "$BIN/ctest" || echo ctest)
GEN=()
[ -x "$BIN/ninja" ] && GEN=(-G Ninja -DCMAKE_MAKE_PROGRAM="$BIN/ninja")
LAUNCHER=()
command -v ccache > /dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
PKG="$ROOT/$DIR/python/codecflow"
mkdir -p "$DIR"
"$CMAKE" -S . -B "$DIR" "${GEN[@]}" "${LAUNCHER[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCODECFLOW_SANITIZE=address,undefined -DCODECFLOW_CUDA=OFF -DCODECFLOW_BUILD_TESTS=ON \
  -DCODECFLOW_MODULE_DIR="$PKG" -DPython_EXECUTABLE="$PY" \
  -Dpybind11_DIR="$("$PY" -c "import pybind11; print(pybind11.get_cmake_dir())")" \
  > "$DIR/configure.log" || { cat "$DIR/configure.log"; exit 1; }
"$CMAKE" --build "$DIR" -j "${JOBS:-$(nproc)}"
# The package's Python files next to the sanitized module (stale ones removed).
"$PY" - "$ROOT/python/codecflow" "$PKG" <<'PYEOF'
import pathlib, shutil, sys
src, dst = map(pathlib.Path, sys.argv[1:])
# Python sources, the compiled module's stub and the typing marker.
def files(root):
    return [f for pattern in ("*.py", "*.pyi", "py.typed") for f in root.rglob(pattern)]
for old in files(dst):
    if not (src / old.relative_to(dst)).exists():
        old.unlink()
for new in files(src):
    target = dst / new.relative_to(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != new.read_bytes():
        shutil.copy2(new, target)
PYEOF

export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
log "C++ suite (leak checking on)"
status=0
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:max_allocation_size_mb=2560" "$CTEST" --test-dir "$DIR" --output-on-failure \
  || status=1

log "Python suite (leak checking off)"
PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
# A small quarantine keeps RSS close to a normal build's, for the tests that bound it.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:detect_odr_violation=0:quarantine_size_mb=16"
export CODECFLOW_ASAN=1
# Unbuffered, so that nothing printed is lost if the sanitizer ends the process.
export PYTHONUNBUFFERED=1
LD_PRELOAD="$PRELOAD" PYTHONPATH="$ROOT/$DIR/python" "$PY" -c \
  "import codecflow, sys; p = codecflow._core.__file__; print('[asan] module', p, file=sys.stderr); sys.exit(0 if p.startswith('$PKG') else 1)"
LD_PRELOAD="$PRELOAD" PYTHONPATH="$ROOT/$DIR/python" "$PY" -m pytest tests/python -q \
  -p no:cacheprovider "$@" || status=1
[ $status -eq 0 ] || log "FAILED (see above)"
exit $status
