package io.github.pvpatch.zydis;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import java.util.List;

/** Run in a child JVM by {@link LoaderTest}: reports what a user sees when the shim cannot load. */
public final class LoaderProbe {
    private LoaderProbe() {
    }

    public static void main(String[] args) {
        System.out.println("available=" + Zydis.isAvailable());
        System.out.println("why=" + Zydis.unavailability().map(Throwable::getMessage).orElse("-"));
        try {
            ZydisDecoder.of(MachineMode.X86_64);
            System.out.println("decoder=created");
        } catch (ZydisUnavailableException e) {
            System.out.println("decoder=" + e.getClass().getSimpleName());
        }
        // The rest of the library does not need the shim.
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, 0x10000L);
        PatchSite site = form.site(0x1000L, 0, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), 0);
        byte[] text = form.encode(site);
        PatchPlan.of(CodeBuffer.wrap(text, 0x1000L), List.of(site), OpsTable.builder().put(0, Op.nop()).build())
                .apply();
        System.out.println("patched=" + java.util.HexFormat.of().formatHex(text));
    }
}
