/**
 * The simulator's stand-in for inter-broker connections: which process asked each peer request, so its
 * answer reaches that process and nobody else. Over TCP an answer travels on the connection its request
 * came in on, and a restarted broker's old connections are gone with it; the simulator addresses brokers
 * by id, and a restarted node numbers its requests from 1 again, so without this a leader's answer to a
 * dead process's held fetch reached its successor, whose request of the same id took it as its own (one
 * request answered twice: NOT_LEADER_OR_FOLLOWER from the held one, then its real answer).
 *
 * A request is renumbered on delivery with an id unique in the simulation (as the TCP runtime gives each
 * inbound request its own id); its answer is matched back by that id and given the requester's own.
 */
import type { BrokerId } from "../../spec/operations.ts";
import type { PeerMessage } from "../node/broker-node.ts";

/** Peer messages that are answered, and their answers. */
export type PeerRequest = Extract<
  PeerMessage,
  { type: "replicaFetch" | "offsetsForLeaderEpoch" | "controlledShutdownRequest" }
>;
export type PeerAnswer = Extract<
  PeerMessage,
  { type: "replicaFetchResponse" | "offsetsForLeaderEpochResponse" | "controlledShutdownResponse" }
>;

const ANSWERS: Record<PeerRequest["type"], PeerAnswer["type"]> = {
  replicaFetch: "replicaFetchResponse",
  offsetsForLeaderEpoch: "offsetsForLeaderEpochResponse",
  controlledShutdownRequest: "controlledShutdownResponse",
};

export function isPeerRequest(m: PeerMessage): m is PeerRequest {
  return (
    m.type === "replicaFetch" || m.type === "offsetsForLeaderEpoch" || m.type === "controlledShutdownRequest"
  );
}

export function isPeerAnswer(m: PeerMessage): m is PeerAnswer {
  return (
    m.type === "replicaFetchResponse" ||
    m.type === "offsetsForLeaderEpochResponse" ||
    m.type === "controlledShutdownResponse"
  );
}

interface OpenCall {
  requester: BrokerId;
  /** The requesting process (the simulator's incarnation of its broker). */
  incarnation: number;
  responder: BrokerId;
  requestId: number;
  answer: PeerAnswer["type"];
}

/** Where an answer goes: to the process that asked (its incarnation), under its own request id. */
export interface AnswerRoute {
  incarnation: number;
  message: PeerAnswer;
}

export class PeerCalls {
  private nextId = 1;
  private readonly open = new Map<number, OpenCall>();

  /** A request delivered to `responder`: the copy it sees, renumbered. */
  opened(requester: BrokerId, incarnation: number, responder: BrokerId, request: PeerRequest): PeerRequest {
    const id = this.nextId++;
    this.open.set(id, {
      requester,
      incarnation,
      responder,
      requestId: request.requestId,
      answer: ANSWERS[request.type],
    });
    return { ...request, requestId: id };
  }

  /**
   * An answer `responder` sends to `to`. Throws when it answers no open request of `to`'s (a second answer
   * to one request, or one of the wrong kind): that is a protocol bug in the broker core.
   */
  answered(responder: BrokerId, to: BrokerId, answer: PeerAnswer): AnswerRoute {
    const call = this.open.get(answer.requestId);
    if (
      call === undefined ||
      call.requester !== to ||
      call.responder !== responder ||
      call.answer !== answer.type
    ) {
      throw new Error(
        `broker ${responder} sent ${answer.type} ${JSON.stringify(answerKey(answer))} to broker ${to}, which ` +
          (call === undefined ? "answers no open request (answered before?)" : "does not match the request"),
      );
    }
    this.open.delete(answer.requestId);
    return { incarnation: call.incarnation, message: { ...answer, requestId: call.requestId } };
  }

  /** Requests delivered and not yet answered (a held fetch, or one its responder dropped). */
  get openCount(): number {
    return this.open.size;
  }
}

function answerKey(answer: PeerAnswer): Record<string, unknown> {
  return "topic" in answer
    ? { requestId: answer.requestId, topic: answer.topic, partition: answer.partition, error: answer.error }
    : { requestId: answer.requestId, error: answer.error };
}
