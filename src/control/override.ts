// The one shape of an operator's runtime setting for one real. The director plans with
// it, the state file keeps it, status, the page and the metrics show it.

/** What an override does to a real. */
export type OverrideMode =
  /** Weight 0 while it stays in the table: new connections go elsewhere, live ones finish. */
  | "drained"
  /** Out of the table, whatever its checks say (also with quiescent=yes). */
  | "disabled"
  /** In the table at the operator's weight instead of the configured one, while it is up. */
  | "weighted";

export type Override =
  | { mode: "drained" | "disabled"; /** When it was set (ms since the epoch). */ since: number }
  | { mode: "weighted"; weight: number; since: number };

/**
 * When two settings meet on one real (an operator's weight and an open maintenance
 * window, or two windows), the one that takes more traffic away wins: taking a real out
 * for maintenance must not be undone by a weight someone set last week.
 */
const STRENGTH: Record<OverrideMode, number> = { weighted: 0, drained: 1, disabled: 2 };

export function strongest(a: Override | undefined, b: Override | undefined): Override | undefined {
  if (!a) return b;
  if (!b) return a;
  return STRENGTH[b.mode] > STRENGTH[a.mode] ? b : a;
}

/** IPVS keeps weights in a signed 32-bit field; ipvsadm accepts 0..65535. */
export const MAX_WEIGHT = 65535;
