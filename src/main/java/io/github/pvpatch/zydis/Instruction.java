package io.github.pvpatch.zydis;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * One decoded instruction.
 *
 * @param address where it sits
 * @param length its length in bytes, 1 to 15
 * @param mnemonicId Zydis' mnemonic number
 * @param mnemonic the mnemonic, lower case, such as {@code "call"}
 * @param branchTarget the absolute target of a relative branch or call
 * @param memory the explicit memory operand, if any
 * @param registersWritten the general-purpose registers it writes, bit <i>n</i> for encoding
 *     <i>n</i>, including implicit writes ({@code push} writes the stack pointer, {@code pushf;
 *     pop %rax} writes rax, {@code cpuid} writes four)
 * @param registersRead the general-purpose registers it reads, likewise
 * @param displacementOffset where its 32-bit displacement field starts, when it has one
 * @param relativeImmediateOffset where its relative immediate (a branch displacement) starts
 * @param relativeImmediateBits the size of that immediate in bits (8, 16 or 32), 0 when none
 * @param farBranch whether it is a far call, jump or return, which loads a code segment too
 */
public record Instruction(long address, int length, int mnemonicId, String mnemonic, OptionalLong branchTarget,
        Optional<MemoryOperand> memory, int registersWritten, int registersRead, OptionalInt displacementOffset,
        OptionalInt relativeImmediateOffset, int relativeImmediateBits, boolean farBranch) {

    /** {@return the address just past the instruction} */
    public long addressAfter() {
        return address + length;
    }

    /** {@return whether it is a NOP of any form ({@code nop}, or {@code 0F 1F} multi-byte)} */
    public boolean isNop() {
        return "nop".equals(mnemonic);
    }
}
