#!/usr/bin/env bash
# Whole-process figures of the command line, as a user meets them (release build):
#   - indexing ../shared/faces/deepface cold (empty OpenVINO cache) and warm (compiled
#     models cached, gallery cache empty): seconds, photos/s, peak memory;
#   - `index` of the unchanged, already indexed album;
#   - `embed --aligned` of 1 crop and of 120 crops (the 15 reference crops of
#     ../shared/parity, 8 copies each), warm;
#   - whether a warm run wrote to OpenVINO's cache (it must not).
# Each figure is the median of RUNS runs (default 5). Models: the synthetic IR-18 from
# ../shared and an IR-101 of the same cost as the published one, made by
# scripts/make-ir101-speed-model.py (needs `pip install onnx numpy`).
#
# usage: bash scripts/bench-cli.sh            (RUNS=n, MODELS="ir18 ir101", EXTRA="--ep cpu")
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$root/../shared"
runs="${RUNS:-5}"
models="${MODELS:-ir18 ir101}"
extra="${EXTRA:-}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && cargo build --release --locked --no-default-features --bin facesorter >&2)
bin="$root/target/release/facesorter"

ir101="${IR101:-$root/target/bench-models/adaface_ir101_speed.onnx}"
if [[ " $models " == *" ir101 "* && ! -f "$ir101" ]]; then
  mkdir -p "$(dirname "$ir101")"
  python3 "$root/scripts/make-ir101-speed-model.py" "$ir101" >&2
fi

mkdir -p "$work/crops1" "$work/crops120"
first_crop="$(ls "$shared"/parity/crops/*.png | head -n 1)"
cp "$first_crop" "$work/crops1/"
for i in 1 2 3 4 5 6 7 8; do
  for c in "$shared"/parity/crops/*.png; do cp "$c" "$work/crops120/$i-$(basename "$c")"; done
done

echo "CPU: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; flags: $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# Runs a command RUNS times; prints the median wall seconds and the largest peak RSS (MiB).
measure() {
  local times=() rss=0
  for _ in $(seq "$runs"); do
    "${before_each[@]}"
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }
    read -r t m < "$work/time"
    times+=("$t"); (( m > rss )) && rss=$m
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v rss="$rss" '{a[NR]=$1} END {printf "%.2f s (median of %d), peak RSS %d MiB\n", a[int((NR+1)/2)], NR, rss/1024}'
}
noop() { :; }

for m in $models; do
  case "$m" in
    ir18) model="$shared/models/adaface_ir18_synthetic.onnx" ;;
    ir101) model="$ir101" ;;
    *) echo "unknown model $m" >&2; exit 2 ;;
  esac
  echo
  echo "== $m ($(basename "$model"), $(( $(stat -L -c %s "$model") / 1048576 )) MiB) $extra"
  export XDG_CACHE_HOME="$work/xdg-$m" FACESORTER_CACHE_DIR="$work/galleries-$m" FACESORTER_MODELS="$shared/models"
  args=(--model "$model" $extra)
  fresh_everything() { rm -rf "$XDG_CACHE_HOME" "$FACESORTER_CACHE_DIR"; }
  fresh_gallery() { rm -rf "$FACESORTER_CACHE_DIR"; }

  before_each=(fresh_everything)
  printf 'index deepface, cold (nothing cached):     '; measure "$bin" index "$shared/faces/deepface" "${args[@]}"
  before_each=(fresh_gallery)
  line="$(measure "$bin" index "$shared/faces/deepface" "${args[@]}")"
  secs="${line%% s*}"
  printf 'index deepface, warm (models cached):      %s, %.1f photos/s\n' "$line" "$(awk -v s="$secs" 'BEGIN {print 64 / s}')"
  before_each=(noop)
  printf 'index deepface, unchanged:                 '; measure "$bin" index "$shared/faces/deepface" "${args[@]}"
  snapshot() { find "$XDG_CACHE_HOME" -path '*openvino*' -type f -printf '%p %s %T@\n' | sort; }
  snapshot > "$work/before"
  printf 'embed --aligned, 1 crop, warm:             '; measure "$bin" embed --aligned "$work"/crops1/*.png "${args[@]}"
  line="$(measure "$bin" embed --aligned "$work"/crops120/*.png "${args[@]}")"
  secs="${line%% s*}"
  printf 'embed --aligned, 120 crops, warm:          %s, %.1f faces/s\n' "$line" "$(awk -v s="$secs" 'BEGIN {print 120 / s}')"
  snapshot > "$work/after"
  if cmp -s "$work/before" "$work/after"; then
    echo "OpenVINO cache after the warm runs: unchanged ($(wc -l < "$work/after") files)"
  else
    echo "OpenVINO cache after the warm runs: REWRITTEN"; diff "$work/before" "$work/after" | head -n 6 || true
  fi
done
