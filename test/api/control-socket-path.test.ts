// Defect 5 of issue 14: the control socket never damages what is at its path. A regular
// file or a live socket there is refused and left as it was; a directory ldirector did
// not create keeps its mode; a dead socket (a daemon that was killed) is replaced.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startControlSocket } from "../../src/api/server.js";
import { Scratch } from "../daemon/support.js";

let s: Scratch;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await s?.cleanup();
});

const handler = (_req: unknown, res: { end(t: string): void }) => res.end("{}");

describe("the control socket's path", () => {
  it("refuses a regular file there and leaves it as it was", async () => {
    s = new Scratch();
    const path = join(s.dir, "precious.txt");
    writeFileSync(path, "keep me");
    await expect(startControlSocket(path, handler)).rejects.toThrow(/regular file/);
    expect(readFileSync(path, "utf8")).toBe("keep me");
  });

  it("leaves the mode of a directory it did not create", async () => {
    s = new Scratch();
    const dir = join(s.dir, "shared");
    mkdirSync(dir);
    chmodSync(dir, 0o1777);
    const l = await startControlSocket(join(dir, "lb.sock"), handler);
    closers.push(() => l.close());
    expect(statSync(dir).mode & 0o7777).toBe(0o1777);
    expect(statSync(join(dir, "lb.sock")).mode & 0o777).toBe(0o600);
  });

  it("makes a missing directory 0700", async () => {
    s = new Scratch();
    const dir = join(s.dir, "new", "run");
    const l = await startControlSocket(join(dir, "lb.sock"), handler);
    closers.push(() => l.close());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("refuses a socket another process listens on, and replaces a dead one", async () => {
    s = new Scratch();
    const path = join(s.dir, "lb.sock");
    const other = createServer();
    await new Promise<void>((ok) => other.listen(path, ok));
    await expect(startControlSocket(path, handler)).rejects.toThrow(/listening/);
    // Dead: the listener is gone but (as after kill -9) the socket file stays.
    other.unref();
    await new Promise((ok) => other.close(ok));
    // A socket file nobody listens on, as a killed daemon leaves it: SIGKILL skips the unlink.
    const dead = spawn(process.execPath, [
      "-e",
      "require('net').createServer().listen(process.argv[1], () => process.stdout.write('up'))",
      path,
    ]);
    await new Promise((ok) => dead.stdout.once("data", ok));
    const gone = new Promise((ok) => dead.once("exit", ok));
    dead.kill("SIGKILL");
    await gone;
    expect(statSync(path).isSocket()).toBe(true);
    const l = await startControlSocket(path, handler);
    closers.push(() => l.close());
    expect(statSync(path).isSocket()).toBe(true);
  });
});
