package gpufleet.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The request types are the API's contract: each survives a JSON round trip unchanged, puts its
 * defaults in, and refuses a bad value naming the field.
 */
class RequestTypesTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final List<String> CMD = List.of("python", "train.py");

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of(new JobRequest("llama", "vision", 16, 4, 2, 1, 2, CMD, 5, "/ckpt", 7200L)),
                Arguments.of(new JobRequest("tiny", 1, CMD)),
                Arguments.of(new Registration("host-17", 8, "r12", "z3", "10.0.3.17",
                        List.of(new GpuDescriptor(0, "GPU-1", "NVIDIA H100 80GB HBM3", 81_559L),
                                new GpuDescriptor(7, null, null, null)), "run-1")),
                Arguments.of(new Registration("h", 1, null, null, null, null)),
                Arguments.of(new Heartbeat(3, List.of(new TaskReport(42, 7, List.of(new RankExit(8, 1), new RankExit(9, -9)),
                        1_764_470_000.5)), List.of(new GpuHealth(3, false, 79, "XID 79: GPU has fallen off the bus")))),
                Arguments.of(new Heartbeat(1, null, null)),
                Arguments.of(new TeamRequest(16)),
                Arguments.of(new TeamRequest(null)),
                Arguments.of(new DrainRequest("swap the NIC")),
                Arguments.of(new DrainRequest(null)),
                Arguments.of(new ResumeRequest(true)),
                Arguments.of(new TokenRequest("alice", "MEMBER", "vision", 86_400L)),
                Arguments.of(new TokenRequest("rack-12", "join", null, null)),
                Arguments.of(new SignInRequest("gft_abc")),
                Arguments.of(ErrorBody.of(ErrorCode.INVALID_FIELD, "'gpus' must be in [1, 64], got 0", "gpus")),
                Arguments.of(ErrorBody.of(ErrorCode.NO_SUCH_ROUTE, "no such route", null)),
                Arguments.of(new RegistrationReply(4, 2, "UP", "gfh_x")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void survivesAJsonRoundTrip(Record value) {
        String json = JSON.writeValueAsString(value);
        assertThat(JSON.readValue(json, value.getClass())).isEqualTo(value);
    }

    @Test
    void optionsLeftOutTakeTheContractsDefaults() {
        JobRequest j = new JobRequest("tiny", 1, CMD);
        assertThat(List.of(j.tp(), j.pp(), j.cp(), j.priority(), j.maxRestarts())).containsExactly(1, 1, 1, 1, 3);
        assertThat(j.team()).as("the controller decides by who submits").isNull();
        assertThat(j.timeLimitSeconds()).isNull();
        Registration r = new Registration("h", 1, null, null, null, null);
        assertThat(r.rack()).isEqualTo("rack0");
        assertThat(r.zone()).isEqualTo("zone0");
        assertThat(r.gpuInfo()).isEmpty();
        GpuDescriptor g = new GpuDescriptor(0, null, null, null);
        assertThat(g.uuid()).isEmpty();
        assertThat(g.memoryMiB()).isZero();
        assertThat(new ResumeRequest(null).force()).isFalse();
        assertThat(new Heartbeat(1, null, null).tasks()).isEmpty();
        assertThat(new TokenRequest("a", " Admin ", null, null).role()).isEqualTo("admin");
        assertThat(new SignInRequest("  gft_x \t".strip() + " ").token()).isEqualTo("gft_x");
    }

    @Test
    void anUnknownModelOrUuidIsStoredEmptyAndReadsBack() {
        assertThat(new GpuDescriptor(0, "", "", 0L)).isEqualTo(new GpuDescriptor(0, null, null, null));
    }

    static Stream<Arguments> invalid() {
        List<String> longCommand = Collections.nCopies(1001, "x");
        return Stream.of(
                refused(() -> new JobRequest(null, 8, CMD), "name", "'name' is required"),
                refused(() -> new JobRequest(" ", 8, CMD), "name", "'name' must not be blank"),
                refused(() -> new JobRequest("n".repeat(201), 8, CMD), "name", "longer than 200"),
                refused(() -> new JobRequest("a\u0000b", 8, CMD), "name", "control character"),
                refused(() -> new JobRequest("j", "", 8, null, null, null, null, CMD, null, null, null), "team", "blank"),
                refused(() -> new JobRequest("j", 0, CMD), "gpus", "'gpus' must be in [1, 10000000], got 0"),
                refused(() -> new JobRequest("j", -8, CMD), "gpus", "got -8"),
                refused(() -> new JobRequest("j", null, 8, 3, null, null, null, CMD, null, null, null), "tp", "tp (3) must divide gpus (8)"),
                refused(() -> new JobRequest("j", null, 128, 128, null, null, null, CMD, null, null, null), "tp", "[1, 64]"),
                refused(() -> new JobRequest("j", null, 8, 2, 3, null, null, CMD, null, null, null), "pp", "multiple of tp x pp x cp (6)"),
                refused(() -> new JobRequest("j", null, 8, null, null, 3, null, CMD, null, null, null), "cp", "multiple of tp x pp x cp (3)"),
                refused(() -> new JobRequest("j", null, 8, null, null, null, 1001, CMD, null, null, null), "priority", "[0, 1000]"),
                refused(() -> new JobRequest("j", 8, null), "command", "'command' is required"),
                refused(() -> new JobRequest("j", 8, List.of()), "command", "'command' must not be empty"),
                refused(() -> new JobRequest("j", 8, longCommand), "command", "more than 1000 items"),
                refused(() -> new JobRequest("j", 8, List.of("a\u0000")), "command", "NUL"),
                refused(() -> new JobRequest("j", null, 8, null, null, null, null, CMD, -1, null, null), "maxRestarts", "[0, 1000]"),
                refused(() -> new JobRequest("j", null, 8, null, null, null, null, CMD, null, "", null), "checkpointDir", "blank"),
                refused(() -> new JobRequest("j", null, 8, null, null, null, null, CMD, null, null, 0L), "timeLimitSeconds", "[1, 31536000]"),
                refused(() -> new JobRequest("j", null, 8, null, null, null, null, CMD, null, null, JobRequest.MAX_TIME_LIMIT_SECONDS + 1),
                        "timeLimitSeconds", "got 31536001"),
                refused(() -> new Registration(null, 8, null, null, null, null), "name", "is required"),
                refused(() -> new Registration("../etc", 8, null, null, null, null), "name", "must match"),
                refused(() -> new Registration("h", 0, null, null, null, null), "gpus", "[1, 64]"),
                refused(() -> new Registration("h", 65, null, null, null, null), "gpus", "[1, 64]"),
                refused(() -> new Registration("h", 8, "", null, null, null), "rack", "blank"),
                refused(() -> new Registration("h", 8, null, "z 1", null, null), "zone", "must match"),
                refused(() -> new Registration("h", 8, null, null, "a".repeat(254), null), "address", "longer than 253"),
                refused(() -> new Registration("h", 2, null, null, null, List.of(new GpuDescriptor(2, null, null, null))),
                        "gpuInfo[0].index", "[0, 1], got 2"),
                refused(() -> new Registration("h", 2, null, null, null,
                        List.of(new GpuDescriptor(0, null, null, null), new GpuDescriptor(0, null, null, null))), "gpuInfo", "lists GPU index 0 twice"),
                refused(() -> new GpuDescriptor(-1, null, null, null), "index", "[0, 63]"),
                refused(() -> new GpuDescriptor(0, "u".repeat(129), null, null), "uuid", "longer than 128"),
                refused(() -> new GpuDescriptor(0, null, null, -1L), "memoryMiB", ">= 0"),
                refused(() -> new Heartbeat(0, null, null), "generation", "'generation' must be >= 1, got 0"),
                refused(() -> new Heartbeat(1, Collections.nCopies(10_001, new TaskReport(1, 0, null, null)), null), "tasks", "more than 10000"),
                refused(() -> new TaskReport(0, 1, null, null), "job", ">= 1"),
                refused(() -> new TaskReport(1, -1, null, null), "generation", ">= 0"),
                refused(() -> new TaskReport(1, 1, null, -1.0), "checkpointTime", "got -1.0"),
                refused(() -> new TaskReport(1, 1, null, Double.NaN), "checkpointTime", "NaN"),
                refused(() -> new RankExit(-1, 0), "rank", ">= 0"),
                refused(() -> new GpuHealth(64, false, null, null), "index", "[0, 63]"),
                refused(() -> new GpuHealth(0, false, -1, null), "xid", ">= 0"),
                refused(() -> new GpuHealth(0, false, null, "d".repeat(501)), "detail", "longer than 500"),
                refused(() -> new TeamRequest(-1), "quotaGpus", ">= 0"),
                refused(() -> TeamRequest.checkName("bad name"), "name", "must match"),
                refused(() -> new DrainRequest(" "), "reason", "blank"),
                refused(() -> new TokenRequest(null, "admin", null, null), "name", "is required"),
                refused(() -> new TokenRequest("a", null, null, null), "role", "is required"),
                refused(() -> new TokenRequest("a", "agent", null, null), "role", "must be admin, member, viewer or join, got 'agent'"),
                refused(() -> new TokenRequest("a", "member", null, null), "team", "'team' is required"),
                refused(() -> new TokenRequest("a", "viewer", "vision", null), "team", "only a member token has a team"),
                refused(() -> new TokenRequest("a", "admin", null, 0L), "ttlSeconds", ">= 1"),
                refused(() -> new TokenRequest("a", "admin", null, TokenRequest.MAX_TTL_SECONDS + 1), "ttlSeconds", "ten years"),
                refused(() -> new SignInRequest(null), "token", "is required"));
    }

    private static Arguments refused(ThrowingSupplier<?> make, String field, String message) {
        return Arguments.of(make, field, message);
    }

    @ParameterizedTest(name = "{1}: {2}")
    @MethodSource("invalid")
    void aBadValueIsRefusedNamingTheField(ThrowingSupplier<?> make, String field, String message) {
        Throwable t = catchThrowable(make::get);
        assertThat(t).isInstanceOf(InvalidField.class).hasMessageContaining(message);
        InvalidField f = (InvalidField) t;
        assertThat(f.field()).isEqualTo(field);
        assertThat(f.code()).isEqualTo(ErrorCode.INVALID_FIELD);
        assertThat(f.getMessage().lines()).hasSize(1);
    }

    @Test
    void aRefusalInsideALargerBodyIsNamedByItsPath() {
        InvalidField f = (InvalidField) catchThrowable(() -> new RankExit(-1, 0));
        InvalidField at = f.within("tasks[2].exits[0].");
        assertThat(at.field()).isEqualTo("tasks[2].exits[0].rank");
        assertThat(at.getMessage()).isEqualTo("'tasks[2].exits[0].rank' must be >= 0, got -1");
        InvalidField said = InvalidField.said("gpuInfo", "GPU index 0 is listed twice").within("x.");
        assertThat(said.field()).isEqualTo("x.gpuInfo");
        assertThat(said.getMessage()).isEqualTo("GPU index 0 is listed twice");
        assertThat(f.within("")).isSameAs(f);
    }

    @Test
    void anErrorBodyReadsItsCodeAndToleratesOneItDoesNotKnow() {
        assertThat(ErrorBody.of(ErrorCode.STALE_GENERATION, "m", null).code()).isEqualTo(ErrorCode.STALE_GENERATION);
        assertThat(new ErrorBody(new ErrorBody.Detail("some_newer_code", "m", null)).code()).isNull();
        assertThat(JSON.writeValueAsString(ErrorBody.of(ErrorCode.INVALID_FIELD, "m", null)))
                .isEqualTo("{\"error\":{\"code\":\"invalid_field\",\"message\":\"m\",\"field\":null}}");
    }
}
