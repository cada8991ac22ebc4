// `ldirector demo`: the quick start. Three HTTP reals and the built-in sorry server on
// loopback, the director on the memory backend, and a script that kills and revives
// reals so a failover, a fallback and a recovery scroll past. Nothing outside this
// process is touched: no kernel table, no files outside a temp directory.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Args } from "../args.js";
import { MemoryBackend } from "../ipvs/memory.js";
import { Daemon } from "./daemon.js";
import { createLogger } from "./logger.js";

interface DemoReal {
  name: string;
  port: number;
  server?: Server;
}

function listen(real: DemoReal): Promise<void> {
  const server = createServer((_req, res) => {
    res.setHeader("connection", "close");
    res.end(`ok from ${real.name}\n`);
  });
  real.server = server;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(real.port, "127.0.0.1", () => {
      real.port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
}

function close(real: DemoReal): Promise<void> {
  const s = real.server;
  real.server = undefined;
  return new Promise((resolve) => {
    if (!s) return resolve();
    s.close(() => resolve());
    s.closeAllConnections();
  });
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The embedded default config: ldirectord.cf syntax, parsed by the real parser. */
export function demoConfig(reals: DemoReal[], sorryPort: number): string {
  return [
    "# ldirector demo: three local reals, a sorry server, checks every second",
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    "failurecount=1",
    "quiescent=no",
    `sorryserver=127.0.0.1:${sorryPort}`,
    "",
    "virtual=127.0.0.1:80",
    ...reals.map((r, i) => `    real=127.0.0.1:${r.port} masq ${i + 1}`),
    `    fallback=127.0.0.1:${sorryPort} masq`,
    "    service=http",
    '    request="/"',
    '    receive="ok from"',
    "    scheduler=wrr",
    "",
  ].join("\n");
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

export async function runDemo(args: Args): Promise<number> {
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const reals: DemoReal[] = [
    { name: "real-1", port: 0 },
    { name: "real-2", port: 0 },
    { name: "real-3", port: 0 },
  ];
  for (const r of reals) await listen(r);
  const sorryPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "ldirector-demo-"));
  const configPath = join(dir, "ldirectord.cf");
  await writeFile(configPath, demoConfig(reals, sorryPort));

  const logging = createLogger({ target: "stdout", pretty: true, name: "ldirector", level: "warn" });
  const daemon = new Daemon({
    configPath,
    backend: new MemoryBackend(),
    logger: logging.logger,
    // The demo leaves nothing behind: its overrides live and die with its temp dir.
    stateFile: join(dir, "demo.state"),
    onTableChange: (table) => out(`\n--- IPVS table (memory backend) ---\n${table}\n`),
  });
  const stopping = new AbortController();
  const onSignal = () => stopping.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    out(`ldirector demo: config ${configPath}`);
    out(`reals on 127.0.0.1:${reals.map((r) => r.port).join(", :")}; sorry server on :${sorryPort}`);
    out("Press Ctrl-C to stop.\n");
    await daemon.start();
    const steps: [string, () => Promise<unknown>][] = [
      ["real-1 stops: it leaves the pool (failover)", () => close(reals[0]!)],
      [
        "real-2 and real-3 stop: no real is healthy, the sorry server comes in (fallback)",
        async () => {
          await close(reals[1]!);
          await close(reals[2]!);
        },
      ],
      ["real-2 comes back: the sorry server goes out (recovery)", () => listen(reals[1]!)],
      [
        "real-1 and real-3 come back: the full pool serves again",
        async () => {
          await listen(reals[0]!);
          await listen(reals[2]!);
        },
      ],
    ];
    do {
      for (const [what, act] of steps) {
        await sleep(4000, stopping.signal);
        if (stopping.signal.aborted) break;
        out(`>>> ${what}`);
        await act();
      }
      await sleep(4000, stopping.signal);
    } while (!args.once && !stopping.signal.aborted);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await daemon.stop();
    await Promise.all(reals.map(close));
    await rm(dir, { recursive: true, force: true });
    await logging.close();
    out("demo stopped");
  }
}
