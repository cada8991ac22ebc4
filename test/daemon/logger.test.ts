import { closeSync, openSync } from "node:fs";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLogger, type DaemonLogger } from "../../src/daemon/logger.js";

function lines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("daemon logger", () => {
  let dir: string;
  const handles: DaemonLogger[] = [];
  const fds: number[] = [];
  const servers: Server[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "logger-"));
  });
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((h) => h.close()));
    for (const fd of fds.splice(0)) closeSync(fd);
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    await rm(dir, { recursive: true, force: true });
  });

  function consoleFile(name: string): { path: string; fd: number } {
    const path = join(dir, name);
    const fd = openSync(path, "a");
    fds.push(fd);
    return { path, fd };
  }

  it("writes one JSON line per record to the console by default", async () => {
    const out = consoleFile("stdout");
    const h = createLogger({ target: "stdout", pretty: false, name: "web.cf", consoleFd: out.fd });
    handles.push(h);
    h.logger.info({ real: "10.0.0.2:80", reason: "timeout" }, "real server down");
    h.logger.debug("not at info level");
    const [rec, ...more] = lines(await readFile(out.path, "utf8"));
    expect(more).toEqual([]);
    expect(rec).toMatchObject({
      level: 30,
      name: "web.cf",
      pid: process.pid,
      real: "10.0.0.2:80",
      reason: "timeout",
      msg: "real server down",
    });
    expect(typeof rec?.time).toBe("number");
  });

  it("appends to a log file, creating its directory, and reopens it after a rotation", async () => {
    const path = join(dir, "sub", "ldirector.log");
    const h1 = createLogger({ target: { kind: "file", path }, pretty: false, name: "a" });
    h1.logger.info("first");
    await h1.close();
    const h2 = createLogger({ target: { kind: "file", path }, pretty: false, name: "a" });
    handles.push(h2);
    h2.logger.info("second");
    expect(lines(await readFile(path, "utf8")).map((r) => r.msg)).toEqual(["first", "second"]);

    await rename(path, `${path}.1`);
    h2.logger.info("third, still into the rotated file");
    h2.reopen();
    h2.logger.info("fourth, into a new file");
    expect(lines(await readFile(`${path}.1`, "utf8")).map((r) => r.msg)).toEqual([
      "first",
      "second",
      "third, still into the rotated file",
    ]);
    expect(lines(await readFile(path, "utf8")).map((r) => r.msg)).toEqual(["fourth, into a new file"]);
  });

  it("redacts passwd and secret at any depth, also in child bindings", async () => {
    const path = join(dir, "l.log");
    const h = createLogger({ target: { kind: "file", path }, pretty: false, name: "a" });
    handles.push(h);
    h.logger.info(
      {
        passwd: "p0",
        check: { passwd: "p1", secret: "s1", login: "monitor" },
        virtual: { reals: [{ check: { passwd: "p2", secret: "s2" } }] },
      },
      "check spec",
    );
    h.logger.child({ spec: { secret: "s3" } }).info("child");
    const text = await readFile(path, "utf8");
    for (const s of ["p0", "p1", "p2", "s1", "s2", "s3"]) expect(text).not.toContain(`"${s}"`);
    const [a, b] = lines(text);
    expect(a).toMatchObject({
      passwd: "[redacted]",
      check: { passwd: "[redacted]", secret: "[redacted]", login: "monitor" },
      virtual: { reals: [{ check: { passwd: "[redacted]", secret: "[redacted]" } }] },
    });
    expect(b).toMatchObject({ spec: { secret: "[redacted]" }, msg: "child" });
  });

  it("pretty mode writes readable lines, not JSON", async () => {
    const out = consoleFile("stderr");
    const h = createLogger({ target: "stdout", pretty: true, name: "a", consoleFd: out.fd });
    handles.push(h);
    h.logger.warn({ secret: "hush" }, "fallback in");
    const text = await readFile(out.path, "utf8");
    expect(text).toContain("fallback in");
    expect(text).toMatch(/WARN/);
    expect(text).not.toContain("hush");
    expect(() => JSON.parse(text.split("\n")[0] ?? "")).toThrow();
  });

  it("sends syslog lines with the facility, severity and ident ldirector", async () => {
    // A stream listener stands in for /dev/log: `logger` tries datagram, then stream.
    const socket = join(dir, "log.sock");
    const received: string[] = [];
    const server = createServer((c) => c.on("data", (d: Buffer) => received.push(d.toString())));
    servers.push(server);
    await new Promise<void>((r) => server.listen(socket, r));

    const h = createLogger({
      target: { kind: "syslog", facility: "local3" },
      pretty: false,
      name: "a",
      syslogSocket: socket,
    });
    h.logger.info({ real: "10.0.0.2:80", passwd: "pw" }, "real server up");
    h.logger.warn("multi\nline");
    await h.close();
    for (let i = 0; i < 100 && !received.join("").includes("multi"); i++)
      await new Promise((r) => setTimeout(r, 20));

    const got = received.join("").split("\n").filter(Boolean);
    // local3 = 19: 19 * 8 + 6 (info) = 158, + 4 (warning) = 156.
    expect(got[0]).toMatch(/^<158>\w{3} [ \d]\d \d\d:\d\d:\d\d ldirector\[\d+\]: real server up \{.*\}$/);
    expect(got[0]).toContain(`ldirector[${process.pid}]`);
    expect(got[0]).toContain('"real":"10.0.0.2:80"');
    expect(got[0]).not.toContain("pw");
    expect(got[1]).toMatch(/^<156>.* ldirector\[\d+\]: multi line$/);
  });

  it("falls back to the console with a warning when there is no syslog socket", async () => {
    const out = consoleFile("stdout");
    const h = createLogger({
      target: { kind: "syslog", facility: "local0" },
      pretty: false,
      name: "a",
      syslogSocket: join(dir, "absent.sock"),
      consoleFd: out.fd,
    });
    handles.push(h);
    h.logger.info("after the warning");
    const [warning, info] = lines(await readFile(out.path, "utf8"));
    expect(warning).toMatchObject({ level: 40, msg: "no syslog socket; logging to stdout instead" });
    expect(info).toMatchObject({ level: 30, msg: "after the warning" });
  });

  it("falls back to the console when the logger program cannot run", async () => {
    const out = consoleFile("stdout");
    const socket = join(dir, "present.sock");
    await writeFile(socket, "");
    const h = createLogger({
      target: { kind: "syslog", facility: "daemon" },
      pretty: false,
      name: "a",
      syslogSocket: socket,
      loggerBinary: join(dir, "no-such-logger"),
      consoleFd: out.fd,
    });
    handles.push(h);
    for (let i = 0; i < 100 && !(await readFile(out.path, "utf8")).includes("syslog unavailable"); i++)
      await new Promise((r) => setTimeout(r, 20));
    h.logger.info("kept");
    const msgs = lines(await readFile(out.path, "utf8")).map((r) => r.msg);
    expect(msgs).toEqual(["syslog unavailable; logging to stdout instead", "kept"]);
  });
});
