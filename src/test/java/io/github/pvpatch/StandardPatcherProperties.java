package io.github.pvpatch;

import io.github.pvpatch.testing.ReferenceModel;
import java.util.Set;

/** The patcher contract for {@link Patcher#standard()}. */
class StandardPatcherProperties implements PatcherContract {
    @Override
    public Patcher patcher() {
        return Patcher.standard();
    }

    @Override
    public ReferenceModel.Policy policy() {
        return ReferenceModel.Policy.STANDARD;
    }

    @Override
    public Set<Class<? extends Op>> opKinds() {
        return Set.of(Op.Nop.class, Op.Native.class, Op.Call.class, Op.Jump.class);
    }
}
