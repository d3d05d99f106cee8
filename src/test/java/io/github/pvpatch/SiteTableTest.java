package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.testing.Hex;
import java.util.List;
import org.junit.jupiter.api.Test;

class SiteTableTest {
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_64, 0x20_0000L);

    @Test
    void rowsRoundTripToSites() {
        PatchSite a = FORM.site(0x1000, 3, SiteKind.CALL, ClobberSet.of(Register.RAX), 2).withStackArguments(0);
        PatchSite b = FORM.site(0x1100, 4, SiteKind.JUMP, ClobberSet.none(), 0).withoutCallOffset();
        PatchSite c = PatchSite.of(Isa.X86_64, 0x1200, 6, 0xFFFF, ClobberSet.linuxAny(Isa.X86_64)).withStackArguments(255);
        SiteTable t = SiteTable.of(Isa.X86_64, List.of(a, b, c));
        assertEquals(List.of(a, b, c), List.of(t.site(0), t.site(1), t.site(2)));
        assertEquals(3, t.size());
        assertEquals(0xFFFF, t.type(2));
        assertEquals(255, t.stackArguments(2));
        assertEquals(-1, t.callOffset(1));
        assertEquals(SiteKind.JUMP, t.kind(1));
        assertEquals("SiteTable{x86-64, 3 sites}", t.toString());
        // The builder grows past its first guess.
        SiteTable.Builder big = SiteTable.builder(Isa.X86_32, 0);
        for (int i = 0; i < 1000; i++) {
            big.add(0x1000L + 8 * i, 6, i % 8, 0xF, SiteKind.CALL, 0, 0);
        }
        assertEquals(1000, big.build().size());
    }

    @Test
    void rowsAreCheckedLikeSites() {
        SiteTable.Builder b = SiteTable.builder(Isa.X86_32, 4);
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1_0000_0000L, 6, 0, 0, SiteKind.CALL, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 0, 0, 0, SiteKind.CALL, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 6, 0x10000, 0, SiteKind.CALL, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 6, 0, 1 << 9, SiteKind.CALL, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 6, 0, 0, SiteKind.CALL, 6, 0));
        // A call offset past 127 is no longer refused: a row takes every valid PatchSite (SiteViewTest).
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 200, 0, 0, SiteKind.CALL, 200, 0));
        assertThrows(IllegalArgumentException.class, () -> b.add(0x1000, 6, 0, 0, SiteKind.CALL, 0, 256));
        assertThrows(IllegalArgumentException.class, () -> b.add(PatchSite.of(Isa.X86_64, 0, 6, 0, ClobberSet.none())));
        assertThrows(IllegalArgumentException.class, () -> SiteTable.builder(Isa.X86_32, -1));
        assertEquals(0, b.build().size());
    }

    @Test
    void unsortedTablesStillFindOverlapsAndOutsideSites() {
        UnpatchedForm f32 = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        byte[] text = new byte[0x40];
        PatchSite late = f32.site(0xc1000020L, 1, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 0);
        PatchSite early = f32.site(0xc1000000L, 0, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 0);
        PatchSite overlapping = f32.site(0xc1000003L, 0, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 0);
        CodeBuffer code = CodeBuffer.wrap(text, 0xc1000000L);
        OpsTable ops = OpsTable.builder().put(0, Op.nop()).put(1, Op.nop()).build();
        PatchPass pass = PatchPass.of(PatchOptions.defaults());
        PatchBug overlap = assertThrows(PatchBug.class,
                () -> pass.apply(code, SiteTable.of(Isa.X86_32, List.of(late, overlapping, early)), ops));
        assertEquals(Violation.SITES_OVERLAP, overlap.violation());
        // In address order, the pass checks while it plans: the same violation, nothing written.
        byte[] before = text.clone();
        PatchBug inOrder = assertThrows(PatchBug.class,
                () -> pass.apply(code, SiteTable.of(Isa.X86_32, List.of(early, overlapping)), ops));
        assertEquals(Violation.SITES_OVERLAP, inOrder.violation());
        assertEquals(overlapping, inOrder.site());
        assertEquals(Hex.of(before), Hex.of(text));
        PatchSite outside = f32.site(0xc1000040L, 0, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 0);
        assertEquals(Violation.SITE_OUTSIDE_BUFFER, assertThrows(PatchBug.class,
                () -> pass.apply(code, SiteTable.of(Isa.X86_32, List.of(early, outside)), ops)).violation());
        assertEquals(Violation.SITE_OUTSIDE_BUFFER, assertThrows(PatchBug.class,
                () -> pass.apply(code, SiteTable.of(Isa.X86_32, List.of(late, outside)), ops)).violation());
        f32.encode(late, io.github.pvpatch.x86.NopTable.P6, text, 0x20);
        f32.encode(early, io.github.pvpatch.x86.NopTable.P6, text, 0);
        assertEquals(2, pass.apply(code, SiteTable.of(Isa.X86_32, List.of(late, early)), ops));
        assertEquals("66 0f 1f 44 00 00", Hex.of(text, 0, 6));
        assertEquals(SiteOutcome.patched(Strategy.NOP_PAD), pass.outcome(1));
    }

    @Test
    void passesRefuseWhatTheyCannotDoAndCustomPatchersAndChecksWork() {
        PatchPass pass = PatchPass.of(PatchOptions.defaults().withNops(io.github.pvpatch.x86.NopTable.K7));
        SiteTable t = SiteTable.of(Isa.X86_64, List.of(PatchSite.of(Isa.X86_64, 0, 6, 0, ClobberSet.none())));
        assertThrows(IllegalArgumentException.class, () -> pass.apply(CodeBuffer.wrap(new byte[6], 0), t,
                OpsTable.empty()));
        assertThrows(IllegalStateException.class, () -> PatchPass.of(PatchOptions.defaults())
                .apply(CodeBuffer.wrap(java.nio.ByteBuffer.wrap(new byte[6]).asReadOnlyBuffer(), 0), t,
                        OpsTable.empty()));
        assertThrows(IllegalStateException.class, () -> PatchPass.of(PatchOptions.defaults()).outcome(0));
        // A custom patcher and a check both see the site as an object.
        int[] checked = {0};
        SiteCheck counting = (site, op, strategy, before, after) -> checked[0]++;
        Patcher custom = (site, op, out) -> {
            assertEquals(6, site.length());
            return Patcher.standard().patch(site, op, out);
        };
        byte[] text = UnpatchedForm.of(Isa.X86_64, 0x1000).withSlotClobbers(ClobberSet.none())
                .encode(PatchSite.of(Isa.X86_64, 0, 6, 0, ClobberSet.none()));
        PatchPass p = PatchPass.of(PatchOptions.defaults().withPatcher(custom).withCheck(counting));
        p.apply(CodeBuffer.wrap(text, 0), t, OpsTable.builder().put(0, Op.nop()).build());
        assertEquals(1, checked[0]);
        assertTrue(p.toString().contains("SiteTable{x86-64, 1 sites}"), p.toString());
    }
}
