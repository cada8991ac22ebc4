// The line-conversation helper under hostile reals: node:net servers that reset, drip
// one byte at a time, flood, or send garbage. Each must end in a down result on time,
// with an honest reason, and leave no socket open on our side.
import { readdirSync } from "node:fs";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { conversationCheck } from "../../../src/checks/lib/line-conversation.js";
import { loopbackTarget, negotiateSpec, quiet } from "../peers/spec.js";
import { underDeadline } from "../core/fixtures.js";

const servers: net.Server[] = [];
const timers: NodeJS.Timeout[] = [];
const sockets = new Set<net.Socket>();

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  // Also when a test failed half-way: no server-side socket may keep server.close() waiting.
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
        }),
    ),
  );
});

/** A real that does `behave` with each connection; returns its port and a count of open connections. */
async function hostile(behave: (socket: net.Socket) => void): Promise<{ port: number; open: () => number }> {
  let open = 0;
  const server = net.createServer((socket) => {
    open += 1;
    sockets.add(socket);
    socket.on("error", () => {});
    // Read and drop what the checker sends, so its FIN (or RST) reaches us and we can see it.
    socket.resume();
    socket.on("close", () => {
      open -= 1;
    });
    behave(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as net.AddressInfo).port, open: () => open };
}

/** A banner check that wants one "OK" line. */
/** A banner check that wants the line "OK", run under runCheck's deadline as the daemon runs it. */
const wantsOkLine = (port: number, negotiateTimeoutMs = 1000) =>
  underDeadline(
    "negotiate",
    (target, spec, signal) =>
      conversationCheck(target, spec, signal, false, async (c) => {
        const line = await c.readLine();
        if (line !== "OK") throw new Error(`not OK: ${line}`);
        return "fine";
      }),
    loopbackTarget(port),
    negotiateSpec("pop", { negotiateTimeoutMs }),
  );

async function closedOnBothSides(open: () => number): Promise<void> {
  for (let i = 0; i < 100 && open() > 0; i++) await new Promise((r) => setTimeout(r, 20));
  expect(open()).toBe(0);
}

describe("conversationCheck against hostile reals", () => {
  it("reports a reset connection", async () => {
    const real = await hostile((socket) => socket.resetAndDestroy());
    const result = await wantsOkLine(real.port);
    expect(result).toMatchObject({ ok: false });
    expect(result.reason).toMatch(/ECONNRESET|closed by the real/);
    await closedOnBothSides(real.open);
  });

  it("times out a real that answers one byte at a time, slowly, and closes the socket", async () => {
    const real = await hostile((socket) => {
      const timer = setInterval(() => socket.write("O"), 200);
      timers.push(timer);
      socket.on("close", () => clearInterval(timer));
    });
    const result = await wantsOkLine(real.port, 700);
    expect(result).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    await closedOnBothSides(real.open);
  });

  it("stops reading a flood at 64 KiB", async () => {
    const real = await hostile((socket) => {
      const chunk = Buffer.alloc(1024 * 1024, 0x41);
      const pump = () => {
        while (socket.writable && socket.write(chunk)) {
          // keep writing until the kernel pushes back
        }
      };
      socket.on("drain", pump);
      pump();
    });
    const result = await wantsOkLine(real.port, 5000);
    expect(result).toMatchObject({ ok: false, reason: "reply longer than 65536 bytes" });
    await closedOnBothSides(real.open);
  });

  it("reports garbage as what it is", async () => {
    const real = await hostile((socket) => socket.end("\x00\x01garbage\xff\r\n"));
    const result = await wantsOkLine(real.port);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^not OK: /) });
    await closedOnBothSides(real.open);
  });

  it("reports a TLS handshake with a plain-text real as a TLS failure", async () => {
    const real = await hostile((socket) => socket.end("+OK plain text here\r\n"));
    const result = await conversationCheck(
      loopbackTarget(real.port),
      negotiateSpec("pops"),
      quiet(),
      true,
      async () => "fine",
    );
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^TLS |ECONNRESET|closed by the real/);
    await closedOnBothSides(real.open);
  });

  it("stops at once when the caller aborts, whatever the timeout", async () => {
    const real = await hostile(() => {});
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await conversationCheck(
      loopbackTarget(real.port),
      negotiateSpec("pop", { negotiateTimeoutMs: 60_000 }),
      controller.signal,
      false,
      (c) => c.readLine(),
    );
    expect(result.ok).toBe(false);
    expect(result.latencyMs).toBeLessThan(30_000);
    await closedOnBothSides(real.open);
  });

  it("leaves file descriptors flat over 1,000 checks, up and down", async () => {
    // This real keeps every connection open: only the checker closing its socket frees it.
    const good = await hostile((socket) => socket.write("OK\r\n"));
    const bad = await hostile((socket) => socket.resetAndDestroy());
    const fds = () => readdirSync("/proc/self/fd").length;
    for (let i = 0; i < 20; i++) await wantsOkLine(good.port); // warm up lazily opened descriptors
    const before = fds();
    for (let i = 0; i < 1000; i += 10) {
      const round = await Promise.all(
        Array.from({ length: 10 }, (_, j) => wantsOkLine(j % 2 === 0 ? good.port : bad.port)),
      );
      expect(round.filter((r) => r.ok)).toHaveLength(5);
    }
    await closedOnBothSides(good.open);
    await closedOnBothSides(bad.open);
    expect(fds()).toBeLessThanOrEqual(before + 2);
  });
});
