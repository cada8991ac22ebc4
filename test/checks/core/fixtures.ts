// Plain CheckSpec / CheckTarget values for the core checker tests, and the temp dirs,
// servers and processes they start, cleaned up together.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CheckerRegistry, CheckKind } from "../../../src/checks/registry.js";
import { runCheck } from "../../../src/checks/run.js";
import type { Checker, CheckResult, CheckTarget } from "../../../src/checks/types.js";
import type { CheckSpec } from "../../../src/config/types.js";
import { checkSpec } from "../../support/spec.js";

export function spec(over: Partial<CheckSpec> = {}): CheckSpec {
  return checkSpec({ command: "/bin/true", checkTimeoutMs: 2000, negotiateTimeoutMs: 2000, ...over });
}

export function target(port: number, over: Partial<CheckTarget> = {}): CheckTarget {
  return {
    address: "127.0.0.1",
    family: "inet",
    port,
    realPort: port,
    virtual: { protocol: "tcp", address: "10.0.0.1", port: 80 },
    ...over,
  };
}

export const never = (): AbortSignal => new AbortController().signal;

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function listen(server: Server, host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === "string") reject(new Error("no port"));
      else resolve(address.port);
    });
  });
}

/** Closes a server and every connection it still holds. */
export function close(server: Server & { closeAllConnections?: () => void }): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** True while a process with this pid exists (kill 0 only asks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A checker run as the daemon runs it, under runCheck: runCheck owns the deadline (the
 * spec's checktimeout or negotiatetimeout) and the checker only honours its signal.
 */
export function underDeadline(
  kind: CheckKind,
  checker: Checker,
  t: CheckTarget,
  s: CheckSpec,
): Promise<CheckResult> {
  const registry: CheckerRegistry = {
    connect: checker,
    ping: checker,
    external: checker,
    negotiate: { [s.service]: checker },
  };
  return runCheck(t, s, { kind, registry });
}
