import { type FileSystem, readWholeFile, writeFileAtomic } from "./fs.ts";

/**
 * Kafka's checkpoint file format, used by leader-epoch-checkpoint, replication-offset-checkpoint and
 * friends: a text file of lines
 *   <version>
 *   <entry count>
 *   <entry>            (space-separated fields, one entry per line)
 * written atomically (temp file, fsync, rename) so a crash leaves the old or the new file, never half.
 */

export class CheckpointError extends Error {}

export const CHECKPOINT_VERSION = 0;

/** Parses checkpoint text into entries of fields; throws CheckpointError on a malformed file. */
export function parseCheckpoint(text: string, expectedVersion = CHECKPOINT_VERSION): string[][] {
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length < 2) throw new CheckpointError("checkpoint has no header");
  const version = Number(lines[0]);
  if (version !== expectedVersion) throw new CheckpointError(`checkpoint version ${lines[0]} unsupported`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count < 0) throw new CheckpointError(`bad entry count ${lines[1]}`);
  if (lines.length - 2 !== count) {
    throw new CheckpointError(`checkpoint says ${count} entries but holds ${lines.length - 2}`);
  }
  return lines.slice(2).map((l) => l.split(" "));
}

export function formatCheckpoint(
  entries: readonly (readonly (string | number)[])[],
  version = CHECKPOINT_VERSION,
) {
  const body = entries.map((e) => e.join(" ")).join("\n");
  return `${version}\n${entries.length}\n${body}${entries.length > 0 ? "\n" : ""}`;
}

/** Reads a checkpoint file; a missing file is no entries. */
export function readCheckpointFile(fs: FileSystem, path: string): string[][] {
  if (!fs.exists(path)) return [];
  return parseCheckpoint(readWholeFile(fs, path).toString("utf8"));
}

export function writeCheckpointFile(
  fs: FileSystem,
  path: string,
  entries: readonly (readonly (string | number)[])[],
): void {
  writeFileAtomic(fs, path, Buffer.from(formatCheckpoint(entries), "utf8"));
}

function intField(s: string, what: string): number {
  if (!/^-?\d+$/.test(s)) throw new CheckpointError(`bad ${what}: ${s}`);
  return Number(s);
}

/**
 * The per-log-dir offset checkpoint Kafka keeps as replication-offset-checkpoint (high watermarks)
 * and recovery-point-offset-checkpoint: lines of "<topic> <partition> <offset>".
 */
export class OffsetCheckpointFile {
  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  read(): Map<string, number> {
    const out = new Map<string, number>();
    for (const fields of readCheckpointFile(this.fs, this.path)) {
      if (fields.length !== 3) throw new CheckpointError(`bad offset checkpoint line: ${fields.join(" ")}`);
      const [topic, partition, offset] = fields;
      out.set(`${topic}-${intField(partition, "partition")}`, intField(offset, "offset"));
    }
    return out;
  }

  /** Keys are "<topic>-<partition>" (topic names may contain '-'; the partition is after the last one). */
  write(offsets: ReadonlyMap<string, number>): void {
    const entries: (string | number)[][] = [];
    for (const [key, offset] of [...offsets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const i = key.lastIndexOf("-");
      entries.push([key.slice(0, i), key.slice(i + 1), offset]);
    }
    writeCheckpointFile(this.fs, this.path, entries);
  }
}
