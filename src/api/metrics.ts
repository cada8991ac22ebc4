// Prometheus metrics, rendered from a status snapshot on each scrape. A fresh Registry
// per scrape keeps the module free of global state (prom-client's default registry is
// a singleton) and makes every value exactly what `ldirector status` shows.
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Registry } from "prom-client";
import type { DirectorStatus } from "../director/director.js";
import type { ProbeStatus } from "../health/monitor.js";

export interface MetricsSnapshot {
  director: DirectorStatus;
  probes: ProbeStatus[];
}

export async function renderMetrics(s: MetricsSnapshot): Promise<string> {
  const registry = new Registry();
  const real = ["virtual", "real"] as const;
  const up = new Gauge({
    name: "ldirector_real_up",
    help: "1 when the real's checks say up, 0 when down or not yet known",
    labelNames: real,
    registers: [registry],
  });
  const known = new Gauge({
    name: "ldirector_real_health_known",
    help: "1 once the real has a check result",
    labelNames: real,
    registers: [registry],
  });
  const weight = new Gauge({
    name: "ldirector_real_weight",
    help: "The real's weight in the kernel table (absent when it is not in the table)",
    labelNames: real,
    registers: [registry],
  });
  const fallback = new Gauge({
    name: "ldirector_fallback_active",
    help: "1 while the virtual service's fallback server is in the table",
    labelNames: ["virtual"],
    registers: [registry],
  });
  const checks = new Counter({
    name: "ldirector_checks_total",
    help: "Checks run for the real since the daemon started",
    labelNames: ["probe"],
    registers: [registry],
  });
  const failures = new Gauge({
    name: "ldirector_check_consecutive_failures",
    help: "Consecutive failed checks of the real",
    labelNames: ["probe"],
    registers: [registry],
  });
  const latency = new Gauge({
    name: "ldirector_check_latency_seconds",
    help: "Duration of the real's last check",
    labelNames: ["probe"],
    registers: [registry],
  });
  for (const v of s.director.virtuals) {
    fallback.set({ virtual: v.id }, v.fallbackActive ? 1 : 0);
    for (const r of v.reals) {
      const labels = { virtual: v.id, real: r.address };
      up.set(labels, r.health === "up" ? 1 : 0);
      known.set(labels, r.health === "unknown" ? 0 : 1);
      if (r.tableWeight !== undefined) weight.set(labels, r.tableWeight);
    }
  }
  for (const p of s.probes) {
    checks.inc({ probe: p.id }, p.checks);
    failures.set({ probe: p.id }, p.consecutiveFailures);
    if (p.lastResult) latency.set({ probe: p.id }, p.lastResult.latencyMs / 1000);
  }
  const c = s.director.counters;
  const counter = (name: string, help: string, value: number) =>
    new Counter({ name, help, registers: [registry] }).inc(value);
  counter("ldirector_passes_total", "Reconcile passes of the director", c.passes);
  counter("ldirector_batches_total", "Batches written to the kernel table (one exec each)", c.batches);
  counter("ldirector_ops_applied_total", "Kernel table changes that took effect", c.opsApplied);
  counter("ldirector_ops_failed_total", "Kernel table changes that did not take effect", c.opsFailed);
  return registry.metrics();
}

/** http://host:port/metrics; everything else is 404. */
export async function startMetricsServer(
  host: string,
  port: number,
  snapshot: () => MetricsSnapshot,
): Promise<{ close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== "GET" || req.url?.split("?")[0] !== "/metrics") {
      res.writeHead(404).end();
      return;
    }
    renderMetrics(snapshot()).then(
      (text) => res.writeHead(200, { "content-type": new Registry().contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok());
  });
  return {
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}
