// A worker thread of spec/jobs.ts: loads TypeScript through tsx (as bin/run-ts.mjs does), then the worker.
import { register } from "tsx/esm/api";

register();
await import("./jobs-worker.ts");
