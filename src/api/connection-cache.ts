// Connection counts for status, cached. Each read costs an exec (`ipvsadm -L -n`, or
// `conntrack -L`, which walks the whole connection table on a busy director); the web
// page polls every second per viewer and Prometheus scrapes on its own schedule, so
// reads are shared: at most one in flight, and none while the last is fresh.
import type { ConnCounts } from "../ipvs/conntrack.js";

type Counts = ReadonlyMap<string, ConnCounts>;

export class ConnectionCache {
  private last: { at: number; counts: Counts } | undefined;
  private pending: Promise<Counts> | undefined;

  constructor(
    private readonly read: (() => Promise<Counts>) | undefined,
    private readonly maxAgeMs = 5000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The counts, at most maxAgeMs old; empty when the backend cannot tell or the read fails.
   * With waitMs, a read that takes longer (ipvsadm hung) is not waited for: the last counts
   * known (or none) answer now, and the read goes on for the next caller.
   */
  get(waitMs?: number): Promise<Counts> {
    if (!this.read) return Promise.resolve(new Map());
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.counts);
    const reading = this.fetch();
    if (waitMs === undefined) return reading;
    let timer: NodeJS.Timeout | undefined;
    const known = new Promise<Counts>((resolve) => {
      timer = setTimeout(() => resolve(this.last?.counts ?? new Map()), waitMs);
    });
    return Promise.race([reading, known]).finally(() => clearTimeout(timer));
  }

  private fetch(): Promise<Counts> {
    const read = this.read!;
    this.pending ??= read()
      .catch((): Counts => new Map())
      .then((counts) => {
        this.last = { at: this.now(), counts };
        return counts;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }
}
