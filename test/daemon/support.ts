// Shared by the in-process daemon tests: a Daemon on the memory backend in a scratch
// directory, free loopback ports, and waiting for conditions instead of fixed sleeps.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Daemon, type DaemonOptions } from "../../src/daemon/daemon.js";
import { MemoryBackend } from "../../src/ipvs/memory.js";
import { parseSave } from "../../src/ipvs/ipvsadm-text.js";

export class Scratch {
  readonly dir = mkdtempSync(join(tmpdir(), "ldirector-daemon-"));
  readonly config = join(this.dir, "lb.cf");
  readonly daemons: Daemon[] = [];
  private readonly servers: Server[] = [];

  write(lines: string[]): void {
    writeFileSync(this.config, `${lines.join("\n")}\n`);
  }

  daemon(backend = new MemoryBackend(), extra: Partial<DaemonOptions> = {}): Daemon {
    const d = new Daemon({
      configPath: this.config,
      backend,
      logger: pino({ level: "silent" }),
      stateFile: join(this.dir, "lb.state"),
      ...extra,
    });
    this.daemons.push(d);
    return d;
  }

  /** A listener holding a loopback port, so that binding it again fails with EADDRINUSE. */
  async hold(): Promise<number> {
    const s = createServer();
    this.servers.push(s);
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    return (s.address() as { port: number }).port;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.daemons.splice(0).map((d) => d.stop().catch(() => {})));
    for (const s of this.servers.splice(0)) s.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port that was free a moment ago (bound then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  const port = (s.address() as { port: number }).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

export async function weights(backend: MemoryBackend): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of (await backend.read()).services)
    for (const d of s.dests) out[`${d.address}:${d.port}`] = d.weight;
  return out;
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A table with one live virtual service and one real, as a running director leaves it. */
export function liveTable(): MemoryBackend {
  return new MemoryBackend(parseSave("-A -t 10.0.0.1:80 -s wrr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n"));
}

/**
 * Starts an in-process daemon in `dir` on one virtual (10.0.0.1:80) with a masq real per
 * weight (10.0.0.2, .3, …), checktype=on, its state file beside it; `daemons` collects it
 * for the caller's afterEach.
 */
export async function startPool(
  dir: string,
  realWeights: number[],
  daemons: Daemon[],
  backend = new MemoryBackend(),
): Promise<{ d: Daemon; backend: MemoryBackend }> {
  const configPath = join(dir, "lb.cf");
  const reals = realWeights.map((w, i) => `    real=10.0.0.${i + 2}:80 masq ${w}`);
  writeFileSync(configPath, ["virtual=10.0.0.1:80", ...reals, "    checktype=on", ""].join("\n"));
  const d = new Daemon({
    configPath,
    backend,
    logger: pino({ level: "silent" }),
    stateFile: join(dir, "lb.state"),
  });
  daemons.push(d);
  await d.start();
  return { d, backend };
}

/** The first service's weights by real address (the port is always 80 in startPool). */
export async function weightsByAddress(backend: MemoryBackend): Promise<Record<string, number>> {
  const s = (await backend.read()).services[0];
  return Object.fromEntries((s?.dests ?? []).map((x) => [x.address, x.weight]));
}
