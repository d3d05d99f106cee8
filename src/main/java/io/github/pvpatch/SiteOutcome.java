package io.github.pvpatch;

import java.util.Objects;

/**
 * What a {@link PatchPlan} or {@link PatchPass} did at one site: it {@linkplain Patched patched}
 * it with a {@link Strategy}, or, in {@linkplain PatchOptions.Mode#LENIENT lenient} mode, it
 * {@linkplain LeftUnpatched left it unpatched} because the site broke a rule, and says which.
 *
 * <p>A left site keeps its bytes: its planned bytes are its original ones. In strict mode every
 * site of a plan is {@link Patched} (a broken rule throws instead).
 *
 * <pre>{@code
 * PatchPlan plan = PatchPlan.of(code, sites, ops, PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
 * for (int i = 0; i < plan.size(); i++) {
 *     SiteOutcome o = plan.outcome(i);
 *     if (o instanceof SiteOutcome.Patched p) {
 *         System.out.println(plan.sites().get(i) + " " + p.strategy());                // ... DIRECT_CALL
 *     } else if (o instanceof SiteOutcome.LeftUnpatched l) {
 *         System.out.println(plan.sites().get(i) + " " + l.reason().violation());      // ... OP_MISSING
 *     }
 * }
 * plan.outcome(0).equals(SiteOutcome.patched(Strategy.DIRECT_CALL));                  // true
 * }</pre>
 *
 * <p>Outcomes are values: two are equal when they have the same strategy, or refusals with the
 * same rule, site and message. A plan or pass keeps a byte per site and makes an outcome only
 * when asked.
 */
public sealed interface SiteOutcome permits SiteOutcome.Patched, SiteOutcome.LeftUnpatched {
    /**
     * {@return the outcome of a site patched with {@code strategy}}
     *
     * @param strategy how the site was rewritten
     */
    static Patched patched(Strategy strategy) {
        return Patched.OF[Objects.requireNonNull(strategy, "strategy").ordinal()];
    }

    /**
     * {@return the outcome of a site left as it was, because of {@code reason}}
     *
     * @param reason the rule the site broke
     */
    static LeftUnpatched leftUnpatched(PatchBug reason) {
        return new LeftUnpatched(reason);
    }

    /**
     * The site was rewritten.
     *
     * @param strategy how
     */
    record Patched(Strategy strategy) implements SiteOutcome {
        /** One per strategy, so that {@link SiteOutcome#patched} allocates nothing. */
        private static final Patched[] OF = java.util.Arrays.stream(Strategy.values()).map(Patched::new)
                .toArray(Patched[]::new);

        /**
         * Checks the strategy.
         *
         * @param strategy how the site was rewritten; not null
         */
        public Patched {
            Objects.requireNonNull(strategy, "strategy");
        }

        /** {@return the strategy's name, such as {@code INLINE_NATIVE}} */
        @Override
        public String toString() {
            return strategy.name();
        }
    }

    /**
     * The site was left as it was, in lenient mode, because it broke a rule.
     *
     * @param reason the refusal: the rule, the site and the numbers
     */
    record LeftUnpatched(PatchBug reason) implements SiteOutcome {
        /**
         * Checks the reason.
         *
         * @param reason the refusal; not null
         */
        public LeftUnpatched {
            Objects.requireNonNull(reason, "reason");
        }

        /**
         * {@return whether {@code o} is a site left for the same refusal}: the same rule, the same
         * site and the same message (refusals are exceptions, equal only to themselves; two
         * passes over the same batch refuse a site with equal outcomes)
         *
         * @param o the other object
         */
        @Override
        public boolean equals(Object o) {
            return o instanceof LeftUnpatched && ((LeftUnpatched) o).reason.violation() == reason.violation()
                    && ((LeftUnpatched) o).reason.site().equals(reason.site())
                    && ((LeftUnpatched) o).reason.getMessage().equals(reason.getMessage());
        }

        /** {@return a hash of the refusal's message} */
        @Override
        public int hashCode() {
            return reason.getMessage().hashCode();
        }

        /** {@return the words and the rule, such as {@code left unpatched (OP_MISSING)}} */
        @Override
        public String toString() {
            return "left unpatched (" + reason.violation() + ")";
        }
    }
}
