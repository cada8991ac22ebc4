// A check worker: runs the checks the director's thread hands it, each through runCheck
// (its deadline, its crash guard), and sends the results back in one message per turn.
// It keeps no health: the monitor on the main thread owns every probe's state and
// schedule, so a worker that dies loses only the checks it had in flight.
import { parentPort } from "node:worker_threads";
import { runCheck } from "../../checks/run.js";
import type { CheckTarget } from "../../checks/types.js";
import type { CheckSpec } from "../../config/types.js";
import type { Finished, FromWorker, ToWorker } from "./protocol.js";

interface Held {
  target: CheckTarget;
  spec: CheckSpec;
  /** Aborted when the probe is retired: its check in flight stops at once. */
  controller: AbortController;
}

const port = parentPort;
if (!port) throw new Error("src/health/pool/worker.ts runs only as a worker thread");

const held = new Map<number, Held>();
let outbox: Finished[] = [];
let flushing = false;

function flush(): void {
  flushing = false;
  const message: FromWorker = { done: outbox };
  outbox = [];
  port!.postMessage(message);
}

function finished(entry: Finished): void {
  outbox.push(entry);
  if (!flushing) {
    flushing = true;
    setImmediate(flush);
  }
}

port.on("message", (batch: ToWorker) => {
  for (const p of batch.probes) {
    held.get(p.key)?.controller.abort();
    held.set(p.key, { target: p.target, spec: p.spec, controller: new AbortController() });
  }
  for (const [seq, key, kind] of batch.runs) {
    const probe = held.get(key);
    if (!probe) {
      finished([seq, 0, "aborted", 0, 0]);
      continue;
    }
    runCheck(probe.target, probe.spec, { kind, signal: probe.controller.signal }).then(
      (r) => finished([seq, r.ok ? 1 : 0, r.reason, r.latencyMs, r.inconclusive ? 1 : 0]),
      // runCheck never rejects; a bug that made it would still answer the check.
      (error: unknown) => finished([seq, 0, `check error: ${String(error)}`, 0, 0]),
    );
  }
  for (const key of batch.retired) {
    held.get(key)?.controller.abort();
    held.delete(key);
  }
});
