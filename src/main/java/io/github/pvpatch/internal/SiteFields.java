package io.github.pvpatch.internal;

import java.util.function.ToIntFunction;

/**
 * A site's call offset as a plain int (-1 for none), for the verifier's per-site hot path, where
 * the exported {@code PatchSite.callOffset()} would make an {@code OptionalInt} per site. Typed
 * as {@code Object} so that this package does not depend on the one above it; {@code PatchSite}
 * registers the reader when its class initializes, before any site exists.
 */
public final class SiteFields {
    private static ToIntFunction<Object> callOffset;

    private SiteFields() {
    }

    /**
     * Sets the reader once; later calls are ignored.
     *
     * @param reader the call offset of a {@code PatchSite}, or -1
     */
    public static synchronized void register(ToIntFunction<Object> reader) {
        if (callOffset == null) {
            callOffset = reader;
        }
    }

    /**
     * {@return the call offset of {@code site}, or -1 when it has none}
     *
     * @param site a {@code PatchSite}
     */
    public static int callOffset(Object site) {
        return callOffset.applyAsInt(site);
    }
}
