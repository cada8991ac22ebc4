// Runs an operator's command (fallbackcommand, callback, execute=) through the one
// process helper: no shell, its own process group (a timeout stops everything it
// started), output bounded. A program it starts and leaves running is left alone:
// starting a service is what a fallbackcommand may be for.

import type { Logger } from "pino";
import { runProcess } from "../lib/process.js";

/** Output kept for the log; more is dropped (the command's job is not to talk). */
export const MAX_OUTPUT_BYTES = 8 * 1024;

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
export async function runCommand(argv: string[], options: RunOptions): Promise<RunResult> {
  const r = await runProcess(argv, {
    timeoutMs: options.timeoutMs,
    env: options.env ? { ...process.env, ...options.env } : process.env,
    maxOutputBytes: MAX_OUTPUT_BYTES,
  });
  const timedOut = r.ended === "timeout";
  if (timedOut)
    options.logger?.warn(
      { argv, timeoutMs: options.timeoutMs },
      "command timed out; stopped its process group",
    );
  const result: RunResult = {
    code: r.code,
    signal: r.signal,
    timedOut,
    output: r.truncated ? `${r.output}\n[output truncated]` : r.output,
    ...(r.error ? { error: r.error.message } : {}),
  };
  options.logger?.debug(
    { argv, code: r.code, signal: r.signal, timedOut, error: result.error },
    "command finished",
  );
  return result;
}
