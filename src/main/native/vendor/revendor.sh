#!/usr/bin/env bash
# Re-vendors Zydis and Zycore from Debian bookworm's packages into this directory, checking every
# download against the checksums below (which Debian's signed .dsc files and Packages index state),
# then rewrites SHA256SUMS. Needs apt-get and network; the build itself needs neither.
#
#   bash src/main/native/vendor/revendor.sh
#
# To move to another version, change the versions and checksums below, run this, rebuild, and
# review `git diff --stat src/main/native/vendor`.
set -euo pipefail
vendor=$(cd "$(dirname "$0")" && pwd)
zydis_package=4.0.0-1
zydis_orig=zydis_4.0.0.orig.tar.gz
zydis_orig_sha256=e990107f80c62afc1deb51de230023a1098db801b8ea6bf483e296d45459e234
zycore_package=1.4.1-1
zycore_orig=zycore-c_1.4.1.orig.tar.gz
zycore_orig_sha256=01d330cffa41c6d0d039e37f4b60db76680ce291aa713d2649c3746e5043e693
zycore_deb=libzycore-dev_1.4.1-1_amd64.deb
zycore_deb_sha256=20daa9552e632c9a08443690c6933c34f2f63a8d2eb60125688823a20f7322c3

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial" "$work/x"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/sources.list"
echo "deb http://deb.debian.org/debian bookworm main" >> "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
    -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update -qq
cd "$work"
check() { echo "$2  $1" | sha256sum -c --quiet - || { echo "revendor: $1 does not match sha256=$2" >&2; exit 1; }; }

apt-get "${apt_opts[@]}" source --download-only -qq "zydis=$zydis_package"
check "$zydis_orig" "$zydis_orig_sha256"
tar -xzf "$zydis_orig" -C x
z=$(find x -mindepth 1 -maxdepth 1 -type d -name '*zydis*')
rm -rf "$vendor/zydis/include" "$vendor/zydis/src"
mkdir -p "$vendor/zydis/src/Generated"
cp "$z/LICENSE" "$vendor/zydis/LICENSE"
cp -r "$z/include" "$vendor/zydis/include"
# The shim decodes and formats; the encoder (2.8 MB of tables) is left out (ZYDIS_DISABLE_ENCODER).
for f in "$z"/src/*.c; do
    case ${f##*/} in Encoder.c | EncoderData.c) ;; *) cp "$f" "$vendor/zydis/src/" ;; esac
done
for f in "$z"/src/Generated/*.inc; do
    case ${f##*/} in EncoderTables.inc | GetRelInfo.inc) ;; *) cp "$f" "$vendor/zydis/src/Generated/" ;; esac
done

# Zycore: headers only (Zydis 4.0.0 calls no Zycore function). From the source package when the
# mirror has it, else from the binary package built from it (same headers, byte for byte).
rm -rf "$vendor/zycore/include" && mkdir -p "$vendor/zycore/include"
if apt-get "${apt_opts[@]}" source --download-only -qq "zycore-c=$zycore_package" 2>/dev/null; then
    check "$zycore_orig" "$zycore_orig_sha256"
    tar -xzf "$zycore_orig" -C x
    c=$(find x -mindepth 1 -maxdepth 1 -type d -name '*zycore*')
    cp -r "$c/include/Zycore" "$vendor/zycore/include/Zycore"
    cp "$c/LICENSE" "$vendor/zycore/LICENSE"
else
    echo "revendor: zycore-c source not on the mirror; taking the headers from $zycore_deb" >&2
    apt-get "${apt_opts[@]}" download -qq "libzycore-dev=$zycore_package"
    check "$zycore_deb" "$zycore_deb_sha256"
    dpkg-deb -x "$zycore_deb" x/deb
    cp -r x/deb/usr/include/Zycore "$vendor/zycore/include/Zycore"
    cp x/deb/usr/share/doc/libzycore-dev/copyright "$vendor/zycore/copyright.debian"
fi

cd "$vendor"
find zydis zycore -type f | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
echo "revendor: done; $(wc -l < SHA256SUMS) files in SHA256SUMS"
