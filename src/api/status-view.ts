// The StatusView (api/types.ts) from the parts that know each piece: the director (table
// and overrides), the monitor (checks), the backend (connections) and the daemon
// (life cycle, reload counters, transitions). Pure: plain values in, plain values out.
import type {
  DirectorCountersView,
  RealView,
  StatusView,
  SyncDaemonStatus,
  TransitionView,
  VirtualView,
} from "../api/types.js";
import type { Override } from "../control/override.js";
import type { RoleView } from "../control/role.js";
import type { WindowView } from "../control/window.js";
import type { DirectorStatus } from "../director/director.js";
import type { ProbeStatus } from "../health/monitor.js";
import type { ConnCounts } from "../ipvs/conntrack.js";

export interface StatusParts {
  state: StatusView["state"];
  pid: number;
  config: string;
  backend: string;
  startedAt: number;
  webControl: boolean;
  director: DirectorStatus;
  probes: readonly ProbeStatus[];
  connections: Readonly<Record<string, ConnCounts>>;
  overrides: ReadonlyMap<string, Override>;
  windows: WindowView[];
  transitions: TransitionView[];
  /** The daemon's own counters; the director's are read from `director`. */
  daemon: Pick<
    DirectorCountersView,
    "configGeneration" | "reloads" | "reloadErrors" | "checkWorkers" | "checkWorkersUp" | "checkWorkerExits"
  >;
  role: RoleView;
  syncDaemons: SyncDaemonStatus[];
}

export function statusView(p: StatusParts): StatusView {
  const probes = new Map(p.probes.map((x) => [x.id, x]));
  const c = p.director.counters;
  const counters: DirectorCountersView = {
    ...p.daemon,
    kernelWrites: c.batches,
    kernelWriteErrors: c.batchesFailed,
    opsApplied: c.opsApplied,
    opsFailed: c.opsFailed,
    resyncRepairs: c.resyncRepairs,
    ...(c.lastError !== undefined ? { lastError: c.lastError } : {}),
  };
  const virtuals: VirtualView[] = p.director.virtuals.map((v) => {
    const reals: RealView[] = v.reals.map((r) => {
      const probe = probes.get(r.id);
      const override = p.overrides.get(r.id);
      const conns = p.connections[r.id];
      const last = probe?.lastResult;
      return {
        id: r.id,
        address: r.address,
        health: r.health,
        ...(probe?.since !== undefined ? { since: probe.since } : {}),
        configuredWeight: r.configuredWeight,
        ...(r.tableWeight !== undefined ? { tableWeight: r.tableWeight } : {}),
        ...(override ? { override: { ...override } } : {}),
        maintenance: r.maintenance,
        ...(last && probe?.lastCheckAt !== undefined
          ? {
              lastCheck: {
                ok: last.ok,
                reason: last.reason,
                latencyMs: last.latencyMs,
                at: probe.lastCheckAt,
                ...(last.inconclusive ? { inconclusive: true } : {}),
              },
            }
          : {}),
        consecutiveFailures: probe?.consecutiveFailures ?? 0,
        checks: probe?.checks ?? 0,
        transitions: probe?.transitions ?? 0,
        ...(conns ? { connections: { active: conns.active, inactive: conns.inactive } } : {}),
      };
    });
    return {
      id: v.id,
      healthy: reals.filter((r) => r.health === "up").length,
      fallbackActive: v.fallbackActive,
      reals,
    };
  });
  return {
    state: p.state,
    pid: p.pid,
    config: p.config,
    backend: p.backend,
    startedAt: p.startedAt,
    webControl: p.webControl,
    counters,
    virtuals,
    transitions: p.transitions,
    windows: p.windows,
    role: p.role,
    syncDaemons: p.syncDaemons,
  };
}
