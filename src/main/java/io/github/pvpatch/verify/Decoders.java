package io.github.pvpatch.verify;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.Zydis;
import io.github.pvpatch.zydis.ZydisDecoder;

/** One shared decoder per ISA; decoders are immutable and thread-safe. */
final class Decoders {
    private Decoders() {
    }

    static ZydisDecoder of(Isa isa) {
        Zydis.requireAvailable();
        return MachineMode.of(isa) == MachineMode.X86_32 ? Holder.D32 : Holder.D64;
    }

    /** Created on first use, so a missing shim fails where it is needed, with its own message. */
    private static final class Holder {
        static final ZydisDecoder D32 = ZydisDecoder.of(MachineMode.of(Isa.X86_32));
        static final ZydisDecoder D64 = ZydisDecoder.of(MachineMode.of(Isa.X86_64));
    }
}
