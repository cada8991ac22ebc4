// popChecker (pop and pops) against Debian's dovecot, started in a temp dir.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { popChecker } from "../../src/checks/pop.js";
import { type DovecotPeer, startDovecot } from "./peers/dovecot.js";
import { freePort } from "./peers/process.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

let dovecot: DovecotPeer;

beforeAll(async () => {
  dovecot = await startDovecot();
});

afterAll(async () => {
  await dovecot?.stop();
});

describe("popChecker against dovecot", () => {
  it("pop without login is up on the +OK greeting", async () => {
    const result = await popChecker(loopbackTarget(dovecot.pop3), negotiateSpec("pop"), quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^POP \+OK/) });
  });

  it("pop with the right password is up", async () => {
    const spec = negotiateSpec("pop", { login: dovecot.user, passwd: dovecot.password });
    const result = await popChecker(loopbackTarget(dovecot.pop3), spec, quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^POP login ok/) });
  });

  it("pop with a wrong password is down, and the reason does not carry it", async () => {
    const spec = negotiateSpec("pop", { login: dovecot.user, passwd: "wrong-horse" });
    const result = await popChecker(loopbackTarget(dovecot.pop3), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^POP PASS -ERR/) });
    expect(result.reason).not.toContain("wrong-horse");
  });

  it("pops (TLS, unverified by default) with the right password is up", async () => {
    const spec = negotiateSpec("pops", { login: dovecot.user, passwd: dovecot.password });
    const result = await popChecker(loopbackTarget(dovecot.pop3s), spec, quiet());
    expect(result).toMatchObject({ ok: true });
  });

  it("pops with a wrong password is down", async () => {
    const spec = negotiateSpec("pops", { login: dovecot.user, passwd: "nope" });
    const result = await popChecker(loopbackTarget(dovecot.pop3s), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^POP PASS -ERR/) });
  });

  it("pops with tlsverify is up against the right CA and name, down without the CA", async () => {
    const verified = await popChecker(
      loopbackTarget(dovecot.pop3s),
      negotiateSpec("pops", { tlsVerify: true, tlsCaFile: dovecot.certFile, virtualHost: "mail.test" }),
      quiet(),
    );
    expect(verified).toMatchObject({ ok: true });
    const unverified = await popChecker(
      loopbackTarget(dovecot.pop3s),
      negotiateSpec("pops", { tlsVerify: true, virtualHost: "mail.test" }),
      quiet(),
    );
    expect(unverified).toMatchObject({ ok: false, reason: "TLS DEPTH_ZERO_SELF_SIGNED_CERT" });
  });

  it("pops against the plain-text port fails the TLS handshake and is down", async () => {
    const result = await popChecker(loopbackTarget(dovecot.pop3), negotiateSpec("pops"), quiet());
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^TLS |ECONNRESET|closed by the real/);
  });

  it("pop is down when nothing listens", async () => {
    const result = await popChecker(loopbackTarget(await freePort()), negotiateSpec("pop"), quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("pops gives up at negotiatetimeout when dovecot hangs", async () => {
    dovecot.freeze();
    try {
      const startedAt = performance.now();
      const result = await underDeadline(
        "negotiate",
        popChecker,
        loopbackTarget(dovecot.pop3s),
        negotiateSpec("pops", { negotiateTimeoutMs: 400 }),
      );
      expect(result).toMatchObject({ ok: false, reason: "timeout after 400 ms" });
      expect(performance.now() - startedAt).toBeLessThan(400 + 3000);
    } finally {
      dovecot.thaw();
    }
  });
});
