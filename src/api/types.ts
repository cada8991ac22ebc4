// The status model that the control socket, `ldirector status --json`, the web status
// page and the metrics all read. One shape for all of them, so what an operator sees in
// one place is what the others show. Times are milliseconds since the epoch.
import type { Override } from "../control/override.js";
import type { RoleView } from "../control/role.js";
import type { WindowView } from "../control/window.js";
import type { Health } from "../health/types.js";

export interface LastCheckView {
  ok: boolean;
  reason: string;
  latencyMs: number;
  at: number;
  /** Set when the result came too late to judge (ldirector overloaded); health was left as it was. */
  inconclusive?: boolean;
}

export interface RealView {
  /** The realId: `tcp:10.0.0.1:80/10.0.0.2:80`. */
  id: string;
  /** `address:port` as configured, IPv6 in brackets. */
  address: string;
  health: Health;
  /** When health last changed (or when the real was first seen); absent before the first check. */
  since?: number;
  configuredWeight: number;
  /** The dest's weight in the kernel table as last read back; absent = not in the table. */
  tableWeight?: number;
  /** The operator's setting in force (drained, disabled, weighted), kept across restarts. */
  override?: Override;
  /** A file in maintenancedir forces it down. */
  maintenance: boolean;
  lastCheck?: LastCheckView;
  consecutiveFailures: number;
  checks: number;
  /** Health changes since the daemon started. */
  transitions: number;
  /** Connections through this dest, where the backend can tell (ipvsadm -L, conntrack). */
  connections?: { active: number; inactive: number };
}

export interface VirtualView {
  /** `tcp:10.0.0.1:80`, `fwm:5`, `udp6:[2001:db8::1]:53`. */
  id: string;
  /** Reals whose health is up. */
  healthy: number;
  /** The fallback server is in the table (no real is healthy). */
  fallbackActive: boolean;
  reals: RealView[];
}

export interface TransitionView {
  at: number;
  virtual: string;
  real: string;
  /** The realId, to match RealView.id. */
  id: string;
  from: Health;
  to: Health;
  reason: string;
}

export interface DirectorCountersView {
  /** Bumped by every config that took effect (1 = the one loaded at start). */
  configGeneration: number;
  reloads: number;
  reloadErrors: number;
  /** Worker threads that run the checks (0: all on the main thread), how many are up, and how many died. */
  checkWorkers: number;
  checkWorkersUp: number;
  checkWorkerExits: number;
  /** Batches written to the kernel table (one exec each for ipvsadm and nftables). */
  kernelWrites: number;
  /** Batches that failed as a whole or in part. */
  kernelWriteErrors: number;
  opsApplied: number;
  opsFailed: number;
  /** Kernel changes made because a resync found the table differing from what ldirector had written. */
  resyncRepairs: number;
  lastError?: string;
}

export interface StatusView {
  state: "starting" | "running" | "reloading" | "stopping" | "stopped";
  pid: number;
  config: string;
  backend: string;
  startedAt: number;
  /** The web page shows drain/enable buttons only when this is on (webcontrol=yes). */
  webControl: boolean;
  counters: DirectorCountersView;
  virtuals: VirtualView[];
  /** The most recent health changes, newest first (at most 100). */
  transitions: TransitionView[];
  /** Scheduled maintenance windows: open now (until when), or their next opening. */
  windows: WindowView[];
  /** What the pair's VRRP last said this director is (`ldirector role`); "unknown" until told. */
  role: RoleView;
  /** The IPVS connection sync daemons (syncdaemon=), as last read back. */
  syncDaemons: SyncDaemonStatus[];
}

export interface SyncDaemonStatus {
  role: "master" | "backup";
  interface: string;
  syncId: number;
  /** Started by this process (stopped at a clean stop); false: found running and adopted. */
  startedHere: boolean;
}
