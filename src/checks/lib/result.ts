// The three shapes every checker's answer takes, so reasons and latency look alike
// across protocols.
import type { CheckResult } from "../types.js";

/** Milliseconds since `startedAt` (a performance.now() value), rounded to 0.1 ms. */
export function elapsed(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}

export function up(reason: string, startedAt: number): CheckResult {
  return { ok: true, reason, latencyMs: elapsed(startedAt) };
}

export function down(reason: string, startedAt: number): CheckResult {
  return { ok: false, reason, latencyMs: elapsed(startedAt) };
}

export function timeoutReason(ms: number): string {
  return `timeout after ${ms} ms`;
}
