package io.github.pvpatch;

import io.github.pvpatch.testing.ReferenceModel;
import java.util.Set;

/** The patcher contract for {@link Patcher#inlineNative()}. */
class InlineNativePatcherProperties implements PatcherContract {
    @Override
    public Patcher patcher() {
        return Patcher.inlineNative();
    }

    @Override
    public ReferenceModel.Policy policy() {
        return ReferenceModel.Policy.INLINE_NATIVE;
    }

    @Override
    public Set<Class<? extends Op>> opKinds() {
        return Set.of(Op.Native.class);
    }
}
