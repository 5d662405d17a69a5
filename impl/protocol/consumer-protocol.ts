/**
 * The consumer protocol: the bytes consumer groups put inside JoinGroup (a member's subscription, as
 * `protocols[].metadata`) and SyncGroup (each member's assignment). The broker never parses them; the
 * group leader and the members do, and so does the conformance suite when it checks assignments.
 *
 * Each is an int16 version followed by the struct at that version (never flexible). A reader that gets a
 * newer version than it knows parses it with its newest layout and ignores the rest, which is the
 * protocol's compatibility rule: later versions only append fields.
 *
 * Subscription: v0 topics and user data; v1 ownedPartitions (cooperative rebalancing, KIP-429);
 * v2 generationId (KIP-792); v3 rackId (KIP-881). Assignment: v0-v3 share one layout (the versions
 * follow the subscription's).
 */
import { type Result, encodeMessage } from "./codec.ts";
import { compileStruct, decodeStruct, formatPath } from "./message-codec.ts";
import type { Message, MessageInput, MessageSpec } from "./types.ts";
import { Reader, WireError } from "./wire.ts";

/** A topic and some of its partitions. */
const TopicPartition = {
  name: "TopicPartition",
  fields: [
    /** The topic name. */
    { name: "topic", type: "string", versions: "0+" },
    /** The partition indexes. */
    { name: "partitions", type: { array: "int32" }, versions: "0+" },
  ],
} as const;

export const ConsumerProtocolSubscription = {
  apiKey: -1,
  name: "ConsumerProtocolSubscription",
  kind: "data",
  validVersions: "0-3",
  flexibleVersions: "none",
  fields: [
    /** The topics the member subscribes to. */
    { name: "topics", type: { array: "string" }, versions: "0+" },
    /** Assignor-specific bytes (the sticky assignor keeps its previous assignment here before v1). */
    { name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null },
    /** The partitions the member owns now, so a cooperative assignor moves as few as possible. */
    { name: "ownedPartitions", type: { array: TopicPartition }, versions: "1+" },
    /** The generation the owned partitions belong to, so stale ownership can be told apart; -1 if none. */
    { name: "generationId", type: "int32", versions: "2+", default: -1 },
    /** The member's rack, for rack-aware assignment; null if unknown. */
    { name: "rackId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
  ],
} as const satisfies MessageSpec;

export const ConsumerProtocolAssignment = {
  apiKey: -1,
  name: "ConsumerProtocolAssignment",
  kind: "data",
  validVersions: "0-3",
  flexibleVersions: "none",
  fields: [
    /** The partitions assigned to the member, by topic. */
    { name: "assignedPartitions", type: { array: TopicPartition }, versions: "0+" },
    /** Assignor-specific bytes, or null. */
    { name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null },
  ],
} as const satisfies MessageSpec;

export type ConsumerProtocolSubscription = Message<typeof ConsumerProtocolSubscription>;
export type ConsumerProtocolAssignment = Message<typeof ConsumerProtocolAssignment>;

const NEWEST = 3;

/** `version` int16 then the body. Copies into one Buffer: these are small and travel inside other fields. */
function encodeVersioned(spec: MessageSpec, version: number, value: unknown): Buffer {
  if (!Number.isInteger(version) || version < 0 || version > NEWEST) {
    throw new RangeError(`${spec.name}: version ${version} not in 0-${NEWEST}`);
  }
  const head = Buffer.alloc(2);
  head.writeInt16BE(version, 0);
  return Buffer.concat([head, ...encodeMessage(spec, version, value)]);
}

function decodeVersioned(
  spec: MessageSpec,
  buf: Buffer,
): Result<{ version: number; value: Record<string, unknown> }> {
  const r = new Reader(buf);
  let version = -1;
  try {
    version = r.int16();
    if (version < 0) throw new WireError(`negative version ${version}`, 0);
    // Newer versions only append fields: read what we know and ignore the rest.
    const readAs = Math.min(version, NEWEST);
    const value = decodeStruct(r, compileStruct(spec, readAs, false));
    if (version <= NEWEST && r.remaining !== 0) {
      throw new WireError(`${r.remaining} unexpected bytes after the message`, r.pos);
    }
    return { ok: true, value: { version, value } };
  } catch (e) {
    const w = e instanceof WireError ? e : new WireError(String(e), -1);
    return {
      ok: false,
      error: {
        kind: "malformed",
        apiKey: -1,
        apiVersion: version,
        correlationId: -1,
        message: spec.name,
        path: formatPath(w.path),
        offset: w.offset,
        reason: w.message,
      },
    };
  }
}

export function encodeSubscription(
  version: number,
  subscription: MessageInput<typeof ConsumerProtocolSubscription>,
): Buffer {
  return encodeVersioned(ConsumerProtocolSubscription, version, subscription);
}

export function decodeSubscription(
  buf: Buffer,
): Result<{ version: number; value: ConsumerProtocolSubscription }> {
  return decodeVersioned(ConsumerProtocolSubscription, buf) as Result<{
    version: number;
    value: ConsumerProtocolSubscription;
  }>;
}

export function encodeAssignment(
  version: number,
  assignment: MessageInput<typeof ConsumerProtocolAssignment>,
): Buffer {
  return encodeVersioned(ConsumerProtocolAssignment, version, assignment);
}

/**
 * Decodes a member's assignment. Empty bytes (what a coordinator hands a member the leader gave nothing)
 * decode to an empty v0 assignment rather than an error.
 */
export function decodeAssignment(
  buf: Buffer,
): Result<{ version: number; value: ConsumerProtocolAssignment }> {
  if (buf.length === 0)
    return { ok: true, value: { version: 0, value: { assignedPartitions: [], userData: null } } };
  return decodeVersioned(ConsumerProtocolAssignment, buf) as Result<{
    version: number;
    value: ConsumerProtocolAssignment;
  }>;
}
