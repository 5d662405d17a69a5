/**
 * What thousands of partitions cost the storage of one broker, in one process, on the real disk: the
 * broker's DiskLogStore in a fresh log dir, N partitions created and made leader (as a LeaderAndIsr for
 * a new topic does), a record appended to some of them, every high watermark checkpointed, then a clean
 * shutdown, a start after it (logs loaded without the tail scan), and a start after a crash (every
 * log's last segment scanned). Reports milliseconds and fsync calls (files and directories, counted by
 * wrapping node:fs, so the same bench runs against older code) for each phase.
 *
 *   node bin/run-ts.mjs bench/log-dir.ts [--partitions 3000] [--written 0.1] [--dir /tmp/...]
 */
import { mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DiskLogStore } from "../impl/broker/disk-log.ts";

const require = createRequire(import.meta.url);
const nodefs = require("node:fs") as typeof import("node:fs");

/** Counts fsync and fdatasync calls made through node:fs from now on. */
function countSyncs(): { readonly calls: number } {
  const counter = { calls: 0 };
  const fsync = nodefs.fsyncSync;
  const fdatasync = nodefs.fdatasyncSync;
  nodefs.fsyncSync = (fd) => {
    counter.calls++;
    fsync(fd);
  };
  nodefs.fdatasyncSync = (fd) => {
    counter.calls++;
    fdatasync(fd);
  };
  syncBuiltinESMExports();
  // Batched syncs go through the thread pool: fs.promises handles.
  const open = nodefs.promises.open;
  nodefs.promises.open = (async (...args: Parameters<typeof open>) => {
    const h = await open(...args);
    const sync = h.sync.bind(h);
    h.sync = () => {
      counter.calls++;
      return sync();
    };
    return h;
  }) as typeof open;
  return counter;
}

export interface Phase {
  ms: number;
  fsyncs: number;
}

export interface LogDirResult {
  partitions: number;
  written: number;
  create: Phase;
  checkpoint: Phase;
  shutdown: Phase;
  cleanStart: Phase;
  cleanShutdown: Phase;
  crashStart: Phase;
  loadAverage: number;
}

const tick = () => new Promise((r) => setImmediate(r));

export async function runLogDirBench(opts: {
  partitions: number;
  written: number;
  dir?: string;
}): Promise<LogDirResult> {
  const syncs = countSyncs();
  const root = opts.dir ?? mkdtempSync(join(tmpdir(), "kafkaspec-logdir-"));
  const dir = join(root, "logs");
  const topic = "bench";
  const n = opts.partitions;
  const writeEvery = opts.written > 0 ? Math.max(1, Math.round(1 / opts.written)) : 0;
  const phase = async (fn: () => void | Promise<void>): Promise<Phase> => {
    const before = syncs.calls;
    const t0 = performance.now();
    await fn();
    return { ms: Math.round(performance.now() - t0), fsyncs: syncs.calls - before };
  };
  const openAll = (store: DiskLogStore) => {
    for (let p = 0; p < n; p++) store.open(topic, p);
  };
  try {
    let store = new DiskLogStore(dir);
    let written = 0;
    const create = await phase(async () => {
      // In slices, as the broker applies a LeaderAndIsr: 100 partitions per turn of the event loop.
      for (let p = 0; p < n; p++) {
        const log = store.open(topic, p);
        log.assignEpoch(1, log.logEndOffset);
        if (p % 100 === 99) await tick();
      }
      await tick();
    });
    for (let p = 0; writeEvery > 0 && p < n; p += writeEvery) {
      store.open(topic, p).appendAsLeader([{ key: null, value: Buffer.from(`r${p}`) }], 1, Date.now());
      written++;
    }
    const checkpoint = await phase(async () => {
      for (let p = 0; p < n; p++) {
        const log = store.open(topic, p);
        log.checkpointHighWatermark(log.logEndOffset);
      }
      await new Promise((r) => setTimeout(r, 100));
    });
    const shutdown = await phase(async () => {
      await store.shutdown();
    });
    store = new DiskLogStore(dir);
    const cleanStart = await phase(() => openAll(store));
    const cleanShutdown = await phase(async () => {
      await store.shutdown();
    });
    // A crash: no clean-shutdown marker (per log dir now, per log before), so every log is recovered.
    for (const marker of [join(dir, ".kafka_cleanshutdown")]) {
      try {
        unlinkSync(marker);
      } catch {}
    }
    for (let p = 0; p < n; p++) {
      try {
        unlinkSync(join(dir, `${topic}-${p}`, "clean-shutdown"));
      } catch {}
    }
    store = new DiskLogStore(dir);
    const crashStart = await phase(async () => {
      // The broker opens (recovers) every log on disk at start, together where the store can.
      const batched = store as { openExisting?: () => Promise<number> };
      if (batched.openExisting !== undefined) await batched.openExisting();
      openAll(store);
    });
    await store.shutdown();
    return {
      partitions: n,
      written,
      create,
      checkpoint,
      shutdown,
      cleanStart,
      cleanShutdown,
      crashStart,
      loadAverage: loadavg()[0],
    };
  } finally {
    if (opts.dir === undefined) rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      partitions: { type: "string", default: "3000" },
      written: { type: "string", default: "0.1" },
      dir: { type: "string" },
    },
  });
  const r = await runLogDirBench({
    partitions: Number(values.partitions),
    written: Number(values.written),
    ...(values.dir !== undefined ? { dir: values.dir } : {}),
  });
  const show = (name: string, p: Phase) =>
    `  ${name.padEnd(15)} ${String(p.ms).padStart(6)} ms  ${String(p.fsyncs).padStart(6)} fsyncs (${(p.fsyncs / r.partitions).toFixed(2)} per partition)`;
  console.log(
    `${r.partitions} partitions in one log dir, ${r.written} with a record (load ${r.loadAverage.toFixed(1)}):`,
  );
  console.log(show("create+leader", r.create));
  console.log(show("hw checkpoint", r.checkpoint));
  console.log(show("shutdown", r.shutdown));
  console.log(show("clean start", r.cleanStart));
  console.log(show("clean shutdown", r.cleanShutdown));
  console.log(show("crash start", r.crashStart));
  console.log(JSON.stringify(r));
}
