// What the director is told about each real: the operator's own override combined with
// every maintenance window open on it, the strongest winning (disable > drain > weight).
// Pure: the time is passed in.
import { type Override, strongest } from "./override.js";
import { covers, isOpen, type Window } from "./window.js";

export interface RealRef {
  id: string;
  /** The virtual's id and the real's `address:port`, as windows name them. */
  virtual: string;
  real: string;
}

export function effectiveOverrides(
  manual: ReadonlyMap<string, Override>,
  windows: readonly Window[],
  reals: Iterable<RealRef>,
  now: number,
): Map<string, Override> {
  const open = windows.filter((w) => isOpen(w, now));
  const out = new Map<string, Override>();
  for (const r of reals) {
    let o = manual.get(r.id);
    for (const w of open) {
      // Each window on its own: one closing leaves the others as they are.
      if (covers(w, r.virtual, r.real)) o = strongest(o, { mode: w.mode, since: w.openedAt! });
    }
    if (o) out.set(r.id, o);
  }
  return out;
}
