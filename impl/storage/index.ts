/** Partition log storage: segments, indexes, recovery, leader epochs, checkpoints, file systems. */
export * from "./checkpoint.ts";
export * from "./config.ts";
export * from "./disk-fs.ts";
export * from "./errors.ts";
export * from "./fs.ts";
export * from "./leader-epoch-cache.ts";
export * from "./log-dir-checkpoint.ts";
export * from "./partition-log.ts";
export * from "./sim-fs.ts";
