// An IPVS table kept in memory, enforcing what the kernel (and ipvsadm in front of it)
// enforces, with ipvsadm's words for each refusal. For dry runs, the demo and tests; the
// nftables backend uses applyOps to keep its own model of the table.

import type { Applied, Backend } from "./backend.js";
import { normalizeTable } from "./diff.js";
import type { Dest, Service, Table } from "./model.js";
import { destKey, serviceKey } from "./model.js";
import {
  familyOf,
  KNOWN_PERSISTENCE_ENGINES,
  KNOWN_SCHEDULERS,
  normalizeDest,
  normalizeSpec,
  schedFlagBit,
} from "./normalize.js";
import type { Op, OpFailure, ServiceSpec } from "./ops.js";
import { sortTable } from "./ipvsadm-text.js";
import type { SyncChange, SyncDaemon, SyncDaemonRole } from "./sync-daemon.js";

export function cloneTable(table: Table): Table {
  return {
    services: table.services.map((s) => ({
      ...s,
      schedFlags: [...s.schedFlags],
      dests: s.dests.map((d) => ({ ...d })),
    })),
  };
}

/** What ipvsadm itself refuses before asking the kernel (it exits 2 with these words). */
function ipvsadmServiceError(s: ServiceSpec): string | undefined {
  // ipvsadm reads -f with strtoul into a u32 and refuses 0.
  if (s.protocol === "fwmark" && !(Number.isInteger(s.fwmark) && s.fwmark! >= 1 && s.fwmark! <= 0xffffffff)) {
    return `invalid fwmark value \`${s.fwmark}' specified`;
  }
  if (s.protocol !== "fwmark" && s.port === 0 && s.persistence === undefined) {
    return "Zero port specified for non-persistent service";
  }
  if (s.ops && s.protocol !== "fwmark" && s.protocol !== "udp") {
    return "One-Packet Scheduling is only for UDP virtual services";
  }
  for (const flag of s.schedFlags) {
    const bit = schedFlagBit(flag);
    if (bit === undefined) return `invalid scheduler flag \`${flag}'`;
    const prefix = flag.split("-")[0];
    if ((prefix === "sh" || prefix === "mh") && s.scheduler !== prefix)
      return `incompatible scheduler flag \`${flag}'`;
  }
  if (s.persistence !== undefined && (s.persistence < 1 || s.persistence > 86400 * 31)) {
    return `invalid timeout value \`${s.persistence}' specified`;
  }
  return undefined;
}

function kernelServiceError(s: ServiceSpec): string | undefined {
  if (!KNOWN_SCHEDULERS.has(s.scheduler)) return "Scheduler or persistence engine not found";
  if (s.persistenceEngine && !KNOWN_PERSISTENCE_ENGINES.has(s.persistenceEngine)) {
    return "Scheduler or persistence engine not found";
  }
  return undefined;
}

function destError(service: ServiceSpec, d: Dest): string | undefined {
  // ipvsadm 1.31 takes weights up to INT_MAX (a real kernel keeps 2147483647).
  if (!Number.isInteger(d.weight) || d.weight < 0 || d.weight > 2147483647) return "illegal weight specified";
  if (familyOf(d.address) !== service.family && d.forward !== "tunnel") {
    return "Different address family is allowed only for tunneling servers";
  }
  return undefined;
}

/** Apply ops in order as the kernel would; refused ops leave the table as it was. */
export function applyOps(table: Table, ops: Op[]): { table: Table; failed: OpFailure[] } {
  const services = new Map<string, Service>();
  for (const s of normalizeTable(table).services) services.set(serviceKey(s), s);
  // Each service's dests by key, made when an op first touches the service: a batch of
  // 10,000 adds to one service is then linear, not 10,000 scans of a growing list.
  const destsOf = new Map<string, Map<string, Dest>>();
  const dests = (key: string, service: Service): Map<string, Dest> => {
    let m = destsOf.get(key);
    if (!m) {
      m = new Map(service.dests.map((d) => [destKey(d), d]));
      destsOf.set(key, m);
    }
    return m;
  };
  const failed: OpFailure[] = [];

  for (const op of ops) {
    const spec = normalizeSpec(op.service);
    const key = serviceKey(spec);
    const current = services.get(key);
    const refuse = (error: string): void => {
      failed.push({ op, error });
    };
    switch (op.kind) {
      case "add-service":
      case "edit-service": {
        // Flags are checked as written: normalizing would rename sh-port under wlc to flag-2.
        const error =
          ipvsadmServiceError({ ...spec, schedFlags: op.service.schedFlags }) ?? kernelServiceError(spec);
        if (op.kind === "add-service" && current) refuse("Service already exists");
        else if (op.kind === "edit-service" && !current) refuse("No such service");
        else if (error) refuse(error);
        else services.set(key, { ...spec, dests: current?.dests ?? [] });
        break;
      }
      case "delete-service":
        if (!current) refuse("No such service");
        else {
          services.delete(key);
          destsOf.delete(key);
        }
        break;
      case "add-dest":
      case "edit-dest":
      case "delete-dest": {
        const dest = normalizeDest(spec, op.dest);
        const error = op.kind === "delete-dest" ? undefined : destError(spec, dest);
        if (error) {
          refuse(error);
          break;
        }
        if (!current) {
          refuse("Service not defined");
          break;
        }
        // The kernel compares the two thresholds as they are, 0 included: ERANGE.
        if (op.kind !== "delete-dest" && dest.lowerThreshold > dest.upperThreshold) {
          refuse("Numerical result out of range");
          break;
        }
        const byKey = dests(key, current);
        const dk = destKey(dest);
        const existing = byKey.get(dk);
        if (op.kind === "add-dest") {
          if (existing) refuse("Destination already exists");
          else byKey.set(dk, dest);
        } else if (!existing) {
          refuse("No such destination");
        } else if (op.kind === "edit-dest") {
          byKey.set(dk, { ...existing, ...dest });
        } else {
          byKey.delete(dk);
        }
        break;
      }
    }
  }
  const result = [...services.entries()].map(([key, service]) => {
    const byKey = destsOf.get(key);
    return byKey ? { ...service, dests: [...byKey.values()] } : service;
  });
  return { table: sortTable({ services: result }), failed };
}

/** A Backend whose kernel is a Table in memory. */
export class MemoryBackend implements Backend {
  readonly name = "memory";
  private table: Table;

  constructor(initial: Table = { services: [] }) {
    this.table = sortTable(cloneTable(initial));
  }

  async read(): Promise<Table> {
    return cloneTable(this.table);
  }

  /** Sync daemons as the kernel keeps them: one per role; any interface name is taken. */
  private daemons: SyncDaemon[] = [];

  async syncDaemons(): Promise<SyncDaemon[]> {
    return this.daemons.map((d) => ({ ...d }));
  }

  async changeSyncDaemons(stop: SyncDaemonRole[], start: SyncDaemon[]): Promise<SyncChange> {
    const errors: string[] = [];
    for (const role of stop) {
      if (!this.daemons.some((d) => d.role === role))
        errors.push(`--stop-daemon ${role}: No daemon is running`);
      this.daemons = this.daemons.filter((d) => d.role !== role);
    }
    for (const d of start) {
      if (this.daemons.some((x) => x.role === d.role))
        errors.push(`--start-daemon ${d.role}: Daemon has already run`);
      else this.daemons.push({ ...d });
    }
    return { daemons: await this.syncDaemons(), errors };
  }

  async apply(ops: Op[]): Promise<Applied> {
    const { table, failed } = applyOps(this.table, ops);
    this.table = table;
    return { table: cloneTable(table), failed, execs: 0 };
  }
}
