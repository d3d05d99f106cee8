package io.github.pvpatch.cli;

import java.nio.file.Path;

/**
 * Run in a child JVM by {@link OutputSafetyTest}: prepares an output, prints its temporary file,
 * then waits to be killed (or exits at once with {@code exit}) without committing or closing.
 */
public final class OutputFileProbe {
    private OutputFileProbe() {
    }

    /**
     * Prepares {@code args[0]} and then waits or exits.
     *
     * @param args the output path, then {@code wait} or {@code exit}
     * @throws InterruptedException never, in practice
     */
    public static void main(String[] args) throws InterruptedException {
        OutputFile f = OutputFile.prepare(Path.of(args[0]));
        System.out.println("temporary=" + f.temporary());
        System.out.flush();
        if (args[1].equals("exit")) {
            System.exit(3);
        }
        Thread.sleep(60_000);
    }
}
