/**
 * The broker's side of a controlled shutdown as a pure state machine (impl/controller/controlled-shutdown.ts):
 * when it sends, how it retries (controlled.shutdown.max.retries, retry.backoff.ms), what ends an attempt
 * (an answer, request.timeout.ms without one, no controller known) and that it reports its outcome once.
 */
import { describe, expect, it } from "vitest";
import {
  ControlledShutdownRequester,
  type ControlledShutdownSettings,
  type ShutdownEffect,
} from "../../impl/controller/controlled-shutdown.ts";

const settings: ControlledShutdownSettings = {
  enable: true,
  maxRetries: 3,
  retryBackoffMs: 5_000,
  requestTimeoutMs: 30_000,
};

const requests = (effects: ShutdownEffect[]) => effects.filter((e) => e.type === "request");
const done = (effects: ShutdownEffect[]) => effects.find((e) => e.type === "done");
const timer = (effects: ShutdownEffect[], prefix: string) =>
  effects.find(
    (e): e is Extract<ShutdownEffect, { type: "timer" }> => e.type === "timer" && e.key.startsWith(prefix),
  );

describe("ControlledShutdownRequester", () => {
  it("asks the controller once and is done when nothing remains", () => {
    const r = new ControlledShutdownRequester(2, settings, () => 1);
    const first = r.start(0);
    expect(requests(first)).toEqual([{ type: "request", to: 1, requestId: 1 }]);
    expect(timer(first, "controlledShutdown:timeout")?.at).toBe(30_000);
    const end = r.onResponse(1, null, [], 10);
    expect(done(end)).toEqual({
      type: "done",
      outcome: { ok: true, attempts: 1, error: null, remaining: [] },
    });
    expect(r.done).toBe(true);
    // A late timer or answer changes nothing.
    expect(r.onTimer("controlledShutdown:timeout:1", 30_000)).toEqual([]);
    expect(r.onResponse(1, null, [], 11)).toEqual([]);
  });

  it("retries after the backoff while partitions remain, and gives up after max retries", () => {
    let controller = 1;
    const r = new ControlledShutdownRequester(2, settings, () => controller);
    r.start(0);
    const left = [{ topic: "t", partition: 0 }];
    const second = r.onResponse(1, null, left, 100);
    expect(requests(second)).toEqual([]);
    expect(timer(second, "controlledShutdown:retry")?.at).toBe(5_100);
    // The controller moved meanwhile: the next attempt goes to the one known then.
    controller = 3;
    const retry = r.onTimer("controlledShutdown:retry", 5_100);
    expect(requests(retry)).toEqual([{ type: "request", to: 3, requestId: 2 }]);
    // An answer to the earlier attempt is ignored.
    expect(r.onResponse(1, null, [], 5_200)).toEqual([]);
    r.onResponse(2, "NOT_CONTROLLER", [], 5_300);
    r.onTimer("controlledShutdown:retry", 10_300);
    const last = r.onResponse(3, null, left, 10_400);
    expect(done(last)).toEqual({
      type: "done",
      outcome: { ok: false, attempts: 3, error: null, remaining: left },
    });
    expect(last.some((e) => e.type === "log" && e.line.includes("unclean shutdown"))).toBe(true);
  });

  it("counts an attempt with no answer by request.timeout.ms, or with no controller known, as failed", () => {
    let controller: number | null = null;
    const r = new ControlledShutdownRequester(2, { ...settings, maxRetries: 2 }, () => controller);
    const first = r.start(0);
    expect(requests(first)).toEqual([]);
    expect(timer(first, "controlledShutdown:retry")?.at).toBe(5_000);
    controller = 1;
    r.onTimer("controlledShutdown:retry", 5_000);
    const end = r.onTimer("controlledShutdown:timeout:1", 35_000);
    expect(done(end)).toEqual({
      type: "done",
      outcome: { ok: false, attempts: 2, error: "REQUEST_TIMED_OUT", remaining: [] },
    });
  });

  it("does nothing but report when controlled.shutdown.enable is false", () => {
    const r = new ControlledShutdownRequester(2, { ...settings, enable: false }, () => 1);
    expect(r.start(0)).toEqual([
      { type: "done", outcome: { ok: false, attempts: 0, error: null, remaining: [] } },
    ]);
  });
});
