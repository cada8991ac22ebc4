// The daemon's logger: pino, wired to where ldirectord's `logfile=` says logs go.
//
//   stdout (default)  JSON lines on stdout; under systemd, journald stores them.
//   pretty (-d)       human-readable lines on stderr (ldirectord -d also logs to stderr),
//                     whatever logfile= says. pino-pretty runs as an in-process stream,
//                     not a worker transport: a bundled CLI has no worker file to load,
//                     and nothing is left running at exit.
//   a file path       JSON lines appended to the file; reopen() after logrotate moved it.
//   a facility        syslog through /dev/log with that facility and ident "ldirector".
//
// Syslog: /dev/log is a unix *datagram* socket and Node cannot open one, so the lines
// go through util-linux `logger` as a child process reading stdin. `--prio-prefix` lets
// each line carry its own severity (<PRI> = facility * 8 + severity), so warnings and
// errors keep their level in syslog. When /dev/log (or `logger`) is missing, logs go to
// stdout as JSON with a warning: losing the logs is worse than logging to the journal.

import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { createRequire } from "node:module";
import pino, { type DestinationStream, type Logger } from "pino";
import type PinoPretty from "pino-pretty";
import type { LogTarget } from "../config/types.js";
import { type Prepared, unchanged } from "./prepared.js";

export interface LoggerOptions {
  target: LogTarget | "stdout";
  /** -d: readable lines on stderr instead of JSON (the target is then ignored, as ldirectord -d does). */
  pretty: boolean;
  /** Bound into every line as `name`, e.g. the config file's base name. */
  name: string;
  level?: pino.LevelWithSilent;
  /** The syslog socket; tests point it elsewhere. */
  syslogSocket?: string;
  /** The `logger` binary. */
  loggerBinary?: string;
  /** The console file descriptor (default 1 for JSON, 2 for pretty); tests pass a file's fd. */
  consoleFd?: number;
}

export interface DaemonLogger {
  logger: Logger;
  /** Reopen a log file (after logrotate renamed it). No-op for other targets. */
  reopen(): void;
  /** Flush and release the destination (ends the syslog child). */
  close(): Promise<void>;
  /**
   * A reload changed logfile=: open the new destination now (throws when it cannot be
   * opened); commit switches every later line to it and closes the old one. Console
   * logging (-d, --foreground) does not follow logfile= and is left as it is.
   */
  retarget(target: LogTarget): Promise<Prepared>;
}

/** Where lines go: a log file or the syslog child. */
interface Sink {
  stream: DestinationStream;
  reopen(): void;
  close(): Promise<void>;
}

/** Keys never logged, at any depth pino's redaction reaches (see redactPaths). */
export const SECRET_KEYS = ["passwd", "secret"] as const;

/** fast-redact has no recursive wildcard: list the key at every depth up to 8. */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    let path: string = key;
    for (let depth = 0; depth < 8; depth++) {
      paths.push(path);
      path = `*.${path}`;
    }
  }
  return paths;
}

const SYSLOG_FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** pino level number → syslog severity. */
function severity(level: number): number {
  if (level >= 60) return 2; // crit
  if (level >= 50) return 3; // err
  if (level >= 40) return 4; // warning
  if (level >= 30) return 6; // info
  return 7; // debug
}

export function createLogger(options: LoggerOptions): DaemonLogger {
  const base: pino.LoggerOptions = {
    name: options.name,
    level: options.level ?? "info",
    redact: { paths: redactPaths(), censor: "[redacted]" },
  };

  if (options.pretty) {
    // Required here, not imported at the top: only -d uses it, and a daemon under systemd
    // should not pay its ~45 ms of start-up (seconds on a slow machine).
    const pretty = createRequire(import.meta.url)("pino-pretty") as typeof PinoPretty;
    const stream = pretty({
      destination: options.consoleFd ?? 2,
      sync: true,
      colorize: process.stderr.isTTY === true,
    });
    return {
      logger: pino(base, stream),
      reopen: () => {},
      close: async () => {},
      retarget: async () => unchanged,
    };
  }

  const target = options.target;
  if (target === "stdout") return stdoutLogger(base, options.consoleFd);

  // One logger for the daemon's life; a reload that moves logfile= switches what it writes to.
  let sink: Sink;
  let current: LogTarget = target;
  const logger = pino(base, { write: (line: string) => sink.stream.write(line) });
  const fallbackNote = (why: string) =>
    logger.warn({ reason: why }, "syslog unavailable; logging to stdout instead");
  const opened = openSink(target, options, fallbackNote);
  sink = opened ?? consoleSink(options.consoleFd);
  if (!opened && target.kind === "syslog") {
    const socket = options.syslogSocket ?? "/dev/log";
    logger.warn(
      { facility: target.facility, socket },
      SYSLOG_FACILITIES[target.facility.toLowerCase()] === undefined
        ? "unknown syslog facility; logging to stdout instead"
        : "no syslog socket; logging to stdout instead",
    );
  }
  return {
    logger,
    reopen: () => sink.reopen(),
    close: () => sink.close(),
    retarget: async (next) => {
      if (sameTarget(current, next)) return unchanged;
      const opened = openSink(next, options, fallbackNote);
      if (!opened)
        throw new Error(`syslog facility ${next.kind === "syslog" ? next.facility : ""} is not usable here`);
      return {
        commit: async () => {
          const old = sink;
          sink = opened;
          current = next;
          await old.close();
        },
        abort: () => opened.close(),
      };
    },
  };
}

function sameTarget(a: LogTarget, b: LogTarget): boolean {
  return a.kind === "file"
    ? b.kind === "file" && a.path === b.path
    : b.kind === "syslog" && a.facility === b.facility;
}

/** Opens a file or syslog sink; throws when a file cannot be opened; undefined when syslog is not usable. */
function openSink(
  target: LogTarget,
  options: LoggerOptions,
  onFallback: (why: string) => void,
): Sink | undefined {
  if (target.kind === "file") {
    // Opened here first so that a path that cannot be written is an error now, not later.
    mkdirSync(dirname(target.path), { recursive: true });
    closeSync(openSync(target.path, "a", 0o640));
    const dest = pino.destination({ dest: target.path, append: true, mkdir: true, sync: true });
    return {
      stream: dest,
      reopen: () => dest.reopen(),
      close: async () => {
        dest.flushSync();
        dest.end();
      },
    };
  }
  const socket = options.syslogSocket ?? "/dev/log";
  const facility = SYSLOG_FACILITIES[target.facility.toLowerCase()];
  if (facility === undefined || !existsSync(socket)) return undefined;
  const stream = new SyslogStream(
    target.facility.toLowerCase(),
    facility,
    socket,
    options.loggerBinary ?? "logger",
    options.consoleFd ?? 1,
  );
  stream.onFallback = onFallback;
  return { stream, reopen: () => {}, close: () => stream.close() };
}

function consoleSink(fd = 1): Sink {
  const dest = pino.destination({ dest: fd, sync: true });
  return { stream: dest, reopen: () => {}, close: async () => dest.flushSync() };
}

function stdoutLogger(base: pino.LoggerOptions, fd = 1): DaemonLogger {
  const dest = pino.destination({ dest: fd, sync: true });
  return {
    logger: pino(base, dest),
    reopen: () => {},
    close: async () => dest.flushSync(),
    retarget: async () => unchanged,
  };
}

/**
 * A pino destination that turns each JSON line into `<PRI>message {fields}` for
 * `logger --prio-prefix`. The fields are already redacted: pino redacts before it
 * serialises.
 */
class SyslogStream implements DestinationStream {
  onFallback: (why: string) => void = () => {};
  private child: ChildProcess | undefined;
  private failed = false;

  constructor(
    facilityName: string,
    private readonly facility: number,
    socket: string,
    binary: string,
    private readonly fallbackFd: number,
  ) {
    // --id: ldirectord's syslog option "pid" puts the daemon's pid after the ident.
    const child = spawn(
      binary,
      ["-t", "ldirector", `--id=${process.pid}`, "-u", socket, "-p", `${facilityName}.info`, "--prio-prefix"],
      { stdio: ["pipe", "ignore", "ignore"] },
    );
    this.child = child;
    child.on("error", (err) => this.fail(err.message));
    child.on("exit", (code, signal) => this.fail(`logger exited (${signal ?? code})`));
    child.stdin?.on("error", (err) => this.fail(err.message));
  }

  write(line: string): void {
    if (this.failed || !this.child?.stdin?.writable) {
      writeSync(this.fallbackFd, line);
      return;
    }
    this.child.stdin.write(this.format(line));
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    this.failed = true; // anything logged from here on goes to stdout
    child.stdin?.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  }

  private format(line: string): string {
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return `<${this.facility * 8 + 6}>${line.replace(/\n$/, "")}\n`;
    }
    const { level, msg, time: _t, pid: _p, hostname: _h, name: _n, ...fields } = record;
    const pri = this.facility * 8 + severity(typeof level === "number" ? level : 30);
    const rest = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : "";
    // One record, one syslog line: logger splits its stdin on newlines.
    const text = `${String(msg ?? "")}${rest}`.replace(/[\r\n]+/g, " ");
    return `<${pri}>${text}\n`;
  }

  private fail(why: string): void {
    if (this.failed) return;
    this.failed = true;
    this.child = undefined;
    this.onFallback(why);
  }
}
