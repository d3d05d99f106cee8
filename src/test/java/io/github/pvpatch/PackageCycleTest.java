package io.github.pvpatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The library's packages form no cycle: {@code jdeps -verbose:package} over the compiled classes
 * gives the package graph, and a depth-first search must find no cycle in it. The layers are the
 * vocabulary ({@code arch}), the x86 encodings, the API, then {@code verify}, {@code linux} and the
 * command; {@code zydis} and {@code internal} depend on none of them.
 */
class PackageCycleTest {
    private static final String ROOT = "io.github.pvpatch";

    /** {@return the package graph of the library's classes, as jdeps prints it} */
    static Map<String, Set<String>> packageGraph(Path classes) throws IOException, InterruptedException {
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        assertTrue(Files.isExecutable(jdeps), jdeps + " is missing: the build needs a full JDK");
        Process p = new ProcessBuilder(jdeps.toString(), "-verbose:package", classes.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "jdeps did not finish");
        assertEquals(0, p.exitValue(), out);
        return parse(out);
    }

    /** Parses jdeps' {@code from -> to  where} lines, keeping edges between the library's own packages. */
    static Map<String, Set<String>> parse(String jdepsOutput) {
        Map<String, Set<String>> graph = new TreeMap<>();
        for (String line : jdepsOutput.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 3 && f[1].equals("->") && f[0].startsWith(ROOT) && f[2].startsWith(ROOT)
                    && !f[0].equals(f[2])) {
                graph.computeIfAbsent(f[0], k -> new TreeSet<>()).add(f[2]);
                graph.computeIfAbsent(f[2], k -> new TreeSet<>());
            }
        }
        return graph;
    }

    /** {@return one cycle of the graph as the packages along it, or an empty list when it has none} */
    static List<String> findCycle(Map<String, Set<String>> graph) {
        Map<String, Integer> state = new TreeMap<>();   // absent: new, 1: on the path, 2: done
        List<String> path = new ArrayList<>();
        for (String start : graph.keySet()) {
            List<String> cycle = visit(start, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        return List.of();
    }

    private static List<String> visit(String node, Map<String, Set<String>> graph, Map<String, Integer> state,
            List<String> path) {
        Integer s = state.get(node);
        if (s != null && s == 2) {
            return List.of();
        }
        if (s != null && s == 1) {
            List<String> cycle = new ArrayList<>(path.subList(path.indexOf(node), path.size()));
            cycle.add(node);
            return cycle;
        }
        state.put(node, 1);
        path.add(node);
        for (String next : graph.getOrDefault(node, Set.of())) {
            List<String> cycle = visit(next, graph, state, path);
            if (!cycle.isEmpty()) {
                return cycle;
            }
        }
        path.remove(path.size() - 1);
        state.put(node, 2);
        return List.of();
    }

    @Test
    void theLibrarysPackagesFormNoCycle() throws Exception {
        Map<String, Set<String>> graph = packageGraph(Path.of("target", "classes"));
        assertTrue(graph.containsKey(ROOT + ".x86") && graph.get(ROOT).contains(ROOT + ".x86"),
                "jdeps saw the packages: " + graph);
        assertEquals(List.of(), findCycle(graph), "package cycle; graph: " + graph);
        // The layering the cycle rule protects.
        assertEquals(Set.of(), graph.get(ROOT + ".arch"), "the vocabulary depends on nothing: " + graph);
        assertEquals(Set.of(ROOT + ".arch"), graph.get(ROOT + ".x86"), "x86 sits on the vocabulary only");
        assertTrue(Set.of(ROOT + ".arch").containsAll(graph.getOrDefault(ROOT + ".zydis", Set.of())),
                "zydis sits on the vocabulary at most: " + graph);
        assertEquals(Set.of(), graph.getOrDefault(ROOT + ".internal", Set.of()));
    }

    @Test
    void theCheckFindsACycle() {
        // The cycle this test was written against: the API, internal and x86 used each other.
        String jdeps = String.join("\n",
                "   io.github.pvpatch                                  -> io.github.pvpatch.internal  classes",
                "   io.github.pvpatch                                  -> io.github.pvpatch.x86       classes",
                "   io.github.pvpatch.internal                         -> io.github.pvpatch           classes",
                "   io.github.pvpatch.x86                              -> io.github.pvpatch           classes",
                "   io.github.pvpatch.x86                              -> java.lang                   java.base");
        Map<String, Set<String>> graph = parse(jdeps);
        assertEquals(Set.of(ROOT + ".internal", ROOT + ".x86"), graph.get(ROOT));
        List<String> cycle = findCycle(graph);
        assertEquals(List.of(ROOT, ROOT + ".internal", ROOT), cycle);
        assertEquals(List.of(), findCycle(parse(jdeps.replace("io.github.pvpatch.internal                         ->",
                "io.github.pvpatch.zydis                            ->").replace(
                "io.github.pvpatch.x86                              -> io.github.pvpatch           classes", ""))));
    }
}
