package gpufleet.server.api;

import gpufleet.server.control.RequestError;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A JSON request body, read strictly: an object, no duplicate or unknown fields, each field of the
 * expected type and range. Every refusal names the field.
 */
final class Body {
    static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final JsonNode node;

    private Body(JsonNode node) {
        this.node = node;
    }

    /** Parses {@code raw}, allowing only {@code fields}. An empty body is an empty object. */
    static Body parse(String raw, Set<String> fields) {
        JsonNode n;
        if (raw == null || raw.isBlank()) {
            n = STRICT.createObjectNode();
        } else {
            try {
                n = STRICT.readTree(raw);
            } catch (JacksonException e) {
                throw RequestError.badRequest("body", "malformed JSON: " + e.getOriginalMessage());
            }
        }
        if (n == null || !n.isObject()) throw RequestError.badRequest("body", "the body must be a JSON object");
        for (String name : n.propertyNames())
            if (!fields.contains(name)) throw RequestError.badRequest(name, "unknown field '" + name + "'");
        return new Body(n);
    }

    private JsonNode present(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    String string(String field, boolean required, String dflt, int maxLen) {
        JsonNode v = present(field);
        if (v == null) {
            if (required) throw RequestError.badRequest(field, "'" + field + "' is required");
            return dflt;
        }
        if (!v.isString()) throw RequestError.badRequest(field, "'" + field + "' must be a string");
        String s = v.stringValue();
        if (s.isBlank()) throw RequestError.badRequest(field, "'" + field + "' must not be blank");
        if (s.length() > maxLen) throw RequestError.badRequest(field, "'" + field + "' is longer than " + maxLen + " characters");
        for (int i = 0; i < s.length(); i++)
            if (Character.isISOControl(s.charAt(i)))
                throw RequestError.badRequest(field, "'" + field + "' contains a control character");
        return s;
    }

    Integer integer(String field, boolean required, Integer dflt, int min, int max) {
        JsonNode v = present(field);
        if (v == null) {
            if (required) throw RequestError.badRequest(field, "'" + field + "' is required");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw RequestError.badRequest(field, "'" + field + "' must be an integer");
        int i = v.intValue();
        if (i < min || i > max)
            throw RequestError.badRequest(field, "'" + field + "' must be in [" + min + ", " + max + "], got " + i);
        return i;
    }

    Long longValue(String field, boolean required, long min) {
        JsonNode v = present(field);
        if (v == null) {
            if (required) throw RequestError.badRequest(field, "'" + field + "' is required");
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong())
            throw RequestError.badRequest(field, "'" + field + "' must be an integer");
        long l = v.longValue();
        if (l < min) throw RequestError.badRequest(field, "'" + field + "' must be >= " + min);
        return l;
    }

    List<String> strings(String field, boolean required, int maxItems, int maxLen) {
        JsonNode v = present(field);
        if (v == null) {
            if (required) throw RequestError.badRequest(field, "'" + field + "' is required");
            return List.of();
        }
        if (!v.isArray()) throw RequestError.badRequest(field, "'" + field + "' must be a list of strings");
        if (v.size() > maxItems) throw RequestError.badRequest(field, "'" + field + "' has more than " + maxItems + " items");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isString()) throw RequestError.badRequest(field, "'" + field + "' must be a list of strings");
            String s = e.stringValue();
            if (s.length() > maxLen) throw RequestError.badRequest(field, "an item of '" + field + "' is longer than " + maxLen + " characters");
            if (s.indexOf('\0') >= 0) throw RequestError.badRequest(field, "an item of '" + field + "' contains a NUL character");
            out.add(s);
        }
        return out;
    }
}
