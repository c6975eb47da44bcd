package gpufleet.server.api;

import gpufleet.protocol.ErrorCode;
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
    /** Where this object sits in the request, e.g. "tasks[2]."; names fields in errors. */
    private final String path;

    private Body(JsonNode node, String path) {
        this.node = node;
        this.path = path;
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
                throw new RequestError(ErrorCode.MALFORMED_BODY, "body", "malformed JSON: " + describe(e));
            }
        }
        if (n == null || !n.isObject()) throw new RequestError(ErrorCode.MALFORMED_BODY, "body", "the body must be a JSON object");
        return of(n, "", fields);
    }

    /**
     * The parser's complaint in the client's terms: Jackson's messages name its own classes and
     * settings now and then (trailing tokens, nesting limits), which say nothing to a client and
     * more than it needs about the server.
     */
    static String describe(JacksonException e) {
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        m = m.replaceAll("\\s*\\(bound as [^)]*\\)", "")
                .replaceAll(":?\\s*not allowed as per `[^`]*`", "")
                .replaceAll(",? from `[^`]*`", "")
                .replaceAll("`JsonToken\\.([A-Z_]+)`", "$1")
                .strip();
        if (m.isEmpty() || m.contains("`") || m.contains("jackson") || m.contains("Feature"))
            m = "not a valid JSON document";
        var where = e.getLocation();
        if (where != null && where.getLineNr() > 0)
            m += " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")";
        return m;
    }

    private static Body of(JsonNode n, String path, Set<String> fields) {
        for (String name : n.propertyNames())
            if (!fields.contains(name)) throw new RequestError(ErrorCode.UNKNOWN_FIELD, path + name, "unknown field '" + path + name + "'");
        return new Body(n, path);
    }

    /** A list of objects, each allowing only {@code fields}; an absent field is an empty list. */
    List<Body> objects(String field, int maxItems, Set<String> fields) {
        JsonNode v = present(field);
        if (v == null) return List.of();
        String f = path + field;
        if (!v.isArray()) throw RequestError.badRequest(f, "'" + f + "' must be a list of objects");
        if (v.size() > maxItems) throw RequestError.badRequest(f, "'" + f + "' has more than " + maxItems + " items");
        List<Body> out = new ArrayList<>(v.size());
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isObject()) throw RequestError.badRequest(f, "'" + f + "' must be a list of objects");
            out.add(of(e, f + "[" + i + "].", fields));
        }
        return out;
    }

    Double number(String field, boolean required, double min, double max) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return null;
        }
        if (!v.isNumber()) throw RequestError.badRequest(f, "'" + f + "' must be a number");
        double d = v.doubleValue();
        if (!(d >= min && d <= max))
            throw RequestError.badRequest(f, "'" + f + "' must be in [" + min + ", " + max + "], got " + d);
        return d;
    }

    Boolean bool(String field, boolean required, Boolean dflt) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return dflt;
        }
        if (!v.isBoolean()) throw RequestError.badRequest(f, "'" + f + "' must be true or false");
        return v.booleanValue();
    }

    private JsonNode present(String field) {
        JsonNode v = node.get(field);
        return v == null || v.isNull() ? null : v;
    }

    String string(String field, boolean required, String dflt, int maxLen) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return dflt;
        }
        if (!v.isString()) throw RequestError.badRequest(f, "'" + f + "' must be a string");
        String s = v.stringValue();
        if (s.isBlank()) throw RequestError.badRequest(f, "'" + f + "' must not be blank");
        if (s.length() > maxLen) throw RequestError.badRequest(f, "'" + f + "' is longer than " + maxLen + " characters");
        if (hasControl(s)) throw RequestError.badRequest(f, "'" + f + "' contains a control character");
        return s;
    }

    /** Whether {@code s} holds a control character (a NUL among them, which PostgreSQL cannot store). */
    static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isISOControl(s.charAt(i))) return true;
        return false;
    }

    Integer integer(String field, boolean required, Integer dflt, int min, int max) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt())
            throw RequestError.badRequest(f, "'" + f + "' must be an integer");
        int i = v.intValue();
        if (i < min || i > max)
            throw RequestError.badRequest(f, "'" + f + "' must be in [" + min + ", " + max + "], got " + i);
        return i;
    }

    Long longValue(String field, boolean required, long min) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong())
            throw RequestError.badRequest(f, "'" + f + "' must be an integer");
        long l = v.longValue();
        if (l < min) throw RequestError.badRequest(f, "'" + f + "' must be >= " + min);
        return l;
    }

    List<String> strings(String field, boolean required, int maxItems, int maxLen) {
        JsonNode v = present(field);
        String f = path + field;
        if (v == null) {
            if (required) throw RequestError.badRequest(f, "'" + f + "' is required");
            return List.of();
        }
        if (!v.isArray()) throw RequestError.badRequest(f, "'" + f + "' must be a list of strings");
        if (v.size() > maxItems) throw RequestError.badRequest(f, "'" + f + "' has more than " + maxItems + " items");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isString()) throw RequestError.badRequest(f, "'" + f + "' must be a list of strings");
            String s = e.stringValue();
            if (s.length() > maxLen) throw RequestError.badRequest(f, "an item of '" + f + "' is longer than " + maxLen + " characters");
            if (s.indexOf('\0') >= 0) throw RequestError.badRequest(f, "an item of '" + f + "' contains a NUL character");
            out.add(s);
        }
        return out;
    }
}
