/**
 * Names on a shared cluster. A real cluster outlives a run, so every run puts its topics and groups in
 * a namespace of its own (`ks<seed>-<run>-`): runs never see each other's data, and the suite's short
 * names (t0, g1) stay short in histories and reports. Pure.
 */

let runsInProcess = 0;
/** A few random characters per process, so two `kafkaspec check` processes with one seed do not collide. */
const PROCESS_NONCE = Math.floor(Math.random() * 36 ** 4)
  .toString(36)
  .padStart(4, "0");

/** A fresh namespace for one run with this seed. Kafka topic names allow [a-zA-Z0-9._-], at most 249. */
export function runNamespace(seed: number): string {
  runsInProcess++;
  return `ks${seed}-${PROCESS_NONCE}${runsInProcess}-`;
}

export class Namespace {
  constructor(readonly prefix: string) {}

  wire(name: string): string {
    return this.prefix + name;
  }

  /** The suite's name for a wire name; names from outside the namespace are returned as they are. */
  local(wireName: string): string {
    return wireName.startsWith(this.prefix) ? wireName.slice(this.prefix.length) : wireName;
  }
}
