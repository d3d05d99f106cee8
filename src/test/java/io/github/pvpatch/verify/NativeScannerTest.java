package io.github.pvpatch.verify;

import static io.github.pvpatch.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.Relocation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.testing.Generators;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NativeScannerTest {
    private static final long AT = 0xffffffff81001000L;

    @ParameterizedTest
    @EnumSource(Isa.class)
    void theKernelsNativeSequencesClobberWhatTheyWrite(Isa isa) {
        // The declared clobbers in the generators' pool were written by hand from KERNEL-FACTS; Zydis agrees.
        java.util.List<Op.Native> all = new java.util.ArrayList<>(Generators.realNatives(isa));
        all.addAll(io.github.pvpatch.exec.ExecScenario.safeNatives(isa));
        for (Op.Native op : all) {
            Op.Native scanned = NativeScanner.scan(isa, isa == Isa.X86_32 ? 0xc1001000L : AT, op.code());
            assertEquals(op.clobbers(), scanned.clobbers(), op.toString());
            assertTrue(scanned.relocations().isEmpty(), op.toString());
        }
    }

    @Test
    void relativeFieldsBecomeRelocations() {
        Op.Native op = NativeScanner.scan(Isa.X86_64, AT, bytes("48 8b 05 00 01 00 00 eb 00 e8 00 00 00 00"));
        assertEquals(List.of(Relocation.of(3, 4, 7), Relocation.of(8, 1, 9), Relocation.of(10, 4, 14)),
                op.relocations());
        assertEquals(OptionalLong.of(AT), op.sourceAddress());
        // A call out clobbers what a C call may, on top of what the code writes.
        assertEquals(ClobberSet.callerSaved(Isa.X86_64), op.clobbers());
        // Absolute i386 operands need no relocation.
        assertTrue(NativeScanner.scan(Isa.X86_32, 0xc1000000L, bytes("a1 00 10 40 c0")).relocations().isEmpty());
        assertEquals(ClobberSet.of(Register.EAX), NativeScanner.scan(Isa.X86_32, 0, bytes("a1 00 10 40 c0")).clobbers());
    }

    @Test
    void bytesThatAreNotWholeInstructionsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NativeScanner.scan(Isa.X86_64, AT, bytes("fa 48 8b")));
        assertTrue(e.getMessage().contains("has no instruction at +1"), e.getMessage());
        assertThrows(NullPointerException.class, () -> NativeScanner.scan(null, 0, new byte[1]));
    }
}
