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

    /**
     * The table loop reads each row's original bytes as it writes it, as two words where the array
     * has them: a site that ends at the array's last byte, and a buffer that is a window in a larger
     * array, must still be reverted byte for byte, and nothing outside the window changed.
     */
    @Test
    void revertRestoresSitesAtTheArraysEndAndInAWindow() {
        for (int pad : new int[] {0, 3, 16, 40}) {
            // Sites every 8 bytes over a window of 200 bytes, the last ending at the window's end;
            // pad bytes of the array after the window, and 24 before it.
            int window = 200;
            PatchSite[] s = new PatchSite[window / 8];
            for (int i = 0; i < s.length; i++) {
                s[i] = FORM.site(BASE + 8L * i + 2, i % 2, SiteKind.CALL, ANY, 0);
            }
            List<PatchSite> sites = List.of(s);
            byte[] array = new byte[24 + window + pad];
            Arrays.fill(array, (byte) 0x5A);
            for (PatchSite site : sites) {
                FORM.encode(site, NopTable.P6, array, 24 + (int) (site.address() - BASE));
            }
            byte[] pristine = array.clone();
            SiteTable table = SiteTable.of(Isa.X86_64, sites);
            CodeBuffer code = CodeBuffer.wrap(array, 24, window, BASE);
            PatchPass pass = PatchPass.of(PatchOptions.defaults());
            for (OpsTable ops : List.of(hypervisorOps, nativeOps, hypervisorOps)) {
                pass.apply(code, table, ops);
                byte[] once = array.clone();
                pass.apply(code, table, ops);   // warm: every row from its template, originals read as written
                assertArrayEquals(once, array, "pad=" + pad);
                pass.revert();                  // back to the first pass's bytes
                assertArrayEquals(once, array, "pad=" + pad);
                pass.apply(code, table, ops);
                pass.revert();
                assertArrayEquals(once, array, "pad=" + pad);
                // Back to the pristine code through a fresh pass's journal of the first pass.
                System.arraycopy(pristine, 0, array, 0, array.length);
                PatchPass first = PatchPass.of(PatchOptions.defaults());
                first.apply(code, table, ops);
                assertArrayEquals(once, array, "pad=" + pad);
                first.revert();
                assertArrayEquals(pristine, array, "pad=" + pad);
            }
        }
    }

    /**
     * The table loop moves a site as one, two or four words by its length: every length from the
     * shortest site to past the words, on both ISAs, with gaps of 0 to 3 bytes, must be written and
     * reverted exactly as a plan (which never takes the table loop) writes it, for every strategy.
     */
    @Test
    void everySiteLengthIsWrittenAndRevertedAsAPlanDoes() {
        int checked = 0;
        for (Isa isa : Isa.values()) {
            long base = isa == Isa.X86_32 ? 0xc1000000L : BASE;
            UnpatchedForm form = UnpatchedForm.of(isa, base + 0x100000);
            ClobberSet any = ClobberSet.linuxAny(isa);
            OpsTable ops = OpsTable.builder().put(0, Op.nativeCode("fa", ClobberSet.none())).put(1, Op.nop())
                    .put(2, Op.call(base + 0x2000, any)).build();
            for (int padding = 0; padding <= 36; padding++) {
                for (int gap = 0; gap <= 3; gap++) {
                    List<PatchSite> sites = new java.util.ArrayList<>();
                    long at = 0;
                    for (int i = 0; i < 12; i++) {
                        PatchSite site = form.site(base + at, i % 3, SiteKind.CALL, any, padding);
                        sites.add(site);
                        at += site.length() + gap;
                    }
                    byte[] text = new byte[(int) at + 64];
                    Arrays.fill(text, (byte) 0xA5);
                    for (PatchSite site : sites) {
                        form.encode(site, NopTable.P6, text, (int) (site.address() - base));
                    }
                    byte[] pristine = text.clone();
                    byte[] want = text.clone();
                    PatchPlan.of(CodeBuffer.wrap(want, base), sites, ops).apply();
                    String where = isa + " length=" + sites.get(0).length() + " gap=" + gap;
                    PatchPass pass = PatchPass.of(PatchOptions.defaults());
                    SiteTable table = SiteTable.of(isa, sites);
                    assertEquals(sites.size(), pass.apply(CodeBuffer.wrap(text, base), table, ops), where);
                    assertArrayEquals(want, text, where);
                    pass.revert();
                    assertArrayEquals(pristine, text, where);
                    // Warm: every row from its template now, the originals read by the table loop.
                    pass.apply(CodeBuffer.wrap(text, base), table, ops);
                    pass.apply(CodeBuffer.wrap(text, base), table, ops);
                    assertArrayEquals(want, text, where);
                    pass.revert();
                    assertArrayEquals(want, text, where);
                    checked++;
                }
            }
        }
        assertEquals(2 * 37 * 4, checked);
    }
}
