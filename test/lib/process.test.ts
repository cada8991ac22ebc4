// The one process helper against real programs (sh, cat): input, the two streams, the
// output cap, abort and timeout of a whole process group, and programs that cannot start.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runProcess } from "../../src/lib/process.js";

/** Running, not dead and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !["Z", "X"].includes(stat.slice(stat.lastIndexOf(")") + 2)[0]!);
  } catch {
    return false;
  }
}

const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

/** The pid a script printed as its first line. */
const pidOf = (stdout: string): number => Number(stdout.split("\n")[0]);

describe("runProcess", () => {
  it("feeds stdin and keeps stdout and stderr apart and interleaved", async () => {
    const r = await runProcess(["sh", "-c", "cat; echo oops >&2; exit 4"], { input: "a line\n" });
    expect(r).toMatchObject({ ended: "exit", code: 4, signal: null, stdout: "a line\n", stderr: "oops\n" });
    expect(r.output).toBe("a line\noops\n");
    expect(r.truncated).toBe(false);
  });

  it("keeps at most maxOutputBytes and says that it dropped the rest", async () => {
    const r = await runProcess(["sh", "-c", "head -c 100000 /dev/zero | tr '\\0' x"], {
      maxOutputBytes: 1000,
    });
    expect(r.stdout).toBe("x".repeat(1000));
    expect(r.truncated).toBe(true);
  });

  it("stops the whole group when the signal aborts", async () => {
    const ctl = new AbortController();
    const running = runProcess(["sh", "-c", "sleep 60 & echo $!; wait"], { signal: ctl.signal });
    setTimeout(() => ctl.abort(), 300);
    const r = await running;
    expect(r.ended).toBe("aborted");
    expect(r.signal).toBe("SIGTERM");
    const child = pidOf(r.stdout);
    started.push(child);
    await expect.poll(() => alive(child), { timeout: 2000 }).toBe(false);
  });

  it("sends SIGKILL after the grace to a program that ignores SIGTERM", async () => {
    const r = await runProcess(["sh", "-c", "trap '' TERM; echo $$; while :; do sleep 1; done"], {
      timeoutMs: 200,
      killGraceMs: 200,
    });
    expect(r).toMatchObject({ ended: "timeout", code: null, signal: "SIGKILL" });
  });

  it("leaves what a program started running unless asked to reap its group", async () => {
    const kept = await runProcess(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"]);
    const keptChild = pidOf(kept.stdout);
    started.push(keptChild);
    const reaped = await runProcess(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"], {
      reapGroupOnExit: true,
    });
    const reapedChild = pidOf(reaped.stdout);
    started.push(reapedChild);
    await expect.poll(() => alive(reapedChild), { timeout: 2000 }).toBe(false);
    expect(alive(keptChild)).toBe(true);
  });

  it("is a result, not an exception, when the program cannot start", async () => {
    const missing = await runProcess(["/nonexistent/program"]);
    expect(missing).toMatchObject({ ended: "spawn-error", code: null, error: { code: "ENOENT" } });
    const empty = await runProcess([]);
    expect(empty).toMatchObject({ ended: "spawn-error", error: { message: "empty command" } });
  });
});
