package io.github.pvpatch.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.Hex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's worked example of live patching, compiled and run; the README must show it verbatim. */
class LiveExampleTest {
    @Test
    void theWorkedExampleRunsAndTheReadmeShowsIt() throws IOException {
        // A guest's code: one x86-64 site at 0x10000040, `call *slot0(%rip)` through a table at 0x10100000.
        byte[] ram = new byte[0x100];
        Arrays.fill(ram, (byte) 0xCC);
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, 0x10100000L);
        PatchSite site = form.site(0x10000040L, 0, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), 0);
        System.arraycopy(form.encode(site), 0, ram, 0x40, 6);
        List<PatchSite> sites = List.of(site);
        OpsTable ops = OpsTable.builder().put(0, Op.call(0x401000L, ClobberSet.of(Register.RAX), true)).build();
        // LIVE-BEGIN
        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(ram, 0x10000000L), sites, ops);   // ff 15 disp32 -> e8 rel32 90
        List<ByteRange> invalidated = new ArrayList<>();
        LiveHost host = new LiveHost() {
            @Override
            public void write(long address, byte[] bytes) {
                System.arraycopy(bytes, 0, ram, (int) (address - 0x10000000L), bytes.length);
                invalidated.add(new ByteRange(address, bytes.length));   // drop translations of these bytes
            }

            @Override
            public void sync() {
                // kick every vCPU out of its translated block; return when each has left it
            }
        };
        WritePlan patch = WritePlan.patch(plan);
        LivePlan live = patch.requireLive();            // one instruction replaced: safe while vCPUs run
        live.execute(host);                             // meanwhile the #BP handler asks live.resolve(pc - 1)
        TrapAction onTrap = live.resolve(0x10000040L);  // EmulateCall[target=0x401000 return=0x10000046]

        WritePlan revert = patch.after().toOriginal();  // a call in progress returns to site+5: mid-instruction
        if (revert instanceof QuiescentPlan stopped) {
            // pause every vCPU (none inside the site, none returning into it), then:
            stopped.executeStopped(host);
        }
        // LIVE-END
        assertEquals(new TrapAction.EmulateCall(0x401000L, 0x10000046L), onTrap);
        assertEquals("ff 15 ba ff 0f 00", Hex.of(Arrays.copyOfRange(ram, 0x40, 0x46)));
        assertArrayEquals(plan.originalBytes(0), Arrays.copyOfRange(ram, 0x40, 0x46));
        // int3, tail, first byte; then the plain revert.
        assertEquals(List.of(new ByteRange(0x10000040L, 1), new ByteRange(0x10000041L, 5),
                new ByteRange(0x10000040L, 1), new ByteRange(0x10000040L, 6)), invalidated);
        assertTrue(revert instanceof QuiescentPlan);

        String test = Files.readString(Path.of("src/test/java/io/github/pvpatch/live/LiveExampleTest.java"));
        String begin = "// LIVE-BEGIN\n";
        String region = test.substring(test.indexOf(begin) + begin.length(), test.indexOf("        // LIVE-END"))
                .lines().map(l -> l.startsWith("        ") ? l.substring(8) : l).collect(Collectors.joining("\n"));
        assertTrue(Files.readString(Path.of("README.md")).contains("```java\n" + region + "\n```"),
                "README.md's live example differs from LiveExampleTest's LIVE-BEGIN..END region");
    }
}
