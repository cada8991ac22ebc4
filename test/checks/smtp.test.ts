// smtpChecker (smtp and submission) against the npm smtp-server package, a real SMTP
// implementation, started in-process on 127.0.0.1.
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { smtpChecker } from "../../src/checks/smtp.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

let welcoming: SMTPServer;
let refusing: SMTPServer;
let hung: SilentPeer;
let heloOnly: SMTPServer;
let lmtp: SMTPServer;
let heloOnlyPort = 0;
let lmtpPort = 0;
let welcomingPort = 0;
let refusingPort = 0;
let sessions = 0;

function listen(server: SMTPServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.server.address() as AddressInfo).port));
  });
}

function close(server: SMTPServer | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

beforeAll(async () => {
  welcoming = new SMTPServer({
    name: "mx.test",
    banner: "ldirector test peer",
    authOptional: true,
    logger: false,
    onConnect(_session, callback) {
      sessions += 1;
      callback();
    },
  });
  refusing = new SMTPServer({
    name: "mx.test",
    authOptional: true,
    logger: false,
    onConnect(_session, callback) {
      const err = Object.assign(new Error("no service for you"), { responseCode: 554 });
      callback(err);
    },
  });
  welcomingPort = await listen(welcoming);
  refusingPort = await listen(refusing);
  // An RFC 821 server: EHLO is unknown to it (500), HELO works.
  heloOnly = new SMTPServer({
    name: "old.test",
    authOptional: true,
    logger: false,
    disabledCommands: ["EHLO"],
  });
  // An LMTP server greets like SMTP but refuses both EHLO and HELO: not an SMTP real.
  lmtp = new SMTPServer({ name: "lmtp.test", lmtp: true, authOptional: true, logger: false });
  heloOnlyPort = await listen(heloOnly);
  lmtpPort = await listen(lmtp);
  hung = await silentTcpServer();
});

afterAll(async () => {
  await Promise.all([close(welcoming), close(refusing), close(heloOnly), close(lmtp), hung?.close()]);
});

describe("smtpChecker against smtp-server", () => {
  it.each(["smtp", "submission"] as const)(
    "%s is up after a 220 greeting and 250 to EHLO",
    async (service) => {
      const port = welcomingPort;
      const before = sessions;
      const result = await smtpChecker(loopbackTarget(port), negotiateSpec(service), quiet());
      expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^SMTP 220 mx\.test/) });
      expect(sessions).toBe(before + 1);
    },
  );

  it("is down with the server's words when it answers 554 at the greeting", async () => {
    const port = refusingPort;
    const result = await smtpChecker(loopbackTarget(port), negotiateSpec("smtp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^SMTP greeting 554 /) });
  });

  it("falls back to HELO when EHLO is refused with 5xx", async () => {
    const result = await smtpChecker(loopbackTarget(heloOnlyPort), negotiateSpec("smtp"), quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^SMTP 220 old\.test/) });
  });

  it("is down when HELO is refused too", async () => {
    const result = await smtpChecker(loopbackTarget(lmtpPort), negotiateSpec("smtp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^SMTP HELO 5\d\d /) });
  });

  it("is down when nothing listens", async () => {
    const result = await smtpChecker(loopbackTarget(await freePort()), negotiateSpec("smtp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("gives up at negotiatetimeout when the real accepts and never greets", async () => {
    const startedAt = performance.now();
    const result = await underDeadline(
      "negotiate",
      smtpChecker,
      loopbackTarget(hung.port),
      negotiateSpec("smtp", { negotiateTimeoutMs: 400 }),
    );
    expect(result).toMatchObject({ ok: false, reason: "timeout after 400 ms" });
    expect(performance.now() - startedAt).toBeLessThan(400 + 3000);
  });
});
