package io.github.pvpatch.live;

import java.util.List;
import java.util.Objects;

/**
 * What every {@link WritePlan} is, live or quiescent: the transition, the states before and after,
 * the steps and the ranges they write. Both plan types hold one and answer {@link WritePlan}'s
 * accessors from it; each declares them itself only because the public API lists them on each type.
 *
 * @param transition what the plan does
 * @param before the state it starts from
 * @param after the state once every step has run
 * @param steps the steps, in order (copied)
 * @param ranges every range the steps write (copied)
 */
record Writes(Transition transition, SiteState before, SiteState after, List<Step> steps, List<ByteRange> ranges) {
    Writes {
        Objects.requireNonNull(transition, "transition");
        Objects.requireNonNull(before, "before");
        Objects.requireNonNull(after, "after");
        steps = List.copyOf(steps);
        ranges = List.copyOf(ranges);
    }

    /** Runs every step on {@code host}, in order, from the calling thread. */
    void runOn(LiveHost host) {
        Objects.requireNonNull(host, "host");
        for (Step s : steps) {
            s.runOn(host);
        }
    }

    /** {@return the start of a plan's {@code toString}: its type, transition and size} */
    String describe(String type) {
        return type + "{" + transition + ", sites=" + before.size();
    }
}
