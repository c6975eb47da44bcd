package gpufleet.server.api;

import gpufleet.protocol.ErrorCode;
import gpufleet.protocol.InvalidField;
import gpufleet.server.control.RequestError;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.exc.ValueInstantiationException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.type.LogicalType;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A JSON request body read strictly into one of the protocol's request types: an object, no duplicate
 * or unknown fields, no field coerced from another JSON type (a string is not a number, a number not
 * a string), a primitive component present. The type's constructor checks the values. Every refusal
 * names the field by its path, e.g. {@code tasks[2].exits[0].rank}.
 */
final class Body {
    static final JsonMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private Body() {}

    /** {@code raw} as a {@code type}; an empty body is an empty object. */
    static <T extends Record> T read(String raw, Class<T> type) {
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
        List<String> missing = new ArrayList<>();
        prepare((ObjectNode) n, type, "", missing);
        RequestError refused;
        try {
            T value = STRICT.treeToValue(n, type);
            if (missing.isEmpty()) return value;
            refused = null;
        } catch (ValueInstantiationException e) {
            if (!(e.getCause() instanceof InvalidField f))
                throw RequestError.badRequest(null, "the body is not a valid " + type.getSimpleName());
            InvalidField at = f.within(path(e.getPath()));
            refused = RequestError.badRequest(at.field(), at.getMessage());
        } catch (JacksonException e) {
            refused = mismatch(type, e.getPath());
        }
        // a missing primitive was read as 0 or false; the constructor may have refused a field it checks
        // before that one (the body names the first field at fault, in the type's order), else the
        // missing one is the fault
        if (!missing.isEmpty() && (refused == null || order(type, refused.field()) >= order(type, missing.getFirst())))
            throw RequestError.badRequest(missing.getFirst(), "'" + missing.getFirst() + "' is required");
        throw refused;
    }

    /** Where the top-level component a field path starts with is declared in {@code type}; unknown last. */
    private static int order(Class<?> type, String field) {
        if (field == null) return Integer.MAX_VALUE;
        String top = field.split("[.\\[]", 2)[0];
        RecordComponent[] cs = type.getRecordComponents();
        for (int i = 0; i < cs.length; i++) if (cs[i].getName().equals(top)) return i;
        return Integer.MAX_VALUE;
    }

    /**
     * Refuses fields {@code type} does not have, drops explicit nulls (null is absent), and refuses a
     * missing primitive into {@code missing}: Jackson reads it as 0 or false, and an exit code of 0 is not
     * a missing one.
     */
    private static void prepare(ObjectNode n, Class<?> type, String path, List<String> missing) {
        Shape shape = SHAPES.get(type);
        for (String name : n.propertyNames())
            if (!shape.names().contains(name)) throw new RequestError(ErrorCode.UNKNOWN_FIELD, path + name, "unknown field '" + path + name + "'");
        List<String> nulls = null;
        for (String name : n.propertyNames())
            if (n.get(name).isNull()) (nulls == null ? nulls = new ArrayList<>() : nulls).add(name);
        if (nulls != null) nulls.forEach(n::remove);
        for (Part c : shape.parts()) {
            JsonNode v = n.get(c.name());
            if (v == null) {
                if (c.primitive()) missing.add(path + c.name());
                continue;
            }
            if (c.record() != null && v.isObject()) prepare((ObjectNode) v, c.record(), path + c.name() + ".", missing);
            else if (c.items() != null && v.isArray())
                for (int i = 0; i < v.size(); i++)
                    if (v.get(i).isObject()) prepare((ObjectNode) v.get(i), c.items(), path + c.name() + "[" + i + "].", missing);
        }
    }

    /** A record component as {@link #prepare} reads it: a nested record, or a list of them, is checked in turn. */
    private record Part(String name, boolean primitive, Class<?> record, Class<?> items) {}

    /** A record type's components, read by reflection once per type (every heartbeat is checked so). */
    private record Shape(Set<String> names, List<Part> parts) {}

    private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            List<Part> parts = new ArrayList<>();
            for (RecordComponent c : type.getRecordComponents()) {
                Class<?> item = itemType(c.getGenericType());
                parts.add(new Part(c.getName(), c.getType().isPrimitive(), c.getType().isRecord() ? c.getType() : null,
                        item != null && item.isRecord() ? item : null));
            }
            return new Shape(parts.stream().map(Part::name).collect(Collectors.toUnmodifiableSet()), List.copyOf(parts));
        }
    };

    /** The element type of a {@code List<X>}, or null when {@code t} is not one. */
    private static Class<?> itemType(Type t) {
        if (t instanceof ParameterizedType p && p.getRawType() == List.class
                && p.getActualTypeArguments()[0] instanceof Class<?> c) return c;
        return null;
    }

    /** A field of the wrong JSON type: named by its path, with what it must be. */
    private static RequestError mismatch(Class<?> root, List<JacksonException.Reference> refs) {
        // walk the path to the component at fault; an index inside a list names the list
        Type at = root;
        String where = "";
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null && at instanceof Class<?> c && c.isRecord()) {
                RecordComponent comp = Arrays.stream(c.getRecordComponents())
                        .filter(x -> x.getName().equals(r.getPropertyName())).findFirst().orElse(null);
                if (comp == null) break;
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getPropertyName());
                where = sb.toString();
                at = comp.getGenericType();
            } else if (r.getIndex() >= 0 && itemType(at) != null) {
                Class<?> item = itemType(at);
                if (!item.isRecord()) break; // a bad item of a list of strings: the list is at fault
                sb.append('[').append(r.getIndex()).append(']');
                at = item;
            } else {
                break;
            }
        }
        if (where.isEmpty()) return new RequestError(ErrorCode.MALFORMED_BODY, "body", "the body must be a JSON object");
        // an item that is not an object, inside a list of objects, leaves `at` at the item's record type
        String expected = sb.toString().endsWith("]") ? "a list of objects" : expected(at);
        return RequestError.badRequest(where, "'" + where + "' must be " + expected);
    }

    private static String expected(Type t) {
        Class<?> item = itemType(t);
        if (item != null) return item == String.class ? "a list of strings" : "a list of objects";
        if (!(t instanceof Class<?> c)) return "of another type";
        if (c == int.class || c == Integer.class || c == long.class || c == Long.class) return "an integer";
        if (c == double.class || c == Double.class) return "a number";
        if (c == boolean.class || c == Boolean.class) return "true or false";
        if (c == String.class) return "a string";
        if (c.isRecord()) return "an object";
        return "of another type";
    }

    /** {@code tasks[2].exits[0].} for the object at that path; empty at the top. */
    private static String path(List<JacksonException.Reference> refs) {
        StringBuilder sb = new StringBuilder();
        for (JacksonException.Reference r : refs) {
            if (r.getPropertyName() != null) {
                if (!sb.isEmpty()) sb.append('.');
                sb.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        if (!sb.isEmpty()) sb.append('.');
        return sb.toString();
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

    /** Whether {@code s} holds a control character (a NUL among them, which PostgreSQL cannot store). */
    static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isISOControl(s.charAt(i))) return true;
        return false;
    }
}
