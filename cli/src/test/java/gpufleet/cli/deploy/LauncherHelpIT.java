package gpufleet.cli.deploy;

import gpufleet.cli.Main;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command's {@code --help}, through the shipped launcher: it exits 0 and lists every option the
 * command takes. The agent's and the controller's options are parsed by their own mains, so their
 * help is checked against the options their READMEs document.
 */
class LauncherHelpIT {
    @TempDir
    static Path dir;

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpAndListsItsOptions() {
        List<DynamicTest> tests = new ArrayList<>();
        collect(new CommandLine(new Main()), List.of(), tests);
        tests.add(help(List.of("agent"), List.of("--server", "--name", "--rack", "--zone", "--work-dir", "--address",
                "--simulate-gpus", "--nvml", "--heartbeat", "--kill-grace", "--join-token", "--ca-cert", "--run-as",
                "inject-xid", "heal")));
        tests.add(help(List.of("agent", "inject-xid"), List.of("--work-dir", "--gpu", "--xid")));
        tests.add(help(List.of("agent", "heal"), List.of("--work-dir", "--gpu")));
        tests.add(help(List.of("server"), List.of("--port", "--data-dir", "--db", "--policy")));
        return tests.stream();
    }

    private static void collect(CommandLine cl, List<String> path, List<DynamicTest> tests) {
        for (var e : cl.getSubcommands().entrySet()) {
            String name = e.getKey();
            if (name.equals("agent") || name.equals("server") || name.equals("help")) continue;
            List<String> sub = new ArrayList<>(path);
            sub.add(name);
            List<String> options = new ArrayList<>();
            for (var o : e.getValue().getCommandSpec().options()) if (!o.hidden()) options.add(o.longestName());
            tests.add(help(sub, options));
            collect(e.getValue(), sub, tests);
        }
    }

    private static DynamicTest help(List<String> command, List<String> mustList) {
        return DynamicTest.dynamicTest("gpufleet " + String.join(" ", command) + " --help", () -> {
            List<String> args = new ArrayList<>(command);
            args.add("--help");
            var r = Launcher.run(dir, Map.of(), Duration.ofSeconds(120), args.toArray(String[]::new));
            assertThat(r.code()).as("exit code of gpufleet %s --help; it printed:%n%s", command, r.both()).isZero();
            assertThat(r.out()).as("gpufleet %s --help", command).containsIgnoringCase("usage");
            for (String o : mustList) assertThat(r.out()).as("gpufleet %s --help lists %s", command, o).contains(o);
            assertThat(r.both()).doesNotContain("Unknown option").doesNotContain("Exception");
        });
    }
}
