#!/usr/bin/env bash
# Builds FaceSorter's packages into target/package/:
#   facesorter_<version>_amd64.deb              (apt install ./facesorter_<version>_amd64.deb)
#   facesorter-<version>-linux-x86_64.tar.gz    (portable: unpack anywhere, run bin/facesorter)
# Both hold the release binary, ONNX Runtime + OpenVINO from the same PyPI wheel as
# scripts/setup-onnxruntime.sh (in lib/facesorter/, found by the binary beside bin/), the
# desktop entry, icons, AppStream metainfo, man pages, completions and every licence.
# Installs what it needs (scripts/setup.sh). Linux x86_64 only.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "package.sh: builds Linux x86_64 packages only (this is $(uname -s)-$(uname -m))" >&2
  exit 1
fi
bash scripts/setup.sh

out="target/package"
mkdir -p "$out"
echo "Building the release binary..."
cargo build --release --locked
binary="target/release/facesorter"
version="$("$binary" --version | awk '{print $2}')"

# The runtime, fetched into the package's own folder (not the user's data folder).
FACESORTER_ORT_DIR="$PWD/$out/onnxruntime" bash scripts/setup-onnxruntime.sh

# A stripped copy: the symbols are a third of the binary and no user reads them.
stripped="$out/facesorter.stripped"
strip --strip-unneeded -o "$stripped" "$binary"
root="$out/root"
bash scripts/package-layout.sh --binary "$stripped" --onnxruntime "$out/onnxruntime" --out "$root"
rm -f "$stripped"

echo "Checking the desktop entry and the metainfo..."
desktop-file-validate "$root/usr/share/applications/facesorter.desktop"
appstreamcli validate --no-net "$root/usr/share/metainfo/org.facesorter.FaceSorter.metainfo.xml"

deb="$out/facesorter_${version}_amd64.deb"
rm -f "$deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "Built $deb ($(du -h "$deb" | cut -f1))"

# The portable archive: the same tree, usr/ renamed to the archive's top folder.
name="facesorter-${version}-linux-x86_64"
tarball="$out/$name.tar.gz"
stage="$out/tar"
rm -rf "$stage" "$tarball"
mkdir -p "$stage"
cp -a "$root/usr" "$stage/$name"
cp "$root/usr/share/doc/facesorter/README.md" "$stage/$name/README.md"
cat > "$stage/$name/INSTALL.txt" <<EOF
FaceSorter $version, portable archive for Linux x86_64.

Run it from where it is unpacked:  ./bin/facesorter            (the window)
                                   ./bin/facesorter --help     (the command line)
The ONNX Runtime libraries are in lib/facesorter/, found by bin/facesorter itself.
The window needs GTK 3 and the X11 or Wayland client libraries of the desktop (on
Debian/Ubuntu: libgtk-3-0 libxkbcommon-x11-0 libgl1 libegl1 libgl1-mesa-dri).

To put it in your desktop's menu: link bin/facesorter into a folder on your PATH
(e.g. ln -s "\$PWD/bin/facesorter" ~/.local/bin/), then
  cp -r share/applications share/icons share/metainfo ~/.local/share/
Licences: share/doc/facesorter/ (copyright, licenses/).
EOF
tar -C "$stage" --owner=0 --group=0 -czf "$tarball" "$name"
rm -rf "$stage"
echo "Built $tarball ($(du -h "$tarball" | cut -f1))"
