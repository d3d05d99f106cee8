package io.github.pvpatch.bench;

import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPass;
import io.github.pvpatch.arch.Isa;
import java.util.function.Function;

/** What every patch-pass benchmark holds: a workload, a buffer over its code, and a pass. */
abstract class PassState {
    Workload w;
    CodeBuffer code;
    PatchPass pass;

    /** Builds the workload and the pass, and runs the pass once so later ones see patched code. */
    void prepare(Isa isa, String workload, int sites, Function<Workload, PatchOptions> options, boolean runOnce) {
        w = Workload.of(isa, workload, sites, 42);
        code = w.buffer();
        pass = PatchPass.of(options.apply(w));
        if (runOnce) {
            pass.apply(code, w.sites, w.ops);
        }
    }
}
