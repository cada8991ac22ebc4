// The crash guard of runCheck (src/checks/lib/guard.ts), seen from outside: a Monitor in
// its own process (fixtures/guarded-monitor.mjs, on the built code) runs 20 healthy
// reals next to checkers that throw synchronously, reject, throw from a timer, leave a
// rejection unhandled, let a socket emit 'error' with no listener (during and after the
// check) and throw from a timer after answering. A child process, because an uncaught
// exception is a process-level event and the test runner's own listener would report it.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { requireBuild } from "../e2e/harness.js";

const script = join(import.meta.dirname, "fixtures/guarded-monitor.mjs");
beforeAll(requireBuild);

interface Seen {
  results: number;
  ok: number;
  reasons: string[];
}

function run(arg?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, arg ? [script, arg] : [script], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === "number" ? err.code : null, stdout, stderr }),
    );
  });
}

describe("runCheck's crash guard", () => {
  it("turns every checker fault into a failed check, and the monitor keeps checking every real", async () => {
    const { code, stdout, stderr } = await run();
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const seen = JSON.parse(stdout) as Record<string, Seen>;
    const by = (address: string) => Object.entries(seen).filter(([id]) => id.endsWith(` ${address}`));
    const only = (address: string) => {
      const [entry] = by(address);
      expect(entry, address).toBeDefined();
      return entry![1];
    };
    const failedWith = (address: string, reason: string) => {
      const s = only(address);
      expect(s.results, address).toBeGreaterThanOrEqual(5);
      expect(s.ok, address).toBe(0);
      expect(s.reasons, address).toEqual([reason]);
    };
    failedWith("10.9.0.1", "checker error: sync throw");
    failedWith("10.9.0.2", "checker error: rejected");
    failedWith("10.9.0.4", "checker error: thrown from a timer");
    failedWith("10.9.0.5", "checker error: nobody handles this rejection");
    const socketError = only("10.9.0.6");
    expect(socketError.ok).toBe(0);
    expect(socketError.reasons.every((r) => /^checker error: connect ECONNREFUSED/.test(r))).toBe(true);
    // Answers given before the fault stand; the late fault is dropped, not fatal.
    for (const address of ["10.9.0.3", "10.9.0.7"]) {
      const s = only(address);
      expect(s.results, address).toBeGreaterThanOrEqual(5);
      expect(s.ok, address).toBe(s.results);
    }
    const healthy = by("127.0.0.1");
    expect(healthy).toHaveLength(20);
    for (const [id, s] of healthy) {
      expect(s.results, id).toBeGreaterThanOrEqual(5);
      expect(s.ok, id).toBe(s.results);
    }
  }, 130_000);

  it("an exception no check raised is not swallowed: the stack on stderr, exit 70", async () => {
    const { code, stdout, stderr } = await run("unattributed");
    expect(JSON.parse(stdout)).toBeTypeOf("object"); // the checks ran first, unharmed
    expect(code).toBe(70);
    expect(stderr).toMatch(/uncaught exception raised outside every check/);
    expect(stderr).toMatch(/Error: a bug outside every check\n\s+at /);
  }, 130_000);
});
