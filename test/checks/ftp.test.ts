// ftpChecker against Debian's vsftpd (anonymous, passive, binary), started in a temp dir.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { ftpChecker } from "../../src/checks/ftp.js";
import { freePort } from "./peers/process.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";
import { startVsftpd, type VsftpdPeer } from "./peers/vsftpd.js";

let ftp: VsftpdPeer;

beforeAll(async () => {
  ftp = await startVsftpd();
  ftp.put("check.txt", "ldirector says hello\n");
  ftp.put("big.bin", Buffer.alloc(2 * 1024 * 1024, 0x41));
});

afterAll(async () => {
  await ftp?.stop();
});

describe("ftpChecker against vsftpd", () => {
  it("is up when the file is there and matches receive", async () => {
    const result = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/check.txt", receive: "says hel+o" }),
      quiet(),
    );
    expect(result).toMatchObject({ ok: true });
    expect(result.latencyMs).toBeGreaterThan(0);
  });

  it("is down when the content does not match receive", async () => {
    const result = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/check.txt", receive: "goodbye" }),
      quiet(),
    );
    expect(result).toMatchObject({ ok: false, reason: "receive /goodbye/ not matched" });
  });

  it("is down with the server's 550 when the file is missing", async () => {
    const result = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/missing.txt", receive: "" }),
      quiet(),
    );
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^FTP 550/);
  });

  it("is down when the login is refused (local users are disabled)", async () => {
    const result = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/check.txt", login: "root", passwd: "secret-pw" }),
      quiet(),
    );
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^FTP 530/);
    expect(result.reason).not.toContain("secret-pw");
  });

  it("stops reading a file larger than 1 MiB", async () => {
    const result = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/big.bin", receive: "A" }),
      quiet(),
    );
    expect(result).toMatchObject({ ok: false, reason: "FTP file larger than 1048576 bytes" });
  });

  it("is down when nothing listens", async () => {
    const result = await ftpChecker(loopbackTarget(await freePort()), negotiateSpec("ftp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/ECONNREFUSED/) });
  });

  it("gives up at negotiatetimeout when vsftpd hangs, and works again after", async () => {
    ftp.freeze();
    try {
      const startedAt = performance.now();
      const result = await underDeadline(
        "negotiate",
        ftpChecker,
        loopbackTarget(ftp.port),
        negotiateSpec("ftp", { request: "/check.txt", negotiateTimeoutMs: 500 }),
      );
      expect(result).toMatchObject({ ok: false, reason: "timeout after 500 ms" });
      expect(performance.now() - startedAt).toBeLessThan(500 + 3000);
    } finally {
      ftp.thaw();
    }
    const again = await ftpChecker(
      loopbackTarget(ftp.port),
      negotiateSpec("ftp", { request: "/check.txt" }),
      quiet(),
    );
    expect(again.ok).toBe(true);
  });

  it("stops at once when the caller aborts", async () => {
    ftp.freeze();
    try {
      const controller = new AbortController();
      const pending = ftpChecker(
        loopbackTarget(ftp.port),
        negotiateSpec("ftp", { negotiateTimeoutMs: 20_000 }),
        controller.signal,
      );
      setTimeout(() => controller.abort(), 100);
      const result = await pending;
      expect(result.ok).toBe(false);
      expect(result.latencyMs).toBeLessThan(10_000);
    } finally {
      ftp.thaw();
    }
  });
});
