// One probe's health as ldirectord's service_set moves it (docs/ldirectord-compat.md):
// failurecount consecutive failures take an up real down, one success brings any real
// up. Pure.
import type { Health } from "./types.js";

export interface HealthState {
  health: Health;
  /** Consecutive failed checks (0 after any success). */
  failures: number;
  /** Consecutive good checks (0 after any failure). */
  successes: number;
}

export interface Transition {
  from: Health;
  to: Health;
}

export interface Step {
  state: HealthState;
  /** Present only when health changed. */
  transition?: Transition;
}

export function initialState(): HealthState {
  return { health: "unknown", failures: 0, successes: 0 };
}

/**
 * The state after one check result.
 *
 * - Success: up at once (ldirectord has no "rise" count).
 * - Failure while up: down on the `failureCount`-th consecutive failure (soft failures before that).
 * - Failure while unknown: down at once, so start-up settles in one round instead of
 *   `failureCount` rounds. ldirectord would count nothing here (it only counts while up) and
 *   leave the real out until a success; a real we have never seen healthy is not served
 *   either way, this just says so.
 * - Failure while down: stays down (the count keeps going, for status only).
 *
 * A `failureCount` below 1 (or not a number) is read as 1.
 */
export function next(state: HealthState, result: { ok: boolean }, failureCount: number): Step {
  const threshold = Number.isFinite(failureCount) && failureCount >= 1 ? Math.floor(failureCount) : 1;
  if (result.ok) {
    const ok: HealthState = { health: "up", failures: 0, successes: state.successes + 1 };
    return withTransition(state.health, ok);
  }
  const failures = state.failures + 1;
  const health: Health = state.health === "up" && failures < threshold ? "up" : "down";
  return withTransition(state.health, { health, failures, successes: 0 });
}

function withTransition(from: Health, state: HealthState): Step {
  return from === state.health ? { state } : { state, transition: { from, to: state.health } };
}
