/**
 * The embedded target's client: what a Kafka client does, against brokers inside the simulator. It
 * finds leaders and coordinators through Metadata and FindCoordinator, sends one request, and runs the
 * simulation until the answer comes back or nothing more can happen without time passing.
 */
import type { BrokerId } from "../../spec/operations.ts";
import type { ClientRequest, ClientResponse, MetadataResponse } from "../node/requests.ts";
import type { SimCluster } from "../sim/cluster.ts";

export type CallResult =
  | { kind: "reply"; response: ClientResponse }
  /** Connection refused: the request reached nobody. */
  | { kind: "refused" }
  /** The connection closed with the request outstanding: it may or may not have been applied. */
  | { kind: "closed" }
  /** No answer while the cluster could still act: the client's timeout. */
  | { kind: "timeout" };

interface Pendable {
  requestId: number;
  deadline: number;
  resolve: (r: CallResult) => void;
}

export class SimClient {
  private readonly pendables = new Map<number, Pendable>();

  constructor(private readonly sim: SimCluster) {}

  /** Sends and runs the simulation until the reply; a stall is a timeout (the request is abandoned). */
  call(broker: BrokerId, request: ClientRequest): CallResult {
    let result: CallResult | undefined;
    const id = this.sim.sendClient(broker, request, (r) => {
      result = r === null ? { kind: "closed" } : { kind: "reply", response: r };
    });
    if (id === null) return { kind: "refused" };
    this.sim.runUntil(() => result !== undefined);
    this.expirePendables();
    if (result !== undefined) return result;
    this.sim.abandon(id);
    return { kind: "timeout" };
  }

  /**
   * Like `call`, but a request the cluster holds on purpose (JoinGroup waiting for the group, SyncGroup
   * waiting for the leader) stays pending and resolves when later activity completes it, or as a
   * timeout once virtual time passes `timeoutMs`.
   */
  callHeld(broker: BrokerId, request: ClientRequest, timeoutMs: number): Promise<CallResult> {
    let result: CallResult | undefined;
    let pendable: Pendable | null = null;
    const id = this.sim.sendClient(broker, request, (r) => {
      const res: CallResult = r === null ? { kind: "closed" } : { kind: "reply", response: r };
      if (pendable !== null) {
        this.pendables.delete(pendable.requestId);
        pendable.resolve(res);
      } else result = res;
    });
    if (id === null) return Promise.resolve({ kind: "refused" });
    this.sim.runUntil(() => result !== undefined);
    this.expirePendables();
    if (result !== undefined) return Promise.resolve(result);
    return new Promise((resolve) => {
      pendable = { requestId: id, deadline: this.sim.now + timeoutMs, resolve };
      this.pendables.set(id, pendable);
    });
  }

  /** Held requests whose client timeout has passed in virtual time give up. */
  expirePendables(): void {
    if (this.pendables.size === 0) return;
    for (const p of [...this.pendables.values()]) {
      if (p.deadline <= this.sim.now) {
        this.pendables.delete(p.requestId);
        this.sim.abandon(p.requestId);
        p.resolve({ kind: "timeout" });
      }
    }
  }

  get heldCount(): number {
    return this.pendables.size;
  }

  /** A live broker to ask for metadata: the lowest id that is running (a client's bootstrap list). */
  bootstrap(): BrokerId | null {
    for (const id of this.sim.brokerIds()) if (this.sim.brokerState(id) === "running") return id;
    return null;
  }

  metadata(topics: string[] | null, allowAutoTopicCreation = false): MetadataResponse | null {
    const b = this.bootstrap();
    if (b === null) return null;
    const r = this.call(b, { api: "metadata", topics, allowAutoTopicCreation });
    return r.kind === "reply" && r.response.api === "metadata" ? r.response : null;
  }

  /**
   * A producer's metadata wait: a topic being auto-created answers LEADER_NOT_AVAILABLE until its
   * leaders are known; ask again a bounded number of times (nothing is sent meanwhile).
   */
  producerMetadata(topic: string): MetadataResponse | null {
    let md: MetadataResponse | null = null;
    for (let attempt = 0; attempt < 3; attempt++) {
      md = this.metadata([topic], true);
      const t = md?.topics.find((x) => x.name === topic);
      if (md === null || t === undefined || t.error !== "LEADER_NOT_AVAILABLE") return md;
      this.sim.settle();
    }
    return md;
  }
}
