/**
 * DeleteTopics (key 20), served v0-6 on any broker, as Kafka's ZooKeeper-mode brokers do it
 * (KafkaApis.handleDeleteTopicsRequest, ZkAdminManager.deleteTopics): the broker writes the admin's
 * request /admin/delete_topics/T and waits, up to the request's timeout, for the controller to delete
 * the topic (impl/controller: TopicDeletionManager's steps).
 *
 * Per topic: delete.topic.enable=false answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3, as
 * Kafka does); a topic this broker's metadata does not list, UNKNOWN_TOPIC_OR_PARTITION; an internal
 * topic (__consumer_offsets), INVALID_REQUEST: Kafka's broker has no such check and leaves it to
 * kafka-topics.sh ("is a kafka internal topic and is not allowed to be marked for deletion"), but a
 * broker that lets any client delete its group offsets is a trap, so we refuse it here and in the
 * controller. v6 names topics by name or id: we keep no topic ids (Metadata reports zeros), so an id
 * gets UNKNOWN_TOPIC_ID, and both a name and an id INVALID_REQUEST, as in Kafka. A topic already
 * queued for deletion is waited for again (Kafka swallows TopicAlreadyMarkedForDeletion the same way).
 *
 * Done means what Kafka's DelayedDeleteTopics checks: the topic is gone from this broker's metadata,
 * which the controller's UpdateMetadata does as deletion starts. We also wait, within the same timeout,
 * for the request znode to go (every replica deleted its log and the znodes are gone), so a client
 * that re-creates the name at once is not refused TOPIC_ALREADY_EXISTS; but when a replica's broker is
 * down that takes until it returns, and then, as in Kafka, the answer is NONE without waiting. What is
 * not done by the timeout is REQUEST_TIMED_OUT; timeoutMs <= 0 only starts the deletion.
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import { INTERNAL_TOPICS } from "../../controller/deletion.ts";
import { KafkaZk, ZkPaths } from "../../metadata/layout.ts";
import type { MetadataResponse } from "../../node/requests.ts";
import type { BrokerRuntime } from "../runtime.ts";
import { metadata } from "./admin.ts";
import { code, type Handler } from "./types.ts";

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
/** The longest a request waits, whatever timeout it asks for. */
const MAX_WAIT_MS = 120_000;
const POLL_MS = 50;

interface Entry {
  name: string | null;
  topicId: string;
  error: KafkaErrorName | null;
  message: string | null;
}

export const deleteTopics: Handler<20> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const entries: Entry[] =
    ctx.apiVersion >= 6
      ? body.topics.map((t) => ({ name: t.name, topicId: t.topicId, error: null, message: null }))
      : body.topicNames.map((name) => ({ name, topicId: ZERO_UUID, error: null, message: null }));
  const enabled = (rt.config.raw.get("delete.topic.enable") ?? "true").trim() !== "false";
  const md = await metadata(rt, null);
  const listed = new Map((md?.topics ?? []).map((t) => [t.name, t]));
  const accepted = new Map<string, Entry[]>();
  for (const e of entries) {
    const fail = (error: KafkaErrorName, message: string) => {
      e.error = error;
      e.message = message;
    };
    if (e.name !== null && e.topicId !== ZERO_UUID)
      fail("INVALID_REQUEST", "You may not specify both topic name and topic id.");
    else if (e.name === null) fail("UNKNOWN_TOPIC_ID", "This broker keeps no topic ids.");
    else if (!enabled)
      fail(
        ctx.apiVersion < 3 ? "INVALID_REQUEST" : "TOPIC_DELETION_DISABLED",
        "Topic deletion is disabled (delete.topic.enable=false).",
      );
    else if (INTERNAL_TOPICS.has(e.name))
      fail("INVALID_REQUEST", `Topic ${e.name} is an internal topic and may not be deleted.`);
    else if (!listed.has(e.name)) fail("UNKNOWN_TOPIC_OR_PARTITION", "This server does not host this topic.");
    else accepted.set(e.name, [...(accepted.get(e.name) ?? []), e]);
  }
  if (accepted.size > 0) {
    const replicas = new Map([...accepted.keys()].map((name) => [name, replicaBrokers(listed.get(name))]));
    const requested = await requestDeletions(rt, [...accepted.keys()]);
    for (const [name, error] of requested) {
      for (const e of accepted.get(name) ?? []) {
        e.error = error;
        e.message = error === null ? null : "The deletion could not be requested.";
      }
      if (error !== null) accepted.delete(name);
    }
    const waitMs = Math.min(body.timeoutMs, MAX_WAIT_MS);
    const pending = await waitForDeletions(rt, [...accepted.keys()], replicas, waitMs);
    for (const name of pending) {
      for (const e of accepted.get(name) ?? []) {
        e.error = "REQUEST_TIMED_OUT";
        e.message = "The topic is marked for deletion; the deletion did not finish within the timeout.";
      }
    }
  }
  return {
    throttleTimeMs: 0,
    responses: entries.map((e) => ({
      name: e.name,
      topicId: e.topicId,
      errorCode: code(e.error),
      errorMessage: e.message,
    })),
  };
};

function replicaBrokers(t: MetadataResponse["topics"][number] | undefined): Set<number> {
  return new Set((t?.partitions ?? []).flatMap((p) => p.replicas));
}

/** Writes /admin/delete_topics/T for each (an existing request is fine: it is waited for again). */
async function requestDeletions(
  rt: BrokerRuntime,
  names: string[],
): Promise<Map<string, KafkaErrorName | null>> {
  const out = new Map<string, KafkaErrorName | null>();
  const session = rt.metadataSession();
  for (const name of names) {
    if (session === null) {
      out.set(name, "NOT_CONTROLLER");
      continue;
    }
    try {
      const zk = new KafkaZk(session);
      // AdminZkClient.deleteTopic: the topic must exist in ZooKeeper, not only in our metadata.
      if ((await session.exists(ZkPaths.topic(name))) === null) {
        out.set(name, "UNKNOWN_TOPIC_OR_PARTITION");
        continue;
      }
      await zk.requestTopicDeletion(name);
      out.set(name, null);
    } catch (e) {
      rt.log(`[broker ${rt.brokerId}] requesting deletion of ${name} failed: ${(e as Error).message}`);
      out.set(name, "UNKNOWN_SERVER_ERROR");
    }
  }
  return out;
}

/** Waits until each topic is deleted (see the header); returns those that are not by the deadline. */
async function waitForDeletions(
  rt: BrokerRuntime,
  names: string[],
  replicas: Map<string, Set<number>>,
  waitMs: number,
): Promise<string[]> {
  const deadline = Date.now() + Math.max(0, waitMs);
  let pending = names;
  for (;;) {
    const md = await metadata(rt, null);
    const listed = new Set((md?.topics ?? []).map((t) => t.name));
    const live = new Set(md?.brokers ?? []);
    const session = rt.metadataSession();
    const still: string[] = [];
    const gone: string[] = [];
    for (const name of pending) {
      if (listed.has(name)) still.push(name);
      else gone.push(name);
    }
    // Out of the metadata: finished when the request znode is gone, or as good as Kafka's answer when a
    // replica's broker is down (its log goes when it returns) or the deadline has come.
    const expired = Date.now() >= deadline || rt.isStopped();
    for (const name of gone) {
      const waitingForDownReplica = [...(replicas.get(name) ?? [])].some((b) => !live.has(b));
      if (expired || waitingForDownReplica || session === null) continue;
      const request = await session.exists(ZkPaths.deleteTopic(name)).catch(() => null);
      if (request !== null) still.push(name);
    }
    pending = still;
    if (pending.length === 0 || expired) return pending.filter((n) => listed.has(n));
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}
