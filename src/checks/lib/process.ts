// Runs a check command without a shell, as the leader of its own process group, so a
// timeout (or the end of the check) can kill it together with everything it started.
import { spawn } from "node:child_process";

export type ProcessOutcome =
  | { kind: "exit"; code: number | null; signal: NodeJS.Signals | null; output: string }
  | { kind: "aborted" }
  | { kind: "spawn-error"; code: string };

/** Bytes of stdout+stderr kept for the reason; the rest is read and dropped so the child never blocks. */
const MAX_OUTPUT = 4096;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already empty.
  }
}

/**
 * Resolves once the child is gone. On abort the whole group gets SIGKILL; after a normal
 * exit whatever the child left running in its group is killed too, so no check ever
 * leaves a process behind.
 */
export function runProcess(argv: readonly string[], signal: AbortSignal): Promise<ProcessOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve({ kind: "aborted" });
      return;
    }
    const [file, ...args] = argv;
    const child = spawn(file as string, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const keep = (chunk: Buffer) => {
      if (keptBytes >= MAX_OUTPUT) return;
      const part = chunk.subarray(0, MAX_OUTPUT - keptBytes);
      kept.push(part);
      keptBytes += part.length;
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);

    let aborted = false;
    const onAbort = () => {
      aborted = true;
      killGroup(child.pid);
    };
    signal.addEventListener("abort", onAbort, { once: true });

    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: ProcessOutcome) => {
      if (settled) return; // a failed spawn emits 'error' and then 'close'
      settled = true;
      signal.removeEventListener("abort", onAbort);
      clearTimeout(drainTimer);
      resolve(outcome);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here and no 'exit' follows.
      if (child.pid === undefined) finish({ kind: "spawn-error", code: err.code ?? err.message });
    });
    child.once("exit", (code, sig) => {
      exited = { code, signal: sig };
      killGroup(child.pid);
      // Output still in the pipes arrives before 'close'. Something that left the group
      // (setsid) may hold the pipes open: stop waiting for it after a moment.
      drainTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 200);
    });
    child.once("close", () => {
      if (aborted) finish({ kind: "aborted" });
      else
        finish({
          kind: "exit",
          code: exited?.code ?? null,
          signal: exited?.signal ?? null,
          output: Buffer.concat(kept).toString("utf8"),
        });
    });
  });
}

/** The first non-empty line of a command's output, trimmed, for a one-line reason. */
export function firstLine(output: string): string {
  for (const line of output.split("\n")) {
    const t = line.trim();
    if (t !== "") return t;
  }
  return "";
}
