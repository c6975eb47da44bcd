package gpufleet.protocol;

/**
 * What a waiting job's answer adds after its other fields ({@code GET /jobs}, {@code GET /jobs/{id}}):
 * when it should start and why it waits, as the controller's forecast says.
 *
 * @param expectedStart seconds since the epoch; null unless {@code startOutcome} is STARTS
 * @param startOutcome  STARTS, NO_ESTIMATE, BEYOND_HORIZON or NEVER; null when not yet forecast
 * @param waitReason    the scheduler's reason with its numbers; empty when it would start at once
 */
public record StartView(Double expectedStart, String startOutcome, String waitReason) {}
