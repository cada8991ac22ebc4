// A checker must stop when the runner says so and also on its own timeout when called
// directly. AbortSignal.any + AbortSignal.timeout would do, but that timer cannot be
// cancelled and outlives the check; this one is cleared in dispose().

export interface TimeLimit {
  /** Aborts when the caller's signal aborts or `ms` have passed, whichever is first. */
  signal: AbortSignal;
  /** Stops the timer and unhooks from the caller's signal. Call it in a finally. */
  dispose(): void;
}

export function timeLimit(outer: AbortSignal, ms: number): TimeLimit {
  const controller = new AbortController();
  const onAbort = () => controller.abort(outer.reason);
  const timer = setTimeout(() => controller.abort(new Error(`timeout after ${ms} ms`)), ms);
  if (outer.aborted) onAbort();
  else outer.addEventListener("abort", onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener("abort", onAbort);
    },
  };
}
