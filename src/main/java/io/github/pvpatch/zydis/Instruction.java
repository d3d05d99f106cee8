package io.github.pvpatch.zydis;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One decoded instruction.
 *
 * <p>An immutable value made by {@link ZydisDecoder}; it has no public constructor.
 */
public final class Instruction {
    private final long address;
    private final int length;
    private final int mnemonicId;
    private final String mnemonic;
    private final OptionalLong branchTarget;
    private final Optional<MemoryOperand> memory;
    private final int registersWritten;
    private final int registersRead;
    private final OptionalInt displacementOffset;
    private final OptionalInt relativeImmediateOffset;
    private final int relativeImmediateBits;
    private final boolean farBranch;

    /**
     * An instruction as decoded.
     */
    Instruction(long address, int length, int mnemonicId, String mnemonic, OptionalLong branchTarget,
            Optional<MemoryOperand> memory, int registersWritten, int registersRead, OptionalInt displacementOffset,
            OptionalInt relativeImmediateOffset, int relativeImmediateBits, boolean farBranch) {
        this.address = address;
        this.length = length;
        this.mnemonicId = mnemonicId;
        this.mnemonic = Objects.requireNonNull(mnemonic, "mnemonic");
        this.branchTarget = Objects.requireNonNull(branchTarget, "branchTarget");
        this.memory = Objects.requireNonNull(memory, "memory");
        this.registersWritten = registersWritten;
        this.registersRead = registersRead;
        this.displacementOffset = Objects.requireNonNull(displacementOffset, "displacementOffset");
        this.relativeImmediateOffset = Objects.requireNonNull(relativeImmediateOffset, "relativeImmediateOffset");
        this.relativeImmediateBits = relativeImmediateBits;
        this.farBranch = farBranch;
    }

    /** {@return where it sits} */
    public long address() {
        return address;
    }

    /** {@return its length in bytes, 1 to 15} */
    public int length() {
        return length;
    }

    /** {@return Zydis' mnemonic number} */
    public int mnemonicId() {
        return mnemonicId;
    }

    /** {@return the mnemonic, lower case, such as {@code "call"}} */
    public String mnemonic() {
        return mnemonic;
    }

    /** {@return the absolute target of a relative branch or call} */
    public OptionalLong branchTarget() {
        return branchTarget;
    }

    /** {@return the explicit memory operand, if any} */
    public Optional<MemoryOperand> memory() {
        return memory;
    }

    /**
     * {@return the general-purpose registers it writes, bit <i>n</i> for encoding <i>n</i>, including implicit writes
     * ({@code push} writes the stack pointer, {@code pushf; pop %rax} writes rax, {@code cpuid} writes four)}
     */
    public int registersWritten() {
        return registersWritten;
    }

    /** {@return the general-purpose registers it reads, likewise} */
    public int registersRead() {
        return registersRead;
    }

    /** {@return where its 32-bit displacement field starts, when it has one} */
    public OptionalInt displacementOffset() {
        return displacementOffset;
    }

    /** {@return where its relative immediate (a branch displacement) starts} */
    public OptionalInt relativeImmediateOffset() {
        return relativeImmediateOffset;
    }

    /** {@return the size of that immediate in bits (8, 16 or 32), 0 when none} */
    public int relativeImmediateBits() {
        return relativeImmediateBits;
    }

    /** {@return whether it is a far call, jump or return, which loads a code segment too} */
    public boolean farBranch() {
        return farBranch;
    }

    /** {@return the address just past the instruction} */
    public long addressAfter() {
        return address + length;
    }

    /** {@return whether it is a NOP of any form ({@code nop}, or {@code 0F 1F} multi-byte)} */
    public boolean isNop() {
        return "nop".equals(mnemonic);
    }

    /**
     * {@return whether {@code o} is a Instruction with equal components}
     *
     * @param o the other object
     */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Instruction)) {
            return false;
        }
        Instruction that = (Instruction) o;
        return address == that.address
                && length == that.length
                && mnemonicId == that.mnemonicId
                && mnemonic.equals(that.mnemonic)
                && branchTarget.equals(that.branchTarget)
                && memory.equals(that.memory)
                && registersWritten == that.registersWritten
                && registersRead == that.registersRead
                && displacementOffset.equals(that.displacementOffset)
                && relativeImmediateOffset.equals(that.relativeImmediateOffset)
                && relativeImmediateBits == that.relativeImmediateBits
                && farBranch == that.farBranch;
    }

    /** {@return a hash of the components} */
    @Override
    public int hashCode() {
        return Objects.hash(address, length, mnemonicId, mnemonic, branchTarget, memory, registersWritten,
                registersRead, displacementOffset, relativeImmediateOffset, relativeImmediateBits, farBranch);
    }

    /** {@return the components, as {@code Instruction[address=..., ...]}} */
    @Override
    public String toString() {
        return "Instruction[address=" + address + ", length=" + length + ", mnemonicId=" + mnemonicId
                + ", mnemonic=" + mnemonic + ", branchTarget=" + branchTarget + ", memory=" + memory
                + ", registersWritten=" + registersWritten + ", registersRead=" + registersRead
                + ", displacementOffset=" + displacementOffset + ", relativeImmediateOffset=" + relativeImmediateOffset
                + ", relativeImmediateBits=" + relativeImmediateBits + ", farBranch=" + farBranch + "]";
    }
}
