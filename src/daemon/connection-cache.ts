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

  /** The counts, at most maxAgeMs old; empty when the backend cannot tell or the read fails. */
  get(): Promise<Counts> {
    if (!this.read) return Promise.resolve(new Map());
    if (this.last && this.now() - this.last.at < this.maxAgeMs) return Promise.resolve(this.last.counts);
    this.pending ??= this.read()
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
