package io.github.pvpatch.zydis;

import io.github.pvpatch.arch.Isa;
import java.util.Objects;

/** The processor mode code is decoded in. */
public enum MachineMode {
    /** 32-bit protected mode, 32-bit stack (i386 code). */
    X86_32(32),
    /** 64-bit long mode, 64-bit stack. */
    X86_64(64);

    private final int bits;

    MachineMode(int bits) {
        this.bits = bits;
    }

    /** {@return 32 or 64} */
    public int bits() {
        return bits;
    }

    /**
     * {@return the mode code of {@code isa} runs in}: the one place the library maps an
     * instruction set to a decoder mode.
     *
     * @param isa the instruction set
     */
    public static MachineMode of(Isa isa) {
        return Objects.requireNonNull(isa, "isa") == Isa.X86_32 ? X86_32 : X86_64;
    }
}
