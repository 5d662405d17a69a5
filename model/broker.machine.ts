/**
 * One broker's process lifecycle: offline -> starting (registering in the metadata store) -> running ->
 * (shuttingDown | crashed) -> restarting -> running. `paused` (SIGSTOP) is a flag: a paused broker keeps
 * its state but answers nobody and stops heart-beating its metadata session. `registered` says whether
 * its ephemeral /brokers/ids/N node exists (a session expiry removes it; the broker registers again).
 */
import { assign, setup } from "xstate";
import type { BrokerId } from "../spec/operations.ts";

export interface BrokerContext {
  id: BrokerId;
  paused: boolean;
  registered: boolean;
  /** Kafka's broker epoch: the czxid of the registration, new on every registration. */
  brokerEpoch: number;
  /** How many times the process started (restarts included). */
  incarnation: number;
}

export type BrokerEvent =
  | { type: "START" }
  | { type: "REGISTERED"; brokerEpoch: number }
  | { type: "SESSION_EXPIRED" }
  | { type: "CRASH" }
  | { type: "SHUTDOWN" }
  | { type: "SHUTDOWN_COMPLETE" }
  | { type: "RESTART" }
  | { type: "PAUSE" }
  | { type: "RESUME" };

const NO_INPUT: { id: BrokerId } = { id: 0 };

export const brokerMachine = setup({
  types: {
    context: {} as BrokerContext,
    events: {} as BrokerEvent,
    input: {} as { id: BrokerId },
  },
  actions: {
    register: assign(({ event }) => ({
      registered: true,
      brokerEpoch: event.type === "REGISTERED" ? event.brokerEpoch : -1,
    })),
    deregister: assign({ registered: false }),
    boot: assign(({ context }) => ({ incarnation: context.incarnation + 1, paused: false })),
    // A crash ends the process: the session dies with it, whatever the metadata store has noticed yet.
    die: assign({ paused: false }),
    pause: assign({ paused: true }),
    resume: assign({ paused: false }),
  },
}).createMachine({
  id: "broker",
  // xstate's pure transition() builds a throwaway actor without input on every step: give it a cheap context.
  context: ({ input = NO_INPUT }) => ({
    id: input.id,
    paused: false,
    registered: false,
    brokerEpoch: -1,
    incarnation: 0,
  }),
  initial: "offline",
  states: {
    offline: {
      on: { START: { target: "starting", actions: "boot" } },
    },
    starting: {
      on: {
        REGISTERED: { target: "running", actions: "register" },
        CRASH: { target: "crashed", actions: "die" },
        // SIGSTOP stops a process that is still starting too: it registers only once resumed.
        PAUSE: { target: "starting", actions: "pause" },
        RESUME: { target: "starting", actions: "resume" },
      },
    },
    running: {
      on: {
        CRASH: { target: "crashed", actions: "die" },
        SHUTDOWN: { target: "shuttingDown" },
        SESSION_EXPIRED: { target: "running", actions: "deregister" },
        REGISTERED: { target: "running", actions: "register" },
        PAUSE: { target: "running", actions: "pause" },
        RESUME: { target: "running", actions: "resume" },
      },
    },
    shuttingDown: {
      on: {
        SHUTDOWN_COMPLETE: { target: "offline", actions: "deregister" },
        CRASH: { target: "crashed", actions: "die" },
      },
    },
    crashed: {
      on: {
        SESSION_EXPIRED: { target: "crashed", actions: "deregister" },
        RESTART: { target: "restarting", actions: "boot" },
      },
    },
    restarting: {
      on: {
        // The old incarnation's session may outlive the crash; its registration blocks ours until it expires.
        SESSION_EXPIRED: { target: "restarting", actions: "deregister" },
        REGISTERED: { target: "running", actions: "register" },
        CRASH: { target: "crashed", actions: "die" },
        PAUSE: { target: "restarting", actions: "pause" },
        RESUME: { target: "restarting", actions: "resume" },
      },
    },
  },
});

export type BrokerMachine = typeof brokerMachine;
