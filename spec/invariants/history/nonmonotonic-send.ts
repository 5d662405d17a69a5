/**
 * nonmonotonic-send (Jepsen): a producer's later send to a partition landed below its earlier one.
 * "Later" is real time: invoked after the earlier send was acknowledged. Only binding
 * acknowledgements count: after a failover Kafka may truncate an acks=1 record and reuse its offset.
 */
import { type AckedSend, cite, groupBy, indexHistory, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "nonmonotonic-send";

export const nonmonotonicSend: HistoryInvariant = {
  name: NAME,
  anomaly: "nonmonotonic-send",
  description:
    "A producer's send invoked after its earlier send to the same partition was acknowledged lands at a higher offset.",
  check(history) {
    const idx = indexHistory(history);
    const binding = idx.acked.filter((a) => idx.ackIsBinding(a));
    const streams = groupBy(binding, (a) => `${a.send.op.producer}\u0000${tpKey(a.topic, a.partition)}`);
    const out: Violation[] = [];
    for (const sends of streams.values()) {
      // Sweep in invocation order, keeping the highest offset among sends acknowledged so far.
      const byAck = [...sends].sort((x, y) => x.send.complete.index - y.send.complete.index);
      let j = 0;
      let top: AckedSend | undefined;
      for (const b of sends) {
        while (j < byAck.length && byAck[j].send.complete.index < b.send.invoke.index) {
          if (!top || byAck[j].offset > top.offset) top = byAck[j];
          j++;
        }
        if (top && b.offset < top.offset) {
          out.push(
            violationOf(
              NAME,
              `${b.send.op.producer}'s ${b.value} (produce ${cite(b.send)}) landed at ${b.topic}-${b.partition}@${b.offset}, ` +
                `below its earlier ${top.value} at offset ${top.offset} (produce ${cite(top.send)}, acknowledged first)`,
              [top.send, b.send],
            ),
          );
        }
      }
    }
    return out;
  },
};
