// What the director's thread and a check worker say to each other. Both directions are
// batched: one postMessage per event-loop turn carries every message of that turn, so a
// check costs a few array entries of a structured clone, not a message of its own.
//
// A probe's target and spec are sent once per worker (`probe`), then each check is a
// tuple naming it by key: the spec (thirty fields) is not cloned on every check.
import type { CheckKind } from "../../checks/registry.js";
import type { CheckTarget } from "../../checks/types.js";
import type { CheckSpec } from "../../config/types.js";

/** Main → worker, in this order within a batch: new probes, checks to run, probes retired. */
export interface ToWorker {
  probes: ProbeEntry[];
  /** [seq, probe key, kind] */
  runs: [number, number, CheckKind][];
  /** Probe keys retired: their checks in flight are aborted, their entries dropped. */
  retired: number[];
}

export interface ProbeEntry {
  key: number;
  target: CheckTarget;
  spec: CheckSpec;
}

/** Worker → main: [seq, ok (1/0), reason, latencyMs, inconclusive (1/0)] per finished check. */
export type Finished = [number, 0 | 1, string, number, 0 | 1];

export interface FromWorker {
  done: Finished[];
}
