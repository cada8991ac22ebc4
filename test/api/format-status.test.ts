import { describe, expect, it } from "vitest";
import type { StatusView } from "../../src/api/types.js";
import { ago, formatStatus } from "../../src/api/format-status.js";
import { statusView } from "../../src/api/status-view.js";

const now = 1_000_000_000;

function status(): StatusView {
  return statusView({
    state: "running",
    pid: 42,
    config: "/etc/ha.d/web.cf",
    backend: "ipvsadm",
    startedAt: now - 3_725_000,
    webControl: false,
    director: {
      virtuals: [
        {
          id: "tcp:10.0.0.1:80",
          serviceKey: "tcp|10.0.0.1|80",
          fallbackActive: false,
          reals: [
            {
              id: "tcp:10.0.0.1:80/10.0.0.2:80",
              address: "10.0.0.2:80",
              health: "up",
              configuredWeight: 1,
              tableWeight: 1,
              override: undefined,
              maintenance: false,
            },
            {
              id: "tcp:10.0.0.1:80/10.0.0.3:80",
              address: "10.0.0.3:80",
              health: "down",
              configuredWeight: 2,
              tableWeight: undefined,
              override: undefined,
              maintenance: false,
            },
            {
              id: "tcp:10.0.0.1:80/10.0.0.4:80",
              address: "10.0.0.4:80",
              health: "up",
              configuredWeight: 3,
              tableWeight: 0,
              override: { mode: "drained", since: 0 },
              maintenance: false,
            },
          ],
        },
      ],
      counters: {
        passes: 9,
        batches: 4,
        opsApplied: 7,
        opsFailed: 1,
        batchesFailed: 1,
        resyncRepairs: 2,
        lastPassAt: now,
        lastError: undefined,
      },
    },
    probes: [
      {
        id: "tcp:10.0.0.1:80/10.0.0.2:80",
        health: "up",
        lastResult: { ok: true, reason: "HTTP 200", latencyMs: 2.4 },
        lastCheckAt: now - 1000,
        consecutiveFailures: 0,
        checks: 50,
        transitions: 1,
        since: now - 600_000,
        inFlight: false,
      },
      {
        id: "tcp:10.0.0.1:80/10.0.0.3:80",
        health: "down",
        lastResult: { ok: false, reason: "connect ECONNREFUSED", latencyMs: 1 },
        lastCheckAt: now - 2000,
        consecutiveFailures: 3,
        checks: 50,
        transitions: 2,
        since: now - 12_000,
        inFlight: false,
      },
    ],
    connections: { "tcp:10.0.0.1:80/10.0.0.2:80": { active: 3, inactive: 10 } },
    overrides: new Map([["tcp:10.0.0.1:80/10.0.0.4:80", { mode: "drained", since: now - 5000 }]]),
    windows: [],
    transitions: [
      {
        at: now - 12_000,
        virtual: "tcp:10.0.0.1:80",
        real: "10.0.0.3:80",
        id: "tcp:10.0.0.1:80/10.0.0.3:80",
        from: "up",
        to: "down",
        reason: "connect ECONNREFUSED",
      },
    ],
    daemon: {
      configGeneration: 3,
      reloads: 2,
      reloadErrors: 1,
      checkWorkers: 2,
      checkWorkersUp: 2,
      checkWorkerExits: 1,
    },
    role: { role: "backup", since: now - 65_000 },
    syncDaemons: [
      { role: "master", interface: "eth1", syncId: 7, startedHere: true },
      { role: "backup", interface: "eth1", syncId: 7, startedHere: false },
    ],
  });
}

describe("statusView", () => {
  it("joins the director's, the monitor's and the daemon's parts per real", () => {
    const s = status();
    expect(s.counters).toEqual({
      configGeneration: 3,
      reloads: 2,
      reloadErrors: 1,
      checkWorkers: 2,
      checkWorkersUp: 2,
      checkWorkerExits: 1,
      kernelWrites: 4,
      kernelWriteErrors: 1,
      opsApplied: 7,
      opsFailed: 1,
      resyncRepairs: 2,
    });
    const [up, down, drained] = s.virtuals[0]!.reals;
    expect(s.virtuals[0]!.healthy).toBe(2);
    expect(up).toEqual({
      id: "tcp:10.0.0.1:80/10.0.0.2:80",
      address: "10.0.0.2:80",
      health: "up",
      since: now - 600_000,
      configuredWeight: 1,
      tableWeight: 1,
      maintenance: false,
      lastCheck: { ok: true, reason: "HTTP 200", latencyMs: 2.4, at: now - 1000 },
      consecutiveFailures: 0,
      checks: 50,
      transitions: 1,
      connections: { active: 3, inactive: 10 },
    });
    expect(down!.tableWeight).toBeUndefined();
    expect(drained).toMatchObject({ override: { mode: "drained", since: now - 5000 }, checks: 0 });
  });
});

describe("formatStatus", () => {
  it("prints the daemon line, a table per virtual and the recent transitions", () => {
    const text = formatStatus(status(), now);
    expect(text).toContain(
      "ldirector running, pid 42, up 1h02m, backend ipvsadm, config /etc/ha.d/web.cf (generation 3)",
    );
    expect(text).toContain(
      "kernel writes 4 (1 failed), reloads 2 (1 rejected), resync repairs 2, check workers 2/2 up (1 replaced)",
    );
    expect(text).toContain(
      "role backup for 1m05s, sync daemons master on eth1 syncid 7, backup on eth1 syncid 7 (adopted)",
    );
    expect(text).toContain("tcp:10.0.0.1:80  2/3 healthy");
    const lines = text.split("\n");
    const line = (addr: string) =>
      lines
        .find((l) => l.trimStart().startsWith(addr))!
        .trim()
        .split(/\s{2,}/);
    expect(line("10.0.0.2:80")).toEqual([
      "10.0.0.2:80",
      "up",
      "10m00s",
      "1",
      "1",
      "-",
      "3/10",
      "ok 2 ms, 1s ago",
    ]);
    expect(line("10.0.0.3:80")).toEqual([
      "10.0.0.3:80",
      "down",
      "12s",
      "2",
      "absent",
      "-",
      "-",
      "FAIL 1 ms, 2s ago: connect ECONNREFUSED",
    ]);
    expect(line("10.0.0.4:80")).toEqual(["10.0.0.4:80", "up", "-", "3", "0", "drained", "-", "-"]);
    expect(text).toMatch(
      /recent transitions:\n\s+12s ago {2}tcp:10\.0\.0\.1:80 -> 10\.0\.0\.3:80 {2}up -> down {2}\(connect ECONNREFUSED\)/,
    );
  });

  it("says ago in units a person reads at a glance", () => {
    expect([ago(-5), ago(59_999), ago(61_000), ago(3_600_000), ago(49 * 3_600_000)]).toEqual([
      "0s",
      "59s",
      "1m01s",
      "1h00m",
      "2d01h",
    ]);
  });
});
