#!/usr/bin/env bash
# Lays out the installed files of FaceSorter under ROOT/usr, as the .deb installs them and
# as the portable archive holds them (ROOT/usr is its top folder), plus ROOT/DEBIAN/control.
# Used by scripts/package.sh (release build) and by tests/package.rs (the test build).
#
#   bash scripts/package-layout.sh --binary PATH --onnxruntime DIR --out ROOT
#
# --onnxruntime: a folder made by scripts/setup-onnxruntime.sh (libraries + licenses/).
# Needs: rsvg-convert (librsvg2-bin), readelf and objdump (binutils), gzip, cargo (licence
# summary).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

binary="" ort="" root=""
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --onnxruntime) ort="$2"; shift 2 ;;
    --out) root="$2"; shift 2 ;;
    *) echo "package-layout: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$binary" ] || [ -z "$ort" ] || [ -z "$root" ]; then
  echo "usage: package-layout.sh --binary PATH --onnxruntime DIR --out ROOT" >&2
  exit 2
fi
[ -x "$binary" ] || { echo "package-layout: no executable at $binary" >&2; exit 1; }
[ -f "$ort/libonnxruntime.so" ] || { echo "package-layout: no libonnxruntime.so in $ort (run scripts/setup-onnxruntime.sh)" >&2; exit 1; }
[ -f "$ort/licenses/LICENSE" ] || { echo "package-layout: no licenses/ in $ort (run scripts/setup-onnxruntime.sh again)" >&2; exit 1; }
for tool in rsvg-convert readelf objdump gzip cargo; do
  command -v "$tool" >/dev/null || { echo "package-layout: $tool is missing (bash scripts/setup.sh installs it)" >&2; exit 1; }
done

pkg="$repo/packaging"
version="$("$binary" --version | awk '{print $2}')"
marker="$(cd "$ort" && ls .complete-* 2>/dev/null | head -n1 || true)"
ort_wheel="${marker#.complete-}"   # e.g. onnxruntime-openvino-1.24.1

rm -rf "$root"
usr="$root/usr"
doc="$usr/share/doc/facesorter"
mkdir -p "$usr/bin" "$usr/lib/facesorter" "$usr/share/applications" "$usr/share/metainfo" \
  "$usr/share/man/man1" "$usr/share/bash-completion/completions" \
  "$usr/share/zsh/vendor-completions" "$usr/share/fish/vendor_completions.d" \
  "$doc/licenses/onnxruntime" "$root/DEBIAN"

install -m 0755 "$binary" "$usr/bin/facesorter"

# The runtime: every library of the wheel, the plain libonnxruntime.so name the binary looks
# for, and copies the wheel holds under several names made links to the one named by the
# soname (the wheel cannot hold links; a package can, and that saves ~33 MB).
cp -a "$ort"/lib* "$usr/lib/facesorter/"
# OpenVINO's own build, which FaceSorter calls directly (scripts/setup-onnxruntime.sh says why).
if [ -d "$ort/openvino" ]; then cp -a "$ort/openvino" "$usr/lib/facesorter/"; fi
lib="$usr/lib/facesorter"
for f in "$lib"/lib*.so*; do
  [ -L "$f" ] && continue
  soname="$(readelf -d "$f" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
  name="$(basename "$f")"
  if [ -n "$soname" ] && [ "$soname" != "$name" ] && [ -f "$lib/$soname" ] && [ ! -L "$lib/$soname" ] \
    && cmp -s "$f" "$lib/$soname"; then
    ln -sf "$soname" "$f"
  fi
done
find "$lib" -type f -exec chmod 0644 {} +

install -m 0644 "$pkg/facesorter.desktop" "$usr/share/applications/facesorter.desktop"
install -m 0644 "$pkg/org.facesorter.FaceSorter.metainfo.xml" "$usr/share/metainfo/"
for size in 16 24 32 48 64 128 256 512; do
  d="$usr/share/icons/hicolor/${size}x${size}/apps"
  mkdir -p "$d"
  rsvg-convert -w "$size" -h "$size" "$pkg/icons/facesorter.svg" -o "$d/facesorter.png"
done
mkdir -p "$usr/share/icons/hicolor/scalable/apps"
install -m 0644 "$pkg/icons/facesorter.svg" "$usr/share/icons/hicolor/scalable/apps/facesorter.svg"

# Man pages and completions, generated from the binary's own clap definitions.
gen="$(mktemp -d)"
trap 'rm -rf "$gen"' EXIT
"$binary" generate-package-files --out "$gen"
for page in "$gen"/man/*.1; do
  gzip -9n -c "$page" > "$usr/share/man/man1/$(basename "$page").gz"
done
install -m 0644 "$gen/completions/facesorter.bash" "$usr/share/bash-completion/completions/facesorter"
install -m 0644 "$gen/completions/_facesorter" "$usr/share/zsh/vendor-completions/_facesorter"
install -m 0644 "$gen/completions/facesorter.fish" "$usr/share/fish/vendor_completions.d/facesorter.fish"

# Licences of everything bundled.
install -m 0644 "$pkg/debian/copyright" "$doc/copyright"
install -m 0644 "$repo/README.md" "$doc/README.md"
install -m 0644 "$ort/licenses/"* "$doc/licenses/onnxruntime/"
install -m 0644 "$pkg/licenses/Apache-2.0.txt" "$doc/licenses/Apache-2.0.txt"
cat > "$doc/licenses/BUNDLED.md" <<EOF
# What FaceSorter $version bundles, and under which licence

| component | where | licence | licence text |
|---|---|---|---|
| FaceSorter | bin/facesorter | MIT | ../copyright |
| ONNX Runtime (wheel ${ort_wheel:-onnxruntime}, PyPI) | lib/facesorter/libonnxruntime* | MIT | onnxruntime/LICENSE, onnxruntime/ThirdPartyNotices.txt |
| OpenVINO (inside the same wheel, for ONNX Runtime's provider) | lib/facesorter/libopenvino* | Apache-2.0 | Apache-2.0.txt |
| OpenVINO (wheel openvino ${ort_wheel##*-openvino-}, PyPI; run directly) | lib/facesorter/openvino/libopenvino* | Apache-2.0 | Apache-2.0.txt |
| oneTBB (inside both wheels) | lib/facesorter/libtbb*, lib/facesorter/openvino/libtbb* | Apache-2.0 | Apache-2.0.txt |
| Rust crates compiled into bin/facesorter | bin/facesorter | see cargo-dependencies.txt | each crate's own licence (SPDX expression given) |

The onnxruntime wheel carries licence files for ONNX Runtime only; OpenVINO and oneTBB are
published by Intel under the Apache License 2.0, whose text is given here. The face models are not
bundled: each is downloaded from its own source, under its own licence (\`facesorter
models list\` names the source).
EOF
# The crates linked into the binary (normal dependencies only, not build or dev tools).
{
  echo "# Rust crates compiled into facesorter $version: name version licence (SPDX)"
  (cd "$repo" && cargo tree --locked -p facesorter -e normal --prefix none \
    --format '{p} {l}' --target x86_64-unknown-linux-gnu) \
    | sed -e 's/ (\*)$//' -e 's/ (proc-macro)//' -e "s# ($repo[^)]*)##" | sort -u
} > "$doc/licenses/cargo-dependencies.txt"

installed_kb="$(du -sk "$usr" | awk '{print $1}')"
# The newest glibc symbol version the binary or a library uses is the libc6 it needs.
glibc="$(for f in "$usr/bin/facesorter" "$lib"/*.so*; do [ -L "$f" ] || objdump -T "$f"; done \
  | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1)"
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_kb/" -e "s/@GLIBC@/${glibc:-2.28}/" \
  "$pkg/debian/control" > "$root/DEBIAN/control"
(cd "$root" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
find "$root" -type d -exec chmod 0755 {} +
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
echo "package-layout: facesorter $version laid out in $root"
