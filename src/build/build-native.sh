#!/usr/bin/env bash
# Builds the JNI shim into target/classes/META-INF/native/linux-x86_64/, so it is packed in the jar.
#
#   build-native.sh <basedir> <build-dir> <java-home> <static|shared>
#
# static (the default): Zydis is linked in from libZydis.a, built from Debian's zydis source
#   package (fetched with apt-get source through a deb-src list kept in the build folder, not the
#   system's), cached under ${PVPATCH_CACHE:-~/.cache/pvpatch}. The shim then needs only libc.
# shared: links the system libZydis.so (libzydis-dev); users would need libzydis4.0 installed.
set -euo pipefail

basedir=$1
build=$2
java_home=$3
link=${4:-static}
zydis_version=4.0.0
zydis_package_version=4.0.0-1

out=$build/classes/META-INF/native/linux-x86_64
lib=$out/libpvpatch_zydis.so
source=$basedir/src/main/c/pvpatch_zydis.c
header=$build/native-headers/io_github_pvpatch_zydis_ZydisNative.h

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "build-native: only linux-x86_64 is built; the jar will carry no shim for $(uname -s)-$(uname -m)" >&2
    exit 0
fi
[ -f "$header" ] || { echo "build-native: missing $header (javac -h did not run?)" >&2; exit 1; }
[ -f /usr/include/Zydis/Zydis.h ] || {
    echo "build-native: Zydis headers are missing: apt-get install -y libzydis-dev" >&2; exit 1; }
stamp=$build/native-link-$link
if [ -f "$lib" ] && [ -f "$stamp" ] && [ "$lib" -nt "$source" ] && [ "$lib" -nt "$header" ]; then
    exit 0
fi

build_static_zydis() {
    local cache=$1 work=$build/zydis-static
    rm -rf "$work" && mkdir -p "$work/lists/partial" "$work/archives/partial"
    echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/sources.list"
    local apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$work/lists" -o "Dir::Cache::Archives=$work/archives" -o "APT::Sandbox::User=root")
    echo "build-native: fetching Debian's zydis $zydis_package_version source"
    apt-get "${apt_opts[@]}" update -qq
    (cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq "zydis=$zydis_package_version")
    tar -xzf "$work/zydis_$zydis_version.orig.tar.gz" -C "$work"
    local src
    src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name '*zydis*' | head -n 1)
    cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DZYDIS_BUILD_SHARED_LIB=OFF \
        -DZYAN_SYSTEM_ZYCORE=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DZYDIS_BUILD_TOOLS=OFF \
        -DZYDIS_BUILD_EXAMPLES=OFF -DZYDIS_BUILD_DOXYGEN=OFF -DZYDIS_BUILD_MAN=OFF > "$work/cmake.log"
    cmake --build "$work/build" -j 2 > "$work/make.log"
    mkdir -p "$cache"
    cp "$work/build/libZydis.a" "$cache/libZydis.a.tmp" && mv "$cache/libZydis.a.tmp" "$cache/libZydis.a"
}

cflags=(-std=c11 -O2 -Wall -Wextra -Werror -fPIC -fvisibility=hidden
    -I"$java_home/include" -I"$java_home/include/linux" -I"$build/native-headers")
ldflags=(-shared -Wl,-z,defs -Wl,-z,noexecstack -Wl,-z,relro -Wl,-z,now -s)
mkdir -p "$out"
rm -f "$build"/native-link-*
if [ "$link" = static ]; then
    cache=${PVPATCH_CACHE:-$HOME/.cache/pvpatch}/zydis-$zydis_version
    [ -f "$cache/libZydis.a" ] || build_static_zydis "$cache"
    gcc "${cflags[@]}" -DZYDIS_STATIC_BUILD "$source" "$cache/libZydis.a" "${ldflags[@]}" \
        -Wl,--exclude-libs,ALL -o "$lib"
else
    gcc "${cflags[@]}" "$source" -lZydis "${ldflags[@]}" -o "$lib"
fi
touch "$stamp"
echo "build-native: $lib ($link Zydis $zydis_version)"
