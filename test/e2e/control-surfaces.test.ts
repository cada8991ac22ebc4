// Issue 14 through the built CLI as real processes: `reload` reports the daemon's
// refusal (defect 1), every CLI failure is one line (defect 7), `status` answers while
// ipvsadm hangs, a second SIGTERM really exits, and inbound connections to the sorry
// server cannot starve the checks of descriptors under a low RLIMIT_NOFILE (defect 6).
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { cli, Harness, type Real, requireBuild, standIn } from "./harness.js";

beforeAll(requireBuild);
// Daemons start slowly on a loaded 2-core machine; each test waits for conditions, not times.
vi.setConfig({ testTimeout: 120_000 });

let h: Harness;
const held: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of held.splice(0)) s.close();
  await h?.cleanup();
});

async function hold(): Promise<number> {
  const s = createServer();
  held.push(s);
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  return (s.address() as { port: number }).port;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

function config(real: Real | number, extra: string[] = []): string {
  const port = typeof real === "number" ? real : real.port;
  return [
    "checkinterval=1",
    "checktimeout=2",
    "negotiatetimeout=2",
    ...extra,
    "virtual=127.0.0.1:80",
    `    real=127.0.0.1:${port} masq 1`,
    "    service=http",
    '    request="/"',
    '    receive="ok from"',
    "",
  ].join("\n");
}

/** No stack frames, nothing but `error:` lines (and the "keeps its configuration" note). */
function expectOneLineErrors(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr.trim()).not.toBe("");
}

/** An ipvsadm that hangs on the connection listing (`-L -n`) or on everything, once told to. */
function hangingIpvsadm(dir: string): string {
  const path = join(dir, "ipvsadm-hangs");
  writeFileSync(
    path,
    [
      "#!/bin/sh",
      `if [ -e ${dir}/hang-all ] || { [ -e ${dir}/hang-list ] && [ "$*" = "-L -n" ]; }; then`,
      `  touch ${dir}/hung; exec sleep 600`,
      "fi",
      `exec ${standIn} "$@"`,
      "",
    ].join("\n"),
  );
  chmodSync(path, 0o755);
  return path;
}

describe("reload over the CLI", () => {
  it("exits non-zero with the daemon's error naming the line; the daemon keeps running", async () => {
    h = new Harness();
    const a = await h.real("a");
    const port = await freePort();
    h.writeConfig(config(a, [`metricsaddress=127.0.0.1:${port}`]));
    const d = h.startDaemon();
    await h.until("a in", () => h.weights()[a.port] === 1, 30_000);
    const busy = await hold();
    h.writeConfig(config(a, [`metricsaddress=127.0.0.1:${busy}`]));
    const r = await h.run([h.config, "reload"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/ldirectord\.cf:4: metricsaddress=127\.0\.0\.1:\d+: .*EADDRINUSE/);
    expectOneLineErrors(r.stderr);
    expect(d.exitCode).toBe(null);
    expect((await h.run([h.config, "status"])).code).toBe(0);
    expect(await h.stop(d)).toBe(0);
  });
});

describe("CLI failures are one line", () => {
  it("start with its listener's port in use", async () => {
    h = new Harness();
    const busy = await hold();
    h.writeConfig(config(1, [`sorryserver=127.0.0.1:${busy}`]));
    const r = await h.run(["--backend", "memory", h.config, "start"]);
    expect(r.code).toBe(1);
    expectOneLineErrors(r.stderr);
    expect(r.stderr).toMatch(/ldirectord\.cf:4: sorryserver=127\.0\.0\.1:\d+: .*EADDRINUSE/);
  });

  it("stop by a user who may not signal the daemon", async () => {
    h = new Harness();
    h.writeConfig(["virtual=127.0.0.1:80", "    real=127.0.0.1:9 masq 1", "    checktype=on", ""].join("\n"));
    chmodSync(h.dir, 0o755);
    const d = h.startDaemon();
    await h.until("pid file", () => existsSync(join(h.dir, "ldirector.ldirectord.cf.pid")), 90_000);
    const r = await new Promise<{ code: number | null; stderr: string }>((ok) => {
      const c = spawn(process.execPath, [cli, h.config, "stop"], {
        env: h.env,
        cwd: "/",
        uid: 65534,
        gid: 65534,
      });
      let stderr = "";
      c.stderr.on("data", (x) => (stderr += x));
      c.on("exit", (code) => ok({ code, stderr }));
    });
    expect(r.code).toBe(1);
    expectOneLineErrors(r.stderr);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(d.exitCode).toBe(null);
  });
});

describe("status and stop while ipvsadm hangs", () => {
  it("status answers with the table while the connection listing hangs", async () => {
    h = new Harness();
    const a = await h.real("a");
    h.writeConfig(config(a));
    const d = h.startDaemon(["--ipvsadm", hangingIpvsadm(h.dir)]);
    await h.until("a in", () => h.weights()[a.port] === 1, 30_000);
    writeFileSync(join(h.dir, "hang-list"), "");
    const r = await h.run([h.config, "status"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(h.dir, "hung"))).toBe(true);
    expect(r.stdout).toContain(`127.0.0.1:${a.port}`);
    expect(await h.stop(d)).toBe(0);
  });

  it("a second SIGTERM exits, saying the cleanup was not finished", async () => {
    h = new Harness();
    const a = await h.real("a");
    h.writeConfig(config(a));
    const d: ChildProcess & { output: () => string } = h.startDaemon(["--ipvsadm", hangingIpvsadm(h.dir)]);
    await h.until("a in", () => h.weights()[a.port] === 1, 30_000);
    writeFileSync(join(h.dir, "hang-all"), "");
    const exited = new Promise<number | null>((ok) => d.once("exit", (code) => ok(code)));
    d.kill("SIGTERM");
    // The cleanup's table write is hanging in ipvsadm.
    await h.until("cleanup hung", () => existsSync(join(h.dir, "hung")), 30_000);
    d.kill("SIGTERM");
    expect(await exited).toBe(1);
    expect(d.output()).toMatch(/without finishing the cleanup/);
    expect(existsSync(join(h.dir, "ldirector.ldirectord.cf.pid"))).toBe(false);
  });
});

describe("inbound connections cannot starve the checks", () => {
  it("a flood of idle connections to the sorry server under a low open-file limit leaves the real up", async () => {
    h = new Harness();
    const a = await h.real("a");
    const sorry = await freePort();
    h.writeConfig(config(a, [`sorryserver=127.0.0.1:${sorry}`]));
    const d = spawn(
      "prlimit",
      [
        "--nofile=160:160",
        process.execPath,
        cli,
        "--foreground",
        "--backend",
        "ipvsadm",
        "--ipvsadm",
        standIn,
        h.config,
        "start",
      ],
      { env: h.env, cwd: h.dir },
    );
    let out = "";
    d.stdout.on("data", (x) => (out += x));
    d.stderr.on("data", (x) => (out += x));
    try {
      await h.until("a in", () => h.weights()[a.port] === 1, 30_000);
      // Far more than the daemon has descriptors for; each is held open and idle.
      for (let i = 0; i < 300; i++) {
        const s = connect(sorry, "127.0.0.1");
        s.on("error", () => {});
        sockets.push(s);
      }
      // Several check intervals with the flood held open: checks keep passing.
      await h.until(
        "five more checks",
        async () => {
          if (d.exitCode !== null) throw new Error(`the daemon exited: ${out}`);
          const r = await h.run(["--json", h.config, "status"]);
          let real: { checks: number } | undefined;
          try {
            real = JSON.parse(r.stdout).virtuals?.[0]?.reals?.[0];
          } catch {
            real = undefined;
          }
          return real && real.checks >= 8 ? real : undefined;
        },
        60_000,
      );
      expect(h.weights()[a.port]).toBe(1);
      expect(out).not.toMatch(/EMFILE/);
      // No check failed at any point: the real never went down.
      expect(out).not.toMatch(/"to":"down"/);
    } finally {
      d.kill("SIGKILL");
    }
  });
});
