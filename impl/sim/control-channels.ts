/**
 * The controller's channels to brokers, as pure state: per sending process and destination broker, the
 * controller requests (LeaderAndIsr, UpdateMetadata, StopReplica) in order, one at a time, each sent again
 * until it is delivered or no longer wanted. Kafka's ControllerChannelManager keeps such a queue per broker
 * and re-sends over a new connection; the TCP runtime does the same in impl/broker/peer/links.ts. Without
 * it a request lost on a cut link was gone for good, and a follower cut off and healed within its session
 * stayed behind a dead leader.
 *
 * No I/O and no clock: the simulator decides when an attempt is made, lost or delivered and tells this.
 */
import type { BrokerId } from "../../spec/operations.ts";
import type { ControllerMessage } from "../controller/messages.ts";

/** Controller requests that travel on a controller channel. */
export type ControlRequest = Extract<
  ControllerMessage,
  { type: "leaderAndIsr" | "updateMetadata" | "stopReplica" }
>;

/** Kafka's retry.backoff.ms: the pause before a lost controller request is sent again (runtime and simulator). */
export const CONTROL_RETRY_BACKOFF_MS = 100;
/** Kafka's reconnect.backoff.max.ms: the pause between attempts grows to this while a broker stays unreachable. */
export const CONTROL_RETRY_BACKOFF_MAX_MS = 1_000;

/**
 * The pause before attempt `failures + 1` of a request that failed `failures` times: 100 ms, doubling to
 * 1 s. Kafka's RequestSendThread pauses retry.backoff.ms, and its client's reconnect backoff doubles up to
 * reconnect.backoff.max.ms while the broker cannot be reached; a long cut then costs an attempt a second.
 */
export function controlRetryDelayMs(failures: number): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 10);
  return Math.min(CONTROL_RETRY_BACKOFF_MS * 2 ** exp, CONTROL_RETRY_BACKOFF_MAX_MS);
}

export function isControlRequest(m: { type: string }): m is ControlRequest {
  return m.type === "leaderAndIsr" || m.type === "updateMetadata" || m.type === "stopReplica";
}

/** What a controller request's re-sending depends on: its sender's controller, as it is now. */
export interface ControllerView {
  readonly isActive: boolean;
  readonly epoch: number;
  readonly liveBrokers: ReadonlySet<BrokerId>;
}

/**
 * Whether a controller request is still worth sending (again): its controller is still the active one, in
 * the epoch it was sent in, and its broker is still live (Kafka's RequestSendThread retries while both
 * hold; the controller drops a broker's queue when the broker goes). The runtime's rule, the same.
 */
export function controlStillWanted(c: ControllerView, to: BrokerId, m: ControlRequest): boolean {
  return c.isActive && c.epoch === m.controllerEpoch && c.liveBrokers.has(to);
}

/** A channel's name: one per sending process (broker and incarnation) and destination. */
export type ChannelKey = string;

export function channelKey(from: BrokerId, fromIncarnation: number, to: BrokerId): ChannelKey {
  return `${from}/${fromIncarnation}>${to}`;
}

export class ControlChannels {
  private readonly queues = new Map<ChannelKey, ControlRequest[]>();
  /** Failed attempts at each channel's head so far. */
  private readonly failures = new Map<ChannelKey, number>();

  /** Queues `m`; returns it when it goes now (nothing ahead of it), else null (it waits its turn). */
  enqueue(key: ChannelKey, m: ControlRequest): ControlRequest | null {
    const q = this.queues.get(key);
    if (q === undefined) {
      this.queues.set(key, [m]);
      return m;
    }
    q.push(m);
    return q.length === 1 ? m : null;
  }

  /** The request being sent on the channel (the one an attempt was made for), if any. */
  head(key: ChannelKey): ControlRequest | undefined {
    return this.queues.get(key)?.[0];
  }

  /** An attempt at the head was lost: how long to wait before the next (controlRetryDelayMs). */
  failed(key: ChannelKey): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return controlRetryDelayMs(n);
  }

  /** The head was delivered, or is no longer wanted: the next request to send, if any. */
  done(key: ChannelKey): ControlRequest | null {
    this.failures.delete(key);
    const q = this.queues.get(key);
    if (q === undefined) return null;
    q.shift();
    if (q.length === 0) {
      this.queues.delete(key);
      return null;
    }
    return q[0] ?? null;
  }

  /** The sending process is gone: its channel with everything queued on it. */
  discard(key: ChannelKey): void {
    this.failures.delete(key);
    this.queues.delete(key);
  }

  /** Requests queued or being sent, over every channel. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}
