package io.github.pvpatch.testing;

import io.github.pvpatch.arch.Isa;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The pipes to one of the build's native harness processes ({@code pvexec}, {@code pvlive}; see
 * src/test/c): started from {@code -Dpvpatch.harness.dir}, little-endian numbers both ways, the
 * handshake every harness opens with, and its exit status for error messages. The harnesses'
 * own protocols are written and read through {@link #out()} and {@link #in()}.
 */
public final class HarnessPipe {
    private final String name;
    private final Isa isa;
    private final Process process;
    private final OutputStream out;
    private final DataInputStream in;

    private HarnessPipe(String name, Isa isa, Process process) {
        this.name = name;
        this.isa = isa;
        this.process = process;
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
    }

    /**
     * {@return harness {@code name} for {@code isa} ({@code name64} or {@code name32}), started and
     * past its handshake} The handshake is {@code magic} then the harness's word size, which must
     * be the ISA's.
     */
    public static HarnessPipe start(String name, Isa isa, long magic) {
        Path exe = executable(name, isa);
        List<String> command = new ArrayList<>(launcher(exe, magic));
        command.add(exe.toString());
        try {
            HarnessPipe pipe = new HarnessPipe(name, isa,
                    new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start());
            if (pipe.u32() != magic) {
                throw new IOException(name + ": bad handshake");
            }
            int bits = (int) pipe.u32();
            if (bits != (isa == Isa.X86_32 ? 32 : 64)) {
                throw new IOException(name + ": a " + bits + "-bit harness for " + isa);
            }
            return pipe;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@return whether harness {@code name} for {@code isa} runs under QEMU's user-mode emulator
     * here, not on the CPU itself} See {@link #launcher}.
     */
    public static boolean emulated(String name, Isa isa, long magic) {
        return !launcher(executable(name, isa), magic).isEmpty();
    }

    private static Path executable(String name, Isa isa) {
        Path dir = Path.of(System.getProperty("pvpatch.harness.dir", "target/test-harness"));
        Path exe = dir.resolve(name + (isa == Isa.X86_32 ? "32" : "64"));
        if (!Files.isExecutable(exe)) {
            throw new IllegalStateException(exe + " is missing: the test build makes it (src/build/build-harness.sh),"
                    + " and the i386 one needs gcc -m32 (Debian: gcc-12-multilib)");
        }
        return exe;
    }

    /** The way each harness executable is started, found once per executable; see {@link #launcher}. */
    private static final Map<Path, List<String>> LAUNCHERS = new ConcurrentHashMap<>();

    /**
     * {@return what goes before {@code exe} on its command line: nothing when this kernel runs it,
     * else {@code qemu-i386-static} (or {@code qemu-i386}) from {@code PATH}} A 64-bit kernel built
     * without IA32 emulation (some virtual machines' kernels are) refuses a 32-bit executable with
     * "Exec format error"; QEMU's user-mode emulator then runs the i386 harness instead, still real
     * machine code, decoded by a translator we did not write. Which one was taken is printed once.
     *
     * @throws IllegalStateException if neither runs the harness's handshake
     */
    static List<String> launcher(Path exe, long magic) {
        return LAUNCHERS.computeIfAbsent(exe, e -> {
            if (handshakes(List.of(e.toString()), magic)) {
                return List.of();
            }
            for (String qemu : List.of("qemu-i386-static", "qemu-i386")) {
                for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
                    Path q = Path.of(dir.isEmpty() ? "." : dir, qemu);
                    if (Files.isExecutable(q) && handshakes(List.of(q.toString(), e.toString()), magic)) {
                        System.out.println("harness: " + e.getFileName() + " runs under " + q
                                + " (this kernel does not run it: no IA32 emulation)");
                        return List.of(q.toString());
                    }
                }
            }
            throw new IllegalStateException(e + " does not run here, nor under qemu-i386-static or qemu-i386:"
                    + " this kernel runs no 32-bit programs (no IA32 emulation); install Debian's"
                    + " qemu-user-static (.ci/run does)");
        });
    }

    /** {@return whether {@code command}, with no input, writes {@code magic} first} */
    private static boolean handshakes(List<String> command, long magic) {
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] b = p.getInputStream().readNBytes(4);
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            return b.length == 4 && le32(b) == magic;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@return the process} */
    public Process process() {
        return process;
    }

    /** {@return the harness's standard input, buffered: flush after each request} */
    public OutputStream out() {
        return out;
    }

    /** {@return the harness's standard output, buffered} */
    public DataInputStream in() {
        return in;
    }

    /** {@return the next 4 bytes, little-endian, unsigned} */
    public long u32() throws IOException {
        byte[] b = new byte[4];
        in.readFully(b);
        return le32(b);
    }

    private static long le32(byte[] b) {
        return (b[0] & 0xFFL) | (b[1] & 0xFFL) << 8 | (b[2] & 0xFFL) << 16 | (b[3] & 0xFFL) << 24;
    }

    /** {@return the next 8 bytes, little-endian} */
    public long u64() throws IOException {
        return u32() | u32() << 32;
    }

    /** Writes the low 4 bytes of {@code v}, little-endian. */
    public void u32(long v) throws IOException {
        for (int i = 0; i < 4; i++) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    /** Writes {@code v}, little-endian. */
    public void u64(long v) throws IOException {
        u32(v);
        u32(v >>> 32);
    }

    /** {@return how the process ended, for a message: {@code exit N}, or that it still runs} */
    public String exitStatus() {
        try {
            return process.waitFor(2, TimeUnit.SECONDS) ? "exit " + process.exitValue() : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public String toString() {
        return name + " (" + isa + ")";
    }
}
