package io.github.pvpatch.bench;

import io.github.pvpatch.zydis.DecodedBuffer;
import io.github.pvpatch.zydis.Instruction;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding the same x86-64 code (a real kernel's .text when bench/run found one) through our
 * JNI binding: one native call for the whole buffer, and one native call per instruction. The
 * file is {@code -Dpvpatch.bench.text} (bench/run writes it); bench/c/zydis_ref.c decodes the same.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-XX:+UseParallelGC"})
public class ZydisBench {
    byte[] text;
    ZydisDecoder decoder;
    DecodedBuffer buffer;

    @Setup
    public void setup() {
        try {
            text = Files.readAllBytes(Path.of(System.getProperty("pvpatch.bench.text", "bench/target/text.bin")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        decoder = ZydisDecoder.of(MachineMode.X86_64);
        buffer = new DecodedBuffer();
    }

    @Benchmark
    public int batch() {
        return decoder.decodeAll(text, 0, text.length, 0xffffffff81000000L, buffer).count();
    }

    @Benchmark
    public int single() {
        int at = 0;
        int n = 0;
        while (at < text.length) {
            Optional<Instruction> insn = decoder.decode(text, at, Math.min(15, text.length - at), 0xffffffff81000000L + at);
            at += insn.map(Instruction::length).orElse(1);
            n++;
        }
        return n;
    }
}
