import { readFileSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_OUTPUT_BYTES, runCommand } from "../../src/effects/command.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Running, not dead and not a zombie waiting for a reaper (containers may have none). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

describe("runCommand", () => {
  let dir: string;
  const leftovers: number[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "command-"));
  });
  afterEach(async () => {
    for (const pid of leftovers.splice(0)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already exited
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  async function script(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  async function readPid(path: string): Promise<number> {
    for (let i = 0; i < 100; i++) {
      const text = await readFile(path, "utf8").catch(() => "");
      if (/^\d+\n/.test(text)) return Number(text.trim());
      await sleep(20);
    }
    throw new Error(`no pid in ${path}`);
  }

  it("returns the exit code and both output streams", async () => {
    const s = await script("a.sh", 'echo "to stdout"\necho "to stderr" >&2\nexit 3');
    const r = await runCommand([s], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 3, signal: null, timedOut: false });
    expect(r.output).toContain("to stdout\n");
    expect(r.output).toContain("to stderr\n");
    expect(r.error).toBeUndefined();
  });

  it("passes arguments without a shell and adds env", async () => {
    const s = await script("args.sh", 'for a in "$@"; do echo "[$a]"; done\necho "FOO=$FOO"');
    const r = await runCommand([s, "two words", "$HOME;rm -rf /", "*"], {
      timeoutMs: 10_000,
      env: { FOO: "bar" },
    });
    expect(r.code).toBe(0);
    expect(r.output).toBe("[two words]\n[$HOME;rm -rf /]\n[*]\nFOO=bar\n");
  });

  it("kills the whole process group on timeout", async () => {
    const pidFile = join(dir, "grandchild.pid");
    const s = await script("slow.sh", `sleep 30 &\necho $! > ${pidFile}\nsleep 30`);
    const r = await runCommand([s], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.code).toBeNull();
    // SIGTERM first: the shell dies of it, and so does everything in its group.
    expect(r.signal).toBe("SIGTERM");
    const grandchild = await readPid(pidFile);
    leftovers.push(grandchild);
    for (let i = 0; i < 50 && alive(grandchild); i++) await sleep(20);
    expect(alive(grandchild)).toBe(false);
  });

  it("kills a command that ignores SIGTERM with SIGKILL after the grace", async () => {
    const pidFile = join(dir, "stubborn.pid");
    const s = await script("stubborn.sh", `trap '' TERM\nsleep 30 &\necho $! > ${pidFile}\nwait\nsleep 30`);
    const r = await runCommand([s], { timeoutMs: 300 });
    expect(r).toMatchObject({ timedOut: true, code: null, signal: "SIGKILL" });
    const child = await readPid(pidFile);
    leftovers.push(child);
    for (let i = 0; i < 100 && alive(child); i++) await sleep(20);
    expect(alive(child)).toBe(false);
  });

  it("returns when the command exits even if a child it started keeps the output open", async () => {
    const pidFile = join(dir, "daemon.pid");
    const s = await script("starter.sh", `sleep 30 &\necho $! > ${pidFile}\necho started\nexit 0`);
    const r = await runCommand([s], { timeoutMs: 20_000 });
    leftovers.push(await readPid(pidFile));
    expect(r).toMatchObject({ code: 0, timedOut: false });
    expect(r.output).toContain("started");
    // The started service is left running: starting one is what a fallbackcommand is for.
    expect(alive(leftovers[0]!)).toBe(true);
  });

  it("bounds the output", async () => {
    const s = await script("loud.sh", "head -c 100000 /dev/zero | tr '\\0' x");
    const r = await runCommand([s], { timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    expect(r.output.startsWith("x".repeat(MAX_OUTPUT_BYTES))).toBe(true);
    expect(r.output.slice(MAX_OUTPUT_BYTES)).toBe("\n[output truncated]");
  });

  it("reports a command that cannot start without throwing", async () => {
    const r = await runCommand([join(dir, "missing")], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: null, signal: null, timedOut: false });
    expect(r.error).toMatch(/ENOENT/);
    const notExecutable = join(dir, "plain.txt");
    await writeFile(notExecutable, "echo hi\n");
    expect((await runCommand([notExecutable], { timeoutMs: 10_000 })).error).toMatch(/EACCES/);
    expect((await runCommand([], { timeoutMs: 10_000 })).error).toBe("empty command");
  });
});
