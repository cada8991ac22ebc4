// Processes and temp dirs the bench starts, and what /proc says about them. Everything
// started here is registered in a Cleanup and torn down by PID (its own process group)
// on every exit path, so a failed or interrupted bench leaves nothing behind.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const CLK_TCK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export class Cleanup {
  constructor() {
    /** @type {Set<number>} process-group leaders we spawned */
    this.pids = new Set();
    /** @type {Set<string>} */
    this.dirs = new Set();
    const sync = () => this.runSync();
    process.on("exit", sync);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
      process.on(sig, () => {
        sync();
        process.exit(130);
      });
    }
  }

  tempDir(prefix) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.dirs.add(dir);
    return dir;
  }

  removeDir(dir) {
    fs.rmSync(dir, { recursive: true, force: true });
    this.dirs.delete(dir);
  }

  runSync() {
    for (const pid of this.pids) killGroup(pid, "SIGKILL");
    this.pids.clear();
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Spawns `bash -c 'ulimit -n <hard>; exec "$@"' -- argv…` in its own process group, so the
 * PID is the program's own (exec) and the limit on open files is as high as allowed.
 */
export function spawnTracked(cleanup, argv, { cwd, env, stdout = "ignore", stdin = "ignore" } = {}) {
  const child = spawn(
    "bash",
    ["-c", 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"', "bench", ...argv],
    {
      cwd,
      env: { ...process.env, ...env },
      stdio: [stdin, stdout, stdout === "pipe" ? "inherit" : stdout],
      detached: true,
    },
  );
  cleanup.pids.add(child.pid);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  child.once("exit", () => cleanup.pids.delete(child.pid));
  return { child, pid: child.pid, exited };
}

/** SIGTERM the group, wait up to graceMs, then SIGKILL it. */
export async function stopTracked(proc, graceMs = 15000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null) return proc.exited;
  killGroup(proc.pid, "SIGTERM");
  const timer = new Promise((r) => setTimeout(() => r("timeout"), graceMs));
  const res = await Promise.race([proc.exited, timer]);
  if (res === "timeout") {
    killGroup(proc.pid, "SIGKILL");
    return { ...(await proc.exited), killed: true };
  }
  return res;
}

/** utime, stime, cutime, cstime in seconds (cutime/cstime: waited-for children). */
export function cpuTimes(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // f[0] is field 3 (state); utime is field 14 → f[11].
  const t = (k) => Number(f[k]) / CLK_TCK;
  return { utime: t(11), stime: t(12), cutime: t(13), cstime: t(14) };
}

function ppidOf(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return -1;
  }
}

export function descendants(pid) {
  const byParent = new Map();
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const pp = ppidOf(Number(name));
    if (!byParent.has(pp)) byParent.set(pp, []);
    byParent.get(pp).push(Number(name));
  }
  const out = [];
  const stack = [pid];
  while (stack.length > 0) {
    for (const c of byParent.get(stack.pop()) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

function vmRssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of the process plus every live descendant, in MB; and the process's own. */
export function rssMb(pid) {
  const own = vmRssKb(pid);
  const total = own + descendants(pid).reduce((s, c) => s + vmRssKb(c), 0);
  return { ownMb: own / 1024, totalMb: total / 1024 };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
