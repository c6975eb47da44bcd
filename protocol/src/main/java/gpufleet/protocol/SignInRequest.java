package gpufleet.protocol;

/** {@code POST /api/v1/session}: the token a browser signs in with. */
public record SignInRequest(String token) {
    public SignInRequest {
        token = Fields.text("token", Fields.required("token", token), 200).strip();
    }
}
