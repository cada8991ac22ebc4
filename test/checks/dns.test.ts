// service=dns against a real dnsmasq (dnsmasq-base), started once for this file.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { dnsChecker } from "../../src/checks/dns.js";
import type { CheckSpec } from "../../src/config/types.js";
import { type DnsmasqPeer, startDnsmasq } from "./peers/dnsmasq.js";
import { type SilentPeer, silentTcpServer, silentUdpSocket } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

describe("dnsChecker against dnsmasq", () => {
  let dns: DnsmasqPeer;
  let silentTcp: SilentPeer;
  let silentUdp: SilentPeer & { received: () => number };

  beforeAll(async () => {
    silentTcp = await silentTcpServer();
    silentUdp = await silentUdpSocket();
    dns = await startDnsmasq();
  });
  afterAll(async () => {
    await dns?.stop();
    await silentTcp?.close();
    await silentUdp?.close();
  });

  const spec = (over: Partial<CheckSpec> = {}) =>
    negotiateSpec("dns", {
      request: "/web.example.test",
      receive: "^192\\.0\\.2\\.10$",
      negotiateTimeoutMs: 3000,
      ...over,
    });

  it("is up when an A answer matches receive (UDP for a udp virtual)", async () => {
    const r = await dnsChecker(loopbackTarget(dns.port, "udp"), spec(), quiet());
    expect(r).toMatchObject({ ok: true, reason: "dns: A 192.0.2.10" });
  });

  it("is up over TCP for a tcp virtual", async () => {
    const r = await dnsChecker(loopbackTarget(dns.port, "tcp"), spec(), quiet());
    expect(r).toMatchObject({ ok: true, reason: "dns: A 192.0.2.10" });
  });

  it("asks AAAA when receive is an IPv6 address (an extension: ldirectord knows only A)", async () => {
    const r = await dnsChecker(loopbackTarget(dns.port, "udp"), spec({ receive: "2001:db8::10" }), quiet());
    expect(r).toMatchObject({ ok: true, reason: "dns: AAAA 2001:db8::10" });
  });

  it("asks AAAA when the name has no A record", async () => {
    const r = await dnsChecker(
      loopbackTarget(dns.port, "tcp"),
      spec({ request: "/v6only.example.test", receive: "^2001:db8:" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: true, reason: "dns: AAAA 2001:db8::20" });
  });

  it("asks PTR when the request is an IPv4 or IPv6 address", async () => {
    const v4 = await dnsChecker(
      loopbackTarget(dns.port, "udp"),
      spec({ request: "/192.0.2.10", receive: "^web\\.example\\.test$" }),
      quiet(),
    );
    expect(v4).toMatchObject({ ok: true, reason: "dns: PTR web.example.test" });
    const v6 = await dnsChecker(
      loopbackTarget(dns.port, "udp"),
      spec({ request: "/2001:db8::20", receive: "v6only" }),
      quiet(),
    );
    expect(v6).toMatchObject({ ok: true, reason: "dns: PTR v6only.example.test" });
  });

  it("is down when no answer matches receive, naming what came back", async () => {
    const r = await dnsChecker(loopbackTarget(dns.port, "udp"), spec({ receive: "^10\\." }), quiet());
    expect(r).toMatchObject({ ok: false, reason: "dns: receive /^10\\./ not matched by A 192.0.2.10" });
  });

  it("is down when the name does not exist", async () => {
    const r = await dnsChecker(
      loopbackTarget(dns.port, "udp"),
      spec({ request: "/nothing.example.test" }),
      quiet(),
    );
    expect(r).toMatchObject({
      ok: false,
      reason: "dns: no answer for A/AAAA nothing.example.test (NXDOMAIN)",
    });
  });

  it("is down with an empty receive, as ldirectord, saying receive is required", async () => {
    const r = await dnsChecker(loopbackTarget(dns.port, "udp"), spec({ receive: "" }), quiet());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/receive= .*is required/);
  });

  it("times out when dnsmasq is frozen (SIGSTOP), then recovers", async () => {
    dns.process.signal("SIGSTOP");
    try {
      const started = performance.now();
      const r = await underDeadline(
        "negotiate",
        dnsChecker,
        loopbackTarget(dns.port, "udp"),
        spec({ negotiateTimeoutMs: 800 }),
      );
      expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
      expect(performance.now() - started).toBeLessThan(800 + 2000);
    } finally {
      dns.process.signal("SIGCONT");
    }
    const again = await dnsChecker(loopbackTarget(dns.port, "udp"), spec(), quiet());
    expect(again.ok).toBe(true);
  });

  it("times out over UDP against a silent real, after one retransmission", async () => {
    const before = silentUdp.received();
    const r = await underDeadline(
      "negotiate",
      dnsChecker,
      loopbackTarget(silentUdp.port, "udp"),
      spec({ negotiateTimeoutMs: 700 }),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    expect(silentUdp.received() - before).toBe(2);
  });

  it("uses TCP for a tcp virtual: a real that accepts TCP and never answers times out", async () => {
    const started = performance.now();
    const r = await underDeadline(
      "negotiate",
      dnsChecker,
      loopbackTarget(silentTcp.port, "tcp"),
      spec({ negotiateTimeoutMs: 700 }),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    expect(performance.now() - started).toBeLessThan(700 + 2000);
  });

  it("is down over TCP on garbage, and reads at most one 64 KiB message from an endless sender", async () => {
    let sentBytes = 0;
    const flood = net.createServer((sock) => {
      sock.on("error", () => {});
      const chunk = Buffer.alloc(1 << 20, 0xff);
      const pump = () => {
        while (!sock.destroyed && sentBytes < 100 * (1 << 20) && sock.write(chunk)) sentBytes += chunk.length;
      };
      sock.on("drain", pump);
      pump();
    });
    await new Promise<void>((resolve) => flood.listen(0, "127.0.0.1", resolve));
    try {
      const port = (flood.address() as net.AddressInfo).port;
      const r = await dnsChecker(loopbackTarget(port, "tcp"), spec({ negotiateTimeoutMs: 3000 }), quiet());
      expect(r).toMatchObject({ ok: false, reason: "dns: undecodable reply" });
      // The client hung up after one message; the 100 MB were never all sent.
      expect(sentBytes).toBeLessThan(100 * (1 << 20));
    } finally {
      await new Promise<void>((resolve) => flood.close(() => resolve()));
    }
  });

  it("stops at once when the caller aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const started = performance.now();
    const r = await dnsChecker(
      loopbackTarget(silentTcp.port, "tcp"),
      spec({ negotiateTimeoutMs: 10_000 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 10000 ms" });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
