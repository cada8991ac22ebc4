// Reals that misbehave on purpose. Each must be marked down within its timeout (plus
// generous slack) with an honest reason, while a healthy real checked at the same time
// keeps answering quickly: no check blocks another.
import { createServer as createHttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpChecker } from "../../src/checks/http.js";
import type { CheckResult } from "../../src/checks/types.js";
import { close, listen, spec, target, underDeadline } from "./core/fixtures.js";

const TIMEOUT = 1500;
const SLACK = 4000;
const HUNDRED_MB = 100 * 1024 * 1024;

interface Hostile {
  server: Server;
  port: number;
  sockets: Set<Socket>;
  /** Bytes the server managed to hand to the kernel, per connection, once it closed. */
  written: number[];
}

function hostile(onConnection: (socket: Socket) => void): Hostile {
  const sockets = new Set<Socket>();
  const written: number[] = [];
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      written.push(socket.bytesWritten);
    });
    onConnection(socket);
  });
  return { server, port: 0, sockets, written };
}

/** Writes `total` bytes after `head`, honouring backpressure, until the peer goes away. */
function flood(socket: Socket, head: string, total: number, fill: string): void {
  const chunk = Buffer.alloc(64 * 1024, fill);
  let sent = 0;
  socket.write(head);
  const pump = () => {
    while (sent < total && !socket.destroyed) {
      sent += chunk.length;
      if (!socket.write(chunk)) {
        socket.once("drain", pump);
        return;
      }
    }
  };
  pump();
}

describe("hostile reals", () => {
  const timers = new Set<NodeJS.Timeout>();
  const reals = {
    // Reads (so it notices the hang-up) but never says a word.
    silent: hostile((socket) => socket.resume()),
    slow: hostile((socket) => {
      socket.once("data", () => {
        const text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
        let i = 0;
        const timer = setInterval(() => {
          if (socket.destroyed || i >= text.length) clearInterval(timer);
          else socket.write(text[i++] as string);
        }, 1000);
        timers.add(timer);
        socket.on("close", () => clearInterval(timer));
      });
    }),
    floodBody: hostile((socket) => {
      socket.once("data", () =>
        flood(socket, `HTTP/1.1 200 OK\r\nContent-Length: ${HUNDRED_MB}\r\n\r\n`, HUNDRED_MB, "x"),
      );
    }),
    floodHeaders: hostile((socket) => {
      socket.once("data", () => flood(socket, "HTTP/1.1 200 OK\r\nX-Junk: ", HUNDRED_MB, "y"));
    }),
    garbage: hostile((socket) => {
      socket.once("data", () => socket.write("SSH-2.0-OpenSSH_9.2\r\n\x00\xff\xfe garbage\r\n\r\n"));
    }),
    // A plain TCP service where https is expected: it answers the ClientHello in clear text.
    plainText: hostile((socket) => {
      socket.once("data", () => socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
    }),
    reset: hostile((socket) => {
      socket.once("data", () => socket.resetAndDestroy());
    }),
  };
  const healthy = createHttpServer((_req, res) => res.end("healthy OK\n"));
  let healthyPort: number;

  beforeAll(async () => {
    for (const real of Object.values(reals)) real.port = await listen(real.server);
    healthyPort = await listen(healthy);
    // The https check loads undici on first use; on a loaded machine that alone can take
    // most of the timeout, which is not what this test measures.
    await import("undici");
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    for (const real of Object.values(reals)) {
      for (const s of real.sockets) s.destroy();
      await close(real.server);
    }
    await close(healthy);
  });

  const check = (port: number, over: Parameters<typeof spec>[0] = {}) =>
    underDeadline(
      "negotiate",
      httpChecker,
      target(port),
      spec({ request: "/", receive: "OK", negotiateTimeoutMs: TIMEOUT, ...over }),
    );

  /** Healthy checks one after another for as long as `until` is pending. */
  async function healthyMeanwhile(until: Promise<unknown>): Promise<CheckResult[]> {
    let done = false;
    void until.finally(() => {
      done = true;
    });
    const results: CheckResult[] = [];
    while (!done) {
      results.push(await check(healthyPort));
      await new Promise((r) => setTimeout(r, 50));
    }
    return results;
  }

  it("marks every hostile real down on time with an honest reason; a healthy real stays up meanwhile", async () => {
    const arrayBuffersBefore = process.memoryUsage().arrayBuffers;
    let peakArrayBuffers = arrayBuffersBefore;
    const sampler = setInterval(() => {
      peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
    }, 20);
    timers.add(sampler);

    const timed = async (run: Promise<CheckResult>) => {
      const started = performance.now();
      const result = await run;
      return { result, took: performance.now() - started };
    };
    const hostileRuns = Promise.all([
      timed(check(reals.silent.port)),
      timed(check(reals.slow.port)),
      timed(check(reals.floodBody.port, { receive: "NEVER-THERE" })),
      timed(check(reals.floodHeaders.port)),
      timed(check(reals.garbage.port)),
      timed(check(reals.plainText.port, { service: "https" })),
      timed(check(reals.reset.port)),
    ]);
    const [runs, healthyResults] = await Promise.all([hostileRuns, healthyMeanwhile(hostileRuns)]);
    clearInterval(sampler);
    const [silent, slow, floodBody, floodHeaders, garbage, plainText, reset] = runs;

    expect(silent?.result).toMatchObject({ ok: false, reason: `timeout after ${TIMEOUT} ms` });
    expect(slow?.result).toMatchObject({ ok: false, reason: `timeout after ${TIMEOUT} ms` });
    expect(floodBody?.result).toMatchObject({
      ok: false,
      reason: "HTTP 200 but receive /NEVER-THERE/ not matched in the first 1 MiB",
    });
    expect(floodHeaders?.result).toMatchObject({ ok: false, reason: "bad HTTP response: headers too large" });
    expect(garbage?.result.ok).toBe(false);
    expect(garbage?.result.reason).toMatch(
      /^bad HTTP response: (HPE_|Response does not match the HTTP\/1.1 protocol)/,
    );
    expect(plainText?.result.ok).toBe(false);
    expect(plainText?.result.reason).toMatch(/^TLS: /);
    expect(reset?.result.ok).toBe(false);
    expect(reset?.result.reason).toMatch(/^connection (reset \(ECONNRESET\)|: other side closed)$/);
    for (const run of runs) expect(run.took).toBeLessThan(TIMEOUT + SLACK);

    // The healthy real was checked again and again while the others hung, and each
    // check stayed far below the timeout.
    expect(healthyResults.length).toBeGreaterThan(1);
    for (const r of healthyResults) {
      expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
      expect(r.latencyMs).toBeLessThan(TIMEOUT / 2);
    }

    // The floods stopped at the bound: the servers could hand only a little of their
    // 100 MB to the kernel before the check hung up, and this process never held it.
    await expect.poll(() => reals.floodBody.written.length).toBe(1);
    await expect.poll(() => reals.floodHeaders.written.length).toBe(1);
    expect(reals.floodBody.written[0]).toBeLessThan(16 * 1024 * 1024);
    expect(reals.floodHeaders.written[0]).toBeLessThan(16 * 1024 * 1024);
    expect(peakArrayBuffers - arrayBuffersBefore).toBeLessThan(32 * 1024 * 1024);

    // Every connection a check opened is closed again.
    for (const [name, real] of Object.entries(reals))
      await expect.poll(() => `${name}: ${real.sockets.size}`).toBe(`${name}: 0`);
  });
});
