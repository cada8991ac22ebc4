// service=radius against a real FreeRADIUS 3 (freeradius), started once for this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { radiusChecker } from "../../src/checks/radius.js";
import type { CheckSpec } from "../../src/config/types.js";
import { type FreeRadiusPeer, startFreeRadius } from "./peers/freeradius.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentUdpSocket } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

describe("radiusChecker against FreeRADIUS", () => {
  let rad: FreeRadiusPeer;
  let silent: SilentPeer & { received: () => number };

  beforeAll(async () => {
    silent = await silentUdpSocket();
    rad = await startFreeRadius();
  });
  afterAll(async () => {
    await rad?.stop();
    await silent?.close();
  });

  const spec = (over: Partial<CheckSpec> = {}) =>
    negotiateSpec("radius", {
      login: rad.user,
      passwd: rad.password,
      secret: rad.secret,
      negotiateTimeoutMs: 3000,
      ...over,
    });

  it("is up on a verified Access-Accept", async () => {
    const r = await radiusChecker(loopbackTarget(rad.port, "udp"), spec(), quiet());
    expect(r).toMatchObject({ ok: true, reason: "radius: Access-Accept" });
    expect(rad.process.output).toMatch(/Login OK: \[checker/);
  });

  it("is down on Access-Reject for a wrong password, never printing it", async () => {
    const r = await radiusChecker(loopbackTarget(rad.port, "udp"), spec({ passwd: "wrong-pw-123" }), quiet());
    expect(r).toMatchObject({ ok: false, reason: "radius: Access-Reject" });
  });

  it("is down on Access-Reject for an unknown user", async () => {
    const r = await radiusChecker(loopbackTarget(rad.port, "udp"), spec({ login: "nobody" }), quiet());
    expect(r).toMatchObject({ ok: false, reason: "radius: Access-Reject" });
  });

  it("is not up with a wrong shared secret, and names neither secret", async () => {
    const r = await underDeadline(
      "negotiate",
      radiusChecker,
      loopbackTarget(rad.port, "udp"),
      spec({ secret: "wrong-secret-123", negotiateTimeoutMs: 1200 }),
    );
    expect(r.ok).toBe(false);
    // FreeRADIUS drops a request whose Message-Authenticator fails, so this is a timeout.
    expect(r.reason).toBe("timeout after 1200 ms");
    expect(r.reason).not.toContain("secret-123");
    expect(r.reason).not.toContain(rad.secret);
  });

  it("is down without sending when secret or login is missing", async () => {
    const noSecret = await radiusChecker(loopbackTarget(rad.port, "udp"), spec({ secret: "" }), quiet());
    expect(noSecret).toMatchObject({ ok: false, reason: "radius: secret= is required for service=radius" });
    const noLogin = await radiusChecker(loopbackTarget(rad.port, "udp"), spec({ login: "" }), quiet());
    expect(noLogin).toMatchObject({ ok: false, reason: "radius: login= is required for service=radius" });
  });

  it("times out against a real that takes datagrams and never answers, after retransmitting", async () => {
    const before = silent.received();
    const started = performance.now();
    const r = await underDeadline(
      "negotiate",
      radiusChecker,
      loopbackTarget(silent.port, "udp"),
      spec({ negotiateTimeoutMs: 900 }),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 900 ms" });
    expect(performance.now() - started).toBeLessThan(900 + 2000);
    expect(silent.received() - before).toBe(3);
  });

  it("times out when FreeRADIUS is frozen (SIGSTOP), then recovers", async () => {
    rad.process.signal("SIGSTOP");
    try {
      const r = await underDeadline(
        "negotiate",
        radiusChecker,
        loopbackTarget(rad.port, "udp"),
        spec({ negotiateTimeoutMs: 800 }),
      );
      expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
    } finally {
      rad.process.signal("SIGCONT");
    }
    const again = await radiusChecker(loopbackTarget(rad.port, "udp"), spec(), quiet());
    expect(again.ok).toBe(true);
  });

  it("is down at once with ECONNREFUSED when nothing listens on the port (ICMP port unreachable)", async () => {
    const r = await radiusChecker(
      loopbackTarget(await freePort(true), "udp"),
      spec({ negotiateTimeoutMs: 900 }),
      quiet(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^radius: .*ECONNREFUSED/);
  });
});
