package io.github.pvpatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.NopTable;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@link PatchPass} reuses the templates it learnt, and its table loop moves short sites as
 * whole words: a pass kept warm across other ops, other paths and sites near the buffer's end
 * must write exactly what a fresh pass writes, and leave the bytes between sites alone.
 */
class PatchPassTemplateTest {
    private static final long BASE = 0xffffffff81000000L;
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L);
    private static final ClobberSet ANY = ClobberSet.linuxAny(Isa.X86_64);
    private static final int SIZE = 256;

    private final OpsTable nativeOps = OpsTable.builder().put(0, Op.nativeCode("fa", ClobberSet.none()))
            .put(1, Op.nop()).build();
    private final OpsTable hypervisorOps = OpsTable.builder().put(0, Op.call(BASE + 0x1000, ANY))
            .put(1, Op.call(BASE + 0x2000, ANY)).build();

    /** Sites of type 0 and 1 every 12 bytes, the last ones within the buffer's last 32 bytes. */
    private static List<PatchSite> sites() {
        PatchSite[] s = new PatchSite[SIZE / 12];
        for (int i = 0; i < s.length; i++) {
            s[i] = FORM.site(BASE + 12L * i, i % 2, SiteKind.CALL, ANY, 0);
        }
        return List.of(s);
    }

    private static byte[] unpatched(List<PatchSite> sites) {
        byte[] text = new byte[SIZE];
        Arrays.fill(text, (byte) 0xCC);
        for (PatchSite s : sites) {
            FORM.encode(s, NopTable.P6, text, (int) (s.address() - BASE));
        }
        return text;
    }

    /** {@return the code a fresh pass leaves} */
    private static byte[] fresh(SiteTable table, OpsTable ops, List<PatchSite> sites) {
        byte[] text = unpatched(sites);
        PatchPass.of(PatchOptions.defaults()).apply(CodeBuffer.wrap(text, BASE), table, ops);
        return text;
    }

    @Test
    void aWarmPassWritesWhatAFreshOneDoesAcrossOpsChanges() {
        List<PatchSite> sites = sites();
        SiteTable table = SiteTable.of(Isa.X86_64, sites);
        byte[] text = unpatched(sites);
        byte[] pristine = text.clone();
        PatchPass pass = PatchPass.of(PatchOptions.defaults());
        for (OpsTable ops : List.of(nativeOps, hypervisorOps, nativeOps, hypervisorOps)) {
            pass.apply(CodeBuffer.wrap(text, BASE), table, ops);
            assertArrayEquals(fresh(table, ops, sites), text, "ops=" + ops);
            pass.revert();
            assertArrayEquals(pristine, text);
        }
        assertNotEquals(Arrays.toString(fresh(table, nativeOps, sites)),
                Arrays.toString(fresh(table, hypervisorOps, sites)));
    }

    @Test
    void templatesRelearntOnTheGeneralPathAreNotStampedForOtherOps() {
        List<PatchSite> sites = sites();
        SiteTable sorted = SiteTable.of(Isa.X86_64, sites);
        // The same sites out of address order: the pass plans them on the general path, which
        // relearns the very shapes the table loop holds, for other ops.
        List<PatchSite> reversed = new java.util.ArrayList<>(sites);
        java.util.Collections.reverse(reversed);
        SiteTable unsorted = SiteTable.of(Isa.X86_64, reversed);
        byte[] text = unpatched(sites);
        PatchPass pass = PatchPass.of(PatchOptions.defaults());
        pass.apply(CodeBuffer.wrap(text, BASE), sorted, nativeOps);
        pass.revert();
        pass.apply(CodeBuffer.wrap(text, BASE), unsorted, hypervisorOps);
        assertArrayEquals(fresh(sorted, hypervisorOps, sites), text);
        pass.revert();
        assertEquals(sites.size(), pass.apply(CodeBuffer.wrap(text, BASE), sorted, nativeOps));
        assertArrayEquals(fresh(sorted, nativeOps, sites), text);
    }

    @Test
    void wordMovesLeaveTheBytesBetweenSitesAndPastTheLastAlone() {
        List<PatchSite> sites = sites();
        SiteTable table = SiteTable.of(Isa.X86_64, sites);
        byte[] text = unpatched(sites);
        byte[] before = text.clone();
        PatchPass pass = PatchPass.of(PatchOptions.defaults());
        pass.apply(CodeBuffer.wrap(text, BASE), table, hypervisorOps);
        pass.apply(CodeBuffer.wrap(text, BASE), table, hypervisorOps);   // warm: every row from its template
        int covered = 0;
        for (PatchSite s : sites) {
            int at = (int) (s.address() - BASE);
            for (int k = covered; k < at; k++) {
                assertEquals(before[k], text[k], "byte between sites at offset " + k);
            }
            covered = at + s.length();
        }
        for (int k = covered; k < SIZE; k++) {
            assertEquals(before[k], text[k], "byte past the last site at offset " + k);
        }
        // A batch that breaks a rule at its last row writes nothing, though earlier rows were stamped.
        byte[] patched = text.clone();
        PatchSite outside = FORM.site(BASE + SIZE - 4, 0, SiteKind.CALL, ANY, 0);
        List<PatchSite> withOutside = new java.util.ArrayList<>(sites);
        withOutside.add(outside);
        SiteTable bad = SiteTable.of(Isa.X86_64, withOutside);
        org.junit.jupiter.api.Assertions.assertThrows(PatchBug.class,
                () -> pass.apply(CodeBuffer.wrap(text, BASE), bad, nativeOps));
        assertArrayEquals(patched, text);
    }
}
