// Runs the built CLI as a real process against the ipvsadm stand-in, with real HTTP
// reals on loopback. Everything a test starts is registered here and torn down in
// `cleanup()`, also when the test fails.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import type { Table } from "../../src/ipvs/model.js";
import { parseSave } from "../../src/ipvs/ipvsadm-text.js";
import { until } from "../daemon/support.js";

export const root = resolve(import.meta.dirname, "../..");
export const cli = join(root, "dist/cli.js");
export const standIn = join(root, "test/fixtures/ipvsadm");

export function requireBuild(): void {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does it)`);
}

export interface Real {
  name: string;
  port: number;
  /** Listening now (revived and not killed). */
  up?: boolean;
}

/** Talks to reals-thread.mjs: the reals' servers live on their own event loop. */
class RealsThread {
  private readonly worker = new Worker(new URL("./reals-thread.mjs", import.meta.url));
  private next = 0;
  private readonly waiting = new Map<number, (reply: { port?: number; error?: string }) => void>();

  constructor() {
    this.worker.on("message", (reply: { id: number; port?: number; error?: string }) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  private ask(msg: object): Promise<{ port?: number; error?: string }> {
    const id = this.next++;
    return new Promise((ok) => {
      this.waiting.set(id, ok);
      this.worker.postMessage({ ...msg, id });
    });
  }

  async listen(name: string, port: number): Promise<number> {
    const reply = await this.ask({ cmd: "listen", name, port });
    if (reply.error !== undefined) throw new Error(`real ${name} cannot listen on ${port}: ${reply.error}`);
    return reply.port!;
  }

  async close(port: number): Promise<void> {
    await this.ask({ cmd: "close", port });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), "ldirector-e2e-"));
  readonly state = join(this.dir, "ipvsadm.state.json");
  readonly log = join(this.dir, "ipvsadm.log");
  readonly config = join(this.dir, "ldirectord.cf");
  private readonly children = new Set<ChildProcess>();
  private readonly reals = new Set<Real>();
  private realsThread: RealsThread | undefined;

  get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      LDIRECTOR_RUN_DIR: this.dir,
      LDIRECTOR_STATE_DIR: this.dir,
      IPVSADM_STATE: this.state,
      IPVSADM_LOG: this.log,
    };
  }

  async real(name: string, port = 0): Promise<Real> {
    const r: Real = { name, port };
    this.reals.add(r);
    await this.revive(r);
    return r;
  }

  async revive(r: Real): Promise<void> {
    this.realsThread ??= new RealsThread();
    r.port = await this.realsThread.listen(r.name, r.port);
    r.up = true;
  }

  async kill(r: Real): Promise<void> {
    if (!r.up) return;
    r.up = false;
    await this.realsThread?.close(r.port);
  }

  writeConfig(text: string): void {
    writeFileSync(this.config, text);
  }

  /** `ldirector [args]` to completion. */
  run(args: string[], timeoutMs = 60_000): Promise<Run> {
    return new Promise((ok) => {
      const child = spawn(process.execPath, [cli, ...args], { env: this.env, cwd: this.dir });
      this.children.add(child);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d) => {
        stdout += d;
      });
      child.stderr.on("data", (d) => {
        stderr += d;
      });
      const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      child.on("exit", (code) => {
        clearTimeout(t);
        this.children.delete(child);
        ok({ code, stdout, stderr });
      });
    });
  }

  /** The daemon in the foreground (as under systemd), writing to the stand-in. */
  startDaemon(extra: string[] = []): ChildProcess & { output: () => string } {
    const child = spawn(
      process.execPath,
      [cli, "--foreground", "--backend", "ipvsadm", "--ipvsadm", standIn, ...extra, this.config, "start"],
      { env: this.env, cwd: this.dir },
    );
    this.children.add(child);
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("exit", () => this.children.delete(child));
    return Object.assign(child, { output: () => out });
  }

  /** Sends a signal and waits for the process to exit; returns its exit code. */
  async stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (child.exitCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
    child.kill(signal);
    return exited;
  }

  /** The stand-in's table, read the way an operator would: `ipvsadm -S -n`. */
  table(): Table {
    const text = execFileSync(standIn, ["-S", "-n"], { env: this.env, encoding: "utf8" });
    return parseSave(text);
  }

  /** Weights of the dests of the first service, by port. Absent dests are absent. */
  weights(): Record<number, number> {
    const s = this.table().services[0];
    return Object.fromEntries((s?.dests ?? []).map((d) => [d.port, d.weight]));
  }

  /** Lines the stand-in logged, optionally only the writes (ipvsadm -R and its stdin). */
  logLines(): string[] {
    return existsSync(this.log) ? readFileSync(this.log, "utf8").split("\n").filter(Boolean) : [];
  }

  /**
   * The kernel writes: -A -E -D -a -e -d -C lines, whether run directly or inside -R.
   * A batch's -R also carries its read-back (-S, -L) and marker lines; those are not writes.
   */
  writes(): string[] {
    return this.logLines().filter((l) => /^(R )?-[AEDaedC] /.test(l));
  }

  until<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs = 15_000,
  ): Promise<T> {
    return until(what, probe, timeoutMs);
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null) c.kill("SIGKILL");
    await Promise.all([...this.reals].map((r) => this.kill(r)));
    await this.realsThread?.terminate();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
