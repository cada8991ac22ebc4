// The negotiate checks that drive a client library (SQL, LDAP) or a hand-made client
// (DNS, RADIUS) share one shape: start some I/O, and stop it for good when the signal
// aborts (runCheck aborts it at negotiatetimeout, or when the daemon stops the check).
// ldirectord's SQL checks had no timeout at all and a hung database froze the whole
// daemon; here every such check ends when told and releases what it opened, whatever
// the library is still waiting for.
import type { CheckResult } from "../types.js";
import { down, timeoutReason } from "./result.js";

export interface StopScope {
  /** Aborts when the check is stopped or `work` has finished. */
  signal: AbortSignal;
  /** Registers a release (destroy a socket, end a client); all run once when the check ends. */
  defer(release: () => void): void;
}

/**
 * Runs `work` until it resolves or `signal` aborts, whichever is first. An abort gives
 * "timeout after `timeoutMs` ms" (the deadline runCheck enforced); a thrown error gives
 * down with its message. Never rejects; late results and late errors of `work` are dropped.
 */
export async function untilStopped(
  timeoutMs: number,
  signal: AbortSignal,
  startedAt: number,
  work: (scope: StopScope) => Promise<CheckResult>,
  describeError: (err: unknown) => string,
): Promise<CheckResult> {
  const stop = new AbortController();
  const releases: (() => void)[] = [];
  const scope: StopScope = { signal: stop.signal, defer: (release) => releases.push(release) };
  const timedOut = () => down(timeoutReason(timeoutMs), startedAt);
  if (signal.aborted) return timedOut();

  let onStop: () => void = () => {};
  const stopped = new Promise<CheckResult>((resolve) => {
    onStop = () => resolve(timedOut());
    stop.signal.addEventListener("abort", onStop, { once: true });
  });
  const abortFromCaller = () => stop.abort();
  signal.addEventListener("abort", abortFromCaller, { once: true });

  const worked = (async () => work(scope))().catch((err: unknown) => down(describeError(err), startedAt));
  try {
    return await Promise.race([worked, stopped]);
  } finally {
    signal.removeEventListener("abort", abortFromCaller);
    stop.signal.removeEventListener("abort", onStop);
    // Tell `work` it is over (so its own loops stop), then free what it opened.
    if (!stop.signal.aborted) stop.abort();
    for (const release of releases) {
      try {
        release();
      } catch {
        // Releasing is best effort: the resource is being thrown away anyway.
      }
    }
  }
}

/** How far past the check's deadline a client library's own timeouts are set. */
const LIBRARY_MARGIN_MS = 1000;

/**
 * The value for a client library's own timeout options (connect, query). They are only a
 * backstop that keeps the library from waiting forever should it outlive the check: set
 * past the deadline, they never race runCheck's abort, which alone decides a timeout.
 */
export function libraryTimeoutMs(deadlineMs: number): number {
  return deadlineMs + LIBRARY_MARGIN_MS;
}

/** "prefix: CODE message", on one line and short, for a library error of unknown shape. */
export function errorReason(prefix: string, err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : String(err);
  const code = typeof e?.code === "string" && !message.includes(e.code) ? `${e.code} ` : "";
  const text = `${prefix}: ${code}${message}`.replace(/\s+/g, " ").trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** The request without the one leading "/" that ldirectord prepends to every request. */
export function stripLeadingSlash(request: string): string {
  return request.startsWith("/") ? request.slice(1) : request;
}
