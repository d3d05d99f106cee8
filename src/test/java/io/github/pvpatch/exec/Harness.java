package io.github.pvpatch.exec;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.testing.HarnessPipe;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code pvexec} process (src/test/c/pvexec.c) for one ISA: it maps a code page, an
 * ops table and a stack at fixed addresses, runs a site's original and patched bytes from the
 * same registers, and reports each run's registers, caller stack and op-call trace. One process
 * serves every case of a test class; a case that faults is that case's result.
 */
public final class Harness implements AutoCloseable {
    /** Slot kinds of the stream; see pvexec.c. */
    static final int NONE = 0, NOP = 1, NATIVE = 2, CALL = 3, JUMP = 4;
    /** Bytes of the caller's frame above the start stack pointer, reported after each run. */
    public static final int CALLER_BYTES = 128;
    private static final int MAX_CALLS = 8;

    public final Isa isa;
    public final long codeBase;
    public final int codeSize;
    public final long tableBase;
    public final long stackStart;
    private final long[] stubs;
    private final HarnessPipe pipe;
    private final Process process;
    private final OutputStream out;
    private final DataInputStream in;

    private Harness(Isa isa, HarnessPipe pipe) throws IOException {
        this.isa = isa;
        this.pipe = pipe;
        this.process = pipe.process();
        this.out = pipe.out();
        this.in = pipe.in();
        codeBase = pipe.u64();
        codeSize = (int) pipe.u32();
        tableBase = pipe.u64();
        stackStart = pipe.u64();
        stubs = new long[(int) pipe.u32()];
        for (int i = 0; i < stubs.length; i++) {
            stubs[i] = pipe.u64();
        }
    }

    /** {@return a harness for {@code isa}, from {@code -Dpvpatch.harness.dir} (default target/test-harness)} */
    public static Harness start(Isa isa) {
        HarnessPipe pipe = HarnessPipe.start("pvexec", isa, 0x31585650);
        try {
            return new Harness(isa, pipe);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the address of op stub {@code slot}: the target of call and jump ops of that slot} */
    public long stub(int slot) {
        return stubs[slot];
    }

    /**
     * {@return where the harness puts slot {@code slot}'s native code for the original run}:
     * pvexec.c's {@code NATIVE_BASE + NATIVE_STRIDE * slot}, followed by {@code ret}. A native op
     * that lives there runs in the original exactly as its source address says.
     */
    public long nativeAddress(int slot) {
        return 0x1020_0000L + 32L * Objects.checkIndex(slot, stubs.length);
    }

    /** {@return how many slots the harness has stubs for} */
    public int slots() {
        return stubs.length;
    }

    /** One op call a run made. */
    public record Call(int slot, boolean enteredExactly, int stackArgs, long[] args, long[] stack) {
        boolean sameAs(Call o) {
            return slot == o.slot && enteredExactly == o.enteredExactly && stackArgs == o.stackArgs
                    && Arrays.equals(args, o.args) && Arrays.equals(stack, o.stack);
        }

        @Override
        public String toString() {
            return "call{slot=" + slot + " entered=" + enteredExactly + " args=" + hex(args)
                    + (stackArgs > 0 ? " stack=" + hex(Arrays.copyOf(stack, stackArgs)) : "") + "}";
        }
    }

    /** What one run did. */
    public record Run(int signal, long[] regs, byte[] callerStack, int callCount, List<Call> calls) {
        @Override
        public String toString() {
            return "run{signal=" + signal + " regs=" + hex(regs) + " calls=" + callCount + " " + calls + "}";
        }
    }

    /** A site to run twice: its bytes before and after patching, from {@code regs}. */
    public record Case(PatchSite site, byte[] original, byte[] patched, long[] regs, OpsTable ops) {
    }

    /** The two runs of a case. */
    public record Result(Case input, Run original, Run patched) {
    }

    /** Runs every case, original then patched, in one round trip. */
    public List<Result> run(List<Case> cases) {
        if (cases.isEmpty()) {
            return List.of();   // an empty batch would tell the harness to stop
        }
        try {
            pipe.u32(cases.size());
            for (Case c : cases) {
                write(c);
            }
            out.flush();
            List<Result> results = new ArrayList<>(cases.size());
            for (Case c : cases) {
                results.add(new Result(c, readRun(), readRun()));
            }
            return results;
        } catch (IOException e) {
            throw new UncheckedIOException("pvexec (" + isa + ") stopped: " + pipe.exitStatus(), e);
        }
    }

    private void write(Case c) throws IOException {
        PatchSite site = c.site();
        pipe.u64(site.address());
        out.write(site.length());
        out.write(c.original());
        out.write(c.patched());
        for (int r = 0; r < 16; r++) {
            pipe.u64(c.regs()[r]);
        }
        int slots = Math.min(stubs.length, Math.max(site.type() + 1, lastType(c.ops()) + 1));
        out.write(slots);
        for (int k = 0; k < slots; k++) {
            Op op = c.ops().op(k).orElse(null);
            int kind = op == null ? NONE : op instanceof Op.Nop ? NOP : op instanceof Op.Native ? NATIVE
                    : op instanceof Op.Call ? CALL : JUMP;
            ClobberSet clobbers = op == null ? ClobberSet.none() : op.clobbers();
            out.write(kind);
            out.write(clobbers.bits() & 0xFF);
            out.write(clobbers.bits() >>> 8);
            out.write(op instanceof Op.Call && ((Op.Call) op).returnsValue() ? 1 : 0);
            out.write(k == site.type() ? Math.min(4, site.stackArguments()) : 0);
            byte[] code = op instanceof Op.Native ? ((Op.Native) op).code() : new byte[0];
            out.write(code.length);
            out.write(code);
        }
    }

    private static int lastType(OpsTable ops) {
        int[] types = ops.types();
        return types.length == 0 ? -1 : types[types.length - 1];
    }

    private Run readRun() throws IOException {
        int signal = in.readUnsignedByte();
        long[] regs = new long[16];
        for (int r = 0; r < 16; r++) {
            regs[r] = pipe.u64();
        }
        byte[] stack = new byte[CALLER_BYTES];
        in.readFully(stack);
        int count = in.readUnsignedByte();
        List<Call> calls = new ArrayList<>();
        for (int i = 0; i < Math.min(count, MAX_CALLS); i++) {
            int slot = in.readUnsignedByte();
            boolean entered = in.readUnsignedByte() != 0;
            int stackArgs = in.readUnsignedByte();
            long[] args = new long[6];
            for (int k = 0; k < 6; k++) {
                args[k] = pipe.u64();
            }
            long[] st = new long[4];
            for (int k = 0; k < 4; k++) {
                st[k] = pipe.u64();
            }
            calls.add(new Call(slot, entered, stackArgs, args, st));
        }
        return new Run(signal, regs, stack, count, calls);
    }

    static String hex(long[] values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.length; i++) {
            sb.append(i == 0 ? "" : ",").append(Long.toHexString(values[i]));
        }
        return sb.append(']').toString();
    }

    @Override
    public void close() {
        try {
            pipe.u32(0);
            out.flush();
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // The process is ended below either way.
        } finally {
            process.destroyForcibly();
        }
    }

}
