// One scenario's world inside the VM: its own network namespaces (so its own IPVS table:
// IPVS is per namespace, which is what lets scenarios run side by side), real HTTP servers
// (busybox httpd, which starts in milliseconds where node takes seconds under TCG), a
// client that speaks through curl, and ldirector itself in the director namespace.
//
//   routed (NAT):  client 10.N.1.2 ── 10.N.1.1 director (VIP 10.N.1.100) 10.N.2.1 ══ bridge ══ reals 10.N.2.1x
//   flat (DR, TUN): client 10.N.2.2 and the reals share the director's bridge, so a real
//                   answers the client itself; the director holds the VIP 10.N.2.100
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const repo = resolve(import.meta.dirname, "../../..");
export const cli = join(repo, "dist/cli.js");
export const shim = join(import.meta.dirname, "ipvsadm-shim.sh");
/**
 * Node's optimising tiers make machine code that TCG must then translate again: in the
 * guest, `ldirector --version` took 29 s with them and 9 s without (interpreter only).
 * The daemon is mostly idle, so the interpreter's speed does not matter; its start does.
 */
export const NODE_FLAGS = ["--no-opt", "--no-sparkplug"];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns something truthy; throws naming `what` after `ms`. */
export async function until(what, probe, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for: ${what}`);
    // Each probe is a process spawned by node, costly under TCG: not too often.
    await sleep(500);
  }
}

/** `ipvsadm -S -n` text → [{ service: "-t 10.1.1.100:80", line, dests: { "10.1.2.11:80": { fwd, weight } } }] */
export function parseTable(text) {
  const services = [];
  for (const line of text.split("\n")) {
    const a = /^-A (-[tuf] \S+)/.exec(line);
    if (a) services.push({ service: a[1], line, dests: {} });
    const d = /^-a (-[tuf] \S+) -r (\S+) (-[gmi])(?: .*)? -w (\d+)/.exec(line);
    if (d) {
      const s = services.find((x) => x.service === d[1]);
      if (s) s.dests[d[2]] = { fwd: d[3], weight: Number(d[4]) };
    }
  }
  return services;
}

/** A shell command: one request, its body's first line or "error: no answer". */
export function oneRequest(url, timeoutS) {
  // Debian's static busybox 1.35 wget crashes on -q and -T: hence timeout and 2>/dev/null.
  return `if b=$(busybox timeout ${timeoutS} busybox wget -O - '${url}' 2>/dev/null); then echo "$b" | head -n1; else echo 'error: no answer'; fi`;
}

export class Lab {
  constructor(n, { flat = false, reals = 2 } = {}) {
    this.n = n;
    this.flat = flat;
    this.dir = mkdtempSync(`/tmp/ldvm-lab${n}-`);
    this.client = `v${n}c`;
    this.director = `v${n}d`;
    this.reals = Array.from({ length: reals }, (_, k) => `v${n}r${k + 1}`);
    this.sorry = `v${n}s`;
    this.vip = flat ? `10.${n}.2.100` : `10.${n}.1.100`;
    this.children = new Set();
    this.servers = new Map();
    this.log = join(this.dir, "ipvsadm.log");
    this.config = join(this.dir, `lab${n}.cf`);
    this.daemonOutput = "";
  }

  realAddress(i) {
    return `10.${this.n}.2.${10 + i}`;
  }
  get sorryAddress() {
    return `10.${this.n}.2.9`;
  }

  async sh(...argv) {
    return (await run(argv[0], argv.slice(1), { encoding: "utf8", timeout: 300_000 })).stdout;
  }
  inNs(ns, ...argv) {
    return this.sh("ip", "netns", "exec", ns, ...argv);
  }

  /**
   * Runs shell lines in one `sh -e`: under TCG every process node spawns costs a large
   * fork, so a lab is built by one shell, not by a node spawn per `ip` command.
   */
  async script(lines) {
    await run("sh", ["-ec", lines.join("\n")], { encoding: "utf8", timeout: 300_000 });
  }

  async build() {
    const { n, client: c, director: d } = this;
    const inNs = (ns, cmd) => `ip netns exec ${ns} ${cmd}`;
    const lines = [];
    for (const ns of [c, d, ...this.reals, this.sorry])
      lines.push(`ip netns add ${ns}`, `ip -n ${ns} link set lo up`);
    lines.push(
      `ip -n ${d} link add br0 type bridge`,
      `ip -n ${d} addr add 10.${n}.2.1/24 dev br0`,
      `ip -n ${d} link set br0 up`,
      inNs(d, "sysctl -qw net.ipv4.ip_forward=1"),
      // conntrack=1: IPVS connections pass through netfilter, so nft marks and masquerade see them.
      inNs(d, "sysctl -qw net.ipv4.vs.conntrack=1"),
    );
    const plug = (ns, port, addr, gw) => {
      lines.push(
        `ip link add ${port} netns ${d} type veth peer name e0 netns ${ns}`,
        `ip -n ${d} link set ${port} master br0`,
        `ip -n ${d} link set ${port} up`,
        `ip -n ${ns} addr add ${addr}/24 dev e0`,
        `ip -n ${ns} link set e0 up`,
        ...(gw ? [`ip -n ${ns} route add default via ${gw}`] : []),
      );
    };
    if (this.flat) {
      lines.push(`ip -n ${d} addr add ${this.vip}/32 dev br0`);
      plug(c, "pc", `10.${n}.2.2`);
    } else {
      lines.push(
        `ip link add c0 netns ${c} type veth peer name d0 netns ${d}`,
        `ip -n ${c} addr add 10.${n}.1.2/24 dev c0`,
        `ip -n ${c} link set c0 up`,
        `ip -n ${c} route add default via 10.${n}.1.1`,
        `ip -n ${d} addr add 10.${n}.1.1/24 dev d0`,
        `ip -n ${d} addr add ${this.vip}/32 dev d0`,
        `ip -n ${d} link set d0 up`,
      );
    }
    this.reals.forEach((r, k) => plug(r, `p${k + 1}`, this.realAddress(k + 1), `10.${n}.2.1`));
    plug(this.sorry, "ps", this.sorryAddress, `10.${n}.2.1`);
    await this.script(lines);
  }

  /** DR and TUN: the reals accept the VIP as their own but never answer ARP for it. */
  async realsAcceptVip({ tunnel = false } = {}) {
    const lines = [];
    for (const r of this.reals) {
      for (const k of ["all.arp_ignore=1", "all.arp_announce=2", "all.rp_filter=0", "default.rp_filter=0"]) {
        lines.push(`ip netns exec ${r} sysctl -qw net.ipv4.conf.${k}`);
      }
      lines.push(`ip -n ${r} addr add ${this.vip}/32 dev lo`);
      if (tunnel) {
        // tunl0 appears in every namespace once ipip is loaded; it decapsulates what the director sends.
        lines.push(
          `ip -n ${r} link set tunl0 up`,
          `ip netns exec ${r} sysctl -qw net.ipv4.conf.tunl0.rp_filter=0`,
        );
      }
    }
    await this.script(lines);
  }

  /** Starts an HTTP server in real `i` (0 = the sorry server) answering `body` on `port`. */
  async serve(i, { port = 80, body, files = {} } = {}) {
    const ns = i === 0 ? this.sorry : this.reals[i - 1];
    const www = join(this.dir, `www-${i}-${port}`);
    mkdirSync(www, { recursive: true });
    writeFileSync(join(www, "index.html"), `${body ?? (i === 0 ? "sorry" : `real ${i}`)}\n`);
    writeFileSync(join(www, "check.html"), "ok\n");
    for (const [name, text] of Object.entries(files)) writeFileSync(join(www, name), text);
    const child = spawn(
      "ip",
      ["netns", "exec", ns, "busybox", "httpd", "-f", "-p", `0.0.0.0:${port}`, "-h", www],
      {
        stdio: "ignore",
      },
    );
    this.children.add(child);
    this.servers.set(`${i}:${port}`, child);
    const addr = i === 0 ? this.sorryAddress : this.realAddress(i);
    const url = `http://${addr}:${port}/check.html`;
    const listening = () =>
      this.inNs(this.director, "busybox", "timeout", "3", "busybox", "wget", "-O", "/dev/null", url).then(
        () => true,
        () => false,
      );
    await until(`real ${i} to listen on ${port}`, listening, 30_000);
    return www;
  }

  async kill(i, port = 80) {
    const child = this.servers.get(`${i}:${port}`);
    this.servers.delete(`${i}:${port}`);
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGKILL");
    await gone;
  }

  /** One fresh request from the client: the body's first line, or "error: …". */
  async get(url = `http://${this.vip}/`, { timeoutS = 5 } = {}) {
    return (await this.gets(1, url, timeoutS))[0];
  }

  /**
   * `count` requests, one after another, each a new connection; their bodies' first lines.
   * One shell for all, and busybox wget (static: it starts at once where curl's dynamic
   * linking takes seconds under TCG).
   */
  async gets(count, url = `http://${this.vip}/`, timeoutS = 5) {
    if (count === 0) return [];
    const one = oneRequest(url, timeoutS);
    const out = await this.inNs(this.client, "sh", "-c", `for k in $(seq ${count}); do ${one}; done`).catch(
      (e) => `error: ${e.message}`,
    );
    return out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.trim());
  }

  /**
   * A request every `everyMs` from the client (a shell loop, so the pace does not depend on
   * node spawning processes under TCG) until stop(), which resolves with every body.
   */
  steadyRequests(everyMs = 200, url = `http://${this.vip}/`) {
    // 10 s per request: a guard against a hung one, not a latency bound (spawning wget
    // under TCG on a loaded host took seconds); a connection whose dest the kernel deleted
    // hangs far longer than that.
    const loop = this.clientLoop("sh", `${oneRequest(url, 10)}; busybox usleep ${everyMs * 1000}`);
    return { stop: async () => (await loop.stop()).map((l) => l.trim()) };
  }

  /**
   * Runs `body` over and over in the client namespace under `shell` until stop(), which
   * resolves with every non-empty line it printed.
   */
  clientLoop(shell, body) {
    const stopFile = join(this.dir, `stop-${Date.now()}`);
    const loop = `while [ ! -e '${stopFile}' ]; do ${body}; done`;
    const child = spawn("ip", ["netns", "exec", this.client, shell, "-c", loop], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    this.children.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const exited = new Promise((ok) => child.once("exit", ok));
    return {
      stop: async () => {
        writeFileSync(stopFile, "");
        await exited;
        return out.split("\n").filter(Boolean);
      },
    };
  }

  /** Loads an nft ruleset into the director namespace (from a file: nft's command line splits on ';'). */
  async nft(ruleset) {
    const file = join(this.dir, "rules.nft");
    writeFileSync(file, `${ruleset}\n`);
    await this.inNs(this.director, "nft", "-f", file);
  }

  async ipvsadm(...args) {
    return this.inNs(this.director, "/usr/sbin/ipvsadm", ...args);
  }
  async table() {
    return parseTable(await this.ipvsadm("-S", "-n"));
  }

  writeConfig(lines) {
    writeFileSync(this.config, `${lines.join("\n")}\n`);
  }

  logLines() {
    return existsSync(this.log) ? readFileSync(this.log, "utf8").split("\n").filter(Boolean) : [];
  }

  /**
   * Debian's ldirectord on `lines` in the director namespace (through the real ipvsadm),
   * until `settled()`; returns `ipvsadm -S -n` then and kills it. Its pid file is named
   * after the config file, so the name is unique to this lab.
   */
  async ldirectord(lines, settled, ms) {
    const file = join(this.dir, `ldvm-lab${this.n}.cf`);
    writeFileSync(file, `${lines.join("\n")}\n`);
    const child = spawn("ip", ["netns", "exec", this.director, "/usr/sbin/ldirectord", "-d", file, "start"], {
      cwd: this.dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.children.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out = (out + d).slice(-5000)));
    child.stderr.on("data", (d) => (out = (out + d).slice(-5000)));
    try {
      await until("ldirectord's table", settled, ms).catch((e) => {
        throw new Error(`${e.message}\nldirectord said:\n${out}`);
      });
      return await this.ipvsadm("-S", "-n");
    } finally {
      child.kill("SIGKILL");
    }
  }

  /** The logged kernel writes (-A -E -D -a -e -d -C, alone or inside -R), see ipvsadm-shim.sh. */
  writes() {
    return this.logLines().filter((l) => /^(R )?-[AEDaedC]( |$)/.test(l));
  }

  get env() {
    return {
      ...process.env,
      LDIRECTOR_RUN_DIR: this.dir,
      LDIRECTOR_STATE_DIR: this.dir,
      LDVM_SHIM_LOG: this.log,
    };
  }

  /** ldirector in the foreground in the director namespace, writing through the logging shim. */
  startDaemon() {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.director,
        process.execPath,
        ...NODE_FLAGS,
        cli,
        "--foreground",
        "--ipvsadm",
        shim,
        this.config,
        "start",
      ],
      { env: this.env, cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.children.add(child);
    const keep = (d) => {
      this.daemonOutput = (this.daemonOutput + d).slice(-20_000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.daemon = child;
    return child;
  }

  async stopDaemon(signal = "SIGTERM") {
    const child = this.daemon;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((ok) => child.once("exit", ok));
    child.kill(signal);
    await gone;
  }

  /** `ldirector ARGS CONFIG COMMAND` to completion in the director namespace. */
  async ldirector(...args) {
    const r = await run(
      "ip",
      ["netns", "exec", this.director, process.execPath, ...NODE_FLAGS, cli, ...args],
      {
        env: this.env,
        cwd: this.dir,
        encoding: "utf8",
        timeout: 120_000,
      },
    ).catch((e) => e);
    return { code: r.code ?? 0, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
  }

  async destroy() {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await this.script(
      [this.client, this.director, ...this.reals, this.sorry].map(
        (ns) => `ip netns del ${ns} 2>/dev/null || true`,
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
