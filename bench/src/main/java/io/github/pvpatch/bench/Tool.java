package io.github.pvpatch.bench;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.KernelImage;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * bench/run's helper: {@code workload <isa> <kind> <sites> <file>} writes a workload for the C
 * reference; {@code text <vmlinuz|-> <bytes> <file>} writes code to decode: a real kernel's
 * .text, or, given {@code -}, a synthetic mix of the patcher's own encodings.
 */
public final class Tool {
    private Tool() {
    }

    public static void main(String[] args) throws IOException {
        switch (args[0]) {
            case "workload" -> {
                Workload w = Workload.of(Isa.valueOf(args[1]), args[2], Integer.parseInt(args[3]), 42);
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(Path.of(args[4])), 1 << 20)) {
                    w.writeForC(out);
                }
            }
            case "text" -> {
                int max = Integer.parseInt(args[2]);
                byte[] text;
                if (args[1].equals("-")) {
                    text = Arrays.copyOf(Workload.of(Isa.X86_64, "mixed", max / 8, 7).pristine, max);
                } else {
                    ElfFile elf = KernelImage.read(Files.readAllBytes(Path.of(args[1]))).elf();
                    text = elf.bytes(elf.section(".text").orElseThrow());
                    text = Arrays.copyOf(text, Math.min(max, text.length));
                }
                Files.write(Path.of(args[3]), text);
            }
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
    }
}
