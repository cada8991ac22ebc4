// service=ldap and ldaps against a real OpenLDAP slapd, started once for this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { ldapChecker } from "../../src/checks/ldap.js";
import type { CheckSpec } from "../../src/config/types.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { type SlapdPeer, startSlapd } from "./peers/slapd.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

describe("ldapChecker against slapd", () => {
  let ldap: SlapdPeer;
  let silent: SilentPeer;

  beforeAll(async () => {
    silent = await silentTcpServer();
    ldap = await startSlapd();
  });
  afterAll(async () => {
    await ldap?.stop();
    await silent?.close();
  });

  const spec = (over: Partial<CheckSpec> = {}) =>
    negotiateSpec("ldap", { request: `/${ldap.suffix}`, receive: "", negotiateTimeoutMs: 5000, ...over });

  it("is up anonymously when the base entry exists and its DN matches receive", async () => {
    const r = await ldapChecker(loopbackTarget(ldap.ldapPort), spec({ receive: "^dc=example," }), quiet());
    expect(r).toMatchObject({ ok: true, reason: 'ldap: found "dc=example,dc=com"' });
  });

  it("binds with login and passwd when both are set", async () => {
    const r = await ldapChecker(
      loopbackTarget(ldap.ldapPort),
      spec({
        login: ldap.userDn,
        passwd: ldap.userPassword,
        request: `/${ldap.userDn}`,
        receive: "uid=checker",
      }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: true, reason: `ldap: found "${ldap.userDn}"` });
  });

  it("is down on a wrong password, never printing it", async () => {
    const r = await ldapChecker(
      loopbackTarget(ldap.ldapPort),
      spec({ login: ldap.userDn, passwd: "wrong-pw-123" }),
      quiet(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^ldap: invalid credentials \(LDAP result 49\)/);
    expect(r.reason).not.toContain("wrong-pw-123");
  });

  it("is down when the base DN does not exist", async () => {
    const r = await ldapChecker(
      loopbackTarget(ldap.ldapPort),
      spec({ request: `/ou=nowhere,${ldap.suffix}` }),
      quiet(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^ldap: no such object \(LDAP result 32\)/);
  });

  it("is down when the DN does not match receive", async () => {
    const r = await ldapChecker(loopbackTarget(ldap.ldapPort), spec({ receive: "^ou=" }), quiet());
    expect(r).toMatchObject({
      ok: false,
      reason: 'ldap: DN "dc=example,dc=com" does not match receive /^ou=/',
    });
  });

  it("speaks ldaps to a self-signed server without verifying, as ldirectord meant", async () => {
    const r = await ldapChecker(
      loopbackTarget(ldap.ldapsPort),
      spec({ service: "ldaps", receive: "example" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: true, reason: 'ldaps: found "dc=example,dc=com"' });
  });

  it("with tlsverify, trusts the given CA file and refuses a certificate it did not sign", async () => {
    const trusted = await ldapChecker(
      loopbackTarget(ldap.ldapsPort),
      spec({ service: "ldaps", tlsVerify: true, tlsCaFile: ldap.certFile }),
      quiet(),
    );
    expect(trusted.ok).toBe(true);
    const refused = await ldapChecker(
      loopbackTarget(ldap.ldapsPort),
      spec({ service: "ldaps", tlsVerify: true, tlsCaFile: ldap.otherCaFile }),
      quiet(),
    );
    expect(refused.ok).toBe(false);
    expect(refused.reason).toMatch(/^ldaps: .*(certificate|self.signed)/i);
  });

  it("times out against a real that accepts and never answers", async () => {
    const started = performance.now();
    const r = await underDeadline(
      "negotiate",
      ldapChecker,
      loopbackTarget(silent.port),
      spec({ negotiateTimeoutMs: 700 }),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    expect(performance.now() - started).toBeLessThan(700 + 2000);
  });

  it("times out when slapd is frozen (SIGSTOP), then recovers", async () => {
    ldap.process.signal("SIGSTOP");
    try {
      const started = performance.now();
      const r = await underDeadline(
        "negotiate",
        ldapChecker,
        loopbackTarget(ldap.ldapPort),
        spec({ login: ldap.userDn, passwd: ldap.userPassword, negotiateTimeoutMs: 800 }),
      );
      expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
      expect(performance.now() - started).toBeLessThan(800 + 2000);
    } finally {
      ldap.process.signal("SIGCONT");
    }
    const again = await ldapChecker(loopbackTarget(ldap.ldapPort), spec(), quiet());
    expect(again.ok).toBe(true);
  });

  it("stops at once when the caller aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const started = performance.now();
    const r = await ldapChecker(
      loopbackTarget(silent.port),
      spec({ negotiateTimeoutMs: 10_000 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 10000 ms" });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
