// The check pool on real worker threads and real sockets: the checks a Monitor hands it
// run in workers and come back as runCheck's would; a worker that exits or blocks loses
// only its checks in flight (inconclusive: health stays) and is replaced.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { CheckResult } from "../../src/checks/types.js";
import type { Monitor as MonitorType } from "../../src/health/monitor.js";
import type { CheckPool as CheckPoolType, PoolEvent } from "../../src/health/pool/check-pool.js";
import { freePort, waitUntil } from "../checks/peers/process.js";
import { silentTcpServer } from "../checks/peers/silent.js";
import { requireBuild } from "../e2e/harness.js";
import { makeSpec, makeTarget } from "./fixtures.js";

// Worker threads load JavaScript: the pool and the monitor come from the build.
const dist = resolve(import.meta.dirname, "../../dist");
let CheckPool: typeof CheckPoolType;
let Monitor: typeof MonitorType;
const failingWorker = new URL("./fixtures/failing-worker.mjs", import.meta.url);

beforeAll(async () => {
  requireBuild();
  ({ CheckPool } = (await import(join(dist, "health/pool/check-pool.js"))) as {
    CheckPool: typeof CheckPoolType;
  });
  ({ Monitor } = (await import(join(dist, "health/monitor.js"))) as { Monitor: typeof MonitorType });
});

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A real that answers HTTP 200 "ok" (a hung one is silentTcpServer). */
async function listener(): Promise<{ port: number; server: net.Server }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    // Read (and drop) the request, or the socket never sees the client's FIN and never closes.
    s.resume();
    s.end("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  closers.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return { port: (server.address() as net.AddressInfo).port, server };
}

function pool(opts: Partial<ConstructorParameters<typeof CheckPoolType>[0]> = {}): CheckPoolType {
  const p = new CheckPool({ workers: 2, ...opts });
  closers.push(() => p.close());
  return p;
}

const http = (port: number, over = {}) => ({
  target: makeTarget({ port }),
  spec: makeSpec({ type: "negotiate", service: "http", request: "/", receive: "ok", port, ...over }),
});

describe("CheckPool", () => {
  it("runs checks in its workers and answers as runCheck does: up, refused, timed out", async () => {
    const p = pool();
    const good = await listener();
    const hung = await silentTcpServer();
    closers.push(() => hung.close());
    const refused = await freePort();
    const signal = () => new AbortController().signal;
    const run = (port: number, over = {}) => {
      const { target, spec } = http(port, over);
      return p.run(target, spec, { kind: "negotiate", signal: signal() });
    };
    const [up, down, late] = await Promise.all([
      run(good.port),
      run(refused),
      run(hung.port, { negotiateTimeoutMs: 300 }),
    ]);
    expect(up).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(down.ok).toBe(false);
    expect(down.reason).toMatch(/ECONNREFUSED/);
    expect(late).toMatchObject({ ok: false, reason: "timeout after 300 ms" });
    expect(p.stats()).toMatchObject({ workers: 2, up: 2, inFlight: 0, exits: 0 });
  });

  it("spreads a Monitor's probes over both workers and takes a dead real out", async () => {
    const p = pool();
    const reals = await Promise.all(Array.from({ length: 20 }, () => listener()));
    const monitor = new Monitor({ run: p.run });
    closers.push(() => monitor.stop());
    const probes = reals.map((r, i) => ({
      id: `r${i}`,
      ...http(r.port),
      intervalMs: 200,
      failureCount: 1,
    }));
    const downs: string[] = [];
    monitor.on("transition", (e) => {
      if (e.to === "down") downs.push(e.id);
    });
    monitor.sync(probes);
    await waitUntil(
      "every real up",
      () => probes.every((x) => monitor.health(x.id) === "up"),
      undefined,
      10_000,
    );
    // Real 7 stops listening: refused from now on.
    await new Promise((r) => reals[7]!.server.close(r));
    await waitUntil("r7 down", () => monitor.health("r7") === "down", undefined, 10_000);
    expect(downs).toEqual(["r7"]);
    // Ten probes on each worker.
    expect(p.stats()).toMatchObject({ workers: 2, up: 2, probes: [10, 10], exits: 0 });
    await monitor.stop();
    expect(p.stats().inFlight).toBe(0);
  });

  it("a retired probe's check in a worker is aborted at once", async () => {
    const p = pool();
    const hung = await silentTcpServer();
    closers.push(() => hung.close());
    const controller = new AbortController();
    const { target, spec } = http(hung.port, { negotiateTimeoutMs: 20_000 });
    const pending = p.run(target, spec, { kind: "negotiate", signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    const result = await Promise.race([
      pending,
      new Promise<CheckResult>((r) =>
        setTimeout(() => r({ ok: false, reason: "still running", latencyMs: 0 }), 5000),
      ),
    ]);
    expect(result.reason).toBe("aborted");
  });

  for (const mode of ["exit", "hang"] as const) {
    it(`a worker that ${mode === "exit" ? "exits" : "blocks its loop"} loses only its checks in flight, inconclusive, and is replaced`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "ldpool-"));
      closers.push(() => rmSync(dir, { recursive: true, force: true }));
      const fault = join(dir, "fault");
      writeFileSync(fault, mode);
      process.env.LDTEST_WORKER_FAULT = fault;
      closers.push(() => delete process.env.LDTEST_WORKER_FAULT);
      const events: PoolEvent[] = [];
      const p = pool({ workers: 1, workerUrl: failingWorker, stallMs: 1000, onEvent: (e) => events.push(e) });
      const good = await listener();
      const { target, spec } = http(good.port);
      const signal = new AbortController().signal;
      const first = await p.run(target, spec, { kind: "negotiate", signal });
      expect(first.ok).toBe(false);
      expect(first.inconclusive).toBe(true);
      expect(first.reason).toMatch(/check worker 0 exited/);
      expect(events.map((e) => e.type)).toContain(mode === "exit" ? "worker-exit" : "worker-stalled");
      // The replacement (a plain worker: the fault file is gone) gets the probe sent again.
      await waitUntil("a new worker", () => p.stats().up === 1, undefined, 10_000);
      const again = await p.run(target, spec, { kind: "negotiate", signal });
      expect(again).toMatchObject({ ok: true, reason: "HTTP 200" });
      expect(p.stats().exits).toBe(1);
    }, 30_000);
  }
});
