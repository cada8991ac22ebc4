// Runs an operator's command (fallbackcommand, callback) without a shell, bounded in
// time and in output. The command gets its own process group so a timeout kills
// everything it started, not just the first process.

import { spawn } from "node:child_process";
import type { Logger } from "pino";

/** Output kept for the log; more is dropped (the command's job is not to talk). */
export const MAX_OUTPUT_BYTES = 8 * 1024;

/** After the command exits, how long to wait for its pipes: a child it left running may hold them. */
const PIPE_GRACE_MS = 200;

export interface RunOptions {
  timeoutMs: number;
  /** Added to the daemon's environment. */
  env?: Record<string, string>;
  logger?: Logger;
}

export interface RunResult {
  /** Exit code; null when killed by a signal or when it could not start. */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  /** stdout and stderr interleaved, at most MAX_OUTPUT_BYTES (then a truncation mark). */
  output: string;
  /** Set when the command could not be started (ENOENT, EACCES, …). */
  error?: string;
}

/** Never throws: a command that cannot start is a result with `error` set. */
export function runCommand(argv: string[], options: RunOptions): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === "") {
    return Promise.resolve({ code: null, signal: null, timedOut: false, output: "", error: "empty command" });
  }
  const logger = options.logger;

  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    let exit: { code: number | null; signal: string | null } | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const child = spawn(file, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ? { ...process.env, ...options.env } : process.env,
    });

    const collect = (chunk: Buffer) => {
      if (size >= MAX_OUTPUT_BYTES) {
        truncated = true;
        return;
      }
      const room = MAX_OUTPUT_BYTES - size;
      if (chunk.length > room) truncated = true;
      const kept = chunk.subarray(0, room);
      chunks.push(kept);
      size += kept.length;
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);

    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    };

    const timeout = setTimeout(() => {
      timedOut = true;
      logger?.warn({ argv, timeoutMs: options.timeoutMs }, "command timed out; killing its process group");
      killGroup();
    }, options.timeoutMs);

    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeout);
      clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      let output = Buffer.concat(chunks).toString("utf8");
      if (truncated) output += "\n[output truncated]";
      const result: RunResult = {
        code: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        output,
        ...(error === undefined ? {} : { error }),
      };
      logger?.debug({ argv, code: result.code, signal: result.signal, timedOut, error }, "command finished");
      resolve(result);
    };

    child.on("error", (err) => finish(err.message));
    child.on("exit", (code, signal) => {
      exit = { code, signal };
      graceTimer = setTimeout(() => finish(), PIPE_GRACE_MS);
    });
    child.on("close", () => {
      if (exit) finish();
    });
  });
}
