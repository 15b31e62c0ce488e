#!/usr/bin/env bash
# Builds the wheel the way `pip install .` does (tools/build_wheel.sh), installs
# it into a scratch folder and decodes a clip with it from outside the
# source tree. Usage: tools/package_check.sh PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
PY="$1"
out="$PWD/build/package-check"
wheel=$(tools/build_wheel.sh "$PY")
rm -rf "$out/site"
PIP_CONSTRAINT="$PWD/tools/constraints.txt" "$PY" -m pip install -q --no-deps --target "$out/site" \
  "$wheel" >&2
clip=$("$PY" -c "import sys; sys.path.insert(0, 'tests/media'); import generate; print(generate.clip('h264_bframes'))")
cd "$out"
PYTHONPATH="$out/site" "$PY" - "$clip" <<'PYEOF'
import sys
import codecflow
from codecflow.decoders import VideoDecoder
assert codecflow.__file__.startswith(sys.path[1]) or "site" in codecflow.__file__, codecflow.__file__
decoder = VideoDecoder(sys.argv[1])
frame = decoder.get_frame_at(len(decoder) - 1)
print(f"wheel OK: {codecflow.__file__} decoded {len(decoder)} frames, last {tuple(frame.data.shape)}")
PYEOF
