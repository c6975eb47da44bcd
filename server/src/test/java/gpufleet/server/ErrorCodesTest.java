package gpufleet.server;

import gpufleet.core.sched.framework.Status;
import gpufleet.protocol.ErrorCode;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import tools.jackson.databind.JsonNode;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The error codes are a contract: the OpenAPI document lists exactly the codes {@link ErrorCode} has,
 * with the same meanings, and refusals of each kind carry the code a client acts on.
 */
@ParameterizedClass(name = "{0}")
@EnumSource(TestDatabases.Kind.class)
class ErrorCodesTest {
    @Parameter
    TestDatabases.Kind kind;
    @TempDir
    Path dir;
    TestDatabases.TestDb db;
    GpufleetServer server;
    Client api;

    @BeforeEach
    void start() {
        db = TestDatabases.fresh(kind, dir);
        server = GpufleetServer.start(db.open(), dir, "127.0.0.1", 0, Duration.ofMillis(200));
        api = new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        try {
            if (server != null) server.close();
        } finally {
            if (db != null) db.close();
        }
    }

    @Test
    void theOpenApiDocumentListsEveryWaitingReasonsCodeAndNoOther() throws Exception {
        JsonNode schemas;
        try (InputStream in = ErrorCodesTest.class.getResourceAsStream("/gpufleet/server/openapi.json")) {
            schemas = Client.JSON.readTree(in).get("components").get("schemas");
        }
        JsonNode codes = schemas.get("ReasonCode");
        // OK lets a job through and REJECTED fails it: neither explains a wait
        List<String> waiting = Arrays.stream(Status.Code.values())
                .filter(c -> c != Status.Code.OK && c != Status.Code.REJECTED).map(Enum::name).toList();
        assertThat(codes.get("enum").valueStream().map(JsonNode::stringValue).toList()).containsExactlyElementsOf(waiting);
        List<String> described = new ArrayList<>();
        codes.get("x-enumDescriptions").propertyNames().forEach(described::add);
        assertThat(described).containsExactlyElementsOf(waiting);
        for (String c : waiting) assertThat(codes.get("description").stringValue()).contains("`" + c + "`");
        assertThat(schemas.get("Job").get("properties").get("reasonCode").get("allOf").get(0).get("$ref").stringValue())
                .isEqualTo("#/components/schemas/ReasonCode");
    }

    @Test
    void theOpenApiDocumentListsEveryCodeAndNoOther() throws Exception {
        JsonNode doc;
        try (InputStream in = ErrorCodesTest.class.getResourceAsStream("/gpufleet/server/openapi.json")) {
            doc = Client.JSON.readTree(in);
        }
        assertThat(api.ok(api.get("/openapi.json"))).as("the document served is the one checked").isEqualTo(doc);
        JsonNode schemas = doc.get("components").get("schemas");
        assertThat(schemas.get("Error").get("properties").get("error").get("$ref").stringValue())
                .isEqualTo("#/components/schemas/ErrorDetail");
        JsonNode detail = schemas.get("ErrorDetail");
        assertThat(detail.get("properties").propertyNames()).containsExactlyInAnyOrder("code", "message", "field");
        assertThat(detail.get("properties").get("code").get("$ref").stringValue()).isEqualTo("#/components/schemas/ErrorCode");

        JsonNode codes = schemas.get("ErrorCode");
        assertThat(codes.get("enum").valueStream().map(JsonNode::stringValue).toList())
                .containsExactlyElementsOf(Arrays.stream(ErrorCode.values()).map(ErrorCode::wire).toList());
        Map<String, String> documented = new LinkedHashMap<>();
        codes.get("x-enumDescriptions").properties().forEach(e -> documented.put(e.getKey(), e.getValue().stringValue()));
        assertThat(documented).isEqualTo(Arrays.stream(ErrorCode.values())
                .collect(Collectors.toMap(ErrorCode::wire, ErrorCode::meaning, (a, b) -> a, LinkedHashMap::new)));
        for (ErrorCode c : ErrorCode.values()) {
            assertThat(c.wire()).matches("[a-z]+(_[a-z]+)*");
            assertThat(codes.get("description").stringValue()).as(c.wire()).contains("`" + c.wire() + "`");
            assertThat(ErrorCode.fromWire(c.wire())).isSameAs(c);
        }
        assertThat(ErrorCode.fromWire("some_newer_code")).isNull();
    }

    @Test
    void refusalsCarryTheCodeAClientActsOn() {
        long host = api.registerHost("node-a", 8, "r1", "z1");
        String job = "{\"name\":\"j\",\"gpus\":%s,\"command\":[\"sleep\",\"1\"]%s}";
        expect(api.post("/jobs", "{\"name\":"), 400, "malformed_body", "body");
        expect(api.post("/jobs", "[1]"), 400, "malformed_body", "body");
        expect(api.post("/jobs", job.formatted("1", ",\"gpu\":1")), 400, "unknown_field", "gpu");
        expect(api.post("/jobs", job.formatted("\"one\"", "")), 400, "invalid_field", "gpus");
        expect(api.post("/jobs", job.formatted("64", "")), 400, "unsatisfiable", "gpus");
        expect(api.post("/jobs", job.formatted("1", "").replace("}", ",\"x\":\"" + "y".repeat(2 << 20) + "\"}")),
                413, "body_too_large", "body");
        expect(api.get("/jobs/999"), 404, "not_found", "id");
        expect(api.get("/no/such/thing"), 404, "no_such_route", null);
        expect(api.send(api.adminToken, HttpRequest.newBuilder(URI.create(api.base() + "/jobs")).DELETE()),
                405, "method_not_allowed", null);
        expect(api.send(null, HttpRequest.newBuilder(URI.create(api.base() + "/jobs")).GET()), 401, "unauthenticated", null);
        String viewer = api.ok(api.post("/tokens", "{\"name\":\"v\",\"role\":\"viewer\"}")).get("token").stringValue();
        expect(api.send(viewer, HttpRequest.newBuilder(URI.create(api.base() + "/jobs"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(job.formatted("1", "")))), 403, "forbidden", null);

        long id = api.submit("short", 1, 1);
        api.ok(api.post("/jobs/" + id + "/cancel", ""));
        expect(api.post("/jobs/" + id + "/cancel", ""), 409, "job_ended", "id");
        expect(api.post("/jobs/" + id + "/logs/0?generation=99", "x"), 409, "generation_ahead", "generation");
        expect(api.send(api.joinToken, HttpRequest.newBuilder(URI.create(api.base() + "/hosts/register"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"node-a\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}"))),
                409, "already_joined", "name");
        api.ok(api.post("/hosts/" + host + "/heartbeat", "{\"generation\":1}"));
        expect(api.post("/hosts/" + host + "/heartbeat", "{\"generation\":7}"), 409, "stale_generation", "generation");
    }

    private static void expect(Client.Response r, int status, String code, String field) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.code()).as(r.body()).isEqualTo(code);
        assertThat(r.field()).as(r.body()).isEqualTo(field);
        assertThat(r.message()).as(r.body()).isNotBlank();
        assertThat(ErrorCode.fromWire(code).status()).isEqualTo(status);
    }
}
