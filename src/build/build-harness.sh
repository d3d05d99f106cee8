#!/usr/bin/env bash
# Builds the differential-execution harness (src/test/c/pvexec.c) and the live-patching harness
# (src/test/c/pvlive.c) for x86-64 and i386 into
# target/test-harness/, for the execution property tests.
#
#   build-harness.sh <basedir> <build-dir>
#
# x86-64 is built -no-pie so its op stubs lie within rel32 reach of the code page at 0x10000000;
# i386 needs gcc -m32 (Debian: apt-get install gcc-12-multilib; the gcc-multilib metapackage conflicts with the aarch64 cross gcc).
set -euo pipefail
basedir=$1
build=$2
source=$basedir/src/test/c/pvexec.c
out=$build/test-harness
mkdir -p "$out"
if [ "$(uname -m)" != "x86_64" ]; then
    echo "build-harness: the harness runs x86 code natively; $(uname -m) cannot" >&2
    exit 1
fi
flags=(-std=gnu11 -O2 -Wall -Wextra -Werror -no-pie -pthread)
# pvlive.c: the concurrent live-patching harness (io.github.pvpatch.live tests), built the same way.
for name in pvexec pvlive; do
source=$basedir/src/test/c/$name.c
for bits in 64 32; do
    exe=$out/$name$bits
    [ -x "$exe" ] && [ "$exe" -nt "$source" ] && [ "$exe" -nt "$basedir/src/test/c/pvpipe.h" ] && continue
    if ! gcc "-m$bits" "${flags[@]}" -o "$exe.tmp" "$source" 2> "$out/gcc$bits.log"; then
        cat "$out/gcc$bits.log" >&2
        [ "$bits" = 32 ] && echo "build-harness: gcc -m32 failed; install gcc-12-multilib (apt-get install -y gcc-12-multilib)" >&2
        exit 1
    fi
    mv "$exe.tmp" "$exe"
    echo "build-harness: $exe"
done
done
