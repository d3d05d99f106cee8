package io.github.pvpatch.bench;

import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.arch.Isa;
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

/** The mixed x86-64 pass at 10k to 10M sites: time per site should stay flat. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-XX:+UseParallelGC"})
public class ScalingBench extends PassState {
    @Param({"10000", "100000", "1000000", "10000000"})
    public int sites;

    @Setup(Level.Trial)
    public void setup() {
        prepare(Isa.X86_64, "mixed", sites, w -> PatchOptions.defaults(), true);
        System.out.printf("%ntable %d sites: %d bytes/site in the table's arrays%n", sites,
                io.github.pvpatch.SiteTable.BYTES_PER_SITE);
    }

    @Benchmark
    public int pass() {
        return pass.apply(code, w.sites, w.ops);
    }
}
