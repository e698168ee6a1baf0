#!/usr/bin/env bash
# One-time machine setup for building and running FaceSorter on Debian/Ubuntu:
# system packages the build needs, then the ONNX Runtime library (scripts/setup-onnxruntime.sh).
# Safe to run again: it only installs what is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# pkg-config + GTK 3 headers: the native file dialog (rfd); unzip + pip: fetching the wheel;
# the X11/Wayland client libraries: the window itself (eframe loads them at run time);
# libgl1-mesa-dri: software OpenGL, so the window also opens without a GPU driver (and under Xvfb).
# Packaging (scripts/package.sh, tests/package.rs): librsvg2-bin renders the icon's sizes,
# binutils reads the libraries' sonames, desktop-file-utils and appstream validate the
# desktop entry and the metainfo.
packages=(pkg-config libgtk-3-dev unzip python3-pip libxkbcommon-x11-0 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libgl1 libegl1 libwayland-client0 libwayland-egl1 libgl1-mesa-dri
  librsvg2-bin binutils desktop-file-utils appstream)
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash "$here/setup-onnxruntime.sh"
