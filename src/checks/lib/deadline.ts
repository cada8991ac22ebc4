// A negotiate check has its own deadline (negotiatetimeout) on top of the caller's
// signal, so a checker called without a watchdog still ends and still says why.
import { timeoutReason } from "./result.js";

export interface Deadline {
  /** Aborts when the caller aborts or `ms` has passed, whichever comes first. */
  signal: AbortSignal;
  /** "timeout after N ms": the reason to give when `signal` has aborted. */
  reason: string;
  /** Clears the timer and the listener on the caller's signal. Call in `finally`. */
  dispose(): void;
}

export function deadline(outer: AbortSignal, ms: number): Deadline {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = setTimeout(abort, Math.max(0, ms));
  if (outer.aborted) abort();
  else outer.addEventListener("abort", abort, { once: true });
  return {
    signal: controller.signal,
    reason: timeoutReason(ms),
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener("abort", abort);
    },
  };
}
