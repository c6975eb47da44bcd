package gpufleet.server;

import gpufleet.protocol.DrainRequest;
import gpufleet.protocol.Heartbeat;
import gpufleet.protocol.HeartbeatReply;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.Registration;
import gpufleet.protocol.ResumeRequest;
import gpufleet.protocol.SignInRequest;
import gpufleet.protocol.TeamRequest;
import gpufleet.protocol.TokenRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document and the protocol's request types describe the same bodies: the same fields at
 * every level, unknown fields refused, and every primitive component (required on the wire) required.
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
        return Stream.of(Arguments.of("HeartbeatReply", HeartbeatReply.class), Arguments.of("Assignment", gpufleet.protocol.Assignment.class));
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
