package io.github.pvpatch.verify;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.ZydisDecoder;

/** One shared decoder per ISA; decoders are immutable and thread-safe. */
final class Decoders {
    private Decoders() {
    }

    static ZydisDecoder of(Isa isa) {
        return ZydisDecoder.of(MachineMode.of(isa));
    }
}
