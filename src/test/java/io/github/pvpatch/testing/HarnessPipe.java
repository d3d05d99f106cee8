package io.github.pvpatch.testing;

import io.github.pvpatch.arch.Isa;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path dir = Path.of(System.getProperty("pvpatch.harness.dir", "target/test-harness"));
        Path exe = dir.resolve(name + (isa == Isa.X86_32 ? "32" : "64"));
        if (!Files.isExecutable(exe)) {
            throw new IllegalStateException(exe + " is missing: the test build makes it (src/build/build-harness.sh),"
                    + " and the i386 one needs gcc -m32 (Debian: gcc-12-multilib)");
        }
        try {
            HarnessPipe pipe = new HarnessPipe(name, isa,
                    new ProcessBuilder(exe.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start());
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
