/**
 * The fuzz generator sends controller-to-broker requests only with a stale controller epoch (-1): a newer
 * one would be a legitimate command that fences the real controller, not hostile input. Seed 214420282
 * once broke this: a pipelined case's broken request was a StopReplica whose flipped byte made its epoch
 * 16777215, and the broker, rightly, ignored the real controller from then on.
 */
import { expect, it } from "vitest";
import { decodeRequest } from "../../impl/protocol/index.ts";
import { fuzzCase, INTER_BROKER } from "./frames.ts";

/** Every request in a case's bytes that decodes. */
function decodable(bytes: Buffer): Array<{ apiKey: number; body: Record<string, unknown> }> {
  const out: Array<{ apiKey: number; body: Record<string, unknown> }> = [];
  let buf = bytes;
  while (buf.length >= 4) {
    const n = buf.readInt32BE(0);
    if (n < 0 || n > buf.length - 4) break;
    const d = decodeRequest(buf.subarray(4, 4 + n));
    buf = buf.subarray(4 + n);
    if (d.ok) out.push({ apiKey: d.value.apiKey, body: d.value.body as unknown as Record<string, unknown> });
  }
  return out;
}

it("no generated inter-broker request that decodes carries a controller epoch other than -1", () => {
  let interBroker = 0;
  const newer: string[] = [];
  for (const seed of [214420282, 1560090197, 2071850000]) {
    for (let i = 0; i < 3000; i++) {
      for (const r of decodable(fuzzCase(seed, i).bytes)) {
        if (!INTER_BROKER.has(r.apiKey)) continue;
        interBroker++;
        if (r.body.controllerEpoch !== -1)
          newer.push(`seed ${seed} case ${i}: api ${r.apiKey} epoch ${r.body.controllerEpoch}`);
      }
    }
  }
  expect(interBroker).toBeGreaterThan(100);
  expect(newer).toEqual([]);
});
