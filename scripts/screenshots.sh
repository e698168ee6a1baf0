#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png from the real window: FaceSorter under Xvfb (software
# OpenGL), driven by xdotool, captured with Pillow. Uses ../shared (photos and the synthetic
# IR-18), and a temporary config and cache so nothing of the user's is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
missing=()
for p in xvfb xdotool; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
python3 -c "import PIL" 2>/dev/null || python3 -m pip install -q pillow
cargo build --locked

shared="$(cd ../shared && pwd)"
scratch="$(mktemp -d)"
export FACESORTER_MODELS="$shared/models" FACESORTER_CACHE_DIR="$scratch/cache" XDG_CONFIG_HOME="$scratch/config"
export DISPLAY=:97
Xvfb "$DISPLAY" -screen 0 1280x820x24 >/dev/null 2>&1 &
xvfb=$!
app=""
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$xvfb" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
sleep 2
shot() { python3 -c "from PIL import ImageGrab; ImageGrab.grab(xdisplay='$DISPLAY').save('docs/screenshots/$1.png')"; }
model=(--model "$shared/models/adaface_ir18_synthetic.onnx")

./target/debug/facesorter "${model[@]}" & app=$!
sleep 8; shot empty
kill "$app"; wait "$app" 2>/dev/null || true

./target/debug/facesorter "${model[@]}" --gallery "$shared/faces/deepface" \
  --probe "$shared/faces/deepface/img1.jpg" & app=$!
sleep 10; shot indexing
sleep 60; shot results
# Clicks at the layout's fixed places: the first match, then Back, then Settings.
xdotool mousemove 480 110 click 1; sleep 4; shot photo_view
xdotool mousemove 397 44 click 1; sleep 1; xdotool mousemove 995 12 click 1; sleep 2; shot settings
echo "docs/screenshots/: $(ls docs/screenshots | tr '\n' ' ')"
