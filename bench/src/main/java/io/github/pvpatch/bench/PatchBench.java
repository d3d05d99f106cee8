package io.github.pvpatch.bench;

import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.verify.SiteVerifier;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One patch pass over a table of sites, per workload and ISA; time per operation divided by
 * {@code sites} is the time per site. Patching patched code does the same work (the standard
 * patcher does not read what is there for these strategies), so no reset is needed between
 * operations and none is measured.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-XX:+UseParallelGC"})
public class PatchBench extends PassState {
    @Param({"X86_64", "X86_32"})
    public String isa;
    @Param({"mixed", "native", "call", "nop", "saves"})
    public String workload;
    @Param({"100000"})
    public int sites;

    @Setup(Level.Trial)
    public void setup() {
        prepare(Isa.valueOf(isa), workload, sites, w -> PatchOptions.defaults(), true);
    }

    @Benchmark
    public int pass() {
        return pass.apply(code, w.sites, w.ops);
    }

    /** The same pass with the Zydis verifier checking every site before and after. */
    @State(Scope.Benchmark)
    @BenchmarkMode(Mode.AverageTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3, time = 1)
    @Measurement(iterations = 5, time = 1)
    @Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-XX:+UseParallelGC"})
    public static class Verified extends PassState {
        @Param({"X86_64", "X86_32"})
        public String isa;
        @Param({"100000"})
        public int sites;

        @Setup(Level.Trial)
        public void setup() {
            prepare(Isa.valueOf(isa), "mixed", sites, w -> PatchOptions.defaults().withCheck(SiteVerifier.of(w.form)),
                    false);
        }

        /** The verifier checks the unpatched bytes, so each operation starts from them (a memcpy, ~1% of it). */
        @Setup(Level.Invocation)
        public void unpatch() {
            w.reset();
        }

        @Benchmark
        public int verifiedPass() {
            return pass.apply(code, w.sites, w.ops);
        }
    }
}
