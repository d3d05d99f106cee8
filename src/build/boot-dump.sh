#!/usr/bin/env bash
# Boots a kernel under QEMU (TCG, no disk) until it panics for want of a root file system, then
# saves guest physical memory [PHYS, PHYS+SIZE) through the QEMU monitor: the bytes the kernel
# itself wrote into its code while booting, the oracle of BootOracleTest.
#
#   boot-dump.sh ARCH KERNEL PHYS SIZE OUT [TIMEOUT_SECONDS]
#
# ARCH is x86_64 (KERNEL a vmlinux ELF, booted through its PVH note) or i386 (KERNEL a bzImage).
# PHYS and SIZE are numbers as bash reads them (0x1000000). OUT receives the dump; OUT.log the
# serial console. Nothing is written to OUT unless the panic was reached and the dump is whole.
# Prints "boot-dump: ... seconds" on success. Exits 2 when the panic does not come within
# TIMEOUT_SECONDS (default 120), 1 on any other failure. Needs qemu-system-x86 and socat.
set -euo pipefail
if [ $# -lt 5 ]; then
    echo "usage: boot-dump.sh x86_64|i386 KERNEL PHYS SIZE OUT [TIMEOUT_SECONDS]" >&2
    exit 1
fi
arch=$1 kernel=$2 phys=$(($3)) size=$(($4)) out=$5 timeout=${6:-120}
case $arch in
    x86_64|i386) ;;
    *) echo "boot-dump: arch=$arch is neither x86_64 nor i386" >&2; exit 1 ;;
esac
qemu=qemu-system-$arch
for tool in "$qemu" socat; do
    command -v "$tool" > /dev/null || { echo "boot-dump: $tool is missing (apt-get install qemu-system-x86 socat)" >&2; exit 1; }
done
[ -r "$kernel" ] || { echo "boot-dump: kernel=$kernel is not readable" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/boot-dump.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2> /dev/null; then
        kill "$pid" 2> /dev/null || true
        wait "$pid" 2> /dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
log=$work/serial.log
sock=$work/monitor.sock
dump=$work/text.bin
: > "$log"

start=$(date +%s.%N)
# 512 MiB: both kernels boot to the panic in it. -no-reboot: panic=0 would wait forever anyway.
"$qemu" -accel tcg -m 512 -smp 1 -nodefaults -no-reboot -display none \
    -kernel "$kernel" -append "console=ttyS0 panic=0 nokaslr" \
    -serial "file:$log" -monitor "unix:$sock,server,nowait" > "$work/qemu.out" 2>&1 &
pid=$!

# Whether QEMU still runs: an exited child stays a zombie (state Z) until waited for.
running() {
    local stat
    stat=$(cat "/proc/$pid/stat" 2> /dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

reached=no
why="within ${timeout}s"
deadline=$(( $(date +%s) + timeout ))
while [ "$(date +%s)" -lt "$deadline" ]; do
    if grep -q "VFS: Unable to mount root fs" "$log"; then
        reached=yes
        break
    fi
    running || { why="before QEMU exited"; break; }
    sleep 0.2
done
cp "$log" "$out.log"
if [ "$reached" != yes ]; then
    echo "boot-dump: kernel=$kernel did not reach 'VFS: Unable to mount root fs' $why;" \
        "console in $out.log, last lines:" >&2
    tail -n 5 "$log" >&2
    cat "$work/qemu.out" >&2
    exit 2
fi
booted=$(date +%s.%N)

# The monitor runs commands in order: pmemsave finishes before quit is read.
printf 'pmemsave %d %d "%s"\nquit\n' "$phys" "$size" "$dump" | socat -t 30 - "UNIX-CONNECT:$sock" > "$work/monitor.out"
wait "$pid" 2> /dev/null || true
pid=""
got=$(stat -c %s "$dump" 2> /dev/null || echo 0)
if [ "$got" -ne "$size" ]; then
    echo "boot-dump: dump of phys=0x$(printf %x "$phys") size=$size has $got bytes; monitor said:" >&2
    cat "$work/monitor.out" >&2
    exit 1
fi
mv "$dump" "$out.partial"
mv "$out.partial" "$out"
end=$(date +%s.%N)
awk -v a="$arch" -v k="$(basename "$kernel")" -v s="$start" -v b="$booted" -v e="$end" -v n="$size" \
    'BEGIN { printf "boot-dump: %s %s: panic after %.1f seconds, dump of %d bytes after %.1f seconds\n", a, k, b - s, n, e - s }'
