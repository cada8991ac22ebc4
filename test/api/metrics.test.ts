import { describe, expect, it } from "vitest";
import { Metrics } from "../../src/api/metrics.js";
import type { RealView, StatusView, VirtualView } from "../../src/api/types.js";

// Plain values in, exposition text out: the tests read the text as Prometheus would.

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The sample lines of an exposition (comments left out). */
function samples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one series with exactly these labels; undefined when there is none. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  const found = samples(text).filter(
    (s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want,
  );
  if (found.length > 1) throw new Error(`${found.length} series of ${name} ${want}`);
  return found[0]?.value;
}

const typeOf = (text: string, name: string) => new RegExp(`^# TYPE ${name} (\\w+)$`, "m").exec(text)?.[1];

function real(address: string, over: Partial<RealView> = {}): RealView {
  return {
    id: `tcp:127.0.0.1:80/${address}`,
    address,
    health: "up",
    configuredWeight: 1,
    tableWeight: 1,
    maintenance: false,
    consecutiveFailures: 0,
    checks: 0,
    transitions: 0,
    ...over,
  };
}

function virtual(id: string, reals: RealView[], over: Partial<VirtualView> = {}): VirtualView {
  return {
    id,
    healthy: reals.filter((r) => r.health === "up").length,
    fallbackActive: false,
    reals,
    ...over,
  };
}

function status(virtuals: VirtualView[], over: Partial<StatusView> = {}): StatusView {
  return {
    state: "running",
    pid: 4242,
    config: "/etc/ha.d/ldirectord.cf",
    backend: "memory",
    startedAt: 1_700_000_000_500,
    webControl: false,
    counters: {
      configGeneration: 1,
      reloads: 0,
      reloadErrors: 0,
      checkWorkers: 0,
      checkWorkersUp: 0,
      checkWorkerExits: 0,
      kernelWrites: 0,
      kernelWriteErrors: 0,
      opsApplied: 0,
      opsFailed: 0,
      resyncRepairs: 0,
    },
    virtuals,
    transitions: [],
    windows: [],
    role: { role: "unknown" },
    syncDaemons: [],
    ...over,
  };
}

const V = "tcp:127.0.0.1:80";
const A = "127.0.0.1:8081";
const B = "127.0.0.1:8082";
const C = "127.0.0.1:8083";
const ok = (latencyMs: number) => ({ ok: true, reason: "", latencyMs });

/** Three reals: A up in the table, B down and out with an operator's disable, C unknown and drained. */
function three(): StatusView {
  return status([
    virtual(V, [
      real(A, { configuredWeight: 3, tableWeight: 3, checks: 12, transitions: 1 }),
      real(B, {
        health: "down",
        configuredWeight: 2,
        tableWeight: undefined,
        maintenance: true,
        consecutiveFailures: 4,
        checks: 9,
        transitions: 2,
        override: { mode: "disabled", since: 1 },
      }),
      real(C, { health: "unknown", tableWeight: 0, override: { mode: "drained", since: 2 } }),
    ]),
  ]);
}

describe("Metrics per real", () => {
  it("exports health, weights, table membership and maintenance", async () => {
    const text = await new Metrics().render(three());
    const at = (name: string, address: string) => value(text, name, { virtual: V, real: address });
    expect([A, B, C].map((r) => at("ldirector_real_up", r))).toEqual([1, 0, 0]);
    expect([A, B, C].map((r) => at("ldirector_real_health_known", r))).toEqual([1, 1, 0]);
    expect([A, B, C].map((r) => at("ldirector_real_weight_configured", r))).toEqual([3, 2, 1]);
    expect([A, B, C].map((r) => at("ldirector_real_weight_effective", r))).toEqual([3, 0, 0]);
    expect([A, B, C].map((r) => at("ldirector_real_in_table", r))).toEqual([1, 0, 1]);
    expect([A, B, C].map((r) => at("ldirector_real_maintenance", r))).toEqual([0, 1, 0]);
    expect([A, B, C].map((r) => at("ldirector_real_consecutive_failures", r))).toEqual([0, 4, 0]);
  });

  it("exports the health as an enum: 1 for the current state, 0 for the others", async () => {
    const text = await new Metrics().render(three());
    const state = (address: string) =>
      ["up", "down", "unknown"].map((s) =>
        value(text, "ldirector_real_state", { virtual: V, real: address, state: s }),
      );
    expect(state(A)).toEqual([1, 0, 0]);
    expect(state(B)).toEqual([0, 1, 0]);
    expect(state(C)).toEqual([0, 0, 1]);
  });

  it("exports the operator's override as an enum over drained and disabled", async () => {
    const text = await new Metrics().render(three());
    const mode = (address: string) =>
      ["drained", "disabled"].map((m) =>
        value(text, "ldirector_real_override", { virtual: V, real: address, mode: m }),
      );
    expect(mode(A)).toEqual([0, 0]);
    expect(mode(B)).toEqual([0, 1]);
    expect(mode(C)).toEqual([1, 0]);
  });

  it("exports the director's role as an enum: 1 for what VRRP last said, 0 for the others", async () => {
    const roles = ["master", "backup", "fault", "unknown"];
    const at = (text: string) => roles.map((role) => value(text, "ldirector_role", { role }));
    expect(at(await new Metrics().render(three()))).toEqual([0, 0, 0, 1]);
    const told = status([], { role: { role: "backup", since: 5 } });
    expect(at(await new Metrics().render(told))).toEqual([0, 1, 0, 0]);
  });

  it("labels a weight override weighted, from the verb table", async () => {
    const s = three();
    s.virtuals[0]!.reals[0]!.override = { mode: "weighted", weight: 4, since: 1 };
    const text = await new Metrics().render(s);
    expect(value(text, "ldirector_real_override", { virtual: V, real: A, mode: "weighted" })).toBe(1);
  });

  it("exports each maintenance window: open or not, its next run and while open its end", async () => {
    const base = { virtual: V, cron: "0 3 * * *", durationMs: 7_200_000 };
    const text = await new Metrics().render(
      status(three().virtuals, {
        windows: [
          {
            ...base,
            id: 1,
            real: "all",
            mode: "drained",
            open: true,
            openedAt: 1_000,
            openUntil: 7_201_000,
            nextRun: 90_000_000,
          },
          { ...base, id: 2, real: B, mode: "disabled", open: false, nextRun: 180_000_000 },
        ],
      }),
    );
    const one = { window: "1", virtual: V, real: "all", mode: "drained" };
    const two = { window: "2", virtual: V, real: B, mode: "disabled" };
    expect(value(text, "ldirector_window_open", one)).toBe(1);
    expect(value(text, "ldirector_window_open", two)).toBe(0);
    expect(value(text, "ldirector_window_open_until_seconds", one)).toBe(7_201);
    expect(value(text, "ldirector_window_open_until_seconds", two)).toBeUndefined();
    expect(value(text, "ldirector_window_next_run_seconds", two)).toBe(180_000);
  });

  it("exports checks and transitions as counters with the snapshot's values", async () => {
    const metrics = new Metrics();
    let text = await metrics.render(three());
    expect(typeOf(text, "ldirector_checks_total")).toBe("counter");
    expect(typeOf(text, "ldirector_real_transitions_total")).toBe("counter");
    expect(typeOf(text, "ldirector_real_consecutive_failures")).toBe("gauge");
    expect(value(text, "ldirector_checks_total", { virtual: V, real: A })).toBe(12);
    expect(value(text, "ldirector_checks_total", { virtual: V, real: B })).toBe(9);
    expect(value(text, "ldirector_real_transitions_total", { virtual: V, real: B })).toBe(2);

    // A second scrape shows the new snapshot's value, not the sum of the two.
    const next = three();
    next.virtuals[0]!.reals[0]!.checks = 15;
    text = await metrics.render(next);
    expect(value(text, "ldirector_checks_total", { virtual: V, real: A })).toBe(15);
  });
});

describe("Metrics per virtual and for the director", () => {
  it("exports healthy reals, reals and fallback per virtual", async () => {
    const W = "udp6:[2001:db8::1]:53";
    const text = await new Metrics().render(
      status([
        virtual(V, three().virtuals[0]!.reals),
        virtual(W, [real("[2001:db8::2]:53", { health: "down" })], { fallbackActive: true }),
      ]),
    );
    expect(value(text, "ldirector_virtual_healthy_reals", { virtual: V })).toBe(1);
    expect(value(text, "ldirector_virtual_reals", { virtual: V })).toBe(3);
    expect(value(text, "ldirector_virtual_fallback_active", { virtual: V })).toBe(0);
    expect(value(text, "ldirector_virtual_healthy_reals", { virtual: W })).toBe(0);
    expect(value(text, "ldirector_virtual_reals", { virtual: W })).toBe(1);
    expect(value(text, "ldirector_virtual_fallback_active", { virtual: W })).toBe(1);
    expect(value(text, "ldirector_real_up", { virtual: W, real: "[2001:db8::2]:53" })).toBe(0);
  });

  it("exports the director's counters, generation and start time", async () => {
    const text = await new Metrics().render(
      status([], {
        startedAt: 1_700_000_000_500,
        counters: {
          configGeneration: 4,
          reloads: 5,
          reloadErrors: 2,
          checkWorkers: 2,
          checkWorkersUp: 1,
          checkWorkerExits: 3,
          kernelWrites: 17,
          kernelWriteErrors: 1,
          opsApplied: 40,
          opsFailed: 3,
          resyncRepairs: 6,
          lastError: "ipvsadm: exit 1",
        },
      }),
    );
    const expected: [string, number][] = [
      ["ldirector_reloads_total", 5],
      ["ldirector_reload_errors_total", 2],
      ["ldirector_kernel_writes_total", 17],
      ["ldirector_kernel_write_errors_total", 1],
      ["ldirector_kernel_ops_applied_total", 40],
      ["ldirector_kernel_ops_failed_total", 3],
      ["ldirector_resync_repairs_total", 6],
      ["ldirector_check_worker_exits_total", 3],
    ];
    for (const [name, n] of expected) {
      expect(value(text, name), name).toBe(n);
      expect(typeOf(text, name), name).toBe("counter");
    }
    expect(value(text, "ldirector_check_workers")).toBe(2);
    expect(value(text, "ldirector_check_workers_up")).toBe(1);
    expect(typeOf(text, "ldirector_check_workers")).toBe("gauge");
    expect(value(text, "ldirector_config_generation")).toBe(4);
    expect(typeOf(text, "ldirector_config_generation")).toBe("gauge");
    expect(value(text, "ldirector_start_time_seconds")).toBe(1_700_000_000.5);
  });

  it("says up while running or reloading, and not otherwise", async () => {
    const metrics = new Metrics();
    const states = ["starting", "running", "reloading", "stopping", "stopped"] as const;
    const up: (number | undefined)[] = [];
    for (const state of states) up.push(value(await metrics.render(status([], { state })), "ldirector_up"));
    expect(up).toEqual([0, 1, 1, 0, 0]);
  });

  it("uses the Prometheus text format", () => {
    expect(new Metrics().contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });
});

describe("Metrics check latency", () => {
  it("counts the checks of a virtual's reals into one histogram per virtual, in seconds", async () => {
    const metrics = new Metrics();
    for (let i = 0; i < 2; i++) metrics.observeCheck(V, ok(5));
    metrics.observeCheck(V, ok(5));
    metrics.observeCheck(V, { ok: false, reason: "timeout after 2000 ms", latencyMs: 2000 });
    const text = await metrics.render(three());
    expect(typeOf(text, "ldirector_check_latency_seconds")).toBe("histogram");
    const bucket = (le: string) => value(text, "ldirector_check_latency_seconds_bucket", { virtual: V, le });
    expect(bucket("0.001")).toBe(0);
    expect(bucket("0.0025")).toBe(0);
    expect(bucket("0.005")).toBe(3);
    expect(bucket("0.01")).toBe(3);
    expect(bucket("1")).toBe(3);
    expect(bucket("2.5")).toBe(4);
    expect(bucket("10")).toBe(4);
    expect(bucket("+Inf")).toBe(4);
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(4);
    expect(value(text, "ldirector_check_latency_seconds_sum", { virtual: V })).toBeCloseTo(2.015);
    // No histogram series carries a real: 15 series per real was half of a scrape at 10,000 reals.
    expect(
      samples(text).filter((x) => x.name.startsWith("ldirector_check_latency") && x.labels.real),
    ).toEqual([]);
  });

  it("gives each real its last check's latency, and none before its first check", async () => {
    const metrics = new Metrics();
    const s = status([
      virtual(V, [
        real(A, { lastCheck: { ok: true, reason: "HTTP 200", latencyMs: 12, at: 1 } }),
        real(B),
        real("127.0.0.4:80", {
          lastCheck: { ok: false, reason: "late", latencyMs: 9000, at: 1, inconclusive: true },
        }),
      ]),
    ]);
    const text = await metrics.render(s);
    expect(value(text, "ldirector_real_last_check_latency_seconds", { virtual: V, real: A })).toBeCloseTo(
      0.012,
    );
    expect(value(text, "ldirector_real_last_check_latency_seconds", { virtual: V, real: B })).toBeUndefined();
    expect(
      value(text, "ldirector_real_last_check_latency_seconds", { virtual: V, real: "127.0.0.4:80" }),
    ).toBeUndefined();
  });

  it("keeps observations across scrapes", async () => {
    const metrics = new Metrics();
    metrics.observeCheck(V, ok(5));
    await metrics.render(three());
    metrics.observeCheck(V, ok(5));
    const text = await metrics.render(three());
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(2);
  });

  it("does not observe inconclusive results", async () => {
    const metrics = new Metrics();
    metrics.observeCheck(V, ok(5));
    const late = { ok: false, reason: "late", latencyMs: 9000, inconclusive: true as const };
    metrics.observeCheck(V, late);
    const text = await metrics.render(three());
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
    expect(value(text, "ldirector_check_latency_seconds_bucket", { virtual: V, le: "5" })).toBe(1);
  });

  it("skips a latency that is not a number instead of throwing", async () => {
    const metrics = new Metrics();
    expect(() => metrics.observeCheck(V, ok(Number.NaN))).not.toThrow();
    const text = await metrics.render(three());
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBeUndefined();
  });
});

describe("Metrics lifetime", () => {
  it("drops every series of a real that left the status", async () => {
    const metrics = new Metrics();
    metrics.observeCheck(V, ok(5));
    let text = await metrics.render(three());
    expect(samples(text).filter((s) => s.labels.real === B).length).toBeGreaterThan(10);

    const without = three();
    without.virtuals[0]!.reals.splice(1, 1);
    text = await metrics.render(without);
    expect(samples(text).filter((s) => s.labels.real === B)).toEqual([]);
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
    expect(value(text, "ldirector_real_up", { virtual: V, real: A })).toBe(1);
    expect(value(text, "ldirector_virtual_reals", { virtual: V })).toBe(2);
  });

  it("drops every series of a virtual that left the status, its histogram too; back again, it starts from nothing", async () => {
    const metrics = new Metrics();
    metrics.observeCheck(V, ok(5));
    await metrics.render(three());
    let text = await metrics.render(status([]));
    expect(samples(text).filter((s) => s.labels.virtual !== undefined)).toEqual([]);
    expect(value(text, "ldirector_up")).toBe(1);
    metrics.observeCheck(V, ok(7));
    text = await metrics.render(three());
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
  });

  it("keeps the same real under two virtuals apart", async () => {
    const W = "tcp:127.0.0.1:443";
    const metrics = new Metrics();
    metrics.observeCheck(V, ok(5));
    metrics.observeCheck(W, ok(5));
    metrics.observeCheck(W, ok(5));
    let text = await metrics.render(
      status([virtual(V, [real(A)]), virtual(W, [real(A, { health: "down" })])]),
    );
    expect(value(text, "ldirector_real_up", { virtual: V, real: A })).toBe(1);
    expect(value(text, "ldirector_real_up", { virtual: W, real: A })).toBe(0);
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: W })).toBe(2);

    text = await metrics.render(status([virtual(V, [real(A)])]));
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
    expect(value(text, "ldirector_check_latency_seconds_count", { virtual: W })).toBeUndefined();
  });

  it("gives two instances nothing in common", async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.observeCheck(V, ok(5));
    const fromA = await a.render(three());
    const fromB = await b.render(status([]));
    expect(value(fromA, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
    expect(samples(fromB).filter((s) => s.labels.virtual !== undefined)).toEqual([]);
    // b's empty scrape did not clear a's series.
    const again = await a.render(three());
    expect(value(again, "ldirector_real_up", { virtual: V, real: A })).toBe(1);
    expect(value(again, "ldirector_check_latency_seconds_count", { virtual: V })).toBe(1);
  });

  it("answers overlapping scrapes each from its own snapshot", async () => {
    const metrics = new Metrics();
    const [full, empty] = await Promise.all([metrics.render(three()), metrics.render(status([]))]);
    expect(value(full, "ldirector_virtual_reals", { virtual: V })).toBe(3);
    expect(value(empty, "ldirector_virtual_reals", { virtual: V })).toBeUndefined();
  });
});
