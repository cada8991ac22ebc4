// How many check workers a config gets. Below a few hundred checks per second one thread
// does the work with room to spare, and a worker only adds its ~10 MB and a message hop
// per check; above that, checks move off the director's thread, one worker per core at
// most (the director's own thread needs little once checks are elsewhere).
import { availableParallelism } from "node:os";
import type { ProbeSpec } from "../monitor.js";

/** `--check-workers`: a number, or auto (the default). */
export type WorkerSetting = number | "auto";

/** Checks per second from which auto moves checks to workers (see BENCHMARKS.md, issue 15). */
export const AUTO_MIN_RATE = 400;
/** Checks per second one worker is given under auto before another is added. */
export const AUTO_RATE_PER_WORKER = 1500;

export function checksPerSecond(probes: readonly ProbeSpec[]): number {
  let rate = 0;
  for (const p of probes) {
    const t = p.spec.type;
    if (t !== "on" && t !== "off" && p.intervalMs > 0) rate += 1000 / p.intervalMs;
  }
  return rate;
}

export function workersFor(rate: number, setting: WorkerSetting, cores = availableParallelism()): number {
  if (setting !== "auto") return Math.max(0, Math.floor(setting));
  if (rate < AUTO_MIN_RATE) return 0;
  return Math.max(1, Math.min(cores, Math.ceil(rate / AUTO_RATE_PER_WORKER)));
}
