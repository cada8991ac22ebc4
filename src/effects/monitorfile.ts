// monitorfile=: one line per check result, in exactly ldirectord's format, so the
// scripts and dashboards that read these files keep working:
//
//   [Mon Nov 23 09:18:03 2026] [1234] negotiate http tcp 10.0.0.2 80 1 gate /index.html ok [down] timeout
//
// ldirectord dies when a write fails; ldirector logs the error and keeps directing.

import { type FileHandle, open } from "node:fs/promises";
import type { Logger } from "pino";
import type { RealServer, VirtualService } from "../config/types.js";

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Perl's `scalar localtime`: "Mon Nov  3 09:18:03 2026" (day of month padded with a space). */
export function perlLocaltime(date: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return (
    `${DAYS[date.getDay()]} ${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ` +
    `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())} ${date.getFullYear()}`
  );
}

/**
 * `[<localtime>] [<pid>] <real id> [up|down] <reason>\n` as ldirectord's service_set
 * writes it: in the real id, runs of ':' become one space and backslashes (from its
 * quotemeta) are dropped; in the reason, %, |, CR and LF become %25, %7c, %0d, %0a;
 * no reason is "-".
 */
export function formatMonitorLine(
  date: Date,
  pid: number,
  realIdText: string,
  up: boolean,
  reason: string | undefined,
): string {
  const real = realIdText.replace(/:+/g, " ").replace(/\\/g, "");
  const why = (reason ?? "-").replace(
    /[%|\r\n]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return `[${perlLocaltime(date)}] [${pid}] ${real} [${up ? "up" : "down"}] ${why}\n`;
}

/**
 * ldirectord's real id (get_real_id_str):
 * `check:protocol:server:port:virtualhost:checkport:weight:forward:request:receive`,
 * where check is `negotiate:<service>`, `combined:<service>`, `external:<command>` or
 * the check type, and IPv6 servers are in brackets.
 * ldirectord prints checkport only when `checkport=` was written; the Config keeps the
 * resolved check port, so here it is printed when it differs from the real's port.
 */
export function ldirectordRealId(v: VirtualService, r: RealServer): string {
  const spec = r.check;
  const check =
    spec.type === "negotiate" || spec.type === "combined"
      ? `${spec.type}:${spec.service}`
      : spec.type === "external"
        ? `${spec.perl ? "external-perl" : "external"}:${spec.command}`
        : spec.type;
  const server = r.family === "inet6" ? `[${r.address}]` : r.address;
  const checkPort = spec.port !== 0 && spec.port !== r.port ? String(spec.port) : "";
  return [
    check,
    v.protocol,
    server,
    r.port,
    spec.virtualHost ?? "",
    checkPort,
    r.weight,
    r.forward,
    spec.request,
    spec.receive,
  ].join(":");
}

export interface MonitorFilesOptions {
  logger?: Logger;
  /** The pid written in every line; the daemon's own by default. */
  pid?: number;
}

/**
 * The monitor files of all virtuals. Each file is opened once (several virtuals may
 * share one) and appended to; reopen() lets logrotate move them. Writes to one file
 * are kept in order; none of them ever throws.
 */
export class MonitorFiles {
  private readonly handles = new Map<string, Promise<FileHandle | undefined>>();
  private readonly pending = new Map<string, Promise<void>>();
  private readonly logger: Logger | undefined;
  private readonly pid: number;

  constructor(options: MonitorFilesOptions = {}) {
    this.logger = options.logger;
    this.pid = options.pid ?? process.pid;
  }

  /** Appends a check result to v's monitorfile, if it has one. Never throws; see flush(). */
  record(v: VirtualService, realIdText: string, up: boolean, reason: string | undefined, now: Date): void {
    if (!v.monitorFile) return;
    this.append(v.monitorFile, formatMonitorLine(now, this.pid, realIdText, up, reason));
  }

  /** Appends a ready line to a file, after the lines already queued for it. */
  append(path: string, line: string): void {
    const previous = this.pending.get(path) ?? Promise.resolve();
    const next = previous.then(() => this.write(path, line));
    this.pending.set(path, next);
    void next.then(() => {
      if (this.pending.get(path) === next) this.pending.delete(path);
    });
  }

  /** Resolves when every line queued so far has been written (or its error logged). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending.values()]);
  }

  /** Closes every file after the queued lines; the next line opens the file anew. */
  async reopen(): Promise<void> {
    await this.flush();
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map(async (h) => (await h)?.close().catch(() => {})));
  }

  close(): Promise<void> {
    return this.reopen();
  }

  private async write(path: string, line: string): Promise<void> {
    try {
      let handle = this.handles.get(path);
      if (!handle) {
        handle = open(path, "a").catch((err: Error) => {
          this.handles.delete(path);
          throw err;
        });
        this.handles.set(path, handle);
      }
      const fh = await handle;
      await fh?.appendFile(line);
    } catch (err) {
      this.logger?.error({ file: path, err: (err as Error).message }, "cannot write to monitorfile");
    }
  }
}
