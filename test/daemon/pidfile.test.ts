import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  PidFileHeldError,
  pidFilePath,
  readPidFile,
  removePidFile,
  writePidFile,
} from "../../src/daemon/pidfile.js";

describe("pid file", () => {
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "pidfile-"));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  /** A live process whose command line says "ldirector" (or not). */
  async function child(named: boolean): Promise<ChildProcess> {
    const args = named
      ? ["-e", "setInterval(() => {}, 1e6)", "ldirector-test-holder"]
      : ["-e", "setInterval(() => {}, 1e6)", "unrelated"];
    const c = spawn(process.execPath, args, { stdio: "ignore" });
    children.push(c);
    await once(c, "spawn");
    return c;
  }

  async function deadPid(): Promise<number> {
    const c = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await once(c, "exit");
    return c.pid!;
  }

  it("names the file after the config file, extension included", () => {
    expect(pidFilePath("/etc/ldirector/ldirectord.cf")).toBe("/run/ldirector.ldirectord.cf.pid");
    expect(pidFilePath("web.cf", "/tmp/x")).toBe("/tmp/x/ldirector.web.cf.pid");
  });

  it("writes our pid, reads it back and removes it", async () => {
    const path = join(dir, "ldirector.a.cf.pid");
    expect(await readPidFile(path)).toBeUndefined();
    await writePidFile(path);
    expect(await readFile(path, "utf8")).toBe(`${process.pid}\n`);
    const holder = await readPidFile(path);
    expect(holder?.pid).toBe(process.pid);
    expect(holder?.alive).toBe(true);
    // No temp file is left behind.
    expect(await readdir(dir)).toEqual(["ldirector.a.cf.pid"]);
    expect(await removePidFile(path)).toBe(true);
    expect(await readPidFile(path)).toBeUndefined();
  });

  it("tells a live ldirector from a reused pid and from a dead one", async () => {
    const path = join(dir, "p.pid");
    const ld = await child(true);
    await writeFile(path, `${ld.pid}\n`);
    expect(await readPidFile(path)).toEqual({ pid: ld.pid, alive: true, ours: true });

    const other = await child(false);
    await writeFile(path, `${other.pid}\n`);
    expect(await readPidFile(path)).toEqual({ pid: other.pid, alive: true, ours: false });

    const dead = await deadPid();
    await writeFile(path, `${dead}\n`);
    expect(await readPidFile(path)).toEqual({ pid: dead, alive: false, ours: false });
  });

  it("refuses to take a pid file held by another live ldirector", async () => {
    const path = join(dir, "p.pid");
    const ld = await child(true);
    await writeFile(path, `${ld.pid}\n`);
    await expect(writePidFile(path)).rejects.toBeInstanceOf(PidFileHeldError);
    expect(await readFile(path, "utf8")).toBe(`${ld.pid}\n`);
  });

  it("takes over a stale pid file (dead pid, or a pid reused by another program)", async () => {
    const path = join(dir, "p.pid");
    await writeFile(path, `${await deadPid()}\n`);
    await writePidFile(path);
    expect(await readFile(path, "utf8")).toBe(`${process.pid}\n`);

    const other = await child(false);
    await writeFile(path, `${other.pid}\n`);
    await writePidFile(path);
    expect(await readFile(path, "utf8")).toBe(`${process.pid}\n`);
  });

  it("treats a garbled pid file as absent", async () => {
    const path = join(dir, "p.pid");
    await writeFile(path, "not a pid\n");
    expect(await readPidFile(path)).toBeUndefined();
  });

  it("removes the file only while it still holds our pid", async () => {
    const path = join(dir, "p.pid");
    const ld = await child(true);
    await writeFile(path, `${ld.pid}\n`);
    expect(await removePidFile(path, process.pid)).toBe(false);
    expect(await readFile(path, "utf8")).toBe(`${ld.pid}\n`);
    expect(await removePidFile(path, ld.pid!)).toBe(true);
    expect(await removePidFile(path, ld.pid!)).toBe(false);
  });
});
