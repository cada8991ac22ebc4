// One check with a deadline nobody can break: the checker is told to stop at the spec's
// timeout, and if it does not settle within a short grace after that, the caller gets
// "timeout after N ms" anyway. A checker that throws, rejects or returns garbage becomes
// a failed result, and so does an error its timers or sockets raise later (lib/guard.ts).
// runCheck itself never throws.
import type { CheckSpec } from "../config/types.js";
import { withinCheck } from "./lib/guard.js";
import { down, elapsed, timeoutReason } from "./lib/result.js";
import { type CheckerRegistry, type CheckKind, checkerFor } from "./registry.js";
import type { Checker, CheckResult, CheckTarget } from "./types.js";

export interface RunOptions {
  kind: CheckKind;
  /** The checkers to use; default: every checker (src/checks/index.ts), loaded on first use. */
  registry?: CheckerRegistry;
  /** Aborting it stops the check at once; the result is then { ok: false, reason: "aborted" }. */
  signal?: AbortSignal;
  /** How long a checker may take to settle after it was told to stop. */
  graceMs?: number;
}

/** Long enough for a checker to close its socket or reap its child, short enough not to matter. */
export const DEFAULT_GRACE_MS = 250;

/**
 * The deadline for one check of `kind`, in ms: negotiatetimeout for negotiate, checktimeout
 * for connect and external, and checktimeout per attempt for ping (ldirectord gives each of
 * its `checkcount` pings the full checktimeout).
 */
export function deadlineMs(kind: CheckKind, spec: CheckSpec): number {
  const ms = kind === "negotiate" ? spec.negotiateTimeoutMs : spec.checkTimeoutMs;
  const attempts = kind === "ping" ? Math.max(1, Math.floor(spec.checkCount) || 1) : 1;
  return positive(ms) * attempts;
}

export async function runCheck(target: CheckTarget, spec: CheckSpec, opts: RunOptions): Promise<CheckResult> {
  const loadStarted = performance.now();
  if (opts.signal?.aborted) return down("aborted", loadStarted);
  let checker: Checker;
  try {
    checker = checkerFor(opts.registry ?? (await defaultRegistry()), opts.kind, spec.service);
  } catch (error) {
    return down(`checker error: ${messageOf(error)}`, loadStarted);
  }
  if (opts.signal?.aborted) return down("aborted", loadStarted);
  return race(
    checker,
    target,
    spec,
    deadlineMs(opts.kind, spec),
    opts.graceMs ?? DEFAULT_GRACE_MS,
    opts.signal,
  );
}

function race(
  checker: Checker,
  target: CheckTarget,
  spec: CheckSpec,
  limitMs: number,
  graceMs: number,
  outer: AbortSignal | undefined,
): Promise<CheckResult> {
  return new Promise<CheckResult>((resolve) => {
    const startedAt = performance.now();
    const controller = new AbortController();
    let settled = false;
    /** Set once the deadline passed or the caller aborted: from then on this is the answer. */
    let verdict: CheckResult | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (answer: CheckResult) => {
      if (settled) return;
      settled = true;
      const result = overloaded(answer, performance.now() - startedAt, limitMs, graceMs);
      clearTimeout(deadlineTimer);
      clearTimeout(graceTimer);
      outer?.removeEventListener("abort", onOuterAbort);
      resolve(result);
    };
    // Tell the checker to stop, then give it a short grace to clean up before answering:
    // callers that wait for runCheck then know the socket or child is gone, unless the
    // checker misbehaves, in which case the hard deadline still answers on time.
    const expire = (reason: string, name: "TimeoutError" | "AbortError") => {
      if (settled || verdict) return;
      verdict = down(reason, startedAt);
      graceTimer = setTimeout(() => finish(verdict as CheckResult), graceMs);
      controller.abort(new DOMException(reason, name));
    };
    const onOuterAbort = () => expire("aborted", "AbortError");
    // The verdict waits for one poll phase after the timer fires: Node runs overdue timers
    // before it reads sockets, so after a stall of this process an answer that sat in the
    // socket in time would otherwise be thrown away as a timeout of the real.
    const deadlineTimer = setTimeout(
      () => setImmediate(() => expire(timeoutReason(limitMs), "TimeoutError")),
      limitMs,
    );
    outer?.addEventListener("abort", onOuterAbort, { once: true });

    // An error the checker's own timers, sockets or stray promises raise later, outside
    // its promise, comes back here through the guard: while the check runs it is the
    // check's failed result (and the checker is told to stop); once the check answered,
    // it is a resource dying late and is dropped.
    const scope = {
      fault: (error: unknown) => {
        if (settled) return;
        finish(verdict ?? down(`checker error: ${messageOf(error)}`, startedAt));
        controller.abort(new DOMException("checker error", "AbortError"));
      },
    };
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(withinCheck(scope, () => checker(target, spec, controller.signal)));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (result) => finish(verdict ?? normalise(result, startedAt)),
      (error: unknown) => finish(verdict ?? down(`checker error: ${messageOf(error)}`, startedAt)),
    );
  });
}

/**
 * A failure that settles well past the deadline was seen late by this process, not
 * caused by the real: a real timeout settles at the deadline (plus the grace at most).
 * Under overload (thousands of checks on a saturated event loop) this keeps the
 * director's own slowness from taking healthy reals out of the pool.
 */
export function overloaded(
  result: CheckResult,
  elapsedMs: number,
  limitMs: number,
  graceMs: number,
): CheckResult {
  const allowance = Math.max(graceMs + 250, limitMs / 2);
  if (result.ok || elapsedMs <= limitMs + allowance) return result;
  const late = Math.round(elapsedMs - limitMs);
  return {
    ...result,
    reason: `${result.reason} (inconclusive: seen ${late} ms after the deadline; ldirector is overloaded)`,
    inconclusive: true,
  };
}

/** A checker's answer, made safe to pass on whatever it returned. */
function normalise(result: unknown, startedAt: number): CheckResult {
  if (typeof result !== "object" || result === null || typeof (result as CheckResult).ok !== "boolean") {
    return down("checker error: no result", startedAt);
  }
  const r = result as CheckResult;
  const latencyMs =
    typeof r.latencyMs === "number" && Number.isFinite(r.latencyMs) ? r.latencyMs : elapsed(startedAt);
  return { ok: r.ok, reason: typeof r.reason === "string" ? r.reason : String(r.reason), latencyMs };
}

function messageOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** The config validates timeouts; this only keeps a nonsense value from meaning "never" or "at once". */
function positive(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms) : FALLBACK_TIMEOUT_MS;
}

const FALLBACK_TIMEOUT_MS = 5000;

/** Imported on first use so that code which injects its checkers never loads every protocol library. */
async function defaultRegistry(): Promise<CheckerRegistry> {
  const { checkers } = await import("./index.js");
  return checkers;
}
