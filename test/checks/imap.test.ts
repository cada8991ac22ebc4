// imapChecker (imap and imaps) against Debian's dovecot, started in a temp dir.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imapChecker, quoted } from "../../src/checks/imap.js";
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

describe("imapChecker against dovecot", () => {
  it("imap without login is up on the * OK greeting", async () => {
    const result = await imapChecker(loopbackTarget(dovecot.imap), negotiateSpec("imap"), quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^IMAP \* OK/) });
  });

  it("imap with the right password is up", async () => {
    const spec = negotiateSpec("imap", { login: dovecot.user, passwd: dovecot.password });
    const result = await imapChecker(loopbackTarget(dovecot.imap), spec, quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^IMAP login ok/) });
  });

  it("imap with a wrong password (quotes and backslashes included) is refused with NO, not BAD", async () => {
    const spec = negotiateSpec("imap", { login: dovecot.user, passwd: 'bad"pass\\word' });
    const result = await imapChecker(loopbackTarget(dovecot.imap), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^IMAP LOGIN a1 NO/) });
    expect(result.reason).not.toContain("pass");
  });

  it("imaps (TLS, unverified by default) with the right password is up", async () => {
    const spec = negotiateSpec("imaps", { login: dovecot.user, passwd: dovecot.password });
    const result = await imapChecker(loopbackTarget(dovecot.imaps), spec, quiet());
    expect(result).toMatchObject({ ok: true });
  });

  it("imaps with a wrong password is down", async () => {
    const spec = negotiateSpec("imaps", { login: dovecot.user, passwd: "nope" });
    const result = await imapChecker(loopbackTarget(dovecot.imaps), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^IMAP LOGIN a1 NO/) });
  });

  it("imaps with tlsverify is down when the certificate names another host", async () => {
    const result = await imapChecker(
      loopbackTarget(dovecot.imaps),
      negotiateSpec("imaps", { tlsVerify: true, tlsCaFile: dovecot.certFile, virtualHost: "other.test" }),
      quiet(),
    );
    expect(result).toMatchObject({ ok: false, reason: "TLS ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  it("imap against a POP3 server is down with what that server said", async () => {
    const result = await imapChecker(loopbackTarget(dovecot.pop3), negotiateSpec("imap"), quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^IMAP greeting \+OK/) });
  });

  it("imap is down when nothing listens", async () => {
    const result = await imapChecker(loopbackTarget(await freePort()), negotiateSpec("imap"), quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("imap with a login containing a line break is down before anything is sent", async () => {
    const spec = negotiateSpec("imap", { login: "probe\r\na2 LOGOUT", passwd: "x" });
    const result = await imapChecker(loopbackTarget(dovecot.imap), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "login contains a line break" });
  });

  it("quotes as RFC 3501 asks", () => {
    expect(quoted('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});
