/**
 * The broker's side of a controlled shutdown (Kafka's KafkaServer.controlledShutdown), sans-IO: before it
 * stops, a broker asks the controller to move leadership off it, and asks again after
 * controlled.shutdown.retry.backoff.ms while the controller answers with an error or with partitions it
 * still leads (no other ISR member could take them yet), at most controlled.shutdown.max.retries times.
 * Then it stops either way: a failed controlled shutdown only costs the unavailability it tried to avoid.
 *
 * Inputs: start, the controller's answer, timers. Outputs: requests to send, timers, log lines, and the
 * outcome once.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";
import type { PartitionRef } from "./deletion.ts";

export interface ControlledShutdownSettings {
  /** controlled.shutdown.enable (Kafka's default: true). */
  enable: boolean;
  /** controlled.shutdown.max.retries: attempts in all (Kafka's default: 3). */
  maxRetries: number;
  /** controlled.shutdown.retry.backoff.ms: the wait after a failed attempt (Kafka's default: 5000). */
  retryBackoffMs: number;
  /** request.timeout.ms: an attempt with no answer by then has failed (Kafka's default: 30000). */
  requestTimeoutMs: number;
}

export const DEFAULT_CONTROLLED_SHUTDOWN: ControlledShutdownSettings = {
  enable: true,
  maxRetries: 3,
  retryBackoffMs: 5_000,
  requestTimeoutMs: 30_000,
};

export interface ControlledShutdownOutcome {
  /** Whether the controller answered without error and with nothing left to move. */
  ok: boolean;
  attempts: number;
  /** The last attempt's error (null when it was answered without one). */
  error: KafkaErrorName | null;
  /** The partitions the last answer said this broker still leads. */
  remaining: PartitionRef[];
}

export type ShutdownEffect =
  | { type: "request"; to: BrokerId; requestId: number }
  | { type: "timer"; at: number; key: string }
  | { type: "log"; line: string }
  | { type: "done"; outcome: ControlledShutdownOutcome };

/** Timer keys of the requester start with this (the node routes them here). */
export const SHUTDOWN_TIMER_PREFIX = "controlledShutdown:";

export class ControlledShutdownRequester {
  private attempts = 0;
  /** The request waiting for its answer, or null between attempts. */
  private inFlight: number | null = null;
  private nextRequestId = 1;
  private finished = false;
  private lastError: KafkaErrorName | null = null;
  private lastRemaining: PartitionRef[] = [];

  constructor(
    private readonly brokerId: BrokerId,
    private readonly settings: ControlledShutdownSettings,
    /** The controller this broker knows of now, or null (each attempt looks again, as Kafka does). */
    private readonly controller: () => BrokerId | null,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  start(now: number): ShutdownEffect[] {
    if (this.attempts > 0 || this.finished) return [];
    if (!this.settings.enable || this.settings.maxRetries < 1)
      return this.finish({ ok: false, attempts: 0, error: null, remaining: [] });
    return this.attempt(now);
  }

  /** The controller's answer to request `requestId`; answers to an earlier attempt are ignored. */
  onResponse(
    requestId: number,
    error: KafkaErrorName | null,
    remaining: PartitionRef[],
    now: number,
  ): ShutdownEffect[] {
    if (this.finished || requestId !== this.inFlight) return [];
    this.inFlight = null;
    this.lastError = error;
    this.lastRemaining = remaining;
    if (error === null && remaining.length === 0) {
      return [
        {
          type: "log",
          line: `[broker ${this.brokerId}] controlled shutdown succeeded (attempt ${this.attempts})`,
        },
        ...this.finish({ ok: true, attempts: this.attempts, error: null, remaining: [] }),
      ];
    }
    const why =
      error !== null
        ? `error ${error} from the controller`
        : `${remaining.length} partitions still led here (${remaining
            .slice(0, 5)
            .map((p) => `${p.topic}-${p.partition}`)
            .join(", ")}${remaining.length > 5 ? ", ..." : ""})`;
    return this.failed(why, now);
  }

  onTimer(key: string, now: number): ShutdownEffect[] {
    if (this.finished) return [];
    if (key === `${SHUTDOWN_TIMER_PREFIX}retry` && this.inFlight === null) return this.attempt(now);
    if (key === `${SHUTDOWN_TIMER_PREFIX}timeout:${this.inFlight}`) {
      this.inFlight = null;
      this.lastError = "REQUEST_TIMED_OUT";
      return this.failed(`no answer within ${this.settings.requestTimeoutMs} ms`, now);
    }
    return [];
  }

  private attempt(now: number): ShutdownEffect[] {
    this.attempts += 1;
    const to = this.controller();
    if (to === null) {
      this.lastError = "NOT_CONTROLLER";
      return this.failed("no controller known", now);
    }
    const requestId = this.nextRequestId++;
    this.inFlight = requestId;
    return [
      { type: "request", to, requestId },
      {
        type: "timer",
        at: now + this.settings.requestTimeoutMs,
        key: `${SHUTDOWN_TIMER_PREFIX}timeout:${requestId}`,
      },
    ];
  }

  private failed(why: string, now: number): ShutdownEffect[] {
    const left = this.settings.maxRetries - this.attempts;
    if (left <= 0) {
      return [
        {
          type: "log",
          line: `[broker ${this.brokerId}] controlled shutdown attempt ${this.attempts} failed: ${why}; proceeding with an unclean shutdown`,
        },
        ...this.finish({
          ok: false,
          attempts: this.attempts,
          error: this.lastError,
          remaining: this.lastRemaining,
        }),
      ];
    }
    return [
      {
        type: "log",
        line: `[broker ${this.brokerId}] controlled shutdown attempt ${this.attempts} failed: ${why}; retrying in ${this.settings.retryBackoffMs} ms`,
      },
      { type: "timer", at: now + this.settings.retryBackoffMs, key: `${SHUTDOWN_TIMER_PREFIX}retry` },
    ];
  }

  private finish(outcome: ControlledShutdownOutcome): ShutdownEffect[] {
    this.finished = true;
    this.inFlight = null;
    return [{ type: "done", outcome }];
  }
}
