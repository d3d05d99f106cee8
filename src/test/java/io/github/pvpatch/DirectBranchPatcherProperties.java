package io.github.pvpatch;

import io.github.pvpatch.testing.ReferenceModel;
import java.util.Set;

/** The patcher contract for {@link Patcher#directBranch()}. */
class DirectBranchPatcherProperties implements PatcherContract {
    @Override
    public Patcher patcher() {
        return Patcher.directBranch();
    }

    @Override
    public ReferenceModel.Policy policy() {
        return ReferenceModel.Policy.DIRECT_BRANCH;
    }

    @Override
    public Set<Class<? extends Op>> opKinds() {
        return Set.of(Op.Call.class, Op.Jump.class);
    }
}
