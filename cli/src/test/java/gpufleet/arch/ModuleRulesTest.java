package gpufleet.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.tngtech.archunit.core.domain.AccessTarget.CodeUnitAccessTarget;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnitAccess;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;

/**
 * The module rules, kept by the build: cli's tests see the main classes of every module, so a rule
 * broken anywhere fails {@code ./mvnw verify}. {@code failOnEmptyShould} (ArchUnit's default) makes
 * a rule whose packages went missing from the classpath fail too, instead of passing on nothing.
 */
@AnalyzeClasses(packages = "gpufleet", importOptions = ModuleRulesTest.MainClassesOnly.class)
class ModuleRulesTest {

    private static final String[] JDK = {"java..", "javax.."};

    @ArchTest
    static final ArchRule coreNeedsNothingButTheJdk = classes()
            .that().resideInAPackage("gpufleet.core..")
            .should().onlyDependOnClassesThat().resideInAnyPackage(with(JDK, "gpufleet.core.."))
            .because("core is the pure domain both the twin and the controller run (README, Layout)");

    @ArchTest
    static final ArchRule renderNeedsNothingButTheJdk = classes()
            .that().resideInAPackage("gpufleet.render..")
            .should().onlyDependOnClassesThat().resideInAnyPackage(with(JDK, "gpufleet.render.."))
            .because("render is shared by the twin's report and the dashboard, so it may pull in neither");

    @ArchTest
    static final ArchRule simDoesNotDependOnTheServer = noClasses()
            .that().resideInAPackage("gpufleet.sim..")
            .should().dependOnClassesThat().resideInAPackage("gpufleet.server..")
            .because("the twin runs the core on a virtual clock, not the controller");

    @ArchTest
    static final ArchRule serverDoesNotDependOnSim = noClasses()
            .that().resideInAPackage("gpufleet.server..")
            .should().dependOnClassesThat().resideInAPackage("gpufleet.sim..")
            .because("the controller's jar must not carry the twin: what both draw with lives in render");

    @ArchTest
    static final ArchRule agentNeedsOnlyTheWireTypes = classes()
            .that().resideInAPackage("gpufleet.agent..")
            .should().onlyDependOnClassesThat()
            .resideInAnyPackage(with(JDK, "gpufleet.agent..", "gpufleet.protocol..", "tools.jackson.."))
            .because("an agent talks to the controller through the wire types alone");

    @ArchTest
    static final ArchRule wireTypesNeedNothingButTheJdk = classes()
            .that().resideInAPackage("gpufleet.protocol..")
            .should().onlyDependOnClassesThat().resideInAnyPackage(with(JDK, "gpufleet.protocol.."))
            .because("the agent depends on them, so whatever they import the agent imports too");

    @ArchTest
    static final ArchRule theTestkitNeedsOnlyTheWireTypes = classes()
            .that().resideInAPackage("gpufleet.testkit..")
            .should().onlyDependOnClassesThat().resideInAnyPackage(with(JDK, "gpufleet.testkit..", "gpufleet.protocol.."))
            .because("core's and the server's own tests use the testkit, so it may depend on neither (Maven refuses the cycle)");

    @ArchTest
    static final ArchRule noShippedCodeUsesTheTestkit = noClasses()
            .that().resideOutsideOfPackage("gpufleet.testkit..")
            .should().dependOnClassesThat().resideInAPackage("gpufleet.testkit..")
            .because("the testkit is a test-scope dependency: a shipped class that used it would fail at run time");

    @ArchTest
    static final ArchRule decisionsReadNoWallClockAndDrawNoUnseededRandomNumbers = noClasses()
            .that().resideInAnyPackage("gpufleet.core..", "gpufleet.sim..", "gpufleet.server.control..")
            .should(readTheWallClockOrDrawUnseededRandomNumbers())
            .because("the twin must predict the controller: time comes from an injected clock and"
                    + " randomness from a seed, so the same inputs give the same decisions");

    /**
     * Each forbidden target as owner, name and parameter list ({@code *}: any). {@code now(Clock)} and
     * {@code new Random(seed)} stay allowed.
     */
    private static final Map<String, List<String>> FORBIDDEN = Map.ofEntries(
            Map.entry("java.lang.System.currentTimeMillis", List.of("()")),
            Map.entry("java.lang.System.nanoTime", List.of("()")),
            Map.entry("java.time.Instant.now", List.of("()")),
            Map.entry("java.time.LocalDateTime.now", List.of("()", "(java.time.ZoneId)")),
            Map.entry("java.time.LocalDate.now", List.of("()", "(java.time.ZoneId)")),
            Map.entry("java.time.LocalTime.now", List.of("()", "(java.time.ZoneId)")),
            Map.entry("java.time.ZonedDateTime.now", List.of("()", "(java.time.ZoneId)")),
            Map.entry("java.time.OffsetDateTime.now", List.of("()", "(java.time.ZoneId)")),
            Map.entry("java.time.Clock.systemUTC", List.of("*")),
            Map.entry("java.time.Clock.systemDefaultZone", List.of("*")),
            Map.entry("java.time.Clock.system", List.of("*")),
            Map.entry("java.time.InstantSource.system", List.of("*")),
            Map.entry("java.util.Date.<init>", List.of("()")),
            Map.entry("java.util.Random.<init>", List.of("()")),
            Map.entry("java.util.SplittableRandom.<init>", List.of("()")),
            Map.entry("java.lang.Math.random", List.of("*")),
            Map.entry("java.lang.StrictMath.random", List.of("*")),
            Map.entry("java.util.concurrent.ThreadLocalRandom.current", List.of("*")),
            Map.entry("java.util.UUID.randomUUID", List.of("*")),
            Map.entry("java.util.random.RandomGenerator.getDefault", List.of("*")));

    /**
     * Forbidden calls allowed in one named method, with the reason. {@code Controller.cycle} times
     * itself for the cycle-duration metric; the reading decides nothing.
     */
    private static final Map<String, Set<String>> ALLOWED_IN = Map.of(
            "java.lang.System.nanoTime", Set.of("gpufleet.server.control.Controller.cycle"));

    private static ArchCondition<JavaClass> readTheWallClockOrDrawUnseededRandomNumbers() {
        return new ArchCondition<>("read the wall clock or draw unseeded random numbers") {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                for (JavaCodeUnitAccess<?> access : c.getCodeUnitAccessesFromSelf()) {
                    CodeUnitAccessTarget t = access.getTarget();
                    String target = t.getOwner().getName() + "." + t.getName();
                    List<String> banned = FORBIDDEN.get(target);
                    if (banned == null) continue;
                    String origin = access.getOrigin().getOwner().getName() + "." + access.getOrigin().getName();
                    if (ALLOWED_IN.getOrDefault(target, Set.of()).contains(origin)) continue;
                    String params = "(" + String.join(",", t.getRawParameterTypes().stream().map(JavaClass::getName).toList()) + ")";
                    if (banned.contains("*") || banned.contains(params))
                        events.add(SimpleConditionEvent.satisfied(access, access.getDescription()));
                }
            }
        };
    }

    private static String[] with(String[] base, String... more) {
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    /**
     * The modules' main classes: not test classes, whether they come from a module's
     * {@code target/test-classes} or from a test-jar such as the server's.
     */
    static final class MainClassesOnly implements ImportOption {
        private static final Set<String> TEST_MARKERS = Set.of("/test-classes/", "-tests.jar");

        @Override
        public boolean includes(Location location) {
            String uri = location.toString();
            return TEST_MARKERS.stream().noneMatch(uri::contains);
        }
    }
}
