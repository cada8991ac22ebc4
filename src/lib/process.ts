// The one way ldirector runs another program: check commands, ping, fallbackcommand,
// callback, execute= instances and ipvsadm all come through here.
//
// - No shell: argv goes to execve as is, so nothing in a config file or an address is
//   ever interpreted by /bin/sh.
// - The program leads its own process group (detached), so stopping it stops everything
//   it started too, not only the first process.
// - Stopping is SIGTERM to the group, then SIGKILL to the group after a grace: a program
//   gets the chance to clean up, and one that ignores SIGTERM still goes.
// - Output is kept up to a cap and the rest is read and dropped, so a chatty program
//   neither fills the daemon's memory nor blocks on a full pipe.
// - Never throws and never rejects: a program that cannot start is a result too.
import { spawn } from "node:child_process";

export interface ProcessOptions {
  /** Aborting it stops the program; the result then ends "aborted". */
  signal?: AbortSignal;
  /** Stop the program after this long; the result then ends "timeout". Default: no limit. */
  timeoutMs?: number;
  /** The whole environment; default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** Written to the program's stdin, which is then closed. Default: stdin is /dev/null. */
  input?: string;
  /** Bytes of stdout and stderr together that are kept; default DEFAULT_MAX_OUTPUT_BYTES. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL when the program is stopped. Default DEFAULT_KILL_GRACE_MS. */
  killGraceMs?: number;
  /**
   * Stop whatever the program left running in its group once it exits. Checks want this (a
   * check must leave nothing behind); a fallbackcommand whose job is to start a service does not.
   */
  reapGroupOnExit?: boolean;
}

export interface ProcessResult {
  /** Exited by itself, stopped at its timeout, stopped because the signal aborted, or never started. */
  ended: "exit" | "timeout" | "aborted" | "spawn-error";
  /** Exit status; null when it died by a signal or never started. */
  code: number | null;
  /** The signal that ended it, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
  /** True when output beyond maxOutputBytes was dropped. */
  truncated: boolean;
  /** Why it could not start (ended "spawn-error"): the errno code (ENOENT, EACCES) and message. */
  error?: { code: string; message: string };
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
export const DEFAULT_KILL_GRACE_MS = 1000;

/** After the program exits, how long to wait for its pipes: something it left running may hold them. */
const PIPE_GRACE_MS = 200;

/** Sends `sig` to the whole process group led by `pid`; an empty group is not an error. */
function signalGroup(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, sig);
  } catch {
    // ESRCH: everyone in the group is gone already.
  }
}

/**
 * SIGTERM to the group now, SIGKILL to it after `graceMs`. The SIGKILL timer does not keep
 * the daemon alive, and it is sent even after the leader is gone: a member that ignored
 * SIGTERM may still be there.
 */
export function stopGroup(pid: number | undefined, graceMs: number = DEFAULT_KILL_GRACE_MS): void {
  if (pid === undefined) return;
  signalGroup(pid, "SIGTERM");
  setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs).unref();
}

export function runProcess(argv: readonly string[], options: ProcessOptions = {}): Promise<ProcessResult> {
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const [file, ...args] = argv;
  const empty = { code: null, signal: null, stdout: "", stderr: "", output: "", truncated: false };
  if (file === undefined || file === "") {
    return Promise.resolve({
      ...empty,
      ended: "spawn-error",
      error: { code: "EINVAL", message: "empty command" },
    });
  }
  if (options.signal?.aborted) return Promise.resolve({ ...empty, ended: "aborted" });

  return new Promise((resolve) => {
    const child = spawn(file, args, {
      detached: true,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      env: options.env ?? process.env,
    });

    const kept: { stream: "stdout" | "stderr"; chunk: Buffer }[] = [];
    let keptBytes = 0;
    let truncated = false;
    const keep = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const room = maxBytes - keptBytes;
      if (chunk.length > room) truncated = true;
      if (room <= 0) return;
      const part = chunk.subarray(0, room);
      kept.push({ stream, chunk: part });
      keptBytes += part.length;
    };
    child.stdout?.on("data", keep("stdout"));
    child.stderr?.on("data", keep("stderr"));
    if (child.stdin) {
      // A program may exit without reading all of its input (ipvsadm stops at a usage error).
      child.stdin.on("error", () => {});
      child.stdin.end(options.input);
    }

    let stopped: "timeout" | "aborted" | undefined;
    const stop = (why: "timeout" | "aborted") => {
      if (stopped || exited) return;
      stopped = why;
      stopGroup(child.pid, graceMs);
    };
    const onAbort = () => stop("aborted");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => stop("timeout"), options.timeoutMs);

    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let pipeTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (error?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(pipeTimer);
      options.signal?.removeEventListener("abort", onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      const text = (stream?: "stdout" | "stderr") =>
        Buffer.concat(
          kept.filter((k) => stream === undefined || k.stream === stream).map((k) => k.chunk),
        ).toString("utf8");
      resolve({
        ended: error ? "spawn-error" : (stopped ?? "exit"),
        code: exited?.code ?? null,
        signal: exited?.signal ?? null,
        stdout: text("stdout"),
        stderr: text("stderr"),
        output: text(),
        truncated,
        ...(error ? { error: { code: error.code ?? "ERROR", message: error.message } } : {}),
      });
    };

    child.once("error", (err: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here and no 'exit' follows.
      if (child.pid === undefined) finish(err);
    });
    child.once("exit", (code, sig) => {
      exited = { code, signal: sig };
      if (stopped) signalGroup(child.pid, "SIGKILL");
      else if (options.reapGroupOnExit) stopGroup(child.pid, graceMs);
      // Output still in the pipes arrives before 'close'; something that left the group
      // (setsid) or was left running may hold them open: stop waiting after a moment.
      pipeTimer = setTimeout(() => finish(), PIPE_GRACE_MS);
    });
    child.once("close", () => {
      if (exited) finish();
    });
  });
}

/** The first non-empty line of a program's output, trimmed, for a one-line reason. */
export function firstLine(output: string): string {
  for (const line of output.split("\n")) {
    const t = line.trim();
    if (t !== "") return t;
  }
  return "";
}
