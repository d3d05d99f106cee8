package io.github.pvpatch.linux;

import io.github.pvpatch.Op;

/**
 * What an ops-table slot of a kernel image holds, read from the image's bytes, and the op
 * pvpatch will patch its sites for.
 *
 * @param type the slot index
 * @param address the slot's initial target
 * @param kind what the target is
 * @param op the op its sites are patched for; {@link Op#nop()} for a {@link Kind#NOP}
 * @param evidence where the op's clobbers come from
 * @param description a short human-readable account, such as {@code "native fa (cli)"}
 */
public record SlotTarget(int type, long address, Kind kind, Op op, Evidence evidence, String description) {

    /** Where an op's clobbers come from, strongest first. */
    public enum Evidence {
        /** Read from the code: a native sequence's writes, a thunk's pushes, a function that only returns. */
        READ_FROM_CODE,
        /** A plain function: what the C calling convention lets it destroy. */
        C_ABI,
        /**
         * A function called at callee-save sites: the kernel's contract says it preserves all but
         * the return registers; pvpatch could not prove it from the bytes.
         */
        KERNEL_CONTRACT
    }

    /** {@return whether the clobbers were read from the code} */
    public boolean clobbersProven() {
        return evidence == Evidence.READ_FROM_CODE;
    }

    /** What a slot's target is. */
    public enum Kind {
        /** A function whose body is only a return: its sites become NOPs. */
        NOP,
        /** A short straight-line sequence then a return, that fits and suits every site of the slot: inlined. */
        NATIVE,
        /** Pushes, a call, the mirrored pops, a return: it destroys only what it does not push. */
        CALLEE_SAVE_THUNK,
        /** Any other function: a direct call. */
        FUNCTION
    }
}
