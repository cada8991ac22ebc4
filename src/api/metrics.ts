// Prometheus metrics for one daemon. Gauges and counters are copies of the status
// snapshot, cleared and refilled on every scrape, so they always equal what
// `ldirector status` shows and a real that leaves the config leaves the metrics with
// it. Only the check latency histogram lives between scrapes: no snapshot holds the
// latency of every check. The histogram is per virtual, not per real: per real it was
// half of every scrape (15 of ~30 series per real; 28.8 MB and ~3 s at 10,000 reals, see
// BENCHMARKS.md); per real there is the last check's latency, a gauge.
import type { Counter, Gauge } from "prom-client";
import type * as PromClient from "prom-client";
import type { CheckResult } from "../checks/types.js";
import type { Health } from "../health/types.js";
import { overrideModes } from "../control/verbs.js";
import { ROLES } from "../control/role.js";
import type { RealView, StatusView, VirtualView } from "./types.js";

type Labels = Record<string, string>;
/** A gauge or counter whose value is copied from the snapshot, and how to read it there. */
type Spec<T> = [name: string, help: string, read: (x: T) => number];
type Filled<T> = [metric: Gauge | Counter, read: (x: T) => number];

const bit = (b: boolean) => (b ? 1 : 0);

const REAL: readonly string[] = ["virtual", "real"];
const OVERRIDE: readonly string[] = [...REAL, "mode"];
const WINDOW: readonly string[] = ["window", "virtual", "real", "mode"];
const HEALTHS: readonly Health[] = ["up", "down", "unknown"];
const SERVING: readonly StatusView["state"][] = ["running", "reloading"];
/** A healthy peer answers a check in about a millisecond; a sick one runs into timeouts of seconds. */
const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

const REAL_METRICS: readonly Spec<RealView>[] = [
  ["ldirector_real_up", "1 when the real's checks say up, else 0", (r) => bit(r.health === "up")],
  ["ldirector_real_health_known", "0 while the real has no check result", (r) => bit(r.health !== "unknown")],
  ["ldirector_real_weight_configured", "The real's weight in the config", (r) => r.configuredWeight],
  ["ldirector_real_weight_effective", "Kernel table weight, 0 when not in it", (r) => r.tableWeight ?? 0],
  ["ldirector_real_in_table", "1 while in the kernel table", (r) => bit(r.tableWeight !== undefined)],
  ["ldirector_real_maintenance", "1 while maintenancedir forces the real down", (r) => bit(r.maintenance)],
  ["ldirector_real_consecutive_failures", "Failed checks in a row", (r) => r.consecutiveFailures],
  ["ldirector_real_transitions_total", "Health changes since the daemon started", (r) => r.transitions],
  ["ldirector_checks_total", "Checks of the real since the daemon started", (r) => r.checks],
];

/** Only for a real with a last check: a missing series says "not checked yet". */
const LAST_LATENCY: Spec<RealView> = [
  "ldirector_real_last_check_latency_seconds",
  "How long the real's last check took",
  (r) => (r.lastCheck?.latencyMs ?? 0) / 1000,
];

const VIRTUAL_METRICS: readonly Spec<VirtualView>[] = [
  ["ldirector_virtual_healthy_reals", "Reals of the virtual whose health is up", (v) => v.healthy],
  ["ldirector_virtual_reals", "Reals configured for the virtual", (v) => v.reals.length],
  ["ldirector_virtual_fallback_active", "1 while the fallback is in the table", (v) => bit(v.fallbackActive)],
];

const DIRECTOR_METRICS: readonly Spec<StatusView>[] = [
  ["ldirector_config_generation", "Configs that took effect", (s) => s.counters.configGeneration],
  ["ldirector_reloads_total", "Config reloads", (s) => s.counters.reloads],
  ["ldirector_reload_errors_total", "Config reloads refused", (s) => s.counters.reloadErrors],
  [
    "ldirector_check_workers",
    "Worker threads running checks (0: on the main thread)",
    (s) => s.counters.checkWorkers,
  ],
  ["ldirector_check_workers_up", "Check worker threads up", (s) => s.counters.checkWorkersUp],
  [
    "ldirector_check_worker_exits_total",
    "Check worker threads that died or stalled",
    (s) => s.counters.checkWorkerExits,
  ],
  ["ldirector_kernel_writes_total", "Batches written to the kernel table", (s) => s.counters.kernelWrites],
  ["ldirector_kernel_write_errors_total", "Batches that failed", (s) => s.counters.kernelWriteErrors],
  ["ldirector_kernel_ops_applied_total", "Kernel changes that took effect", (s) => s.counters.opsApplied],
  ["ldirector_kernel_ops_failed_total", "Kernel changes that did not", (s) => s.counters.opsFailed],
  ["ldirector_resync_repairs_total", "Kernel changes to undo drift", (s) => s.counters.resyncRepairs],
  ["ldirector_up", "1 while running or reloading", (s) => bit(SERVING.includes(s.state))],
  ["ldirector_start_time_seconds", "When the daemon started (Unix time)", (s) => s.startedAt / 1000],
];

/** prom-client counters can't be set; after the scrape's reset, one inc to the snapshot's value does it. */
function put(metric: Gauge | Counter, labels: Labels, value: number): void {
  if (metric instanceof prom.Gauge) metric.set(labels, value);
  else metric.inc(labels, value);
}

/** Set by Metrics.load() before any PromMetrics is made. */
let prom: typeof PromClient;

class PromMetrics {
  readonly contentType: string;
  // prom-client's default registry is process-global; each Metrics (daemon, test) has its own.
  private readonly registry = new prom.Registry();
  /** Everything filled from the snapshot, reset at the start of each scrape. */
  private readonly fromSnapshot: (Gauge | Counter)[] = [];
  private readonly perReal = REAL_METRICS.map((s) => this.create(s, REAL));
  private readonly lastLatency = this.create(LAST_LATENCY, REAL);
  private readonly perVirtual = VIRTUAL_METRICS.map((s) => this.create(s, ["virtual"]));
  private readonly director = DIRECTOR_METRICS.map((s) => this.create(s, []));
  private readonly state = this.gauge("ldirector_real_state", "1 for the current health", [...REAL, "state"]);
  private readonly override = this.gauge("ldirector_real_override", "1 for the override in force", OVERRIDE);
  private readonly windowOpen = this.gauge(
    "ldirector_window_open",
    "1 while the maintenance window is open",
    WINDOW,
  );
  private readonly windowNext = this.gauge(
    "ldirector_window_next_run_seconds",
    "When the maintenance window opens next (Unix time)",
    WINDOW,
  );
  private readonly windowUntil = this.gauge(
    "ldirector_window_open_until_seconds",
    "While open: when the maintenance window closes (Unix time)",
    WINDOW,
  );
  private readonly role = this.gauge("ldirector_role", "1 for what VRRP last said this director is", [
    "role",
  ]);
  private readonly latency = new prom.Histogram({
    name: "ldirector_check_latency_seconds",
    help: "How long the checks of the virtual's reals took (inconclusive ones left out)",
    labelNames: ["virtual"],
    buckets: [...LATENCY_BUCKETS],
    registers: [this.registry],
  });
  /** The histogram's series by virtual, so those of virtuals that left the status can be removed. */
  private readonly observed = new Set<string>();
  /**
   * Scrapes take turns: each must read the metrics back before another refills them.
   * prom-client 15 happens to read them synchronously; this does not count on that.
   */
  private turn: Promise<unknown> = Promise.resolve();

  constructor() {
    this.contentType = this.registry.contentType;
  }

  /** Every check result of a real feeds the latency histogram (inconclusive ones are not observed). */
  observeCheck(virtual: string, result: CheckResult): void {
    // An inconclusive latency measures ldirector's own stall, not the real. A latency that
    // is no number is skipped rather than let prom-client throw into the monitor.
    if (result.inconclusive || !Number.isFinite(result.latencyMs)) return;
    this.observed.add(virtual);
    this.latency.observe({ virtual }, Math.max(0, result.latencyMs) / 1000);
  }

  /** Scrape: gauges and counters taken from the status snapshot, histogram from observeCheck. Series of reals/virtuals no longer in `status` are dropped (also from the histogram). */
  render(status: StatusView): Promise<string> {
    const text = this.turn.then(() => {
      this.fill(status);
      return this.registry.metrics();
    });
    this.turn = text.catch(() => undefined);
    return text;
  }

  private fill(status: StatusView): void {
    for (const m of this.fromSnapshot) m.reset();
    for (const [m, read] of this.director) put(m, {}, read(status));
    for (const role of [...ROLES, "unknown"]) this.role.set({ role }, bit(status.role.role === role));
    const live = new Set<string>();
    const [lastLatency, readLatency] = this.lastLatency;
    for (const v of status.virtuals) {
      live.add(v.id);
      for (const [m, read] of this.perVirtual) put(m, { virtual: v.id }, read(v));
      for (const r of v.reals) {
        const labels = { virtual: v.id, real: r.address };
        for (const [m, read] of this.perReal) put(m, labels, read(r));
        if (r.lastCheck && !r.lastCheck.inconclusive) put(lastLatency, labels, readLatency(r));
        for (const state of HEALTHS) this.state.set({ ...labels, state }, bit(r.health === state));
        for (const mode of overrideModes)
          this.override.set({ ...labels, mode }, bit(r.override?.mode === mode));
      }
    }
    for (const w of status.windows ?? []) {
      const labels = { window: String(w.id), virtual: w.virtual, real: w.real, mode: w.mode };
      this.windowOpen.set(labels, bit(w.open));
      if (w.nextRun !== undefined) this.windowNext.set(labels, w.nextRun / 1000);
      if (w.openUntil !== undefined) this.windowUntil.set(labels, w.openUntil / 1000);
    }
    for (const virtual of this.observed) {
      if (live.has(virtual)) continue;
      this.latency.remove({ virtual });
      this.observed.delete(virtual);
    }
  }

  /** The `_total` names are counters, as Prometheus names them; the rest are gauges. */
  private create<T>([name, help, read]: Spec<T>, labelNames: readonly string[]): Filled<T> {
    if (!name.endsWith("_total")) return [this.gauge(name, help, labelNames), read];
    const counter = new prom.Counter({ name, help, labelNames, registers: [this.registry] });
    this.fromSnapshot.push(counter);
    return [counter, read];
  }

  private gauge(name: string, help: string, labelNames: readonly string[]): Gauge {
    const gauge = new prom.Gauge({ name, help, labelNames, registers: [this.registry] });
    this.fromSnapshot.push(gauge);
    return gauge;
  }
}

/** Observations held while prom-client loads; past this many, the oldest go. */
const PENDING_MAX = 50_000;

/**
 * Prometheus metrics for one daemon, with prom-client loaded off the start path: it and
 * its dependencies are ~100 files (~60 ms of start-up, seconds on a slow machine). The
 * daemon calls load() once started; check latencies seen before then are kept and
 * observed when it is ready, so the histogram still counts from the start.
 */
export class Metrics {
  private real: PromMetrics | undefined;
  private loading: Promise<PromMetrics> | undefined;
  private pending: [virtual: string, result: CheckResult][] = [];

  load(): Promise<PromMetrics> {
    this.loading ??= import("prom-client").then((m) => {
      prom = m;
      const real = new PromMetrics();
      for (const [v, result] of this.pending) real.observeCheck(v, result);
      this.pending = [];
      this.real = real;
      return real;
    });
    return this.loading;
  }

  /** The exposition format's content type; known once load() or render() has finished. */
  get contentType(): string {
    return this.real?.contentType ?? "text/plain; version=0.0.4; charset=utf-8";
  }

  /** Every check result of a virtual's reals feeds its latency histogram (inconclusive ones are not observed). */
  observeCheck(virtual: string, result: CheckResult): void {
    if (this.real) return this.real.observeCheck(virtual, result);
    if (this.pending.length >= PENDING_MAX) this.pending.shift();
    this.pending.push([virtual, result]);
  }

  /** Scrape: gauges and counters taken from the status snapshot, histogram from observeCheck. */
  async render(status: StatusView): Promise<string> {
    return (await this.load()).render(status);
  }
}
