import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pingChecker } from "../../src/checks/ping.js";
import { never, spec, target } from "./core/fixtures.js";
import { createNetns, type TestNetns } from "./core/netns.js";

const hasIpv6Loopback = execFileSync("ip", ["-6", "addr", "show", "lo"], { encoding: "utf8" }).includes(
  "::1/128",
);

describe("pingChecker", () => {
  let ns: TestNetns;
  beforeAll(() => {
    ns = createNetns();
  });
  afterAll(() => ns?.remove());

  it("is up for 127.0.0.1", async () => {
    const r = await pingChecker(target(0), spec({ type: "ping" }), never());
    expect(r).toMatchObject({ ok: true, reason: "echo reply" });
  });

  it("pings ::1 over IPv6", async () => {
    const r = await pingChecker(
      target(0, { address: "::1", family: "inet6" }),
      spec({ type: "ping", checkTimeoutMs: 1000 }),
      never(),
    );
    if (hasIpv6Loopback) expect(r).toMatchObject({ ok: true, reason: "echo reply" });
    else expect(r.ok).toBe(false);
  });

  it("is up for a host in a namespace the test made", async () => {
    const r = await pingChecker(target(0, { address: ns.peer }), spec({ type: "ping" }), never());
    expect(r).toMatchObject({ ok: true, reason: "echo reply" });
  });

  it("is down when nothing answers, after checkcount attempts", async () => {
    const started = performance.now();
    const r = await pingChecker(
      target(0, { address: ns.silent }),
      spec({ type: "ping", checkTimeoutMs: 500, checkCount: 2 }),
      never(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toBe("no echo reply within 500 ms (2 attempts)");
    expect(performance.now() - started).toBeLessThan(2 * 500 + 5000);
  });

  it("stops at once when the runner aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const r = await pingChecker(
      target(0, { address: ns.silent }),
      spec({ type: "ping", checkTimeoutMs: 3000, checkCount: 3 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 3000 ms" });
    expect(r.latencyMs).toBeLessThan(3000);
  });
});
