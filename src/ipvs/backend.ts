import type { Table } from "./model.js";
import type { ConnCounts } from "./conntrack.js";
import type { Op, OpFailure } from "./ops.js";
import type { SyncChange, SyncDaemon, SyncDaemonRole } from "./sync-daemon.js";

export interface Applied {
  /** The table as read back after the write: the truth, whatever the write claimed. */
  table: Table;
  /** Ops that did not take effect (per the re-read, or per the backend's own errors). */
  failed: OpFailure[];
  /** Processes spawned for this batch (ipvsadm, nft): the cost the design keeps at O(1). */
  execs: number;
}

/** Where a table lives: the kernel through ipvsadm, nftables, or memory. */
export interface Backend {
  readonly name: string;
  /** The whole current table. */
  read(): Promise<Table>;
  /** Apply one batch, in order, then verify by reading back. Never throws for refused ops; throws BackendError when it cannot run at all. */
  apply(ops: Op[]): Promise<Applied>;
  /**
   * Active and inactive connections per (service, dest), keyed by conntrack.ts's connKey,
   * where the backend can tell; called for `status` only, never on the write path.
   */
  connections?(): Promise<Map<string, ConnCounts>>;
  /** The connection sync daemons running now; absent where the backend has none (nftables). */
  syncDaemons?(): Promise<SyncDaemon[]>;
  /**
   * Stops `stop`, then starts `start`, in one write, and reads the daemons back. A refused
   * line is in `errors`, not thrown; throws BackendError when it cannot run at all.
   */
  changeSyncDaemons?(stop: SyncDaemonRole[], start: SyncDaemon[]): Promise<SyncChange>;
}

/** The backend itself is unusable (no IPVS in the kernel, binary missing, permission denied). */
export class BackendError extends Error {
  override readonly name = "BackendError";
}
