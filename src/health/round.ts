// From a Config to probes: the monitor's ProbeSpecs, and one concurrent round of every
// real's check for `ldirector probe`.
import type { CheckKind } from "../checks/registry.js";
import { runCheck } from "../checks/run.js";
import type { CheckResult, CheckTarget } from "../checks/types.js";
import type { CheckSpec, Config, RealServer, VirtualService } from "../config/types.js";
import { DEFAULT_CONCURRENCY, type ProbeSpec, type RunCheck } from "./monitor.js";

export interface ProbeRow {
  /** The virtual's id, e.g. `tcp:10.0.0.1:80`. */
  virtual: string;
  /** `addr:port` of the real (IPv6 in brackets). */
  real: string;
  /** What ran: `negotiate/http`, `connect`, `ping`, `external`, `on`, `off`. */
  check: string;
  ok: boolean;
  reason: string;
  latencyMs: number;
}

export interface ProbeRoundOptions {
  run?: RunCheck;
  concurrency?: number;
}

/** Where the check of real `r` of virtual `v` goes. */
export function targetOf(v: VirtualService, r: RealServer): CheckTarget {
  return {
    address: r.address,
    family: r.family,
    port: r.check.port,
    realPort: r.port,
    virtual: {
      protocol: v.protocol,
      ...(v.address !== undefined ? { address: v.address } : {}),
      port: v.port,
      ...(v.fwmark !== undefined ? { fwmark: v.fwmark } : {}),
    },
  };
}

/** One probe per (virtual, real), in config order; `realIdOf` is the director's id for the pair. */
export function probesFor(
  config: Config,
  realIdOf: (v: VirtualService, r: RealServer) => string,
): ProbeSpec[] {
  return config.virtuals.flatMap((v) =>
    v.reals.map((r) => ({
      id: realIdOf(v, r),
      target: targetOf(v, r),
      spec: r.check,
      intervalMs: v.checkInterval * 1000,
      failureCount: v.failureCount,
    })),
  );
}

/**
 * The kind a one-off check of `spec` runs; undefined for on/off, which run nothing.
 * checktype=N runs its negotiate: the stronger check, and the one a fresh probe starts with.
 */
export function roundKind(spec: CheckSpec): CheckKind | undefined {
  switch (spec.type) {
    case "on":
    case "off":
      return undefined;
    case "combined":
      return "negotiate";
    default:
      return spec.type;
  }
}

export function checkLabel(spec: CheckSpec): string {
  const kind = roundKind(spec);
  if (kind === undefined) return spec.type;
  return kind === "negotiate" ? `negotiate/${spec.service}` : kind;
}

/** Runs every real's check once, all at once up to `concurrency`; rows in config order. Never throws. */
export async function probeRound(config: Config, opts: ProbeRoundOptions = {}): Promise<ProbeRow[]> {
  const run = opts.run ?? runCheck;
  const jobs = config.virtuals.flatMap((v) => v.reals.map((r) => ({ v, r })));
  const rows: ProbeRow[] = new Array(jobs.length);
  let nextJob = 0;
  const worker = async () => {
    while (nextJob < jobs.length) {
      const i = nextJob++;
      const { v, r } = jobs[i]!;
      rows[i] = {
        virtual: v.id,
        real: hostPort(r.address, r.port),
        check: checkLabel(r.check),
        ...(await once(run, v, r)),
      };
    }
  };
  const width = Math.max(1, Math.min(jobs.length, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY) || 1));
  await Promise.all(Array.from({ length: width }, worker));
  return rows;
}

async function once(run: RunCheck, v: VirtualService, r: RealServer): Promise<CheckResult> {
  const kind = roundKind(r.check);
  if (kind === undefined) {
    return { ok: r.check.type === "on", reason: `checktype ${r.check.type}: not checked`, latencyMs: 0 };
  }
  try {
    const { ok, reason, latencyMs } = await run(targetOf(v, r), r.check, { kind });
    return { ok, reason, latencyMs };
  } catch (error) {
    // runCheck never throws; an injected run might.
    return {
      ok: false,
      reason: `check error: ${error instanceof Error ? error.message : String(error)}`,
      latencyMs: 0,
    };
  }
}

const HEADERS = ["VIRTUAL", "REAL", "CHECK", "STATE", "REASON", "LATENCY"] as const;

/** An aligned table, one line per row, no trailing newline. */
export function formatProbeTable(rows: ProbeRow[]): string {
  const cells = rows.map((r) => [
    r.virtual,
    r.real,
    r.check,
    r.ok ? "up" : "down",
    oneLine(r.reason),
    `${r.latencyMs.toFixed(1)} ms`,
  ]);
  const table = [[...HEADERS], ...cells];
  const widths = HEADERS.map((_, c) => Math.max(...table.map((line) => line[c]!.length)));
  return table
    .map((line) =>
      line
        .map((cell, c) => (c === line.length - 1 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
        .join("  "),
    )
    .join("\n");
}

/** Reasons come from the network: keep each on one line and free of control characters. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
}

function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}
