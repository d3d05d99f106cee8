#!/usr/bin/env bash
# Downloads Debian's 6.1 kernel images (unsigned: the plain bzImage) and unpacks them under
# ${PVPATCH_CACHE:-~/.cache/pvpatch}/kernels/extracted/<package>/, for RealKernelTest.
# Idempotent: a package already unpacked is not fetched again. Package names follow Debian's
# ABI bumps, so the newest one the archive offers is chosen.
set -euo pipefail
cache=${PVPATCH_CACHE:-$HOME/.cache/pvpatch}/kernels
mkdir -p "$cache/extracted"

fetch() {   # <name pattern> <arch suffix or ""> <required: yes|no>
    local pattern=$1 arch=$2 required=$3 name
    name=$(apt-cache search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1)
    if [ -z "$name" ]; then
        [ "$required" = yes ] && { echo "fetch-kernels: no package matches $pattern" >&2; exit 1; }
        echo "fetch-kernels: no package matches $pattern; skipped"
        return 0
    fi
    if compgen -G "$cache/extracted/${name}_*" > /dev/null; then
        echo "fetch-kernels: $name is cached"
        return 0
    fi
    if ! (cd "$cache" && apt-get download -qq "$name$arch" 2>/dev/null); then
        [ "$required" = yes ] && { echo "fetch-kernels: cannot download $name$arch" >&2; exit 1; }
        echo "fetch-kernels: cannot download $name$arch; skipped"
        return 0
    fi
    local deb
    deb=$(ls -t "$cache/${name}"_*.deb | head -n 1)
    dpkg-deb -x "$deb" "$cache/extracted/$(basename "$deb" .deb)"
    rm -f "$deb"
    echo "fetch-kernels: unpacked $(basename "$deb" .deb)"
}

apt-get update -qq || true
fetch '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' "" yes
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    dpkg --add-architecture i386
    apt-get update -qq || true
fi
fetch '^linux-image-6\.1\.0-[0-9]+-686-unsigned$' ":i386" no
