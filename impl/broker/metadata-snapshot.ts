/**
 * Keeps `kafkaspec cluster`'s embedded metadata across restarts: the persistent znodes (topics, their
 * partition states and configs, controller epoch, cluster id) are written to a file beside the logs,
 * atomically, whenever the tree changed, and loaded before the brokers start again. Ephemeral nodes
 * (broker registrations, the controller) belong to sessions and are never kept, as in ZooKeeper.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { EmbeddedStore } from "../metadata/embedded.ts";
import { StoreError } from "../metadata/store.ts";

export const METADATA_SNAPSHOT_FILE = "metadata-snapshot.json";

interface SavedNode {
  path: string;
  data: string;
}

export function saveMetadataSnapshot(store: EmbeddedStore, file: string): void {
  const nodes: SavedNode[] = store.tree
    .snapshot()
    .filter((n) => n.path !== "/" && n.stat.ephemeralOwner === "")
    .map((n) => ({ path: n.path, data: n.data.toString("base64") }));
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ version: 1, nodes }));
  renameSync(tmp, file);
}

/** Recreates the saved persistent nodes, parents first; returns how many there were. */
export async function loadMetadataSnapshot(store: EmbeddedStore, file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  const saved = JSON.parse(readFileSync(file, "utf8")) as { version: number; nodes: SavedNode[] };
  if (saved.version !== 1) throw new Error(`${file}: unknown snapshot version ${saved.version}`);
  const session = await store.connect({ sessionTimeoutMs: 10_000 });
  try {
    const nodes = [...saved.nodes].sort(
      (a, b) => a.path.split("/").length - b.path.split("/").length || (a.path < b.path ? -1 : 1),
    );
    for (const n of nodes) {
      try {
        await session.create(n.path, Buffer.from(n.data, "base64"), "persistent");
      } catch (e) {
        if (!(e instanceof StoreError && e.code === "NODE_EXISTS")) throw e;
      }
    }
    return nodes.length;
  } finally {
    await session.close();
  }
}

/**
 * Loads the snapshot, then saves it whenever the tree changed (checked every `intervalMs`) and once more
 * on `stop()`. Also ticks the store, so sessions of clients that vanish without closing expire. A save
 * that fails (disk full, directory removed) is logged once per failure and tried again on the next
 * tick: it runs from a timer, where a throw would end the whole process.
 */
export async function keepEmbeddedMetadata(
  store: EmbeddedStore,
  file: string,
  intervalMs = 500,
  log: (line: string) => void = (line) => console.error(line),
): Promise<{ stop(): void }> {
  await loadMetadataSnapshot(store, file);
  let savedZxid = store.tree.zxid;
  const save = () => {
    const zxid = store.tree.zxid;
    if (zxid === savedZxid) return;
    try {
      saveMetadataSnapshot(store, file);
      savedZxid = zxid;
    } catch (e) {
      log(`metadata snapshot ${file} not saved: ${(e as Error).message}`);
    }
  };
  const timer = setInterval(() => {
    try {
      store.tick();
    } catch (e) {
      log(`embedded metadata store tick failed: ${(e as Error).message}`);
    }
    save();
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      save();
    },
  };
}
