package io.github.pvpatch.live;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.zydis.DecodedBuffer;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.ZydisDecoder;

/** What the planner needs to know of a site's bytes, from Zydis: boundaries, calls, NOPs. */
final class Code {
    private Code() {
    }

    static ZydisDecoder decoder(Isa isa) {
        return ZydisDecoder.of(MachineMode.of(isa));
    }

    /** The instructions of a site's bytes, decoded from its start straight through. */
    static final class Listing {
        /** Offsets of the instructions' starts, then the offset where decoding stopped. */
        final int[] starts;
        /** How many entries of {@link #starts} begin a valid instruction. */
        final int count;
        /** Any call, direct or not: its end is a return address. */
        final boolean[] call;
        /** A near call with a relative target. */
        final boolean[] directCall;
        final boolean[] nop;
        final boolean[] jump;
        /** An unconditional jmp (any form) or a ret: execution does not fall through. */
        final boolean[] stops;
        final long[] target;
        /** Whether decoding reached the site's end exactly. */
        final boolean complete;

        Listing(Isa isa, long address, byte[] bytes) {
            DecodedBuffer d = decoder(isa).decodeAll(bytes, 0, bytes.length, address);
            int n = 0;
            while (n < d.count() && d.isValid(n)) {
                n++;
            }
            count = n;
            starts = new int[n + 1];
            call = new boolean[n];
            directCall = new boolean[n];
            nop = new boolean[n];
            jump = new boolean[n];
            stops = new boolean[n];
            target = new long[n];
            int at = 0;
            for (int i = 0; i < n; i++) {
                starts[i] = d.offset(i);
                String m = d.mnemonic(i);
                boolean near = !d.isFarBranch(i);
                call[i] = "call".equals(m);
                directCall[i] = near && call[i] && d.hasBranchTarget(i);
                jump[i] = near && "jmp".equals(m) && d.hasBranchTarget(i);
                nop[i] = "nop".equals(m);
                stops[i] = "jmp".equals(m) || m.startsWith("ret");
                target[i] = d.hasBranchTarget(i) ? d.branchTarget(i) : -1;
                at = d.offset(i) + d.length(i);
            }
            starts[n] = at;
            complete = n == d.count() && at == bytes.length;
        }

        /** {@return the end of instruction {@code i}} */
        int end(int i) {
            return starts[i + 1];
        }

        /** {@return the first offset at or after instruction {@code i}'s start that is not inside a NOP run} */
        int afterNops(int i) {
            int k = i;
            while (k < count && nop[k]) {
                k++;
            }
            return starts[k];
        }
    }
}
