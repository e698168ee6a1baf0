#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png from the real window: FaceSorter under Xvfb (software
# OpenGL), driven by xdotool, captured with Pillow. Uses ../shared: the deepface album and the
# REAL recognizer facenet_casia_112.onnx (FaceNet, CASIA-WebFace), configured by a sidecar
# written here beside a link to the model, as a user would configure a custom model. A
# temporary config and cache, so nothing of the user's is touched. Not run in CI: the sleeps
# are generous, and the few clicks are at places measured on screenshots of this 1280×820
# layout (the keyboard is used wherever the window has a shortcut).
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
# A short path: the export status and the model field show it whole.
scratch="$(mktemp -d /tmp/fsXXXX)"
# The model as a user would add a custom one: NAME.onnx with NAME.toml beside it.
mkdir -p "$scratch/models" "$scratch/config/facesorter" "$scratch/exports"
ln -s "$shared/models/facenet_casia_112.onnx" "$scratch/models/facenet_casia_112.onnx"
cat >"$scratch/models/facenet_casia_112.toml" <<'EOF'
kind = "recognizer"
name = "FaceNet (CASIA-WebFace)"
license = "MIT"
color_order = "rgb"
mean = 0
std = 1
threshold = 0.45
embedding_size = 512
EOF
# The export folder already holds a file, so the export goes into a new subfolder.
echo "an earlier export" >"$scratch/exports/notes.txt"
printf '{"export_dir": "%s"}\n' "$scratch/exports" >"$scratch/config/facesorter/settings.json"
export FACESORTER_MODELS="$shared/models" FACESORTER_CACHE_DIR="$scratch/cache" XDG_CONFIG_HOME="$scratch/config"
export DISPLAY=:97
Xvfb "$DISPLAY" -screen 0 1280x820x24 >/dev/null 2>&1 &
xvfb=$!
app=""
cleanup() { [ -n "$app" ] && kill "$app" 2>/dev/null; kill "$xvfb" 2>/dev/null; rm -rf "$scratch"; }
trap cleanup EXIT
sleep 2
out=docs/screenshots
shot() {
  python3 - "$DISPLAY" "$out/$1.png" <<'EOF'
import sys
from PIL import Image, ImageGrab
# A palette of 256 colours keeps the PNGs small; the octree keeps the UI's few colours exact
# (median cut turned the dimmed "rejected" red to grey).
img = ImageGrab.grab(xdisplay=sys.argv[1]).convert("RGB")
img.quantize(256, method=Image.Quantize.FASTOCTREE).save(sys.argv[2], optimize=True)
EOF
}
# Without a window manager nothing gives the window the keyboard: give it explicitly.
focus() { xdotool search --sync --pid "$app" | tail -1 | xargs xdotool windowfocus --sync; }
key() { focus; xdotool key --delay 250 "$@"; sleep 1; }
# The pointer parks in the bottom-right corner between steps, so no tooltip shows.
park() { xdotool mousemove 1279 819; sleep 1; }
click() { xdotool mousemove "$1" "$2"; sleep 0.3; xdotool click 1; sleep 1; park; }
wheel() { xdotool mousemove "$1" "$2"; for _ in $(seq "$4"); do xdotool click "$3"; sleep 0.2; done; park; }
model=(--model "$scratch/models/facenet_casia_112.onnx")

./target/debug/facesorter "${model[@]}" & app=$!
sleep 8; park; shot empty
kill "$app"; wait "$app" 2>/dev/null || true

start=$(date +%s)
./target/debug/facesorter "${model[@]}" --gallery "$shared/faces/deepface" \
  --probe "$shared/faces/deepface/img1.jpg" & app=$!
# Indexing the album takes seconds: watch the status bar for the progress bar (blue on the
# row at y=808, right of the engine text; all blue is the finished flash) and take the shot
# two seconds after it appears. (The count there stays at 0 until the whole album is read.)
park
python3 - "$DISPLAY" "$out/indexing.png" <<'EOF'
import sys, time
from PIL import Image, ImageGrab
for _ in range(240):
    img = ImageGrab.grab(xdisplay=sys.argv[1]).convert("RGB")
    row = [img.getpixel((x, 808)) for x in range(330, 1060)]
    blue = sum(1 for r, g, b in row if b > r + 40)
    if 0 < blue < 0.85 * len(row):
        time.sleep(2)
        img = ImageGrab.grab(xdisplay=sys.argv[1]).convert("RGB")
        img.quantize(256, method=Image.Quantize.FASTOCTREE).save(sys.argv[2], optimize=True)
        break
    time.sleep(0.25)
else:
    sys.exit("no indexing progress seen")
EOF
sleep 60
# Dismiss the "engine options from the command line" bar (its ×, measured on a screenshot).
click 904 38
# Ctrl+wheel over the grid: the smallest thumbnails, so the matches and the band below fit.
focus; xdotool mousemove 800 400 keydown ctrl; for _ in 1 2 3; do xdotool click 5; sleep 0.3; done
xdotool keyup ctrl; park
# FaceNet ranks the 9 photos of this person first, then other people from 0.571: select the
# first cell, walk to img7 (11th) and accept it, then reject the three that follow.
key Right Down Right Right Right Right a Right x Right x Right x
shot results
# Up twice to the second match (img4), Enter opens the photo view.
key Up Up Return; sleep 3; park; shot photo_view
key Escape
# The side panel scrolled to its end shows the Export button (measured there).
wheel 160 600 5 8; click 70 783; sleep 8
wheel 160 600 5 8; shot export
key ctrl+comma; sleep 2
# Settings → Test (measured on a screenshot of this layout), then wait for its answer.
click 28 306; sleep 6; park; shot settings

# The People view (`--people`): the same album and recognizer (`--threshold` sets the
# recognizer threshold the persons are clustered with), a people file of this run's own.
kill "$app"; wait "$app" 2>/dev/null || true
export FACESORTER_PEOPLE_DIR="$scratch/people"
./target/debug/facesorter "${model[@]}" --gallery "$shared/faces/deepface" --people \
  --threshold 0.45 & app=$!
sleep 25
# Dismiss the "engine options from the command line" bar; the cards move up under it.
click 904 38
# Name the three largest persons: Right puts the cursor on a card, F2 renames in place.
key Right F2; xdotool type --delay 60 "Anna"; key Return
key Right F2; xdotool type --delay 60 "Bea"; key Return
key Right F2; xdotool type --delay 60 "Cleo"; key Return
key Escape; sleep 2; park; shot people
# The second person's page (Enter opens the card under the cursor): the least certain
# face comes last, marked.
key Left Return; sleep 3; park; shot person
# Escape back to the grid, and again to clear the selection the arrow keys made.
key Escape Escape; sleep 1
# FaceNet put one woman in two persons (the 6th card and the 10th, in the second row):
# Ctrl-click both, then Merge.
focus; xdotool mousemove 818 190 keydown ctrl click 1 sleep 0.5 mousemove 226 373 click 1 keyup ctrl
sleep 1; park; shot people_merge
echo "indexed and walked in $(($(date +%s) - start)) s"
echo "$out/: $(ls $out | tr '\n' ' ')"
