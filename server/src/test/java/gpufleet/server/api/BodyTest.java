package gpufleet.server.api;

import gpufleet.core.job.TimeLimit;
import gpufleet.protocol.DrainRequest;
import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.GpuDescriptor;
import gpufleet.protocol.GpuHealth;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.RankExit;
import gpufleet.protocol.Registration;
import gpufleet.protocol.ResumeRequest;
import gpufleet.protocol.SignInRequest;
import gpufleet.protocol.TaskReport;
import gpufleet.protocol.TeamRequest;
import gpufleet.protocol.TokenRequest;
import gpufleet.server.control.RequestError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The controller's strict reading of request bodies into the protocol's types: what a client writes
 * with the same types reads back equal, and every refusal carries the code and the path of the field.
 */
class BodyTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    static Stream<Record> written() {
        return Stream.of(
                new JobRequest("llama", "vision", 16, 4, 2, 1, 2, List.of("python", "train.py"), 5, "/ckpt", 7200L),
                new JobRequest("tiny", 1, List.of("true")),
                new Registration("host-17", 8, "r12", "z3", "10.0.3.17",
                        List.of(new GpuDescriptor(0, "GPU-1", "NVIDIA H100 80GB HBM3", 81_559L)), "run-1"),
                new Heartbeat(3, List.of(new TaskReport(42, 7, List.of(new RankExit(8, 1)), 1.5)),
                        List.of(new GpuHealth(3, false, 79, "XID 79"))),
                new TeamRequest(16), new TeamRequest(null), new DrainRequest("why"), new ResumeRequest(true),
                new TokenRequest("alice", "member", "vision", 60L), new SignInRequest("gft_x"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("written")
    void whatAClientWritesReadsBackEqual(Record value) {
        assertThat(Body.read(JSON.writeValueAsString(value), value.getClass())).isEqualTo(value);
    }

    static Stream<Arguments> refused() {
        String hb = "{\"generation\":1,\"tasks\":[{\"job\":1,\"generation\":1,\"exits\":[%s]}]}";
        return Stream.of(
                Arguments.of(JobRequest.class, "", ErrorCode.INVALID_FIELD, "name", "'name' is required"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "gpus", "'gpus' is required"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":null,\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "gpus", "'gpus' is required"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":\"8\",\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "gpus", "'gpus' must be an integer"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":8.5,\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "gpus", "'gpus' must be an integer"),
                Arguments.of(JobRequest.class, "{\"name\":7,\"gpus\":8,\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "name", "'name' must be a string"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":8,\"command\":[1]}", ErrorCode.INVALID_FIELD, "command", "'command' must be a list of strings"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":8,\"command\":\"x\"}", ErrorCode.INVALID_FIELD, "command", "'command' must be a list of strings"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":8,\"command\":[\"x\"],\"gpu\":1}", ErrorCode.UNKNOWN_FIELD, "gpu", "unknown field 'gpu'"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"gpus\":8,\"tp\":3,\"command\":[\"x\"]}", ErrorCode.INVALID_FIELD, "tp", "tp (3) must divide gpus (8)"),
                Arguments.of(JobRequest.class, "{\"name\":\"j\",\"name\":\"k\"}", ErrorCode.MALFORMED_BODY, "body", "Duplicate"),
                Arguments.of(JobRequest.class, "[1]", ErrorCode.MALFORMED_BODY, "body", "must be a JSON object"),
                Arguments.of(Heartbeat.class, hb.formatted("{\"rank\":1}"), ErrorCode.INVALID_FIELD, "tasks[0].exits[0].code",
                        "'tasks[0].exits[0].code' is required"),
                Arguments.of(Heartbeat.class, hb.formatted("{\"rank\":-1,\"code\":0}"), ErrorCode.INVALID_FIELD, "tasks[0].exits[0].rank",
                        "'tasks[0].exits[0].rank' must be >= 0, got -1"),
                Arguments.of(Heartbeat.class, hb.formatted("{\"rank\":1,\"code\":0,\"signal\":9}"), ErrorCode.UNKNOWN_FIELD,
                        "tasks[0].exits[0].signal", "unknown field 'tasks[0].exits[0].signal'"),
                Arguments.of(Heartbeat.class, hb.formatted("7"), ErrorCode.INVALID_FIELD, "tasks[0].exits", "must be a list of objects"),
                Arguments.of(Heartbeat.class, "{\"generation\":1,\"gpus\":[{\"index\":0,\"healthy\":1}]}", ErrorCode.INVALID_FIELD,
                        "gpus[0].healthy", "'gpus[0].healthy' must be true or false"),
                Arguments.of(Heartbeat.class, "{\"generation\":1,\"tasks\":{}}", ErrorCode.INVALID_FIELD, "tasks", "'tasks' must be a list of objects"),
                Arguments.of(Registration.class, "{\"name\":\"n\",\"gpus\":2,\"gpuInfo\":[{\"index\":3}]}", ErrorCode.INVALID_FIELD,
                        "gpuInfo[0].index", "'gpuInfo[0].index' must be in [0, 1], got 3"),
                Arguments.of(Registration.class, "{\"name\":\"n\",\"gpus\":2,\"gpuInfo\":[{\"index\":0,\"memoryMiB\":\"lots\"}]}",
                        ErrorCode.INVALID_FIELD, "gpuInfo[0].memoryMiB", "must be an integer"),
                Arguments.of(TokenRequest.class, "{\"name\":\"a\",\"role\":\"agent\"}", ErrorCode.INVALID_FIELD, "role", "got 'agent'"),
                Arguments.of(ResumeRequest.class, "{\"force\":\"yes\"}", ErrorCode.INVALID_FIELD, "force", "'force' must be true or false"),
                Arguments.of(TeamRequest.class, "{\"quotaGpus\":1e3}", ErrorCode.INVALID_FIELD, "quotaGpus", "must be an integer"));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("refused")
    void aBadBodyIsRefusedWithItsCodeAndField(Class<? extends Record> type, String body, ErrorCode code, String field, String message) {
        RequestError e = catchThrowableOfType(RequestError.class, () -> Body.read(body, type));
        assertThat(e).as(body).isNotNull();
        assertThat(e.code()).isEqualTo(code);
        assertThat(e.status()).isEqualTo(code.status());
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).contains(message).doesNotContain("jackson").doesNotContain("`");
    }

    @Test
    void nullIsAbsentAndTakesTheDefault() {
        JobRequest j = Body.read("{\"name\":\"j\",\"gpus\":8,\"tp\":null,\"team\":null,\"command\":[\"x\"]}", JobRequest.class);
        assertThat(j.tp()).isEqualTo(1);
        assertThat(j.team()).isNull();
        assertThat(Body.read("", ResumeRequest.class).force()).isFalse();
    }

    @Test
    void theContractsLongestTimeLimitIsTheCores() {
        assertThat(JobRequest.MAX_TIME_LIMIT_SECONDS).isEqualTo(TimeLimit.MAX_SECONDS);
    }
}
