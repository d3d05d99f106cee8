#!/usr/bin/env bash
# Proves every shim in target/classes/META-INF/native/ runs on its own platform: builds
# src/test/c/shimcheck.c (a C driver with a fake JNIEnv) for each, runs it natively, under
# qemu-user (linux-aarch64) or under wine (windows-x86_64), and requires the same output from
# every shim as from the host's own. A missing cross tool skips that platform, except under
# CI=true, where every platform must be built and run.
#
#   check-native-platforms.sh <basedir> <build-dir> <java-home>
set -euo pipefail
basedir=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
java_home=$3
driver=$basedir/src/test/c/shimcheck.c
native=$build/classes/META-INF/native
work=$build/shimcheck
strict=${CI:-}
rm -rf "$work" && mkdir -p "$work"

host=$(uname -s)-$(uname -m)
case $host in
    Linux-x86_64) host_platform=linux-x86_64 ;;
    Linux-aarch64) host_platform=linux-aarch64 ;;
    *) echo "check-native-platforms: host $host runs none of the shims natively; skipped" >&2; exit 0 ;;
esac

skip() {
    if [ "$strict" = true ]; then
        echo "check-native-platforms: FAIL platform=$1: $2 (CI=true requires every platform)" >&2
        exit 1
    fi
    echo "check-native-platforms: skipped platform=$1: $2" >&2
}

wine_prefix=
cleanup() {
    if [ -n "$wine_prefix" ]; then
        WINEPREFIX=$wine_prefix "$wineserver" -k 2>/dev/null || true
    fi
}
trap cleanup EXIT

flags=(-std=c11 -O1 -Wall -Wextra -Werror -I"$java_home/include")
reference=
for platform in "$host_platform" linux-x86_64 linux-aarch64 windows-x86_64; do
    [ -f "$work/$platform.out" ] && continue
    case $platform in
        windows-*) shim=$native/$platform/pvpatch_zydis.dll ;;
        *) shim=$native/$platform/libpvpatch_zydis.so ;;
    esac
    [ -f "$shim" ] || { skip "$platform" "no shim was built"; continue; }
    exe=$work/shimcheck-$platform
    runner=()
    case $platform in
        "$host_platform")
            gcc "${flags[@]}" -I"$java_home/include/linux" -o "$exe" "$driver" -ldl ;;
        linux-aarch64)
            command -v aarch64-linux-gnu-gcc > /dev/null || { skip "$platform" "aarch64-linux-gnu-gcc missing"; continue; }
            qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
            [ -n "$qemu" ] || { skip "$platform" "qemu-aarch64-static missing (Debian: qemu-user-static)"; continue; }
            aarch64-linux-gnu-gcc "${flags[@]}" -I"$java_home/include/linux" -o "$exe" "$driver" -ldl
            runner=("$qemu" -L /usr/aarch64-linux-gnu) ;;
        linux-x86_64)
            skip "$platform" "not the host; no runner"; continue ;;
        windows-x86_64)
            command -v x86_64-w64-mingw32-gcc > /dev/null || { skip "$platform" "x86_64-w64-mingw32-gcc missing"; continue; }
            wine=$(command -v wine64 || ls /usr/lib/wine/wine64 2>/dev/null || command -v wine || true)
            wineserver=$(command -v wineserver || ls /usr/lib/wine/wineserver 2>/dev/null || true)
            [ -n "$wine" ] && [ -n "$wineserver" ] || { skip "$platform" "wine64 missing (Debian: wine64)"; continue; }
            exe=$exe.exe
            x86_64-w64-mingw32-gcc "${flags[@]}" -I"$basedir/src/main/native/win32" -static-libgcc -o "$exe" "$driver"
            wine_prefix=$work/wine-prefix
            export WINEPREFIX=$wine_prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
            runner=("$wine") ;;
    esac
    start=$(date +%s%N)
    if ! "${runner[@]}" "$exe" "$shim" > "$work/$platform.raw" 2> "$work/$platform.err"; then
        cat "$work/$platform.raw" "$work/$platform.err" >&2
        echo "check-native-platforms: FAIL platform=$platform: shimcheck failed${runner:+ under ${runner[0]##*/}}" >&2
        exit 1
    fi
    tr -d '\r' < "$work/$platform.raw" > "$work/$platform.out"
    millis=$(( ($(date +%s%N) - start) / 1000000 ))
    if [ -z "$reference" ]; then
        reference=$platform
    elif ! diff -u "$work/$reference.out" "$work/$platform.out" >&2; then
        echo "check-native-platforms: FAIL platform=$platform decodes differently from $reference" >&2
        exit 1
    fi
    echo "check-native-platforms: platform=$platform ok${runner:+ under ${runner[0]##*/}}" \
        "($(wc -l < "$work/$platform.out") lines, same as $reference, ${millis} ms, shim $(wc -c < "$shim") bytes)"
done
