import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalChecker } from "../../src/checks/external.js";
import { never, spec, target, tempDir } from "./core/fixtures.js";

/** Gone means no such process or a zombie waiting for its reaper (it runs nothing). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

describe("externalChecker", () => {
  const dir = tempDir("ldirector ext "); // a space, so the quoted command path is exercised
  const script = (name: string, body: string): string => {
    const path = join(dir.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  let argsOut: string;
  let printArgs: string;

  beforeAll(() => {
    argsOut = join(dir.path, "args.txt");
    printArgs = script("print-args", `printf '%s\\n' "$@" > '${argsOut}'\nexit 0`);
  });
  afterAll(() => dir.remove());

  it("is up on exit 0 and passes ldirectord's 4 arguments", async () => {
    const t = target(8080, { realPort: 80, virtual: { protocol: "tcp", address: "192.0.2.10", port: 80 } });
    const r = await externalChecker(t, spec({ type: "external", command: `"${printArgs}"` }), never());
    expect(r).toMatchObject({ ok: true, reason: "exit 0" });
    expect(readFileSync(argsOut, "utf8")).toBe("192.0.2.10\n80\n127.0.0.1\n80\n");
  });

  it("passes the command's own words first, then IPv6 addresses in brackets", async () => {
    const t = target(443, {
      address: "::1",
      family: "inet6",
      realPort: 443,
      virtual: { protocol: "tcp", address: "2001:db8::10", port: 443 },
    });
    const command = `'${printArgs}' --flag "two words"`;
    const r = await externalChecker(t, spec({ type: "external", command }), never());
    expect(r.ok).toBe(true);
    expect(readFileSync(argsOut, "utf8")).toBe("--flag\ntwo words\n[2001:db8::10]\n443\n[::1]\n443\n");
  });

  it("passes the fwmark and port 0 for a firewall-mark virtual and a real without a port", async () => {
    const t = target(80, { realPort: 0, virtual: { protocol: "fwm", port: 0, fwmark: 7 } });
    const r = await externalChecker(t, spec({ type: "external", command: `"${printArgs}"` }), never());
    expect(r.ok).toBe(true);
    expect(readFileSync(argsOut, "utf8")).toBe("7\n0\n127.0.0.1\n0\n");
  });

  it("is down on a non-zero exit, with the first line it printed", async () => {
    const fail = script("fail", "echo 'backend says no' >&2\necho second line\nexit 3");
    const r = await externalChecker(target(80), spec({ type: "external", command: `"${fail}"` }), never());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^exit 3: (backend says no|second line)$/);
  });

  it("keeps at most 4 KiB of output", async () => {
    const chatty = script("chatty", "head -c 1000000 /dev/zero | tr '\\0' x\nexit 1");
    const r = await externalChecker(target(80), spec({ type: "external", command: `"${chatty}"` }), never());
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(`exit 1: ${"x".repeat(4096)}`);
  });

  it("reports death by a signal", async () => {
    const suicide = script("suicide", "kill -TERM $$");
    const r = await externalChecker(target(80), spec({ type: "external", command: `"${suicide}"` }), never());
    expect(r).toMatchObject({ ok: false, reason: "killed by SIGTERM" });
  });

  it("kills a hanging command and its children at the timeout", async () => {
    const pidFile = join(dir.path, "grandchild.pid");
    const hang = script("hang", `sleep 60 &\necho $! > '${pidFile}'\nwait`);
    const started = performance.now();
    const r = await externalChecker(
      target(80),
      spec({ type: "external", command: `"${hang}"`, checkTimeoutMs: 500 }),
      never(),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 500 ms" });
    expect(performance.now() - started).toBeLessThan(500 + 5000);
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(grandchild).toBeGreaterThan(1);
    await expect.poll(() => running(grandchild), { timeout: 2000 }).toBe(false);
  });

  it("kills the command when the runner aborts, and still says timeout", async () => {
    const pidFile = join(dir.path, "aborted.pid");
    const hang = script("hang2", `sleep 60 &\necho $! > '${pidFile}'\nwait`);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 300);
    const r = await externalChecker(
      target(80),
      spec({ type: "external", command: `"${hang}"`, checkTimeoutMs: 30_000 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 30000 ms" });
    await expect.poll(() => running(Number(readFileSync(pidFile, "utf8"))), { timeout: 2000 }).toBe(false);
  });

  it("leaves nothing behind when the command exits but its child lives on", async () => {
    const pidFile = join(dir.path, "orphan.pid");
    const leaver = script("leaver", `sleep 60 >/dev/null 2>&1 &\necho $! > '${pidFile}'\nexit 0`);
    const r = await externalChecker(target(80), spec({ type: "external", command: `"${leaver}"` }), never());
    expect(r.ok).toBe(true);
    await expect.poll(() => running(Number(readFileSync(pidFile, "utf8"))), { timeout: 2000 }).toBe(false);
  });

  it("is down with spawn ENOENT for a missing command", async () => {
    const missing = join(dir.path, "no-such-check");
    const r = await externalChecker(target(80), spec({ type: "external", command: `"${missing}"` }), never());
    expect(r).toMatchObject({ ok: false, reason: `spawn ENOENT: ${missing}` });
  });

  it("is down when there is no command at all", async () => {
    const r = await externalChecker(target(80), spec({ type: "external", command: "  " }), never());
    expect(r).toMatchObject({ ok: false, reason: "no checkcommand" });
  });
});
