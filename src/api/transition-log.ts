import type { TransitionView } from "../api/types.js";

/** The most recent health changes, newest first, bounded so a flapping real cannot grow it. */
export class TransitionLog {
  private readonly entries: TransitionView[] = [];

  constructor(private readonly max = 100) {}

  add(t: TransitionView): void {
    this.entries.unshift(t);
    if (this.entries.length > this.max) this.entries.length = this.max;
  }

  /** Drops entries of reals that are no longer configured (after a reload). */
  retain(ids: ReadonlySet<string>): void {
    const kept = this.entries.filter((t) => ids.has(t.id));
    this.entries.length = 0;
    this.entries.push(...kept);
  }

  list(): TransitionView[] {
    return this.entries.map((t) => ({ ...t }));
  }
}
