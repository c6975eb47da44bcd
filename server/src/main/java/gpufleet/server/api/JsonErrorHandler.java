package gpufleet.server.api;

import gpufleet.protocol.ErrorCode;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import tools.jackson.databind.json.JsonMapper;

import java.nio.ByteBuffer;

/**
 * Refusals Jetty makes before a request reaches the API (a malformed request line, a NUL or an
 * ambiguous separator in the path, headers too large) answered in the API's own shape,
 * {@code {"error": {"code": ..., "message": ..., "field": null}}} (the code from the status: {@code
 * malformed_request}, {@code request_too_large}...), rather than as an HTML page, and never with a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    JsonErrorHandler() {
        setShowStacks(false);
        setShowCauses(false);
    }

    private static byte[] body(int status, String message) {
        String reason = HttpStatus.getMessage(status);
        return JSON.writeValueAsBytes(Api.errorBody(ErrorCode.forStatus(status),
                message == null || message.isBlank() || message.equals(reason) ? reason : reason + ": " + message, null));
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        // Jetty closes the connection after refusing a request it could not make sense of; said
        // nothing, a client keeps it as reusable and its next request on it fails with no answer
        response.getHeaders().put(HttpHeader.CONNECTION, "close");
        response.write(true, ByteBuffer.wrap(body(code, message)), callback);
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, "application/json"));
        fields.put(new HttpField(HttpHeader.CONNECTION, "close"));
        return ByteBuffer.wrap(body(status, reason));
    }
}
