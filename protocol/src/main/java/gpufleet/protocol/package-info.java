/**
 * The messages between a node agent and the controller, as JSON over HTTP under {@code /api/v1}.
 * See {@code docs/agent-protocol.md} for the exchange; these records are its vocabulary.
 *
 * <p>The protocol is level-triggered: each heartbeat carries everything the agent is running and
 * has seen end, and each reply carries everything the host should be running. Either side can
 * restart and the next exchange puts them back in agreement.
 */
package gpufleet.protocol;
