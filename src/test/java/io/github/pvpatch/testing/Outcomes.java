package io.github.pvpatch.testing;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import java.util.Optional;

/** The two halves of a {@link SiteOutcome}, for tests that compare them apart. */
public final class Outcomes {
    private Outcomes() {
    }

    /** {@return the strategy of a patched site; empty for a site left unpatched} */
    public static Optional<Strategy> strategy(SiteOutcome o) {
        return o instanceof SiteOutcome.Patched ? Optional.of(((SiteOutcome.Patched) o).strategy()) : Optional.empty();
    }

    /** {@return why a site was left unpatched; empty for a patched site} */
    public static Optional<PatchBug> reason(SiteOutcome o) {
        return o instanceof SiteOutcome.LeftUnpatched ? Optional.of(((SiteOutcome.LeftUnpatched) o).reason())
                : Optional.empty();
    }
}
