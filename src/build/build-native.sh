#!/usr/bin/env bash
# Builds the JNI shim for every platform it can into target/classes/META-INF/native/<os>-<arch>/,
# so each lands in the jar. Zydis and Zycore come from src/main/native/vendor/ (see its README),
# compiled straight into the shim with the C compiler: no cmake, no package manager, no network.
#
#   build-native.sh <basedir> <build-dir> <java-home>
#
#   linux-x86_64    gcc (or x86_64-linux-gnu-gcc)  libpvpatch_zydis.so  required
#   linux-aarch64   aarch64-linux-gnu-gcc           libpvpatch_zydis.so  if the compiler exists
#   windows-x86_64  x86_64-w64-mingw32-gcc          pvpatch_zydis.dll    if the compiler exists
#
# With CI=true every platform is required. Output is reproducible: sorted inputs, source paths
# mapped to relative ones, no build id, no PE timestamp, stripped.
set -euo pipefail

basedir=$(cd "$1" && pwd)
build=$(mkdir -p "$2" && cd "$2" && pwd)
java_home=$3
vendor=$basedir/src/main/native/vendor
shim=$basedir/src/main/c/pvpatch_zydis.c
header=$build/native-headers/io_github_pvpatch_zydis_ZydisNative.h
export LC_ALL=C

[ -f "$header" ] || { echo "build-native: missing $header (javac -h did not run?)" >&2; exit 1; }

host=$(uname -s)-$(uname -m)
compiler_for() {
    case $1 in
        linux-x86_64) if [ "$host" = Linux-x86_64 ]; then echo gcc; else echo x86_64-linux-gnu-gcc; fi ;;
        linux-aarch64) if [ "$host" = Linux-aarch64 ]; then echo gcc; else echo aarch64-linux-gnu-gcc; fi ;;
        windows-x86_64) echo x86_64-w64-mingw32-gcc ;;
    esac
}

# Every input of a shim, sorted: a change to any of them rebuilds every platform.
mapfile -t zydis_sources < <(find "$vendor/zydis/src" -maxdepth 1 -name '*.c' | sort)
mapfile -t inputs < <({ find "$vendor" "$basedir/src/main/native/win32" -type f; echo "$shim"; echo "$header";
    echo "$basedir/src/build/build-native.sh"; } | sort)

common=(-std=c11 -O2 -DNDEBUG -DZYDIS_STATIC_BUILD -DZYCORE_STATIC_BUILD -DZYDIS_DISABLE_ENCODER
    -ffunction-sections -fdata-sections -fvisibility=hidden
    "-ffile-prefix-map=$basedir=." "-ffile-prefix-map=$java_home=jdk"
    -I"$vendor/zydis/include" -I"$vendor/zydis/src" -I"$vendor/zycore/include")

build_platform() {
    local platform=$1 cc=$2 name cflags ldflags jni_md out obj lib
    case $platform in
        windows-*) name=pvpatch_zydis.dll; jni_md=$basedir/src/main/native/win32
            cflags=(); ldflags=(-shared -static-libgcc -Wl,--gc-sections -Wl,--no-insert-timestamp
                -Wl,--disable-auto-image-base -s) ;;
        *) name=libpvpatch_zydis.so; jni_md=$java_home/include/linux
            cflags=(-fPIC); ldflags=(-shared -Wl,-z,defs -Wl,-z,noexecstack -Wl,-z,relro -Wl,-z,now
                -Wl,--gc-sections -Wl,--build-id=none -Wl,--hash-style=gnu -s) ;;
    esac
    out=$build/classes/META-INF/native/$platform
    obj=$build/native/$platform
    lib=$out/$name
    if [ -f "$lib" ] && [ -z "$(find "${inputs[@]}" -newer "$lib" -print -quit)" ]; then
        return 0
    fi
    rm -rf "$obj" && mkdir -p "$obj" "$out"
    # The vendored sources are exactly what revendor.sh checked against Debian's checksums.
    (cd "$vendor" && sha256sum -c --quiet --strict SHA256SUMS) || {
        echo "build-native: src/main/native/vendor differs from its SHA256SUMS; see its README" >&2; exit 1; }
    # Zydis, two files at a time (the machine's cores); warnings are upstream's, not ours.
    printf '%s\n' "${zydis_sources[@]}" | xargs -P 2 -I{} sh -c \
        'f=$1; shift; exec "$@" -c "$f" -o "'"$obj"'/$(basename "$f" .c).o"' _ {} \
        "$cc" "${common[@]}" "${cflags[@]}"
    "$cc" "${common[@]}" "${cflags[@]}" -Wall -Wextra -Werror \
        -I"$java_home/include" -I"$jni_md" -I"$build/native-headers" -c "$shim" -o "$obj/pvpatch_zydis.o"
    mapfile -t objects < <(find "$obj" -name '*.o' | sort)
    "$cc" "${objects[@]}" "${ldflags[@]}" -o "$lib.tmp"
    mv "$lib.tmp" "$lib"
    # bench/run links native Zydis from here for its C reference.
    if [ "$platform" = linux-x86_64 ]; then
        rm -f "$obj/libZydis.a"
        (cd "$obj" && ar rcD libZydis.a $(ls *.o | grep -v '^pvpatch_zydis.o$' | sort))
    fi
    echo "build-native: $lib ($(wc -c < "$lib") bytes, Zydis 4.0.0 vendored)"
}

for platform in linux-x86_64 linux-aarch64 windows-x86_64; do
    cc=$(compiler_for "$platform")
    if command -v "$cc" > /dev/null; then
        build_platform "$platform" "$cc"
    elif [ "$platform" = linux-x86_64 ] && [ "$host" = Linux-x86_64 ] || [ "${CI:-}" = true ]; then
        echo "build-native: $cc is missing; platform=$platform cannot be built" \
            "(Debian: gcc, gcc-aarch64-linux-gnu, gcc-mingw-w64-x86-64-win32)" >&2
        exit 1
    else
        rm -rf "$build/classes/META-INF/native/$platform"
        echo "build-native: $cc not found; the jar will carry no shim for platform=$platform" >&2
    fi
done
