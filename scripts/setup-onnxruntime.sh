#!/usr/bin/env bash
# Puts the ONNX Runtime shared library where FaceSorter looks for it (the app's data dir),
# taken from a PyPI wheel: no build-time download, no Python needed at run time.
#   Linux x86_64: onnxruntime-openvino (ONNX Runtime 1.24 + OpenVINO EP and its libraries),
#                 and in openvino/ OpenVINO's own libraries from the openvino wheel of the
#                 same OpenVINO version, which FaceSorter calls directly
#   elsewhere:    onnxruntime (plain CPU EP)
# Why OpenVINO twice: the OpenVINO build inside onnxruntime-openvino has no IR reader, so it
# cannot load a compiled model back from its cache and recompiles (rewriting ~100-260 MB) at
# every start; the openvino wheel's build of the same version reads it back in ~0.05 s
# (README "Speed"). The two builds differ in C++ ABI, so each stays in its own folder:
# ONNX Runtime's OpenVINO provider links the first, FaceSorter's direct route the second.
# Idempotent: does nothing when the library is already in place.
set -euo pipefail

ORT_VERSION="${FACESORTER_ORT_VERSION:-1.24.1}"
OV_VERSION="${FACESORTER_OPENVINO_VERSION:-2025.4.1}"   # the OpenVINO onnxruntime-openvino was built with
openvino=""
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg="onnxruntime-openvino"; platform="manylinux_2_28_x86_64"; lib="libonnxruntime.so.${ORT_VERSION}"
                openvino="openvino==$OV_VERSION" ;;
  Linux-aarch64) pkg="onnxruntime"; platform="manylinux_2_27_aarch64"; lib="libonnxruntime.so.${ORT_VERSION}" ;;
  Darwin-*) pkg="onnxruntime"; platform="macosx_13_0_universal2"; lib="libonnxruntime.${ORT_VERSION}.dylib" ;;
  *) echo "setup-onnxruntime: unsupported platform $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

if [ "$(uname -s)" = Darwin ]; then
  data_home="$HOME/Library/Application Support"
  dest="${FACESORTER_ORT_DIR:-$data_home/org.FaceSorter.FaceSorter/onnxruntime}"
else
  data_home="${XDG_DATA_HOME:-$HOME/.local/share}"
  dest="${FACESORTER_ORT_DIR:-$data_home/facesorter/onnxruntime}"
fi

# The wheel's licence files come along (licenses/): the packages ship them (scripts/package.sh).
marker=".complete-$pkg-$ORT_VERSION${openvino:+-openvino-$OV_VERSION}"
if [ -f "$dest/$lib" ] && [ -f "$dest/$marker" ] && [ -f "$dest/licenses/LICENSE" ]; then
  echo "ONNX Runtime $ORT_VERSION ($pkg) already in $dest"
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
if ! python3 -m pip --version >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1; then
  echo "Installing python3-pip and unzip (needed only to fetch the wheel)..."
  as_root apt-get update -qq
  as_root apt-get install -y -qq python3-pip unzip >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $pkg==$ORT_VERSION from PyPI..."
# The wheel's native libraries do not depend on the Python version; pin one so any local Python works.
python3 -m pip download --quiet --no-deps --only-binary=:all: \
  --python-version 3.11 --platform "$platform" -d "$tmp" "$pkg==$ORT_VERSION"
wheel="$(ls "$tmp"/*.whl)"
unzip -q -o "$wheel" 'onnxruntime/capi/lib*' 'onnxruntime/LICENSE' 'onnxruntime/ThirdPartyNotices.txt' -d "$tmp/x"
mkdir -p "$dest/licenses"
rm -f "$dest"/lib*   # what an earlier version of this script left
cp -a "$tmp/x/onnxruntime/capi/"lib* "$dest/"
cp "$tmp/x/onnxruntime/LICENSE" "$tmp/x/onnxruntime/ThirdPartyNotices.txt" "$dest/licenses/"
# A plain name next to the versioned one, so ORT_DYLIB_PATH can point at either.
case "$lib" in
  *.so.*) ln -sf "$lib" "$dest/libonnxruntime.so" ;;
  *.dylib) ln -sf "$lib" "$dest/libonnxruntime.dylib" ;;
esac
if [ -n "$openvino" ]; then
  echo "Fetching $openvino from PyPI..."
  python3 -m pip download --quiet --no-deps --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 -d "$tmp/ov" "$openvino"
  # Only what runs models: the core, its C API, the plugins, the ONNX and IR readers,
  # oneTBB (without its hwloc binding, which only pins threads on multi-socket machines).
  unzip -q -o "$tmp"/ov/*.whl 'openvino/libs/lib*' -d "$tmp/ovx"
  rm -rf "$dest/openvino"
  mkdir -p "$dest/openvino"
  for f in "$tmp"/ovx/openvino/libs/lib*; do
    case "$(basename "$f")" in
      *jax_frontend*|*paddle_frontend*|*pytorch_frontend*|*tensorflow*|*tbbmalloc_proxy*|*tbbbind*|*hwloc*) ;;
      *) cp -a "$f" "$dest/openvino/" ;;
    esac
  done
  # The plain name FaceSorter opens (libopenvino_c.so.2541 for 2025.4.1).
  versioned="$(cd "$dest/openvino" && ls libopenvino_c.so.* | head -n 1)"
  ln -sf "$versioned" "$dest/openvino/libopenvino_c.so"
fi
rm -f "$dest"/.complete-*
touch "$dest/$marker"
echo "ONNX Runtime $ORT_VERSION ($pkg) installed in $dest"
