package io.github.pvpatch.verify;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.Relocation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.zydis.Instruction;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Builds native ops from their bytes with the disassembler: the registers the code writes become
 * its clobbers, and its relative fields (branch displacements, x86-64 RIP-relative
 * displacements) become {@link Relocation}s, so the op can be inlined anywhere. Every relative
 * field is listed, also those aimed inside the code: inlining leaves a field alone when its target
 * lies in {@code [start, end]} of the code, its end included, so a branch to the end of the code
 * lands at the end of the inlined copy.
 *
 * <p>The clobbers are what the instructions write, implicit writes included ({@code pushf; pop
 * %rax} clobbers rax; {@code cpuid} four registers), except the stack pointer. Code that calls
 * out ({@code call}) is assumed to clobber every register a C call may, on top.
 *
 * <pre>{@code
 * // mov rax, [rip+0x100], where the code lives at 0xffffffff81001000
 * Op.Native op = NativeScanner.scan(Isa.X86_64, 0xffffffff81001000L, HexFormat.of().parseHex("488b0500010000"));
 * op.clobbers();      // [rax]
 * op.relocations();   // [Relocation[fieldOffset=3, fieldSize=4, instructionEnd=7]]
 * }</pre>
 */
public final class NativeScanner {
    private static final int SP_BIT = 1 << Register.RSP.encoding();

    private NativeScanner() {
    }

    /**
     * {@return the native op of {@code code}, living at {@code sourceAddress}}
     *
     * @param isa the instruction set of the code
     * @param sourceAddress where the code lives
     * @param code the instructions, 1 to 255 bytes
     * @throws IllegalArgumentException if the bytes are not whole instructions
     * @throws io.github.pvpatch.zydis.ZydisUnavailableException if the shim cannot be loaded
     */
    public static Op.Native scan(Isa isa, long sourceAddress, byte[] code) {
        Objects.requireNonNull(isa, "isa");
        Objects.requireNonNull(code, "code");
        ZydisDecoder decoder = Decoders.of(isa);
        int written = 0;
        boolean callsOut = false;
        List<Relocation> relocations = new ArrayList<>();
        int at = 0;
        while (at < code.length) {
            int start = at;
            Instruction insn = decoder.decode(code, at, code.length - at, sourceAddress + at).orElseThrow(() ->
                    new IllegalArgumentException("native code " + HexFormat.of().formatHex(code)
                            + " has no instruction at +" + start));
            int end = at + insn.length();
            written |= insn.registersWritten();
            callsOut |= insn.mnemonic().equals("call");
            if (insn.relativeImmediateOffset().isPresent()) {
                relocations.add(Relocation.of(at + insn.relativeImmediateOffset().getAsInt(),
                        insn.relativeImmediateBits() / 8, end));
            }
            if (insn.memory().isPresent() && insn.memory().get().isRipRelative()
                    && insn.displacementOffset().isPresent()) {
                relocations.add(Relocation.of(at + insn.displacementOffset().getAsInt(), 4, end));
            }
            at = end;
        }
        ClobberSet clobbers = ClobberSet.ofBits(written & ~SP_BIT & ClobberSet.all(isa).bits());
        if (callsOut) {
            clobbers = clobbers.union(ClobberSet.callerSaved(isa));
        }
        return Op.nativeCodeAt(sourceAddress, code, clobbers, relocations);
    }
}
