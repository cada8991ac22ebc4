// Shared plumbing for the real protocol peers the checker tests talk to: free ports,
// temp dirs, child processes in their own process group, waiting until ready.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A TCP port on 127.0.0.1 that was free a moment ago (and, with `udp`, free for UDP too). */
export async function freePort(udp = false): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    if (!udp) return port;
    const ok = await new Promise<boolean>((resolve) => {
      const sock = dgram.createSocket("udp4");
      sock.once("error", () => resolve(false));
      sock.bind(port, "127.0.0.1", () => sock.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `ldirector-${prefix}-`));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs a setup command to completion; throws with its output when it fails. */
export function run(
  cmd: string,
  args: string[],
  opts: { uid?: number; gid?: number; input?: string; cwd?: string } = {},
): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000, killSignal: "SIGKILL", ...opts });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

/** A long-running server in its own process group, with its output kept for diagnostics. */
export class PeerProcess {
  readonly child: ChildProcess;
  output = "";

  constructor(cmd: string, args: string[], opts: { uid?: number; gid?: number; cwd?: string } = {}) {
    this.child = spawn(cmd, args, { detached: true, stdio: ["ignore", "pipe", "pipe"], ...opts });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
    this.child.on("error", (err) => keep(Buffer.from(`spawn error: ${err.message}\n`)));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Freezes or thaws the whole group, as a hung real server would be. */
  signal(sig: "SIGSTOP" | "SIGCONT"): void {
    if (this.pid > 0) process.kill(-this.pid, sig);
  }

  /**
   * Stops the server: first `graceful` to the main process (so it can remove its shared
   * memory and files), then SIGKILL to the whole group if it is not gone within `graceMs`.
   */
  async stop(graceful?: NodeJS.Signals, graceMs = 5000): Promise<void> {
    if (this.pid <= 0 || this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    try {
      process.kill(-this.pid, "SIGCONT");
      if (graceful) {
        process.kill(this.pid, graceful);
        const timer = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), graceMs).unref());
        if ((await Promise.race([gone, timer])) !== "late") return;
      }
      process.kill(-this.pid, "SIGKILL");
    } catch {
      return;
    }
    await gone;
  }
}

/** Polls `ready` until it is true; throws (with the peer's output) after `timeoutMs`. */
export async function waitUntil(
  what: string,
  ready: () => boolean | Promise<boolean>,
  peer?: PeerProcess,
  timeoutMs = 30_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (peer?.exited) throw new Error(`${what} exited early:\n${peer.output}`);
    if (
      await Promise.resolve()
        .then(ready)
        .catch(() => false)
    )
      return;
    if (Date.now() > until)
      throw new Error(`${what} not ready after ${timeoutMs} ms:\n${peer?.output ?? ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** True once something accepts TCP connections on 127.0.0.1:port. */
export function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}

/** The numeric uid and gid of a system user, for servers that refuse to run as root. */
export function userIds(name: string): { uid: number; gid: number } {
  return { uid: Number(run("id", ["-u", name]).trim()), gid: Number(run("id", ["-g", name]).trim()) };
}

/**
 * Starts a peer in a fresh temp dir. `start` gets the dir and `track`, to hand over each
 * process it starts. If start fails, the tracked process is stopped and the dir removed
 * before the error goes on; otherwise the peer gets a stop() that stops its process with
 * `signal` (the server's clean-shutdown signal) and removes the dir.
 */
export async function startInTempDir<T extends { process: PeerProcess }>(
  prefix: string,
  signal: NodeJS.Signals,
  start: (dir: string, track: (p: PeerProcess) => PeerProcess) => Promise<T>,
): Promise<T & { stop(): Promise<void> }> {
  const dir = makeTempDir(prefix);
  let tracked: PeerProcess | undefined;
  try {
    const peer = await start(dir, (p) => (tracked = p));
    return {
      ...peer,
      async stop() {
        await peer.process.stop(signal);
        removeTempDir(dir);
      },
    };
  } catch (err) {
    await tracked?.stop();
    removeTempDir(dir);
    throw err;
  }
}
