import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { externalChecker } from "../../src/checks/external.js";
import { runCheck } from "../../src/checks/run.js";
import { parseConfigText } from "../../src/config/load.js";
import { opts } from "../config/helpers.js";
import { never, spec, target, tempDir, underDeadline } from "./core/fixtures.js";

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
    const r = await underDeadline(
      "external",
      externalChecker,
      target(80),
      spec({ type: "external", command: `"${hang}"`, checkTimeoutMs: 500 }),
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

// checktype=external-perl: ldirectord evals the script in its own Perl with the four
// arguments in @ARGV and `exit` caught (exit 0 or the end of the script: up; exit N or
// die: down). Here it is `perl SCRIPT ...`, a real perl, under the same timeout and
// process-group kill as external.
describe("externalChecker, external-perl", () => {
  const dir = tempDir("ldirector perl "); // a space: the script path is one argument, never split
  const perlScript = (name: string, body: string): string => {
    const path = join(dir.path, `${name}.pl`);
    writeFileSync(path, body); // not executable: perl reads it, as ldirectord's eval does
    return path;
  };
  const perl = (command: string, over = {}) => spec({ type: "external", perl: true, command, ...over });
  afterAll(() => dir.remove());

  it("passes ldirectord's 4 arguments in @ARGV and the environment; exit 0 is up", async () => {
    const out = join(dir.path, "argv.txt");
    const s = perlScript(
      "args",
      `open(my $f, ">", "${out}") or die; print $f join("|", @ARGV, $ENV{LDT_MARK}), "\n"; close $f; exit 0;\n`,
    );
    process.env.LDT_MARK = "from-the-daemon";
    try {
      const t = target(8080, { realPort: 80, virtual: { protocol: "tcp", address: "192.0.2.10", port: 80 } });
      const r = await externalChecker(t, perl(s), never());
      expect(r).toMatchObject({ ok: true, reason: "exit 0" });
      expect(readFileSync(out, "utf8")).toBe("192.0.2.10|80|127.0.0.1|80|from-the-daemon\n");
    } finally {
      delete process.env.LDT_MARK;
    }
  });

  it("a script that runs off its end is up; exit N and die are down", async () => {
    const end = perlScript("end", "my $x = 1 + 1;\n");
    const exit3 = perlScript("exit3", 'print "db lag too high\\n"; exit 3;\n');
    const dies = perlScript("dies", 'die "cannot reach backend\\n";\n');
    const bad = perlScript("syntax", "this is { not perl\n");
    expect(await externalChecker(target(80), perl(end), never())).toMatchObject({
      ok: true,
      reason: "exit 0",
    });
    expect(await externalChecker(target(80), perl(exit3), never())).toMatchObject({
      ok: false,
      reason: "exit 3: db lag too high",
    });
    expect(await externalChecker(target(80), perl(dies), never())).toMatchObject({
      ok: false,
      reason: "exit 255: cannot reach backend",
    });
    expect((await externalChecker(target(80), perl(bad), never())).ok).toBe(false);
  });

  it("kills the script and what it started at the timeout", async () => {
    const pidFile = join(dir.path, "perl-child.pid");
    const hang = perlScript(
      "hang",
      `my $pid = fork(); if ($pid == 0) { exec("sleep", "60"); } open(my $f, ">", "${pidFile}"); print $f $pid; close $f; waitpid($pid, 0); exit 0;\n`,
    );
    const r = await underDeadline(
      "external",
      externalChecker,
      target(80),
      perl(hang, { checkTimeoutMs: 700 }),
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    await expect.poll(() => existsSync(pidFile), { timeout: 2000 }).toBe(true);
    await expect.poll(() => running(Number(readFileSync(pidFile, "utf8"))), { timeout: 2000 }).toBe(false);
  });

  it("from the config file to the process: checktype=external-perl with a quoted script path", async () => {
    const up = perlScript("up", 'exit($ARGV[2] eq "10.0.0.5" ? 0 : 1);\n');
    const config = await parseConfigText(
      `virtual=192.0.2.1:80\n    real=10.0.0.5:80 gate\n    real=10.0.0.6:80 gate\n    checktype=external-perl\n    checkcommand="${up}"\n    checktimeout=5\n`,
      "/p.cf",
      opts,
    );
    const v = config.virtuals[0]!;
    expect(v.check).toMatchObject({ type: "external", perl: true, command: up, checkTimeoutMs: 5000 });
    const results = await Promise.all(
      v.reals.map((r) =>
        runCheck(
          {
            address: r.address,
            family: r.family,
            port: r.check.port,
            realPort: r.port,
            virtual: { protocol: v.protocol, address: v.address!, port: v.port },
          },
          r.check,
          { kind: "external" },
        ),
      ),
    );
    expect(results.map((r) => [r.ok, r.reason])).toEqual([
      [true, "exit 0"],
      [false, "exit 1"],
    ]);
  });
});
