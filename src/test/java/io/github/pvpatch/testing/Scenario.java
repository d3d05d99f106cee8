package io.github.pvpatch.testing;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.x86.NopTable;
import java.util.ArrayList;
import java.util.List;

/**
 * A generated piece of code: sites laid out in a buffer as their unpatched form, with gaps of
 * {@code int3} between them, and an ops table. {@link #saves} records what each site's own code
 * saves around its call, as the generator built it, so a model can reason without reading bytes.
 */
public final class Scenario {
    public final Isa isa;
    public final long base;
    public final long table;
    public final List<PatchSite> sites;
    /** Registers each site's unpatched code pushes and pops around its call. */
    public final List<ClobberSet> saves;
    public final OpsTable ops;
    public final NopTable nops;
    private final byte[] text;

    Scenario(Isa isa, long base, long table, List<PatchSite> sites, List<ClobberSet> saves, OpsTable ops,
            NopTable nops, byte[] text) {
        this.isa = isa;
        this.base = base;
        this.table = table;
        this.sites = List.copyOf(sites);
        this.saves = List.copyOf(saves);
        this.ops = ops;
        this.nops = nops;
        this.text = text;
    }

    /** {@return a fresh copy of the unpatched code} */
    public byte[] text() {
        return text.clone();
    }

    /** {@return a code buffer over a fresh copy of the unpatched code} */
    public CodeBuffer freshCode() {
        return CodeBuffer.wrap(text(), base);
    }

    /** {@return the offset of {@code site} in the text} */
    public int offsetOf(PatchSite site) {
        return (int) (site.address() - base);
    }

    /** {@return this scenario with another ops table} */
    public Scenario withOps(OpsTable newOps) {
        return new Scenario(isa, base, table, sites, saves, newOps, nops, text);
    }

    /** {@return the scenario's sites in reverse order, same code} */
    public Scenario reversed() {
        List<PatchSite> s = new ArrayList<>(sites);
        List<ClobberSet> v = new ArrayList<>(saves);
        java.util.Collections.reverse(s);
        java.util.Collections.reverse(v);
        return new Scenario(isa, base, table, s, v, ops, nops, text);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Scenario{").append(isa.displayName())
                .append(" base=0x").append(Long.toHexString(base))
                .append(" table=0x").append(Long.toHexString(table))
                .append(" nops=").append(nops).append('\n');
        for (int i = 0; i < sites.size(); i++) {
            PatchSite s = sites.get(i);
            sb.append("  ").append(s).append(" saves=").append(saves.get(i).toString(isa))
                    .append(" bytes=").append(Hex.of(text, offsetOf(s), offsetOf(s) + s.length())).append('\n');
        }
        return sb.append("  ").append(ops).append('}').toString();
    }
}
