package gpufleet.server;

import gpufleet.protocol.AuditView;
import gpufleet.protocol.DrainRequest;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.HostView;
import gpufleet.protocol.IdentityView;
import gpufleet.protocol.JobDetailView;
import gpufleet.protocol.JobEventView;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.JobView;
import gpufleet.protocol.PlacementView;
import gpufleet.protocol.Registration;
import gpufleet.protocol.ResumeRequest;
import gpufleet.protocol.SignInRequest;
import gpufleet.protocol.StartView;
import gpufleet.protocol.TeamRequest;
import gpufleet.protocol.TeamView;
import gpufleet.protocol.TokenRequest;
import gpufleet.protocol.TokenSecretView;
import gpufleet.protocol.TokenView;
import gpufleet.protocol.WarningsView;
import gpufleet.server.store.SqlStore;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.type.LogicalType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document and the protocol's request types describe the same bodies: the same fields at
 * every level, unknown fields refused, and every primitive component (required on the wire) required.
 * The answers the command line reads are its views exactly: a running controller's answers carry every
 * view component, in order, each of the view's JSON type, and nothing else, so a field renamed or
 * dropped on the controller fails here instead of showing "-" in the command line's tables.
 */
class ContractTest {
    static final JsonNode DOC = load();

    static Stream<Arguments> bodies() {
        return Stream.of(
                Arguments.of("post", "/jobs", JobRequest.class),
                Arguments.of("post", "/hosts/register", Registration.class),
                Arguments.of("post", "/hosts/{id}/heartbeat", Heartbeat.class),
                Arguments.of("post", "/hosts/{name}/drain", DrainRequest.class),
                Arguments.of("post", "/hosts/{name}/resume", ResumeRequest.class),
                Arguments.of("put", "/teams/{name}", TeamRequest.class),
                Arguments.of("post", "/tokens", TokenRequest.class),
                Arguments.of("post", "/session", SignInRequest.class));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("bodies")
    void theDocumentedBodyIsTheRequestType(String method, String path, Class<? extends Record> type) {
        JsonNode schema = DOC.get("paths").get(path).get(method).get("requestBody").get("content").get("application/json").get("schema");
        same(resolve(schema), type, path);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("answers")
    void theDocumentedAnswerIsTheReplyType(String schema, Class<? extends Record> type) {
        JsonNode s = DOC.get("components").get("schemas").get(schema);
        Set<String> names = new HashSet<>();
        s.get("properties").propertyNames().forEach(names::add);
        assertThat(names).as(schema).isEqualTo(components(type));
    }

    static Stream<Arguments> answers() {
        return Stream.of(Arguments.of("HeartbeatReply", HeartbeatReply.class), Arguments.of("Assignment", gpufleet.protocol.Assignment.class),
                Arguments.of("Job", JobView.class), Arguments.of("HostGpus", PlacementView.class),
                Arguments.of("JobEvent", JobEventView.class), Arguments.of("Host", HostView.class),
                Arguments.of("Team", TeamView.class), Arguments.of("AuditEntry", AuditView.class));
    }

    @Test
    void theDocumentedTokenIsTheTokenViewAndItsSecret() {
        Set<String> names = new HashSet<>();
        DOC.get("components").get("schemas").get("Token").get("properties").propertyNames().forEach(names::add);
        Set<String> both = new HashSet<>(components(TokenView.class));
        both.addAll(components(TokenSecretView.class));
        assertThat(names).isEqualTo(both);
    }

    @Test
    void theDocumentedJobDetailIsTheJobViewAndItsDetail() {
        JsonNode allOf = DOC.get("components").get("schemas").get("JobDetail").get("allOf");
        assertThat(allOf.get(0).get("$ref").stringValue()).isEqualTo("#/components/schemas/Job");
        Set<String> names = new HashSet<>();
        allOf.get(1).get("properties").propertyNames().forEach(names::add);
        assertThat(names).isEqualTo(components(JobDetailView.class));
    }

    /** Reads an answer's part as strictly as the controller reads requests: no unknown field, no null primitive, no coercion. */
    static final JsonMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    /**
     * How {@code answer} differs from the views {@code parts} laid end to end: fields lacking, unknown or
     * out of order (at every level of nested views), and values the views cannot read strictly. Empty
     * when it is exactly them.
     */
    @SafeVarargs
    static List<String> mismatches(String where, JsonNode answer, Class<? extends Record>... parts) {
        List<String> out = new ArrayList<>();
        if (answer == null || !answer.isObject()) {
            out.add(where + ": not an object: " + answer);
            return out;
        }
        List<String> expected = new ArrayList<>();
        for (Class<? extends Record> p : parts) expected.addAll(names(p));
        List<String> actual = new ArrayList<>(answer.propertyNames());
        for (String e : expected) if (!actual.contains(e)) out.add(where + " lacks '" + e + "'");
        for (String a : actual) if (!expected.contains(a)) out.add(where + " has '" + a + "', which no view reads");
        if (out.isEmpty() && !actual.equals(expected)) out.add(where + ": fields in the order " + actual + ", views say " + expected);
        for (Class<? extends Record> p : parts) {
            ObjectNode part = STRICT.createObjectNode();
            for (String n : names(p)) if (answer.has(n)) part.set(n, answer.get(n));
            try {
                STRICT.treeToValue(part, p);
            } catch (JacksonException e) {
                out.add(where + " does not read as " + p.getSimpleName() + ": " + e.getOriginalMessage());
            }
            for (RecordComponent c : p.getRecordComponents())
                if (c.getGenericType() instanceof ParameterizedType t && t.getRawType() == List.class
                        && t.getActualTypeArguments()[0] instanceof Class<?> item && item.isRecord() && answer.path(c.getName()).isArray()) {
                    @SuppressWarnings("unchecked")
                    Class<? extends Record> view = (Class<? extends Record>) item;
                    int i = 0;
                    for (JsonNode n : answer.get(c.getName())) out.addAll(mismatches(where + "." + c.getName() + "[" + i++ + "]", n, view));
                }
        }
        return out;
    }

    private static List<String> names(Class<?> type) {
        return Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    @Test
    void theCheckOfAnAnswerCatchesAFieldRenamedDroppedAddedOrOfAnotherType() {
        ObjectNode team = STRICT.createObjectNode().put("name", "vision").put("quotaGpus", 8);
        assertThat(mismatches("team", team, TeamView.class)).isEmpty();
        ObjectNode renamed = STRICT.createObjectNode().put("name", "vision").put("quota", 8);
        assertThat(mismatches("team", renamed, TeamView.class))
                .containsExactly("team lacks 'quotaGpus'", "team has 'quota', which no view reads");
        ObjectNode typed = STRICT.createObjectNode().put("name", "vision").put("quotaGpus", "8");
        assertThat(mismatches("team", typed, TeamView.class)).singleElement().asString().startsWith("team does not read as TeamView");
        ObjectNode job = STRICT.createObjectNode().put("warnings", 1);
        assertThat(mismatches("submit", job, WarningsView.class)).singleElement().asString().contains("WarningsView");
        ObjectNode shuffled = STRICT.createObjectNode().put("quotaGpus", 8).put("name", "vision");
        assertThat(mismatches("team", shuffled, TeamView.class)).singleElement().asString().contains("in the order");
        ObjectNode identity = STRICT.createObjectNode().put("tokenId", "t").put("name", "n").put("role", "ADMIN").putNull("team")
                .putNull("host").putNull("authentication");
        assertThat(mismatches("whoami", identity, IdentityView.class)).singleElement().asString().contains("IdentityView");
        ObjectNode event = STRICT.createObjectNode().put("ettr", 1.0);
        event.putArray("events").addObject().put("jobId", 1).put("seq", 0).put("time", 1.5).put("kind", "STARTED");
        assertThat(mismatches("job", event, JobDetailView.class)).containsExactly("job.events[0] lacks 'detail'");
    }

    @TempDir
    Path dir;

    /**
     * Every answer a command reads, from a controller with a host, a team, tokens, a running job and a
     * waiting one, is the views the command reads it into.
     */
    @Test
    void theAnswersTheCommandLineReadsAreItsViews() {
        GpufleetServer server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(50));
        try {
            Client api = new Client(server.port(), dir);
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(mismatches("GET /whoami", api.ok(api.get("/whoami")), IdentityView.class)).isEmpty();

            soft.assertThat(mismatches("PUT /teams/vision", api.ok(api.put("/teams/vision", "{\"quotaGpus\":16}")), TeamView.class)).isEmpty();
            api.ok(api.put("/teams/open", "{}"));
            for (JsonNode t : api.ok(api.get("/teams"))) soft.assertThat(mismatches("GET /teams[]", t, TeamView.class)).isEmpty();

            JsonNode made = api.ok(api.post("/tokens", "{\"name\":\"ci\",\"role\":\"member\",\"team\":\"vision\",\"ttlSeconds\":3600}"));
            soft.assertThat(mismatches("POST /tokens", made, TokenView.class, TokenSecretView.class)).isEmpty();
            for (JsonNode t : api.ok(api.get("/tokens"))) soft.assertThat(mismatches("GET /tokens[]", t, TokenView.class)).isEmpty();
            soft.assertThat(mismatches("POST /tokens/{id}/revoke",
                    api.ok(api.post("/tokens/" + made.get("id").stringValue() + "/revoke", "")), TokenView.class)).isEmpty();

            JsonNode reg = api.ok(api.post("/hosts/register", "{\"name\":\"h1\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\","
                    + "\"gpuInfo\":[{\"index\":0,\"uuid\":\"GPU-0\",\"model\":\"H100-SXM\",\"memoryMiB\":81559}]}"));
            api.ok(api.post("/hosts/" + reg.get("id").longValue() + "/heartbeat", "{\"generation\":" + reg.get("generation").longValue() + "}"));

            String job = "{\"name\":\"%s\",\"team\":\"vision\",\"gpus\":8,\"command\":[\"python\",\"train.py\"],\"timeLimitSeconds\":3600}";
            JsonNode running = api.ok(api.post("/jobs", job.formatted("running")));
            soft.assertThat(mismatches("POST /jobs", running, JobView.class, WarningsView.class)).isEmpty();
            long r = running.get("id").longValue();
            api.awaitState(r, "RUNNING");
            long w = api.ok(api.post("/jobs", job.formatted("waiting"))).get("id").longValue();
            for (JsonNode j : api.ok(api.get("/jobs"))) {
                if (j.get("id").longValue() == r) soft.assertThat(mismatches("GET /jobs[running]", j, JobView.class)).isEmpty();
                else soft.assertThat(mismatches("GET /jobs[waiting]", j, JobView.class, StartView.class)).isEmpty();
            }
            JsonNode one = api.job(r);
            soft.assertThat(one.get("placement")).as("a running job's placement").isNotEmpty();
            soft.assertThat(one.get("events")).as("a running job's events").isNotEmpty();
            soft.assertThat(mismatches("GET /jobs/{running}", one, JobView.class, JobDetailView.class)).isEmpty();
            soft.assertThat(mismatches("GET /jobs/{waiting}", api.job(w), JobView.class, JobDetailView.class, StartView.class)).isEmpty();

            JsonNode hosts = api.ok(api.get("/hosts"));
            soft.assertThat(hosts.get(0).get("lastHeartbeat").isNumber()).as("a host heard from").isTrue();
            for (JsonNode h : hosts) soft.assertThat(mismatches("GET /hosts[]", h, HostView.class)).isEmpty();
            soft.assertThat(mismatches("POST /hosts/{name}/drain", api.ok(api.post("/hosts/h1/drain", "{\"reason\":\"swap the NIC\"}")),
                    HostView.class)).isEmpty();
            soft.assertThat(mismatches("POST /hosts/{name}/resume", api.ok(api.post("/hosts/h1/resume", "{}")), HostView.class)).isEmpty();
            soft.assertThat(mismatches("POST /jobs/{id}/cancel", api.ok(api.post("/jobs/" + w + "/cancel", "")), JobView.class)).isEmpty();
            for (JsonNode e : api.ok(api.get("/audit"))) soft.assertThat(mismatches("GET /audit[]", e, AuditView.class)).isEmpty();
            soft.assertAll();
        } finally {
            server.close();
        }
    }

    private static void same(JsonNode schema, Class<?> type, String where) {
        Set<String> documented = new HashSet<>();
        schema.get("properties").propertyNames().forEach(documented::add);
        assertThat(documented).as(where + " fields").isEqualTo(components(type));
        assertThat(schema.path("additionalProperties").isBoolean() && !schema.get("additionalProperties").booleanValue())
                .as(where + " refuses unknown fields").isTrue();
        Set<String> required = new HashSet<>();
        schema.path("required").forEach(n -> required.add(n.stringValue()));
        for (RecordComponent c : type.getRecordComponents()) {
            if (c.getType().isPrimitive()) assertThat(required).as(where + " requires " + c.getName()).contains(c.getName());
            JsonNode p = resolve(schema.get("properties").get(c.getName()));
            if (c.getGenericType() instanceof ParameterizedType t && t.getRawType() == List.class
                    && t.getActualTypeArguments()[0] instanceof Class<?> item && item.isRecord())
                same(resolve(p.get("items")), item, where + "." + c.getName() + "[]");
        }
    }

    private static Set<String> components(Class<?> type) {
        Set<String> out = new HashSet<>();
        Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).forEach(out::add);
        return out;
    }

    private static JsonNode resolve(JsonNode n) {
        JsonNode ref = n.get("$ref");
        return ref == null ? n : DOC.get("components").get("schemas").get(ref.stringValue().substring("#/components/schemas/".length()));
    }

    private static JsonNode load() {
        try (InputStream in = ContractTest.class.getResourceAsStream("/gpufleet/server/openapi.json")) {
            return Client.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
