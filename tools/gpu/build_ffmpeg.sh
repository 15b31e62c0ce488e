#!/usr/bin/env bash
# Builds a small FFmpeg 5.1 with NVDEC (FFmpeg's CUDA hwaccel) for the GPU
# tests, from sources fetched beforehand, on a machine with no package
# registry. See tools/gpu/README.md.
#
#   tools/gpu/build_ffmpeg.sh SOURCE_DIR_OR_TARBALL NVENC_DEV_DEB PREFIX
#
# SOURCE: Debian's ffmpeg_5.1.*.orig.tar.xz (or the unpacked tree).
# NVENC_DEV_DEB: libffmpeg-nvenc-dev_*.deb (the ffnvcodec headers that
#   FFmpeg's CUDA code loads libcuda/libnvcuvid through).
# PREFIX: where to install; then
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig make gpu-test
set -euo pipefail

if [ $# -ne 3 ]; then
  sed -n '2,14p' "$0" >&2
  exit 2
fi
SOURCE=$(realpath "$1")
NVENC_DEB=$(realpath "$2")
PREFIX=$(realpath -m "$3")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# ffnvcodec headers: only the .pc file and include/ffnvcodec are needed.
dpkg -x "$NVENC_DEB" "$WORK/nvenc"
NV_PC=$(dirname "$(find "$WORK/nvenc" -name ffnvcodec.pc | head -n 1)")
NV_INCLUDE=$(dirname "$(find "$WORK/nvenc" -type d -name ffnvcodec | head -n 1)")  # .../usr/include
if [ ! -f "$NV_PC/ffnvcodec.pc" ] || [ ! -f "$NV_INCLUDE/ffnvcodec/dynlink_loader.h" ]; then
  echo "no ffnvcodec.pc / include/ffnvcodec in $NVENC_DEB" >&2
  exit 1
fi
# The .pc file names /usr; point it at the extracted headers.
sed -i "s|^prefix=.*|prefix=$WORK/nvenc/usr|; s|^includedir=.*|includedir=$NV_INCLUDE|" "$NV_PC/ffnvcodec.pc"

if [ -d "$SOURCE" ]; then
  SRC="$SOURCE"
else
  tar -xf "$SOURCE" -C "$WORK"
  SRC=$(find "$WORK" -maxdepth 1 -type d -name 'ffmpeg-*' | head -n 1)
fi

cd "$SRC"
PKG_CONFIG_PATH="$NV_PC" pkg-config --cflags ffnvcodec
PKG_CONFIG_PATH="$NV_PC${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" ./configure \
  --prefix="$PREFIX" \
  --enable-shared --disable-static --disable-doc --disable-debug \
  --disable-x86asm \
  --disable-everything \
  --enable-ffnvcodec --enable-cuda --enable-nvdec \
  --enable-decoder=h264,hevc,vp9,av1,mpeg4,ffv1,aac \
  --enable-hwaccel=h264_nvdec,hevc_nvdec,vp9_nvdec,av1_nvdec,mpeg4_nvdec \
  --enable-parser=h264,hevc,vp9,av1,mpeg4video,aac \
  --enable-bsf=h264_mp4toannexb,hevc_mp4toannexb,vp9_superframe_split \
  --enable-demuxer=mov,matroska,avi \
  --enable-protocol=file \
  --enable-filter=null,format,scale \
  --enable-muxer=null --enable-encoder=rawvideo,wrapped_avframe \
  --extra-cflags="-I$NV_INCLUDE"
make -j"$(nproc)"
make install
echo "installed FFmpeg $(cat VERSION 2>/dev/null || git describe 2>/dev/null || echo 5.1) to $PREFIX"
echo "next: PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig make gpu-test"
