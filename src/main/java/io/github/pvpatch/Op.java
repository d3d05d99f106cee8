package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What an ops-table slot holds, as far as patching cares: nothing to do, a short native
 * sequence, a function to call, or a place to jump to.
 *
 * <pre>{@code
 * Op cli      = Op.nativeCode("fa", ClobberSet.none());
 * Op saveFl   = Op.nativeCode("9c 58", ClobberSet.of(Register.RAX));      // pushf; pop %rax
 * Op readPv   = Op.nativeCodeAt(0xffffffff81001000L, HexFormat.of().parseHex("488b0500010000"),
 *         ClobberSet.of(Register.RAX), List.of(Relocation.of(3, 4, 7)));  // mov rax, [rip+0x100]
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
        return new Native(code.clone(), clobbers, 0, false, Native.NO_RELOCATIONS);
    }

    /**
     * {@return a native sequence that lives at {@code sourceAddress}, whose relative fields are
     * re-aimed when it is copied into a site} Use it for code that has {@code rel8}/{@code rel32}
     * branches or x86-64 RIP-relative operands pointing outside itself;
     * {@code io.github.pvpatch.verify.NativeScanner} builds one from the bytes with a disassembler.
     *
     * @param sourceAddress the address of the code's first byte where it lives now
     * @param code the instructions (copied)
     * @param clobbers the registers the sequence destroys
     * @param relocations its relative fields, in any order
     * @throws IllegalArgumentException if a relocation is outside the code, or two overlap
     */
    static Native nativeCodeAt(long sourceAddress, byte[] code, ClobberSet clobbers, List<Relocation> relocations) {
        Relocation[] r = Objects.requireNonNull(relocations, "relocations").toArray(new Relocation[0]);
        return new Native(code.clone(), clobbers, sourceAddress, true, r);
    }

    /**
     * {@return a native sequence given as hex digits, spaces allowed, such as {@code "9c 58"}}
     *
     * @param hex the instructions in hex
     * @param clobbers the registers the sequence destroys
     * @throws IllegalArgumentException if {@code hex} is not hex digits
     */
    static Native nativeCode(String hex, ClobberSet clobbers) {
        return new Native(HexFormat.of().parseHex(Objects.requireNonNull(hex, "hex").replace(" ", "")), clobbers, 0,
                false, Native.NO_RELOCATIONS);
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
        /** Shared by every position-independent native op. */
        private static final Relocation[] NO_RELOCATIONS = new Relocation[0];

        private final byte[] code;
        private final ClobberSet clobbers;
        private final long sourceAddress;
        private final boolean hasSource;
        private final Relocation[] relocations;

        private Native(byte[] code, ClobberSet clobbers, long sourceAddress, boolean hasSource,
                Relocation[] relocations) {
            this.clobbers = Objects.requireNonNull(clobbers, "clobbers");
            if (code.length > PatchSite.MAX_LENGTH) {
                throw new IllegalArgumentException("native code length=" + code.length
                        + " exceeds the largest site, " + PatchSite.MAX_LENGTH);
            }
            boolean[] used = new boolean[code.length];
            for (Relocation r : relocations) {
                Objects.requireNonNull(r, "relocations[i]");
                if (r.instructionEnd() > code.length) {
                    throw new IllegalArgumentException(r + " is outside the native code, length=" + code.length);
                }
                for (int i = r.fieldOffset(); i < r.fieldOffset() + r.fieldSize(); i++) {
                    if (used[i]) {
                        throw new IllegalArgumentException(r + " overlaps another relocation");
                    }
                    used[i] = true;
                }
            }
            this.code = code;
            this.sourceAddress = sourceAddress;
            this.hasSource = hasSource;
            this.relocations = relocations;
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

        /** {@return where the code lives, when it was built with {@link Op#nativeCodeAt}} */
        public OptionalLong sourceAddress() {
            return hasSource ? OptionalLong.of(sourceAddress) : OptionalLong.empty();
        }

        /** {@return the relative fields re-aimed when the code is copied; empty when position-independent} */
        public List<Relocation> relocations() {
            return List.of(relocations);
        }

        /**
         * Copies the code into {@code dst} at {@code offset}, allocating nothing. Relative fields
         * are copied as they are; {@link SiteWriter#putNative} re-aims them.
         *
         * @param dst where to copy
         * @param offset the first index written
         * @throws IndexOutOfBoundsException if the code does not fit
         */
        public void copyTo(byte[] dst, int offset) {
            Objects.checkFromIndexSize(offset, code.length, dst.length);
            byte[] c = code;
            for (int i = 0; i < c.length; i++) {
                dst[offset + i] = c[i];
            }
        }

        /** The relocations array itself, for the writer's allocation-free loop. */
        Relocation[] relocationArray() {
            return relocations;
        }

        /** The source address, meaningful only when {@link #sourceAddress()} is present. */
        long sourceAddressOrZero() {
            return sourceAddress;
        }

        @Override
        public ClobberSet clobbers() {
            return clobbers;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof Native)) {
                return false;
            }
            Native n = (Native) o;
            return Arrays.equals(code, n.code) && clobbers.equals(n.clobbers) && hasSource == n.hasSource
                    && sourceAddress == n.sourceAddress && Arrays.equals(relocations, n.relocations);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(code) + clobbers.hashCode()) + Long.hashCode(sourceAddress);
        }

        @Override
        public String toString() {
            String s = "native[" + HexFormat.ofDelimiter(" ").formatHex(code) + "] clobbers=" + clobbers;
            return hasSource ? s + " at=0x" + Long.toHexString(sourceAddress) + " relocations=" + relocations.length
                    : s;
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
