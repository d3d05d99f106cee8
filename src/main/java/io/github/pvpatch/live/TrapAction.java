package io.github.pvpatch.live;

/**
 * What a CPU that hit an int3 must do, as {@link LivePlan#resolve(long)} answers: emulate the
 * new first instruction of the site (as Linux's {@code poke_int3_handler} does for call, jmp and
 * NOP), resume at the same address once the plan is done, or handle the trap as if no plan were
 * running.
 */
public sealed interface TrapAction {
    /**
     * Emulate a call: push {@code returnAddress} (4 bytes on i386, 8 on x86-64) and continue at
     * {@code target}. The bytes at the return address do not change during the plan, so the callee
     * may return at any time. The push lands just below the interrupted stack pointer: a host
     * whose trap handler keeps state there (a user-space {@code SIGTRAP} handler on i386, which
     * has no red zone) must move it elsewhere, for example onto an alternate signal stack.
     *
     * @param target the callee
     * @param returnAddress what to push
     */
    record EmulateCall(long target, long returnAddress) implements TrapAction {
        @Override
        public String toString() {
            return "EmulateCall[target=0x" + Long.toHexString(target) + " return=0x" + Long.toHexString(returnAddress)
                    + "]";
        }
    }

    /**
     * Emulate a jump: continue at {@code target}.
     *
     * @param target where the new jump goes
     */
    record EmulateJump(long target) implements TrapAction {
        @Override
        public String toString() {
            return "EmulateJump[target=0x" + Long.toHexString(target) + "]";
        }
    }

    /**
     * Emulate the new NOPs: continue at {@code address}, past them; the bytes there do not change
     * during the plan.
     *
     * @param address where execution goes on
     */
    record SkipTo(long address) implements TrapAction {
        @Override
        public String toString() {
            return "SkipTo[0x" + Long.toHexString(address) + "]";
        }
    }

    /**
     * Resume at {@code address}, the int3 itself, once the plan has finished (its last sync has
     * returned). Resuming earlier is safe too: the CPU traps again until the new first byte is
     * there.
     *
     * @param address the int3's address, where the site starts
     */
    record Retry(long address) implements TrapAction {
        @Override
        public String toString() {
            return "Retry[0x" + Long.toHexString(address) + "]";
        }
    }

    /** Not an int3 this plan wrote: the host handles the trap as it would without a plan. */
    record NotOurs() implements TrapAction {
    }
}
