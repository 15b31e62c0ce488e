#!/usr/bin/env bash
# `make wheel-check`: installs the self-contained cp311 wheel into a minimal
# Debian bookworm root that has Python 3.11 but no FFmpeg, no compiler and no
# X11 or GLib, and there decodes, encodes and round-trips a clip
# (tools/wheel_check.py). The root is made with debootstrap once and kept as a
# tarball in ~/.cache/codecflow/wheel-check (CODECFLOW_CACHE_DIR); every run
# unpacks a fresh copy into build/wheel-check/root. torch goes in too when
# the local torch==2.13.0 cp311 wheel exists (TORCH_WHEELS, default
# /opt/wheels), else the check runs the NumPy-only path; WHEEL_CHECK_TORCH=0
# skips it. The clip and its references are made here with the ffmpeg CLI.
# Needs root (debootstrap, chroot, a private mount namespace).
# Usage: tools/wheel_check.sh [WHEEL]
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
start=$SECONDS
log() { echo "[wheel-check] $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "needs root (debootstrap and chroot)"; exit 1; }

wheel="${1:-$(ls build/wheelhouse/codecflow-*-cp311-*.whl 2>/dev/null | head -n 1 || true)}"
[ -f "$wheel" ] || { log "no cp311 wheel; run: make wheel WHEEL_VERSIONS=3.11"; exit 1; }
cache="${CODECFLOW_CACHE_DIR:-$HOME/.cache/codecflow}/wheel-check"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
packages="python3,python3-venv"
base="$cache/bookworm-minbase-${packages//,/-}.tar"
mkdir -p "$cache"

# 1. The pristine root, made once.
if [ ! -f "$base" ]; then
  command -v debootstrap > /dev/null || {
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  }
  tmp="$cache/bootstrap.tmp"
  rm -rf --one-file-system "$tmp"
  log "debootstrap bookworm (minbase + $packages) from $mirror"
  debootstrap --variant=minbase --include="$packages" bookworm "$tmp" "$mirror" > "$cache/debootstrap.log" \
    || { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
  rm -rf "$tmp"/var/cache/apt/archives/*.deb
  tar -C "$tmp" -cf "$base.part" . && mv "$base.part" "$base"
  rm -rf --one-file-system "$tmp"
  log "root cached in $base ($((SECONDS - start)) s)"
fi

# 2. Wheels for the root: NumPy (and torch with its dependencies), cp311.
host_py="$(tools/build_wheels.sh --find-python 3.11)"
torch_wheel=$(ls "${TORCH_WHEELS:-/opt/wheels}"/torch-2.13.0*-cp311-*.whl 2>/dev/null | head -n 1 || true)
[ "${WHEEL_CHECK_TORCH:-1}" = 0 ] && torch_wheel=""
deps="$cache/wheels-$([ -n "$torch_wheel" ] && echo torch || echo numpy)"
want="numpy${torch_wheel:+ $(basename "$torch_wheel")}"
if [ "$(cat "$deps/.want" 2>/dev/null)" != "$want" ]; then
  rm -rf "$deps" && mkdir -p "$deps"
  log "downloading cp311 wheels: $want"
  # shellcheck disable=SC2086
  PIP_CONSTRAINT="$repo/tools/constraints.txt" "$host_py" -m pip download -q --only-binary :all: \
    -d "$deps" numpy $torch_wheel 2>&1 | { grep -v "is ignored: it is neither" || true; } >&2
  echo "$want" > "$deps/.want"
fi

# 3. A fresh root with the wheels, the clip and its references.
work="$repo/build/wheel-check"
root="$work/root"
if [ -d "$root" ]; then
  # Nothing may be mounted in there (the mounts live in a private namespace).
  if grep -q " $root/" /proc/self/mounts; then log "$root has mounts; not removing"; exit 1; fi
  rm -rf --one-file-system "$root"
fi
mkdir -p "$root"
tar -C "$root" -xf "$base"
check="$root/check"
mkdir -p "$check/wheels"
cp "$wheel" "$deps"/*.whl "$check/wheels/"
cp tools/wheel_check.py "$check/"
ff=(ffmpeg -nostdin -hide_banner -v error -y)
"${ff[@]}" -f lavfi -i testsrc2=size=320x240:rate=30:duration=2 \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -map 0:v -map 1:a -c:v libx264 -pix_fmt yuv420p -bf 2 -g 30 -c:a aac -b:a 128k "$check/clip.mp4"
"${ff[@]}" -i "$check/clip.mp4" -map 0:v:0 -fps_mode passthrough -pix_fmt rgb24 -f rawvideo \
  "$check/clip.rgb"
"${ff[@]}" -i "$check/clip.mp4" -map 0:a:0 -f f32le "$check/clip.f32"
log "root ready in $work ($((SECONDS - start)) s); installing $(basename "$wheel")"

# 4. Inside: install with the root's own pip (venv), check, run.
inside=$(cat <<EOF
set -eu
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
for tool in ffmpeg ffprobe gcc cc c++ clang; do
  if command -v \$tool > /dev/null; then echo "wheel-check: \$tool exists in the root" >&2; exit 1; fi
done
ldconfig -p > /tmp/ld.so.cache.txt
if grep -E 'lib(av|sw|postproc|x264|X11|glib)' /tmp/ld.so.cache.txt; then
  echo "wheel-check: the root's loader knows FFmpeg, X11 or GLib libraries" >&2; exit 1
fi
found=\$(find / -xdev \( -name 'libav*.so*' -o -name 'libsw*.so*' -o -name 'libx26*.so*' \) -print)
if [ -n "\$found" ]; then echo "wheel-check: FFmpeg libraries in the root: \$found" >&2; exit 1; fi
python3 -m venv /opt/venv
/opt/venv/bin/pip install -q --no-compile --no-index --find-links /check/wheels codecflow numpy \
  ${torch_wheel:+torch}
cd /check
/opt/venv/bin/python -m codecflow doctor | grep -v '^configuration:' | head -n 7
/opt/venv/bin/python /check/wheel_check.py /check ${torch_wheel:+--torch}
EOF
)
# The mounts live in a private namespace and end with it.
INSIDE="$inside" ROOT="$root" unshare --mount --propagation private --fork /bin/sh -c '
  set -e
  mount --rbind /dev "$ROOT/dev"
  mount -t proc proc "$ROOT/proc"
  mount -t tmpfs tmp "$ROOT/tmp"
  exec env -i "$(command -v chroot)" "$ROOT" /bin/sh -c "$INSIDE"'

log "passed in $((SECONDS - start)) s ($(basename "$wheel"), $(du -m "$wheel" | cut -f1) MB," \
  "torch: $([ -n "$torch_wheel" ] && echo yes || echo no))"
