package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.Relocation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every {@code @throws} of the model's factories, provoked as its Javadoc describes it. */
class CoreArgumentsTest {
    private static void iae(String what, Executable e) {
        assertThrows(IllegalArgumentException.class, e, what);
    }

    @Test
    void patchSiteRefusesOutOfRangeValues() {
        ClobberSet none = ClobberSet.none();
        iae("length 0", () -> PatchSite.of(Isa.X86_64, 0x1000, 0, 0, none));
        iae("length 256", () -> PatchSite.of(Isa.X86_64, 0x1000, PatchSite.MAX_LENGTH + 1, 0, none));
        iae("type -1", () -> PatchSite.of(Isa.X86_64, 0x1000, 6, -1, none));
        iae("type 0x10000", () -> PatchSite.of(Isa.X86_64, 0x1000, 6, PatchSite.MAX_TYPE + 1, none));
        iae("r8 on i386", () -> PatchSite.of(Isa.X86_32, 0x1000, 6, 0, ClobberSet.of(Register.R8)));
        iae("i386 address above 4 GiB", () -> PatchSite.of(Isa.X86_32, 1L << 32, 6, 0, none));
        assertThrows(NullPointerException.class, () -> PatchSite.of(null, 0x1000, 6, 0, none));
        assertThrows(NullPointerException.class, () -> PatchSite.of(Isa.X86_64, 0x1000, 6, 0, null));
        PatchSite s = PatchSite.of(Isa.X86_32, 0x1000, 6, 0, none);
        iae("call offset = length", () -> s.withCallOffset(6));
        iae("call offset -1", () -> s.withCallOffset(-1));
        iae("256 stack arguments", () -> s.withStackArguments(256));
        iae("-1 stack arguments", () -> s.withStackArguments(-1));
        iae("does not fit below 4 GiB", () -> s.withAddress(0xFFFF_FFFDL));
        assertThrows(NullPointerException.class, () -> s.withKind(null));
        assertThrows(NullPointerException.class, () -> s.withClobbers(null));
    }

    @Test
    void opsRefuseWhatTheirJavadocNames() {
        iae("code longer than any site", () -> Op.nativeCode(new byte[PatchSite.MAX_LENGTH + 1], ClobberSet.none()));
        iae("not hex", () -> Op.nativeCode("zz", ClobberSet.none()));
        iae("returns a value without clobbering rax", () -> Op.call(0x1000, ClobberSet.of(Register.RCX), true));
        iae("relocation outside the code", () -> Op.nativeCodeAt(0x1000, new byte[] {(byte) 0xeb, 0x00},
                ClobberSet.none(), List.of(Relocation.of(1, 4, 5))));
        iae("two relocations overlap", () -> Op.nativeCodeAt(0x1000, new byte[] {(byte) 0xe9, 0, 0, 0, 0},
                ClobberSet.none(), List.of(Relocation.of(1, 4, 5), Relocation.of(2, 1, 3))));
        iae("relocation size 3", () -> Relocation.of(1, 3, 4));
        iae("field past its instruction", () -> Relocation.of(1, 4, 4));
        assertThrows(NullPointerException.class, () -> Op.nativeCode((String) null, ClobberSet.none()));
        assertThrows(NullPointerException.class, () -> Op.nativeCode("90", null));
        assertThrows(NullPointerException.class, () -> Op.call(0x1000, null));
        byte[] into = new byte[1];
        assertThrows(IndexOutOfBoundsException.class, () -> Op.nativeCode("90 90", ClobberSet.none()).copyTo(into, 0));
    }

    @Test
    void opsTablesAndClobberSetsRefuseBadBitsAndTypes() {
        iae("put type -1", () -> OpsTable.builder().put(-1, Op.nop()));
        iae("put type 0x10000", () -> OpsTable.builder().put(PatchSite.MAX_TYPE + 1, Op.nop()));
        iae("of type -1", () -> OpsTable.of(Map.of(-1, Op.nop())));
        assertThrows(NullPointerException.class, () -> OpsTable.builder().put(0, null));
        assertThrows(NullPointerException.class, () -> OpsTable.of(null));
        iae("rsp", () -> ClobberSet.of(Register.RSP));
        iae("bit 16", () -> ClobberSet.ofBits(1 << 16));
        iae("rsp bit", () -> ClobberSet.ofBits(1 << Register.RSP.encoding()));
        iae("undefined CLBR bit", () -> ClobberSet.fromLinuxMask(0x200, Isa.X86_64));
        iae("ebx has no CLBR bit", () -> ClobberSet.of(Register.EBX).toLinuxMask(Isa.X86_32));
        iae("r8 on i386", () -> ClobberSet.of(Register.R8).requireIn(Isa.X86_32));
        assertThrows(NullPointerException.class, () -> ClobberSet.of((Register[]) null));
        assertThrows(NullPointerException.class, () -> ClobberSet.callerSaved(null));
    }
}
