import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckerRegistry } from "../../src/checks/registry.js";
import { deadlineMs, overloaded, runCheck } from "../../src/checks/run.js";
import type { Checker, CheckResult } from "../../src/checks/types.js";
import { failResult, fixedRegistry, makeSpec, makeTarget, okResult } from "../health/fixtures.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TCP server on 127.0.0.1 that accepts and never says a word; counts open sockets. */
async function silentServer(): Promise<{ port: number; open: () => number; closed: Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let sawClose: () => void = () => {};
  const closed = new Promise<void>((r) => {
    sawClose = r;
  });
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => {
      sockets.delete(s);
      sawClose();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  const port = (server.address() as net.AddressInfo).port;
  return { port, open: () => sockets.size, closed };
}

/**
 * A real TCP checker that connects, waits for a reply, and closes on abort. `onConnect`
 * runs once the socket is connected (a test stalls the process there).
 */
const bannerChecker =
  (onConnect: () => void = () => {}): Checker =>
  (target, _spec, signal) =>
    new Promise<CheckResult>((resolve) => {
      const started = performance.now();
      const socket = net.connect({ host: target.address, port: target.port });
      socket.on("data", () => {
        socket.destroy();
        resolve({ ok: true, reason: "banner", latencyMs: performance.now() - started });
      });
      socket.on("error", (e) => resolve({ ok: false, reason: e.message, latencyMs: 0 }));
      signal.addEventListener("abort", () => {
        socket.destroy();
        resolve({ ok: false, reason: "checker saw abort", latencyMs: 0 });
      });
      socket.once("connect", onConnect);
    });
const waitForBanner = bannerChecker();

describe("runCheck deadlines", () => {
  it("a checker stuck on a real silent server is stopped at the deadline, its socket closed", async () => {
    const server = await silentServer();
    const spec = makeSpec({ negotiateTimeoutMs: 300 });
    const started = performance.now();
    const result = await runCheck(makeTarget({ port: server.port }), spec, {
      kind: "negotiate",
      registry: fixedRegistry({ negotiate: { http: waitForBanner } }),
    });
    expect(result.ok).toBe(false);
    expect(result.reason).toBe("timeout after 300 ms");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    await server.closed;
    expect(server.open()).toBe(0);
  });

  it("a checker that never resolves and ignores the signal still answers at the deadline", async () => {
    const never: Checker = () => new Promise<CheckResult>(() => {});
    const started = performance.now();
    const result = await runCheck(makeTarget(), makeSpec({ checkTimeoutMs: 200 }), {
      kind: "connect",
      registry: fixedRegistry({ connect: never }),
      graceMs: 100,
    });
    const took = performance.now() - started;
    expect(result).toMatchObject({ ok: false, reason: "timeout after 200 ms" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(190);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(5000);
  });

  it("an ok answer that arrives after the deadline is still a timeout", async () => {
    const late: Checker = () =>
      new Promise((r) => setTimeout(() => r({ ok: true, reason: "late", latencyMs: 1 }), 150));
    const result = await runCheck(makeTarget(), makeSpec({ checkTimeoutMs: 50 }), {
      kind: "external",
      registry: fixedRegistry({ external: late }),
      graceMs: 1000,
    });
    expect(result).toMatchObject({ ok: false, reason: "timeout after 50 ms" });
  });

  it("tells the checker why it was stopped", async () => {
    let reason: unknown;
    const watch: Checker = (_t, _s, signal) =>
      new Promise((r) =>
        signal.addEventListener("abort", () => {
          reason = signal.reason;
          r({ ok: false, reason: "stopped", latencyMs: 0 });
        }),
      );
    await runCheck(makeTarget(), makeSpec({ checkTimeoutMs: 30 }), {
      kind: "connect",
      registry: fixedRegistry({ connect: watch }),
    });
    expect(reason).toBeInstanceOf(DOMException);
    expect((reason as DOMException).name).toBe("TimeoutError");
  });

  it("uses negotiatetimeout for negotiate, checktimeout for the rest, × checkcount for ping", () => {
    const spec = makeSpec({ checkTimeoutMs: 2000, negotiateTimeoutMs: 7000, checkCount: 3 });
    expect(deadlineMs("negotiate", spec)).toBe(7000);
    expect(deadlineMs("connect", spec)).toBe(2000);
    expect(deadlineMs("external", spec)).toBe(2000);
    expect(deadlineMs("ping", spec)).toBe(6000);
    expect(deadlineMs("ping", makeSpec({ checkTimeoutMs: 2000, checkCount: 0 }))).toBe(2000);
    expect(deadlineMs("connect", makeSpec({ checkTimeoutMs: 0 }))).toBeGreaterThan(0);
  });
});

describe("runCheck never throws", () => {
  const cases: [string, Checker, RegExp][] = [
    [
      "throws synchronously",
      () => {
        throw new Error("boom");
      },
      /^checker error: boom$/,
    ],
    ["rejects", async () => Promise.reject(new Error("nope")), /^checker error: nope$/],
    ["rejects with a non-Error", async () => Promise.reject("plain"), /^checker error: plain$/],
    ["resolves undefined", async () => undefined as unknown as CheckResult, /^checker error: no result$/],
  ];
  for (const [name, checker, reason] of cases) {
    it(`turns a checker that ${name} into a failed result`, async () => {
      const result = await runCheck(makeTarget(), makeSpec(), {
        kind: "connect",
        registry: fixedRegistry({ connect: checker }),
      });
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(reason);
      expect(Number.isFinite(result.latencyMs)).toBe(true);
    });
  }

  it("fills in a missing latency", async () => {
    const sloppy = (async () => ({ ok: true, reason: "fine" })) as unknown as Checker;
    const result = await runCheck(makeTarget(), makeSpec(), {
      kind: "connect",
      registry: fixedRegistry({ connect: sloppy }),
    });
    expect(result.ok).toBe(true);
    expect(result.reason).toBe("fine");
    expect(Number.isFinite(result.latencyMs)).toBe(true);
  });
});

describe("runCheck abort", () => {
  it("answers aborted at once when the caller's signal is already aborted, without running the checker", async () => {
    let ran = false;
    const result = await runCheck(makeTarget(), makeSpec(), {
      kind: "connect",
      registry: fixedRegistry({
        connect: async () => {
          ran = true;
          return { ok: true, reason: "x", latencyMs: 0 };
        },
      }),
      signal: AbortSignal.abort(),
    });
    expect(result).toMatchObject({ ok: false, reason: "aborted" });
    expect(ran).toBe(false);
  });

  it("stops a running check when the caller aborts and closes its socket", async () => {
    const server = await silentServer();
    const caller = new AbortController();
    const pending = runCheck(makeTarget({ port: server.port }), makeSpec({ negotiateTimeoutMs: 20_000 }), {
      kind: "negotiate",
      registry: fixedRegistry({ negotiate: { http: waitForBanner } }),
      signal: caller.signal,
    });
    while (server.open() === 0) await new Promise((r) => setTimeout(r, 5));
    caller.abort();
    expect(await pending).toMatchObject({ ok: false, reason: "aborted" });
    await server.closed;
    expect(server.open()).toBe(0);
  });
});

describe("runCheck picks the checker", () => {
  const registry: CheckerRegistry = fixedRegistry({ negotiate: {} });
  for (const kind of ["connect", "ping", "external"] as const) {
    it(`kind ${kind}`, async () => {
      const result = await runCheck(makeTarget(), makeSpec(), { kind, registry: fixedRegistry() });
      expect(result.reason).toBe(kind);
    });
  }
  it("negotiate by service", async () => {
    const result = await runCheck(makeTarget(), makeSpec({ service: "http" }), {
      kind: "negotiate",
      registry: fixedRegistry(),
    });
    expect(result.reason).toBe("negotiate/http");
  });
  it("service none is always up, oracle always down, a missing checker is down", async () => {
    const none = await runCheck(makeTarget(), makeSpec({ service: "none" }), { kind: "negotiate", registry });
    expect(none).toMatchObject({ ok: true, reason: "service none: not checked" });
    const oracle = await runCheck(makeTarget(), makeSpec({ service: "oracle" }), {
      kind: "negotiate",
      registry,
    });
    expect(oracle).toMatchObject({ ok: false, reason: "service=oracle is not supported" });
    const sip = await runCheck(makeTarget(), makeSpec({ service: "sip" }), { kind: "negotiate", registry });
    expect(sip).toMatchObject({ ok: false, reason: "no checker for service=sip" });
  });
});

describe("runCheck under overload", () => {
  it("a timeout seen far past its deadline is inconclusive, not a failure of the real", async () => {
    // The real answers in time, but this process is blocked (as under a saturated event
    // loop) until long after the deadline: the answer is never seen in time.
    // The server shares this process's loop: it answers only once the stall is over, so
    // the answer is never seen in time. The client hangs up on it, hence the error listener.
    const server = net.createServer((s) => s.on("error", () => {}).end("200 hello\n"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const blocked: Checker = async (target, _spec, signal) => {
      const sock = net.connect(target.port, target.address);
      const until = performance.now() + 1200;
      while (performance.now() < until) {
        // busy: no timer, socket or abort event can run
      }
      // The deadline is long past when the loop wakes: the checker is stopped.
      try {
        await once(sock, "data", { signal });
        return okResult();
      } catch {
        return failResult("timeout after 200 ms");
      } finally {
        sock.destroy();
      }
    };
    const result = await runCheck(makeTarget({ port }), makeSpec({ negotiateTimeoutMs: 200 }), {
      kind: "negotiate",
      registry: fixedRegistry({ negotiate: { http: blocked } }),
    });
    server.close();
    expect(result.ok).toBe(false);
    expect(result.inconclusive).toBe(true);
    expect(result.reason).toMatch(/inconclusive: seen \d+ ms after the deadline; ldirector is overloaded/);
  });

  it("an answer already waiting in the socket when a stalled loop wakes past the deadline is seen", async () => {
    // The real is another process, so it answers while this one is stalled. Node runs
    // overdue timers before it polls sockets: without a poll phase between, the deadline
    // would fail a real whose answer sat in the socket in time.
    const dir = mkdtempSync(join(tmpdir(), "ldirector-run-"));
    const sent = join(dir, "sent");
    const real = spawn(
      process.execPath,
      [
        "-e",
        `const net = require("node:net"), fs = require("node:fs");
         const srv = net.createServer((s) => s.write("220 ready\\r\\n", () => fs.writeFileSync(${JSON.stringify(sent)}, "")));
         srv.listen(0, "127.0.0.1", () => console.log(srv.address().port));`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    cleanups.push(() => {
      real.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    });
    const [line] = (await once(real.stdout!, "data")) as [Buffer];
    const port = Number(line.toString().trim());
    // Stall this process from the connect until the real has written its banner and the
    // 200-ms deadline is well past.
    const started = performance.now();
    const stalling = bannerChecker(() => {
      while (performance.now() < started + 600 || !existsSync(sent)) {
        // busy: no timer, socket or abort event can run
      }
    });
    const result = await runCheck(makeTarget({ port }), makeSpec({ negotiateTimeoutMs: 200 }), {
      kind: "negotiate",
      registry: fixedRegistry({ negotiate: { http: stalling } }),
    });
    expect(result).toMatchObject({ ok: true, reason: "banner" });
  });

  it("overloaded() leaves successes and on-time failures alone", () => {
    const fail = failResult("timeout after 1000 ms");
    expect(overloaded(okResult(), 5000, 1000, 250)).toEqual(okResult());
    expect(overloaded(fail, 1000, 1000, 250)).toBe(fail);
    expect(overloaded(fail, 1250, 1000, 250)).toBe(fail); // the grace after the deadline
    expect(overloaded(fail, 1500, 1000, 250)).toBe(fail);
    expect(overloaded(fail, 1501, 1000, 250).inconclusive).toBe(true);
    // Short timeouts keep at least grace + 250 ms of allowance.
    expect(overloaded(fail, 700, 200, 250)).toBe(fail);
    expect(overloaded(fail, 701, 200, 250).inconclusive).toBe(true);
  });
});
