#!/usr/bin/env bash
# Assembles src/main/asm/pvsample.S into small paravirtualized ELF images:
#   target/classes/META-INF/pvpatch/demo/pvsample-{x86_64,i386}   the demo's images (in the jar)
#   target/test-images/...                                        variants for the tests:
#     -stripped (no symbols), -relative (2023 packed records), -module.o (relocatable, like a .ko)
#
#   build-samples.sh <basedir> <build-dir>
set -euo pipefail
basedir=$1
build=$2
src=$basedir/src/main/asm/pvsample.S
demo=$build/classes/META-INF/pvpatch/demo
tests=$build/test-images
mkdir -p "$demo" "$tests"
stamp=$tests/.built
[ -f "$stamp" ] && [ "$stamp" -nt "$src" ] && [ -f "$demo/pvsample-i386" ] && exit 0
link=(-nostdlib -static -no-pie -Wl,--build-id=none -Wl,-z,noexecstack)
for arch in x86_64 i386; do
    m=-m64
    [ "$arch" = i386 ] && m=-m32
    # Assembled to a named object first: a direct compile-and-link leaves gcc's random temporary
    # object name (ccXXXXXX.o) in the symbol table, and the image in the jar would not reproduce.
    if ! { gcc $m -c -o "$tests/pvsample-$arch.o" "$src" && gcc $m "${link[@]}" -o "$demo/pvsample-$arch" \
            "$tests/pvsample-$arch.o"; } 2> "$tests/gcc-$arch.log"; then
        cat "$tests/gcc-$arch.log" >&2
        [ "$arch" = i386 ] && echo "build-samples: gcc -m32 failed; install gcc-12-multilib" >&2
        exit 1
    fi
    cp "$demo/pvsample-$arch" "$tests/pvsample-$arch"
    strip -s -o "$tests/pvsample-$arch-stripped" "$demo/pvsample-$arch"
    gcc $m "${link[@]}" -DPV_RELATIVE -o "$tests/pvsample-$arch-relative" "$src"
    strip -s "$tests/pvsample-$arch-relative"
    gcc $m -c -DPV_MODULE -o "$tests/pvsample-$arch-module.o" "$src"
done
touch "$stamp"
echo "build-samples: $demo, $tests"
