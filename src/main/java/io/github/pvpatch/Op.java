package io.github.pvpatch;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What an ops-table slot holds, as far as patching cares: nothing to do, a short native
 * sequence, a function to call, or a place to jump to.
 *
 * <pre>{@code
 * Op cli      = Op.nativeCode("fa", ClobberSet.none());
 * Op saveFl   = Op.nativeCode("9c 58", ClobberSet.of(Register.RAX));      // pushf; pop %rax
 * Op handler  = Op.call(0xffffffff81234560L, ClobberSet.callerSaved(Isa.X86_64), true);
 * Op iretPath = Op.jump(0xffffffff81c00000L);
 * Op nothing  = Op.nop();
 * }</pre>
 */
public sealed interface Op permits Op.Nop, Op.Native, Op.Call, Op.Jump {

    /** {@return the op that does nothing: its sites become NOPs} */
    static Op nop() {
        return Nop.INSTANCE;
    }

    /**
     * {@return a native sequence to copy into sites, destroying {@code clobbers}}
     *
     * @param code the instructions, 0 to {@value PatchSite#MAX_LENGTH} bytes (copied)
     * @param clobbers the registers the sequence destroys
     * @throws IllegalArgumentException if the code is longer than any site can be
     */
    static Native nativeCode(byte[] code, ClobberSet clobbers) {
        return new Native(code.clone(), clobbers);
    }

    /**
     * {@return a native sequence given as hex digits, spaces allowed, such as {@code "9c 58"}}
     *
     * @param hex the instructions in hex
     * @param clobbers the registers the sequence destroys
     * @throws IllegalArgumentException if {@code hex} is not hex digits
     */
    static Native nativeCode(String hex, ClobberSet clobbers) {
        return new Native(HexFormat.of().parseHex(Objects.requireNonNull(hex, "hex").replace(" ", "")), clobbers);
    }

    /**
     * {@return a function to call that returns no value}
     *
     * @param target the function's address
     * @param clobbers the registers it destroys
     */
    static Call call(long target, ClobberSet clobbers) {
        return new Call(target, clobbers, false);
    }

    /**
     * {@return a function to call}
     *
     * @param target the function's address
     * @param clobbers the registers it destroys; must hold the return register if it returns a value
     * @param returnsValue whether it leaves a result in eax/rax
     */
    static Call call(long target, ClobberSet clobbers, boolean returnsValue) {
        return new Call(target, clobbers, returnsValue);
    }

    /**
     * {@return a place to jump to, for ops reached through {@code jmp *slot}}
     *
     * @param target the address
     */
    static Jump jump(long target) {
        return new Jump(target);
    }

    /** {@return the registers the op destroys} */
    ClobberSet clobbers();

    /** The op that does nothing. */
    record Nop() implements Op {
        private static final Nop INSTANCE = new Nop();

        /** {@return the empty set: doing nothing destroys nothing} */
        @Override
        public ClobberSet clobbers() {
            return ClobberSet.none();
        }
    }

    /**
     * A native instruction sequence, inlined into sites where it fits. Immutable: the bytes are
     * copied in and out.
     */
    final class Native implements Op {
        private final byte[] code;
        private final ClobberSet clobbers;

        private Native(byte[] code, ClobberSet clobbers) {
            this.clobbers = Objects.requireNonNull(clobbers, "clobbers");
            if (code.length > PatchSite.MAX_LENGTH) {
                throw new IllegalArgumentException("native code length=" + code.length
                        + " exceeds the largest site, " + PatchSite.MAX_LENGTH);
            }
            this.code = code;
        }

        /** {@return a copy of the instruction bytes} */
        public byte[] code() {
            return code.clone();
        }

        /** {@return the number of bytes} */
        public int length() {
            return code.length;
        }

        /**
         * {@return one byte of the code, 0 to 255}
         *
         * @param index 0 to {@code length() - 1}
         */
        public int byteAt(int index) {
            return code[Objects.checkIndex(index, code.length)] & 0xFF;
        }

        /**
         * Copies the code into {@code dst} at {@code offset}, allocating nothing.
         *
         * @param dst where to copy
         * @param offset the first index written
         * @throws IndexOutOfBoundsException if the code does not fit
         */
        public void copyTo(byte[] dst, int offset) {
            Objects.checkFromIndexSize(offset, code.length, dst.length);
            System.arraycopy(code, 0, dst, offset, code.length);
        }

        @Override
        public ClobberSet clobbers() {
            return clobbers;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Native && Arrays.equals(code, ((Native) o).code)
                    && clobbers.equals(((Native) o).clobbers);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(code) + clobbers.hashCode();
        }

        @Override
        public String toString() {
            return "native[" + HexFormat.ofDelimiter(" ").formatHex(code) + "] clobbers=" + clobbers;
        }
    }

    /**
     * A function to call directly.
     *
     * @param target the function's address
     * @param clobbers the registers it destroys
     * @param returnsValue whether it leaves a result in eax/rax
     */
    record Call(long target, ClobberSet clobbers, boolean returnsValue) implements Op {
        /**
         * Checks the components.
         *
         * @param target the function's address
         * @param clobbers the registers it destroys
         * @param returnsValue whether it leaves a result in eax/rax
         * @throws IllegalArgumentException if it returns a value but does not clobber eax/rax
         */
        public Call {
            Objects.requireNonNull(clobbers, "clobbers");
            if (returnsValue && !clobbers.contains(Register.RAX)) {
                throw new IllegalArgumentException("a call that returnsValue must clobber the return register, clobbers="
                        + clobbers);
            }
        }

        @Override
        public String toString() {
            return "call 0x" + Long.toHexString(target) + " clobbers=" + clobbers + (returnsValue ? " returns" : "");
        }
    }

    /**
     * A place to jump to directly; control does not come back, so it destroys nothing the site
     * could observe.
     *
     * @param target the address
     */
    record Jump(long target) implements Op {
        @Override
        public ClobberSet clobbers() {
            return ClobberSet.none();
        }

        @Override
        public String toString() {
            return "jmp 0x" + Long.toHexString(target);
        }
    }
}
