// A small network made of namespaces, for real packets through the nftables backend:
//
//   client ns ──veth── director ns ──bridge── real ns 1..n
//   10.201.0.2        10.201.0.1 (+ VIP .100)   10.202.0.1   10.202.0.1x
//                                 10.202.0.1
// The reals route back through the director (NAT needs the replies). Everything is
// named after this process, and `destroy()` removes it all, also after a failure.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { root } from "./harness.js";

const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
const inNs = (ns: string, ...args: string[]) => ip("netns", "exec", ns, ...args);

export const vip = "10.201.0.100";
export const sorryAddress = "10.202.0.1";

export class Topology {
  readonly tag = `${process.pid % 100000}`;
  readonly client = `ldc${this.tag}`;
  readonly director = `ldd${this.tag}`;
  readonly reals: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly realProcs = new Map<number, ChildProcess>();

  static requireRoot(): void {
    if (process.getuid?.() !== 0) {
      throw new Error("the netns tests need root (ip netns, veth, bridge, nft); run them as root");
    }
    try {
      execFileSync("nft", ["--version"]);
    } catch {
      throw new Error("the netns tests need nft (Debian package nftables; scripts/install-test-deps.sh)");
    }
  }

  constructor(realCount: number) {
    for (let i = 1; i <= realCount; i++) this.reals.push(`ldr${i}x${this.tag}`);
  }

  realAddress(i: number): string {
    return `10.202.0.${10 + i}`;
  }

  build(): void {
    const { client: c, director: d } = this;
    for (const ns of [c, d, ...this.reals]) {
      ip("netns", "add", ns);
      inNs(ns, "ip", "link", "set", "lo", "up");
    }
    ip("link", "add", "c0", "netns", c, "type", "veth", "peer", "name", "d0", "netns", d);
    inNs(c, "ip", "addr", "add", "10.201.0.2/24", "dev", "c0");
    inNs(c, "ip", "link", "set", "c0", "up");
    inNs(c, "ip", "route", "add", "default", "via", "10.201.0.1");
    inNs(d, "ip", "addr", "add", "10.201.0.1/24", "dev", "d0");
    inNs(d, "ip", "addr", "add", `${vip}/32`, "dev", "d0");
    inNs(d, "ip", "link", "set", "d0", "up");
    inNs(d, "ip", "link", "add", "br0", "type", "bridge");
    inNs(d, "ip", "addr", "add", "10.202.0.1/24", "dev", "br0");
    inNs(d, "ip", "link", "set", "br0", "up");
    inNs(d, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    this.reals.forEach((r, k) => {
      const i = k + 1;
      ip("link", "add", `p${i}`, "netns", d, "type", "veth", "peer", "name", "r0", "netns", r);
      inNs(d, "ip", "link", "set", `p${i}`, "master", "br0");
      inNs(d, "ip", "link", "set", `p${i}`, "up");
      inNs(r, "ip", "addr", "add", `${this.realAddress(i)}/24`, "dev", "r0");
      inNs(r, "ip", "link", "set", "r0", "up");
      inNs(r, "ip", "route", "add", "default", "via", "10.202.0.1");
    });
  }

  /** Starts real i's HTTP server; resolves when it listens. */
  startReal(i: number): Promise<void> {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.reals[i - 1]!,
        process.execPath,
        join(root, "test/e2e/fixtures/http-real.mjs"),
        `${i}`,
        "8080",
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    this.children.add(child);
    this.realProcs.set(i, child);
    return new Promise((ok, fail) => {
      child.stdout!.once("data", () => ok());
      child.once("exit", (code) => fail(new Error(`real ${i} exited with ${code}`)));
    });
  }

  async stopReal(i: number): Promise<void> {
    const child = this.realProcs.get(i);
    this.realProcs.delete(i);
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGKILL");
    await gone;
  }

  /** A process inside the director namespace (the daemon). */
  spawnInDirector(argv: string[], env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
    const child = spawn("ip", ["netns", "exec", this.director, ...argv], { env });
    this.children.add(child);
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      out += d;
    });
    return Object.assign(child, { output: () => out });
  }

  /** `count` fresh connections to the VIP from the client namespace. */
  requests(count: number): { status?: number; body?: string; error?: string }[] {
    const out = execFileSync(
      "ip",
      [
        "netns",
        "exec",
        this.client,
        process.execPath,
        join(root, "test/e2e/fixtures/http-client.mjs"),
        "many",
        `http://${vip}/`,
        String(count),
      ],
      { encoding: "utf8", timeout: 10_000 + count * 3_000 },
    );
    return JSON.parse(out);
  }

  /** One keep-alive connection from the client; `next()` sends a request on it. */
  keepAlive(): {
    next(): Promise<{ status?: number; body?: string; port?: number; error?: string }>;
    close(): void;
  } {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.client,
        process.execPath,
        join(root, "test/e2e/fixtures/http-client.mjs"),
        "keepalive",
        `http://${vip}/`,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    this.children.add(child);
    let buf = "";
    const waiting: ((line: string) => void)[] = [];
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        waiting.shift()?.(line);
      }
    });
    return {
      next: () =>
        new Promise((ok) => {
          waiting.push((line) => ok(JSON.parse(line)));
          child.stdin!.write("go\n");
        }),
      close: () => child.stdin!.end(),
    };
  }

  destroy(): void {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const ns of [this.client, this.director, ...this.reals]) {
      try {
        ip("netns", "del", ns);
      } catch {
        // already gone
      }
    }
  }
}
