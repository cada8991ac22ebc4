import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChecker } from "../../src/checks/connect.js";
import { close, listen, never, spec, target, underDeadline } from "./core/fixtures.js";
import { createNetns, type TestNetns } from "./core/netns.js";

describe("connectChecker", () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let accepted = 0;

  beforeAll(async () => {
    server = createServer((s) => {
      accepted++;
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    });
    port = await listen(server);
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await close(server);
  });

  it("is up when the real accepts, and closes its socket at once", async () => {
    const before = accepted;
    const r = await connectChecker(target(port), spec({ type: "connect" }), never());
    expect(r).toMatchObject({ ok: true, reason: "connected" });
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    await expect.poll(() => accepted).toBe(before + 1);
    // The server sees the close: no socket left open by the check.
    await expect.poll(() => sockets.size).toBe(0);
  });

  it("checks target.port (the resolved check port), not the real's port", async () => {
    const r = await connectChecker(target(port, { realPort: 1 }), spec({ type: "connect" }), never());
    expect(r.ok).toBe(true);
  });

  it("is down with the errno when nothing listens", async () => {
    const closed = createServer();
    const freePort = await listen(closed);
    await close(closed);
    const r = await connectChecker(target(freePort), spec({ type: "connect" }), never());
    expect(r).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("is down with a timeout reason on its own checktimeout when the peer is silent", async () => {
    // A SYN to an address on a link where no one answers ARP: the connect never completes.
    let ns: TestNetns | undefined;
    try {
      ns = createNetns();
      const started = performance.now();
      const r = await underDeadline(
        "connect",
        connectChecker,
        target(80, { address: ns.silent }),
        spec({ type: "connect", checkTimeoutMs: 500 }),
      );
      expect(r).toMatchObject({ ok: false, reason: "timeout after 500 ms" });
      expect(performance.now() - started).toBeLessThan(500 + 5000);
    } finally {
      ns?.remove();
    }
  });

  it("is down with a timeout reason when the runner aborts", async () => {
    const ctl = new AbortController();
    ctl.abort();
    const r = await connectChecker(target(port), spec({ type: "connect", checkTimeoutMs: 1500 }), ctl.signal);
    expect(r).toMatchObject({ ok: false, reason: "timeout after 1500 ms" });
  });

  it("treats connect on a udp virtual as a ping check, as ldirectord does", async () => {
    const t = target(9, { virtual: { protocol: "udp", address: "10.0.0.1", port: 53 } });
    const r = await connectChecker(t, spec({ type: "connect" }), never());
    // Nothing listens on udp/9 or tcp/9; only ICMP can make this up.
    expect(r).toMatchObject({ ok: true, reason: "echo reply" });
  });
});
