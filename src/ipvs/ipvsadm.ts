// The kernel's table through ipvsadm. A batch costs one exec: `ipvsadm -R` reads the op
// lines and, in the same process, the read-back (`-S -n` and `-L -n --thresholds`, since -S
// leaves thresholds out). -R is not atomic: a kernel refusal prints and goes on, a usage
// error stops the batch where it is. So each op line is followed by a marker line that
// ipvsadm rejects harmlessly ("--ldirector-mark-N: unknown option", no kernel call), which
// tells exactly which op printed which error, and where a stopped batch stopped. What
// counts is the read-back: an op is failed when its effect is not in the table.

import { accessSync, constants } from "node:fs";
import { type Applied, type Backend, BackendError } from "./backend.js";
import { normalizeTable } from "./diff.js";
import type { Table, TableIndex } from "./model.js";
import { destKey, indexTable, serviceKey } from "./model.js";
import { normalizeDest, normalizeSpec, sameDest, sameSpec, specOf } from "./normalize.js";
import type { Op, OpFailure } from "./ops.js";
import { formatOp, parseList, parseSave, parseThresholds, withThresholds } from "./ipvsadm-text.js";
import { type ConnCounts, connKey } from "./conntrack.js";
import { runProcess } from "../lib/process.js";
import {
  parseDaemons,
  startDaemonLine,
  stopDaemonLine,
  type SyncChange,
  type SyncDaemon,
  type SyncDaemonRole,
} from "./sync-daemon.js";

export const NO_IPVS_MESSAGE =
  "this kernel has no IPVS (ipvsadm: Protocol not available); use --backend nftables or --backend memory";

export const DEFAULT_IPVSADM_PATHS = ["/sbin/ipvsadm", "/usr/sbin/ipvsadm"] as const;

const MARK_PREFIX = "--ldirector-mark-";
const LIST_HEADER = "IP Virtual Server version";
const READ_LINES = ["-S -n", "-L -n --thresholds"];
/** ipvsadm's output is read whole (a table of thousands of services is a few MB); this only stops a runaway. */
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export interface IpvsadmOptions {
  /** The ipvsadm binary; default: the first of /sbin/ipvsadm, /usr/sbin/ipvsadm that exists. */
  path?: string;
  /** Stop ipvsadm (its whole process group) after this long. Default 10 s. */
  timeoutMs?: number;
  /** Environment for ipvsadm; default: this process's. */
  env?: NodeJS.ProcessEnv;
}

/** The first default path that is executable, else the first default (for the error message). */
export function defaultIpvsadmPath(): string {
  for (const p of DEFAULT_IPVSADM_PATHS) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // try the next one
    }
  }
  return DEFAULT_IPVSADM_PATHS[0];
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The -R stdin for a batch: each op line followed by its marker, then the read-back. */
export function restoreScript(ops: readonly Op[]): string {
  return markedScript(ops.map(formatOp), READ_LINES);
}

/** Each line followed by its marker (splitErrors finds each line's error by it), then `tail`. */
function markedScript(lines: readonly string[], tail: readonly string[]): string {
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line, `-L ${MARK_PREFIX}${i}`);
  });
  out.push(...tail);
  return `${out.join("\n")}\n`;
}

/** Per op: what ipvsadm printed for it; and the index of the op it stopped at, if it did. */
function splitErrors(stderr: string, count: number): { errors: string[]; stoppedAt?: number } {
  const errors = new Array<string>(count).fill("");
  let index = 0;
  let pending: string[] = [];
  const markLine = new RegExp(`^${MARK_PREFIX}(\\d+): unknown option$`);
  for (const line of stderr.split("\n")) {
    const m = markLine.exec(line);
    if (m) {
      const i = Number(m[1]);
      if (i < count) errors[i] = pending.join("\n").trim();
      pending = [];
      index = i + 1;
    } else if (line.trim() !== "") {
      pending.push(line);
    }
  }
  if (index < count) {
    errors[index] = pending.join("\n").trim();
    return { errors, stoppedAt: index };
  }
  return { errors };
}

/** Whether the table shows the op's effect. */
export function opVisible(op: Op, table: Table): boolean {
  return opVisibleIn(op, indexTable(normalizeTable(table)));
}

/** The same, against a read-back normalized and indexed once per batch (10,000 ops stay linear). */
export function opVisibleIn(op: Op, index: TableIndex): boolean {
  const spec = normalizeSpec(op.service);
  const entry = index.get(serviceKey(spec));
  switch (op.kind) {
    case "add-service":
    case "edit-service":
      return entry !== undefined && sameSpec(spec, specOf(entry.service));
    case "delete-service":
      return entry === undefined;
    case "add-dest":
    case "edit-dest": {
      const want = normalizeDest(spec, op.dest);
      const have = entry?.dests.get(destKey(want));
      return have !== undefined && sameDest(want, have);
    }
    case "delete-dest":
      return entry === undefined || !entry.dests.has(destKey(normalizeDest(spec, op.dest)));
  }
}

export class IpvsadmBackend implements Backend {
  readonly name = "ipvsadm";
  readonly path: string;
  private readonly timeoutMs: number;
  private readonly pathGiven: boolean;
  private readonly env: NodeJS.ProcessEnv | undefined;

  constructor(options: IpvsadmOptions = {}) {
    this.pathGiven = options.path !== undefined;
    this.path = options.path ?? defaultIpvsadmPath();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.env = options.env;
  }

  async read(): Promise<Table> {
    const result = await this.run(["-R"], `${READ_LINES.join("\n")}\n`);
    const table = this.readBack(result.stdout);
    if (!table) throw new BackendError(`${this.path} -R did not list the table: ${firstLine(result.stderr)}`);
    return table;
  }

  /** ActiveConn / InActConn from `ipvsadm -L -n`: for `status`, never on the write path. */
  async connections(): Promise<Map<string, ConnCounts>> {
    const result = await this.run(["-L", "-n"], "");
    const counts = new Map<string, ConnCounts>();
    if (result.code !== 0) return counts;
    for (const s of parseList(result.stdout).services) {
      const proto = s.protocol === "fwmark" ? "fwmark" : s.protocol;
      const vip = s.protocol === "fwmark" ? String(s.fwmark) : s.address!;
      for (const d of s.dests) {
        counts.set(connKey(proto, vip, s.port, d.address, d.port), {
          active: d.activeConns ?? 0,
          inactive: d.inactiveConns ?? 0,
        });
      }
    }
    return counts;
  }

  async syncDaemons(): Promise<SyncDaemon[]> {
    return parseDaemons((await this.run(["-L", "--daemon"], "")).stdout);
  }

  /** One -R: each stop and start line with its marker (as apply's ops), then `-L --daemon`. */
  async changeSyncDaemons(stop: SyncDaemonRole[], start: SyncDaemon[]): Promise<SyncChange> {
    const lines = [...stop.map(stopDaemonLine), ...start.map(startDaemonLine)];
    const result = await this.run(["-R"], markedScript(lines, ["-L --daemon"]));
    const { errors, stoppedAt } = splitErrors(result.stderr, lines.length);
    // A usage error ends the batch before its read-back: read again.
    const daemons = stoppedAt === undefined ? parseDaemons(result.stdout) : await this.syncDaemons();
    return { daemons, errors: errors.map((e, i) => (e ? `${lines[i]}: ${e}` : "")).filter(Boolean) };
  }

  async apply(ops: Op[]): Promise<Applied> {
    if (ops.length === 0) return { table: await this.read(), failed: [], execs: 1 };
    const result = await this.run(["-R"], restoreScript(ops));
    let execs = 1;
    let table = this.readBack(result.stdout);
    if (!table) {
      // A usage error stopped the batch before the read-back lines.
      table = await this.read();
      execs++;
    }
    const { errors, stoppedAt } = splitErrors(result.stderr, ops.length);
    const failed: OpFailure[] = [];
    const index = indexTable(normalizeTable(table));
    ops.forEach((op, i) => {
      if (opVisibleIn(op, index)) return;
      let error = errors[i] || "not in the table read back after the write";
      if (stoppedAt !== undefined && i > stoppedAt) {
        error = `not run: ipvsadm -R stopped at an earlier line (${errors[stoppedAt] || "no reason given"})`;
      }
      failed.push({ op, error });
    });
    return { table, failed, execs };
  }

  /** The table from the -S and --thresholds parts of ipvsadm's output; undefined if they are missing. */
  private readBack(stdout: string): Table | undefined {
    const at = stdout.indexOf(LIST_HEADER);
    if (at < 0) return undefined;
    const save = stdout.slice(0, at);
    const list = stdout.slice(at);
    return withThresholds(parseSave(save), parseThresholds(list));
  }

  private async run(args: string[], input: string): Promise<RunResult> {
    const r = await runProcess([this.path, ...args], {
      input,
      timeoutMs: this.timeoutMs,
      env: this.env ?? process.env,
      maxOutputBytes: MAX_OUTPUT_BYTES,
    });
    if (r.ended === "spawn-error") throw this.spawnError(r.error);
    if (r.ended !== "exit")
      throw new BackendError(`${this.path} did not finish within ${this.timeoutMs} ms and was stopped`);
    // A cut-off listing would read as a table with services missing, and the director would re-add them.
    if (r.truncated) throw new BackendError(`${this.path} printed more than ${MAX_OUTPUT_BYTES} bytes`);
    const unusable = unusableReason(r.code, r.stderr, this.path);
    if (unusable) throw new BackendError(unusable);
    return { code: r.code, stdout: r.stdout, stderr: r.stderr };
  }

  private spawnError(err: { code: string; message: string } | undefined): BackendError {
    const how = "name it with --ipvsadm PATH or the ipvsadm= directive";
    if (err?.code === "ENOENT") {
      const where = this.pathGiven ? this.path : DEFAULT_IPVSADM_PATHS.join(" or ");
      return new BackendError(`ipvsadm not found at ${where}: install ipvsadm, or ${how}`);
    }
    if (err?.code === "EACCES")
      return new BackendError(`${this.path} is not executable: fix its mode, or ${how}`);
    return new BackendError(`cannot run ${this.path}: ${err?.message ?? "unknown error"}`);
  }
}

function firstLine(text: string): string {
  return text.split("\n").find((l) => l.trim() !== "") ?? "no output";
}

/** A reason the backend cannot work at all (as opposed to an op the kernel refused). */
function unusableReason(code: number | null, stderr: string, path: string): string | undefined {
  const init = /Can't initialize ipvs: (.*)/.exec(stderr);
  if (init) {
    if (init[1]!.includes("Protocol not available")) return NO_IPVS_MESSAGE;
    return `ipvsadm cannot reach IPVS (${init[1]!.trim()}) running ${path}`;
  }
  if (
    stderr.includes("Permission denied (you must be root)") &&
    code !== 0 &&
    !stderr.includes(MARK_PREFIX)
  ) {
    return `${path}: Permission denied (you must be root); run ldirector as root`;
  }
  return undefined;
}

/** Run one read to learn at start whether ipvsadm works at all; throws BackendError if not. */
export async function probeIpvsadm(path?: string, env?: NodeJS.ProcessEnv): Promise<Table> {
  return new IpvsadmBackend({ ...(path === undefined ? {} : { path }), ...(env ? { env } : {}) }).read();
}
