package io.github.pvpatch;

import io.github.pvpatch.testing.ReferenceModel;
import java.util.Set;

/** The patcher contract for {@link Patcher#nopPad()}. */
class NopPadPatcherProperties implements PatcherContract {
    @Override
    public Patcher patcher() {
        return Patcher.nopPad();
    }

    @Override
    public ReferenceModel.Policy policy() {
        return ReferenceModel.Policy.NOP_PAD;
    }

    @Override
    public Set<Class<? extends Op>> opKinds() {
        return Set.of(Op.Nop.class);
    }
}
