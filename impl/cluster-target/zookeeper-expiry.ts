/**
 * Expiring another process's ZooKeeper session from outside, the way Kafka's tests do it: a second
 * client presents the session's id and password and then closes the session, and the server deletes
 * its ephemeral nodes. The password never leaves the broker, so the broker's ZooKeeper proxy reads it
 * from the server's ConnectResponse (wire-sniff.ts); while we do this the proxy holds the broker's
 * reconnects, or node-zookeeper-client would take its session back at once.
 */
import zookeeper from "node-zookeeper-client";
import type { ZooKeeperSessionCredentials } from "./wire-sniff.ts";

export async function closeSessionAs(
  servers: string,
  credentials: ZooKeeperSessionCredentials,
  timeoutMs = 10_000,
): Promise<"closed" | "already-expired"> {
  // The library's typings omit the session id and password options it supports.
  const client = zookeeper.createClient(servers, {
    sessionTimeout: credentials.timeoutMs,
    spinDelay: 100,
    retries: 0,
    sessionId: credentials.sessionIdBytes,
    sessionPassword: credentials.password,
  } as never);
  const outcome = await new Promise<"connected" | "expired">((resolve, reject) => {
    const timer = setTimeout(() => {
      client.close();
      reject(new Error(`could not reach ZooKeeper at ${servers} in ${timeoutMs} ms`));
    }, timeoutMs);
    client.once("connected", () => {
      clearTimeout(timer);
      resolve("connected");
    });
    client.once("expired", () => {
      clearTimeout(timer);
      resolve("expired");
    });
    client.connect();
  });
  if (outcome === "expired") {
    client.close();
    return "already-expired";
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once("disconnected", () => {
      clearTimeout(timer);
      resolve();
    });
    client.close();
  });
  return "closed";
}
