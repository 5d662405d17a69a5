/**
 * Storage throughput on the real disk: PartitionLog appends and reads against a raw node:fs baseline
 * writing and reading the same bytes, so the figures say what the log layer costs.
 *
 *   node bin/run-ts.mjs bench/storage.ts [--mb 256] [--batch-kb 16] [--fsync-batches 200] [--dir /tmp]
 *
 * Prints one line per measurement and a JSON summary (for bench/index.ts or a report).
 */
import * as nodefs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeBatch } from "../impl/records/batch.ts";
import type { CompressionType } from "../impl/records/types.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../impl/storage/config.ts";
import { DiskFileSystem } from "../impl/storage/disk-fs.ts";
import { PartitionLog } from "../impl/storage/partition-log.ts";

export interface StorageBenchOptions {
  totalMb: number;
  batchKb: number;
  fsyncBatches: number;
  dir: string;
}

export interface Measurement {
  name: string;
  bytes: number;
  batches: number;
  seconds: number;
  mbPerSec: number;
  batchesPerSec: number;
}

function measure(name: string, bytes: number, batches: number, fn: () => void): Measurement {
  const t0 = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = {
    name,
    bytes,
    batches,
    seconds,
    mbPerSec: bytes / 1048576 / seconds,
    batchesPerSec: batches / seconds,
  };
  console.log(
    `${name.padEnd(44)} ${m.mbPerSec.toFixed(1).padStart(8)} MB/s ${m.batchesPerSec.toFixed(0).padStart(9)} batches/s  (${(bytes / 1048576).toFixed(0)} MB in ${seconds.toFixed(2)} s)`,
  );
  return m;
}

/** A pool of distinct producer batches of about `batchKb` KiB (100-byte values, keyed). */
function batchPool(batchKb: number, compression: CompressionType, count = 32): Buffer[] {
  const perRecord = 100;
  const recordsPerBatch = Math.max(1, Math.floor((batchKb * 1024) / (perRecord + 20)));
  return Array.from({ length: count }, (_, b) =>
    encodeBatch(
      Array.from({ length: recordsPerBatch }, (_, i) => ({
        key: Buffer.from(`key-${b}-${i}`),
        value: Buffer.from(`${b}:${i}:`.padEnd(perRecord, "abcdefghijklmnopqrstuvwxyz")),
        timestamp: 1_700_000_000_000 + i,
      })),
      { compression },
    ),
  );
}

export function runStorageBench(opts: StorageBenchOptions): Measurement[] {
  const root = nodefs.mkdtempSync(join(opts.dir, "kafkaspec-bench-"));
  const results: Measurement[] = [];
  try {
    const pool = batchPool(opts.batchKb, "none");
    const batchBytes = pool[0].length;
    const n = Math.max(1, Math.floor((opts.totalMb * 1048576) / batchBytes));
    let total = 0;
    for (let i = 0; i < n; i++) total += pool[i % pool.length].length;
    const config: LogConfig = { ...DEFAULT_LOG_CONFIG }; // Kafka's 1 GiB segments: recovery scans all of it
    console.log(
      `batches of ${batchBytes} bytes (${opts.batchKb} KiB target), ${n} batches, ${(total / 1048576).toFixed(0)} MB`,
    );

    // Baseline: the same bytes appended to one file with writeSync, then fsync.
    const rawPath = join(root, "raw.bin");
    results.push(
      measure("raw fs.writeSync + fsync", total, n, () => {
        const fd = nodefs.openSync(rawPath, "w");
        let pos = 0;
        for (let i = 0; i < n; i++) {
          const b = pool[i % pool.length];
          nodefs.writeSync(fd, b, 0, b.length, pos);
          pos += b.length;
        }
        nodefs.fsyncSync(fd);
        nodefs.closeSync(fd);
      }),
    );

    const fs = new DiskFileSystem();
    const dir = join(root, "bench-0");
    let log = PartitionLog.open(fs, dir, config);
    results.push(
      measure("PartitionLog.appendAsLeader + flush", total, n, () => {
        for (let i = 0; i < n; i++) log.appendAsLeader(pool[i % pool.length], 0, i);
        log.flush();
      }),
    );
    log.close();

    results.push(
      measure("raw fs.readSync 1 MiB chunks", total, n, () => {
        const fd = nodefs.openSync(rawPath, "r");
        const buf = Buffer.allocUnsafe(1048576);
        let pos = 0;
        while (nodefs.readSync(fd, buf, 0, buf.length, pos) > 0) pos += buf.length;
        nodefs.closeSync(fd);
      }),
    );

    log = PartitionLog.open(fs, dir, config);
    const end = log.logEndOffset;
    results.push(
      measure("PartitionLog.read 1 MiB fetches", total, n, () => {
        let offset = 0;
        let read = 0;
        while (offset < end) {
          const chunk = log.read(offset, 1048576);
          read += chunk.length;
          // the next fetch starts after the last batch returned
          let pos = 0;
          let last = offset;
          while (pos < chunk.length) {
            last = Number(chunk.readBigInt64BE(pos)) + chunk.readInt32BE(pos + 23);
            pos += chunk.readInt32BE(pos + 8) + 12;
          }
          offset = last + 1;
        }
        if (read !== total) throw new Error(`read ${read} of ${total} bytes`);
      }),
    );
    log.close();

    // Recovery: reopening scans the whole last segment (CRC of every batch) and rebuilds its indexes.
    const lastSegmentBytes = total % config["segment.bytes"] || config["segment.bytes"];
    results.push(
      measure(
        "PartitionLog.open (recover last segment)",
        lastSegmentBytes,
        Math.round(lastSegmentBytes / batchBytes),
        () => {
          PartitionLog.open(fs, dir, config).shutdown();
        },
      ),
    );
    // After a clean shutdown the scan is skipped: only the tail after the last index entry is walked.
    results.push(
      measure(
        "PartitionLog.open (after clean shutdown)",
        lastSegmentBytes,
        Math.round(lastSegmentBytes / batchBytes),
        () => {
          PartitionLog.open(fs, dir, config).close();
        },
      ),
    );

    // Durability: fsync after every batch (flush.messages=1).
    const fsyncDir = join(root, "fsync-0");
    const synced = PartitionLog.open(fs, fsyncDir, { ...config, "flush.messages": 1 });
    const k = opts.fsyncBatches;
    results.push(
      measure("appendAsLeader, flush.messages=1 (fsync each)", k * batchBytes, k, () => {
        for (let i = 0; i < k; i++) synced.appendAsLeader(pool[i % pool.length], 0, i);
      }),
    );
    synced.close();

    // Compressed produce: the log stores compressed batches as received; measured in stored bytes.
    for (const compression of ["gzip", "lz4"] as const) {
      const cpool = batchPool(opts.batchKb, compression);
      const cdir = join(root, `${compression}-0`);
      const clog = PartitionLog.open(fs, cdir, config);
      const cn = Math.min(n, 4000);
      const cbytes = cpool.reduce((a, b) => a + b.length, 0) * (cn / cpool.length);
      results.push(
        measure(`appendAsLeader ${compression} batches (stored bytes)`, cbytes, cn, () => {
          for (let i = 0; i < cn; i++) clog.appendAsLeader(cpool[i % cpool.length], 0, i);
          clog.flush();
        }),
      );
      clog.close();
    }
  } finally {
    nodefs.rmSync(root, { recursive: true, force: true });
  }
  return results;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1]?.endsWith("storage.ts")) {
  const dirIdx = process.argv.indexOf("--dir");
  const results = runStorageBench({
    totalMb: arg("mb", 256),
    batchKb: arg("batch-kb", 16),
    fsyncBatches: arg("fsync-batches", 200),
    dir: dirIdx >= 0 ? process.argv[dirIdx + 1] : tmpdir(),
  });
  console.log(JSON.stringify({ storage: results }));
}
