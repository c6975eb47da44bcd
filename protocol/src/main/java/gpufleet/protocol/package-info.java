/**
 * The API's contract: the requests and answers of {@code /api/v1} as records, shared by the
 * controller, the command line and the agent. See {@code docs/agent-protocol.md} for the agents'
 * exchange and the controller's OpenAPI document for every route.
 *
 * <p>Each request type checks itself in its constructor, so a value that exists is valid: a bad field
 * is an {@link gpufleet.protocol.InvalidField} naming it, which the controller answers as 400
 * {@code invalid_field} and the command line prints as one line. On the wire a primitive component
 * ({@code int}, {@code long}, {@code boolean}) is required, a boxed or reference one is optional (null
 * or absent), and the constructor puts its default in. Refusals are {@link gpufleet.protocol.ErrorBody}
 * with an {@link gpufleet.protocol.ErrorCode}.
 *
 * <p>The answers the command line reads are views ({@link gpufleet.protocol.JobView},
 * {@link gpufleet.protocol.HostView}, {@link gpufleet.protocol.TeamView}, {@link gpufleet.protocol.TokenView}, ...):
 * the controller writes them from these records, field for field and in order, and a route that says more
 * appends another view's fields (a job's page adds {@link gpufleet.protocol.JobDetailView}, a waiting
 * job {@link gpufleet.protocol.StartView}). The command line reads them leniently, passing over fields a
 * newer controller adds; the controller's tests hold its answers to the views exactly.
 *
 * <p>The protocol is level-triggered: each heartbeat carries everything the agent is running and
 * has seen end, and each reply carries everything the host should be running. Either side can
 * restart and the next exchange puts them back in agreement.
 */
package gpufleet.protocol;
