#!/usr/bin/env bash
# Downloads Debian's kernel images (unsigned: the plain bzImage) and unpacks them under
# ${PVPATCH_CACHE:-~/.cache/pvpatch}/kernels/extracted/<package>/, for RealKernelTest and
# BootOracleTest: bookworm's 6.1 cloud-amd64 and 686 from the machine's own sources, trixie's
# 6.12 and forky's 7.x cloud-amd64 through private apt configurations (each its own sources list,
# lists, package cache and archives under the kernel cache) that leave the machine's apt sources
# untouched.
# Next to each vmlinuz it writes the vmlinux ELF (boot/vmlinux-<release>; x86-64 boots it through
# its PVH note, and the oracle reads .text's addresses from it), unpacked with Debian's own lz4/zstd/xz/gzip
# rather than pvpatch's KernelPayload, so the boot oracle does not depend on the code it checks.
# Idempotent: a package already unpacked is not fetched again, a vmlinux already written is kept.
# Package names follow Debian's ABI bumps, so the newest one the archive offers is chosen.
set -euo pipefail
cache=${PVPATCH_CACHE:-$HOME/.cache/pvpatch}/kernels
mkdir -p "$cache/extracted"

fetch() {   # <name pattern> <arch suffix or ""> <required: yes|no> [apt option...]
    local pattern=$1 arch=$2 required=$3 name
    shift 3
    name=$(apt-cache "$@" search --names-only "$pattern" 2>/dev/null | awk '{print $1}' | sort -V | tail -n 1)
    if [ -z "$name" ]; then
        [ "$required" = yes ] && { echo "fetch-kernels: no package matches $pattern" >&2; exit 1; }
        echo "fetch-kernels: no package matches $pattern; skipped"
        return 0
    fi
    if compgen -G "$cache/extracted/${name}_*" > /dev/null; then
        echo "fetch-kernels: $name is cached"
        return 0
    fi
    if ! (cd "$cache" && apt-get "$@" download -qq "$name$arch" 2>/dev/null); then
        [ "$required" = yes ] && { echo "fetch-kernels: cannot download $name$arch" >&2; exit 1; }
        echo "fetch-kernels: cannot download $name$arch; skipped"
        return 0
    fi
    local deb
    deb=$(ls -t "$cache/${name}"_*.deb | head -n 1)
    # Unpack beside the final name and rename, so a concurrent reader never sees half a package.
    rm -rf "$cache/partial"
    dpkg-deb -x "$deb" "$cache/partial"
    mv "$cache/partial" "$cache/extracted/$(basename "$deb" .deb)"
    rm -f "$deb"
    echo "fetch-kernels: unpacked $(basename "$deb" .deb)"
}

# u32 little-endian at byte offset $2 of file $1.
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }

# Writes the vmlinux ELF of bzImage $1 to $2: the payload the setup header names
# (payload_offset/payload_length, boot protocol 2.08+), decompressed by the tool its magic calls
# for. The kernel appends the decompressed size to the payload; the output must have that size.
unpack_vmlinux() {
    local vmlinuz=$1 out=$2
    [ -s "$out" ] && { echo "fetch-kernels: $(basename "$out") is cached"; return 0; }
    local setup_sects offset length start magic size
    setup_sects=$(od -An -t u1 -j $((0x1f1)) -N 1 "$vmlinuz" | tr -d ' ')
    [ "$setup_sects" -eq 0 ] && setup_sects=4
    offset=$(u32 "$vmlinuz" $((0x248)))
    length=$(u32 "$vmlinuz" $((0x24c)))
    start=$(( (setup_sects + 1) * 512 + offset ))
    magic=$(od -An -t x1 -j "$start" -N 6 "$vmlinuz" | tr -d ' ')
    size=$(u32 "$vmlinuz" $((start + length - 4)))
    local decode
    case $magic in
        02214c18*) decode=(lz4 -dc) ;;        # LZ4 legacy frame (Debian 12's x86-64 kernels)
        28b52ffd*) decode=(zstd -dcq) ;;      # zstd (Debian 13)
        fd377a585a00) decode=(xz -dcq) ;;     # xz
        1f8b*) decode=(gzip -dcq) ;;          # gzip
        *) echo "fetch-kernels: $vmlinuz: payload magic=$magic at offset=0x$(printf %x "$start") is none of lz4, zstd, xz, gzip" >&2
           return 1 ;;
    esac
    command -v "${decode[0]}" > /dev/null || { echo "fetch-kernels: ${decode[0]} is missing (apt-get install ${decode[0]})" >&2; return 1; }
    # The payload without its 4-byte size trailer (xz and gzip end their own streams first).
    tail -c +$((start + 1)) "$vmlinuz" | head -c $((length - 4)) | "${decode[@]}" > "$out.partial" 2>/dev/null || true
    local got
    got=$(stat -c %s "$out.partial")
    if [ "$got" -ne "$size" ] || [ "$(od -An -t x1 -N 4 "$out.partial" | tr -d ' ')" != 7f454c46 ]; then
        echo "fetch-kernels: $vmlinuz: unpacked size=$got, expected size=$size ELF; not kept" >&2
        rm -f "$out.partial"
        return 1
    fi
    mv "$out.partial" "$out"
    echo "fetch-kernels: wrote $(basename "$out") ($size bytes, ${decode[0]})"
}

# A suite through private apt state: its own sources list, lists, package cache and archives under
# the kernel cache, so nothing under /etc/apt or /var/lib/apt is read for sources or written. The
# archive keyring of bookworm already holds the newer suites' keys. Sets private_opts.
#   private_apt <name> <sources.list line>...
private_apt() {
    local dir=$cache/apt-$1
    shift
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    printf '%s\n' "$@" > "$dir/sources.list"
    private_opts=(-o "Dir::Etc::sourcelist=$dir/sources.list" -o Dir::Etc::sourceparts=- \
        -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache" \
        -o "Dir::Cache::Archives=$dir/cache/archives" -o Acquire::Languages=none -o APT::Sandbox::User=root)
    apt-get "${private_opts[@]}" update -qq || true
}
debian='[arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org'

# A 7.x package's image, moved where the 6.x packages keep theirs. Forky is Debian's testing
# (Linux 7.x); from 7.x Debian ships the unsigned image in linux-binary-unsigned-<release>, at
# usr/lib/modules/<release>/vmlinuz.unsigned; it goes to boot/vmlinuz-<release>, where the tests
# and the oracle find every other kernel.
normalize_layout() {
    local pkg vmlinuz release
    for pkg in "$cache"/extracted/linux-binary-unsigned-*; do
        [ -d "$pkg" ] || continue
        for vmlinuz in "$pkg"/usr/lib/modules/*/vmlinuz.unsigned; do
            [ -e "$vmlinuz" ] || continue
            release=$(basename "$(dirname "$vmlinuz")")
            mkdir -p "$pkg/boot"
            mv "$vmlinuz" "$pkg/boot/vmlinuz-$release"
        done
    done
}

apt-get update -qq || true
fetch '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' "" yes
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    dpkg --add-architecture i386
    apt-get update -qq || true
fi
fetch '^linux-image-6\.1\.0-[0-9]+-686-unsigned$' ":i386" no
private_apt trixie "deb $debian/debian trixie main" "deb $debian/debian trixie-updates main" \
    "deb $debian/debian-security trixie-security main"
fetch '^linux-image-6\.12\.[0-9]+\+deb13-cloud-amd64-unsigned$' "" yes "${private_opts[@]}"
private_apt forky "deb $debian/debian forky main"
fetch '^linux-binary-unsigned-[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-cloud-amd64$' "" yes "${private_opts[@]}"
normalize_layout

for vmlinuz in "$cache"/extracted/linux-*-unsigned*_*/boot/vmlinuz-*; do
    [ -e "$vmlinuz" ] || continue
    unpack_vmlinux "$vmlinuz" "$(dirname "$vmlinuz")/vmlinux-${vmlinuz##*/vmlinuz-}"
done
