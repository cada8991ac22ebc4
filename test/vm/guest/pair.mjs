// A director pair on the real kernel: two director namespaces (each its own IPVS table),
// a client and two DR reals on one switch (a bridge in a namespace of its own, so neither
// director owns the wire), keepalived VRRP (Debian's, one per director, advert_int 1)
// owning the VIP, and notify scripts that tell ldirector its role. Both directors run
// ldirector on the same config: the backup is a warm standby whose table already equals
// the master's. The master "dies": its keepalived and ldirector are SIGKILLed and its
// link goes down (the machine is gone). Measured: how long requests through the VIP
// fail, whether a long download survives (with and without the IPVS sync daemon), and
// how many kernel writes the standby makes when it takes over.
//
//   switch v{n}w: br0 ── client 10.n.2.2, director A 10.n.2.3, director B 10.n.2.4,
//                        reals 10.n.2.11, 10.n.2.12 (VIP 10.n.2.100 on lo, no ARP for it)
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BIG, bigFile, config, download, expectEqual, failed, SETTLE_MS } from "./helpers.mjs";
import { cli, Lab, NODE_FLAGS, oneRequest, parseTable, shim, sleep, until } from "./lab.mjs";

const ADVERT_INT = 1;
/**
 * VRRP's own bound is 3 x advert_int (+ skew); on top: the client's TCP SYN retransmits
 * (1 s, then 3 s after the first) and TCG, where each process spawn takes a large fork.
 */
const OUTAGE_LIMIT_S = 3 * ADVERT_INT + 12;
/**
 * A pair starts two daemons and runs the CLI from notify scripts, each 20-40 s under TCG:
 * two at once, these scenarios took 120 s each; three at once on a loaded host, 350-415 s.
 * They run alone (suite.mjs), after the others.
 */
const PAIR_LIMIT_MS = 12 * 60_000;
/** The download outlives the takeover: 6 MiB at 200 KiB/s is 30 s. */
const DOWNLOAD_RATE = "200K";

/** One director of the pair: its namespace, its ldirector, its keepalived. */
class Director {
  constructor(lab, name, ns, address, priority) {
    this.lab = lab;
    this.name = name;
    this.ns = ns;
    this.address = address;
    this.priority = priority;
    this.dir = join(lab.dir, name);
    mkdirSync(this.dir, { recursive: true });
    this.config = join(this.dir, "pair.cf");
    this.log = join(this.dir, "ipvsadm.log");
    this.roles = join(this.dir, "roles.log");
    this.output = "";
    this.env = {
      ...process.env,
      LDIRECTOR_RUN_DIR: this.dir,
      LDIRECTOR_STATE_DIR: this.dir,
      LDVM_SHIM_LOG: this.log,
    };
  }

  keep(what, d) {
    this.output = (this.output + d).slice(-20_000);
    this.lab.daemonOutput = `${this.lab.daemonOutput}[${this.name} ${what}] ${d}`.slice(-20_000);
  }

  startDaemon() {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.ns,
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
    this.lab.children.add(child);
    child.stdout.on("data", (d) => this.keep("ldirector", d));
    child.stderr.on("data", (d) => this.keep("ldirector", d));
    this.daemon = child;
  }

  /**
   * keepalived, VRRP only, in the foreground with its own pid files. Its notify scripts
   * note the time of each role (bash's $EPOCHREALTIME: no extra process) and tell
   * ldirector through the CLI, as on a real director.
   */
  startKeepalived({ preempt = true } = {}) {
    const notify = join(this.dir, "notify.sh");
    writeFileSync(
      notify,
      [
        "#!/bin/bash",
        `echo "$1 $EPOCHREALTIME" >> ${this.roles}`,
        `export LDIRECTOR_RUN_DIR=${this.dir} LDIRECTOR_STATE_DIR=${this.dir}`,
        `exec ${process.execPath} ${NODE_FLAGS.join(" ")} ${cli} ${this.config} role "$1" >> ${this.dir}/notify.out 2>&1`,
        "",
      ].join("\n"),
    );
    chmodSync(notify, 0o755);
    const conf = join(this.dir, "keepalived.conf");
    writeFileSync(
      conf,
      [
        "global_defs {",
        `  router_id ldvm${this.lab.n}${this.name}`,
        "  script_user root",
        "}",
        `vrrp_instance VI_${this.lab.n} {`,
        "  state BACKUP",
        "  interface e0",
        `  virtual_router_id ${50 + this.lab.n}`,
        `  priority ${this.priority}`,
        `  advert_int ${ADVERT_INT}`,
        ...(preempt ? [] : ["  nopreempt"]),
        "  virtual_ipaddress {",
        `    ${this.lab.vip}/32 dev e0`,
        "  }",
        `  notify_master "${notify} master"`,
        `  notify_backup "${notify} backup"`,
        `  notify_fault "${notify} fault"`,
        "}",
        "",
      ].join("\n"),
    );
    this.vrrpPid = join(this.dir, "vrrp.pid");
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        this.ns,
        "keepalived",
        "-n",
        "-l",
        "-D",
        "-P",
        "-f",
        conf,
        "-p",
        join(this.dir, "keepalived.pid"),
        "-r",
        this.vrrpPid,
      ],
      { cwd: this.dir, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.lab.children.add(child);
    child.stdout.on("data", (d) => this.keep("keepalived", d));
    child.stderr.on("data", (d) => this.keep("keepalived", d));
    this.keepalived = child;
  }

  /** The director dies: keepalived (parent first, or it respawns its VRRP child) and ldirector SIGKILLed, its link down. */
  async die() {
    const vrrp = existsSync(this.vrrpPid) ? Number(readFileSync(this.vrrpPid, "utf8")) : undefined;
    this.keepalived.kill("SIGKILL");
    if (vrrp) {
      try {
        process.kill(vrrp, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.daemon.kill("SIGKILL");
    await this.lab.sh("ip", "-n", this.ns, "link", "set", "e0", "down");
  }

  /**
   * Back without a reboot (its processes died, its link was cut): the kernel kept its
   * table and sync daemons; the VIP keepalived had no chance to remove goes first.
   */
  async comeBack() {
    await this.lab.script([
      `ip -n ${this.ns} addr del ${this.lab.vip}/32 dev e0 2>/dev/null || true`,
      `ip -n ${this.ns} link set e0 up`,
    ]);
    this.startDaemon();
  }

  async hasVip() {
    return (await this.lab.sh("ip", "-n", this.ns, "-4", "addr", "show", "dev", "e0")).includes(
      `${this.lab.vip}/32`,
    );
  }

  ipvsadm(...args) {
    return this.lab.inNs(this.ns, "/usr/sbin/ipvsadm", ...args);
  }

  async table() {
    return parseTable(await this.ipvsadm("-S", "-n"));
  }

  /** Kernel writes this director's ldirector made (see ipvsadm-shim.sh), and sync daemon starts and stops. */
  writes() {
    const lines = existsSync(this.log) ? readFileSync(this.log, "utf8").split("\n") : [];
    return lines.filter((l) => /^(R )?(-[AEDaedC]( |$)|--(start|stop)-daemon )/.test(l));
  }

  /** `ldirector --json CF status` in this director's namespace. */
  ldirectorJson() {
    return this.lab
      .sh(
        "ip",
        "netns",
        "exec",
        this.ns,
        "env",
        `LDIRECTOR_RUN_DIR=${this.dir}`,
        `LDIRECTOR_STATE_DIR=${this.dir}`,
        process.execPath,
        ...NODE_FLAGS,
        cli,
        "--json",
        this.config,
        "status",
      )
      .then((stdout) => ({ stdout }));
  }

  /** Connection entries in this director's kernel for the VIP (synced ones included). */
  async connections() {
    const text = await this.ipvsadm("-L", "-n", "-c");
    return text.split("\n").filter((l) => l.includes(`${this.lab.vip}:80`));
  }

  /** When keepalived last told the notify script `role` (seconds, the guest's clock). */
  roleAt(role) {
    const lines = existsSync(this.roles) ? readFileSync(this.roles, "utf8").split("\n") : [];
    const hits = lines.filter((l) => l.startsWith(`${role} `)).map((l) => Number(l.split(" ")[1]));
    return hits.at(-1);
  }
}

export class PairLab extends Lab {
  constructor(n, opts) {
    super(n, { ...opts, flat: true });
    this.switch = `v${n}w`;
    this.a = new Director(this, "A", this.director, `10.${n}.2.3`, 150);
    this.b = new Director(this, "B", `v${n}e`, `10.${n}.2.4`, 100);
  }

  async build() {
    const { n, switch: w } = this;
    const lines = [];
    for (const ns of [w, this.client, this.a.ns, this.b.ns, ...this.reals])
      lines.push(`ip netns add ${ns}`, `ip -n ${ns} link set lo up`);
    lines.push(`ip -n ${w} link add br0 type bridge`, `ip -n ${w} link set br0 up`);
    const plug = (ns, port, address) =>
      lines.push(
        `ip link add ${port} netns ${w} type veth peer name e0 netns ${ns}`,
        `ip -n ${w} link set ${port} master br0`,
        `ip -n ${w} link set ${port} up`,
        `ip -n ${ns} addr add ${address}/24 dev e0`,
        `ip -n ${ns} link set e0 up`,
      );
    plug(this.client, "pc", `10.${n}.2.2`);
    plug(this.a.ns, "pa", this.a.address);
    plug(this.b.ns, "pb", this.b.address);
    this.reals.forEach((r, k) => plug(r, `p${k + 1}`, this.realAddress(k + 1)));
    await this.script(lines);
  }

  /** Lab's destroy removes A's namespace (lab.director), the client's and the reals'; the switch and B here. */
  async destroy() {
    // keepalived's VRRP child outlives a SIGKILLed parent: a TERM to the parent ends both.
    for (const d of [this.a, this.b]) {
      const k = d.keepalived;
      if (!k || k.exitCode !== null || k.signalCode !== null) continue;
      const gone = new Promise((ok) => k.once("exit", ok));
      k.kill("SIGTERM");
      await Promise.race([gone, sleep(10_000)]);
    }
    await this.script([
      `ip netns del ${this.switch} 2>/dev/null || true`,
      `ip netns del ${this.b.ns} 2>/dev/null || true`,
    ]);
    await super.destroy();
  }

  async ipvsadm(...args) {
    return `director A:\n${await this.a.ipvsadm(...args)}director B:\n${await this.b.ipvsadm(...args)}`;
  }

  /**
   * A request every `everyMs` from the client with its start and end times (bash's
   * $EPOCHREALTIME, so no process per timestamp), until stop() resolves with them all.
   */
  timedRequests(everyMs = 200) {
    const loop = this.clientLoop(
      "bash",
      `t=$EPOCHREALTIME; r=$(${oneRequest(`http://${this.vip}/`, 10)}); echo "$t $EPOCHREALTIME $r"; busybox usleep ${everyMs * 1000}`,
    );
    return {
      stop: async () =>
        (await loop.stop()).map((l) => {
          const [start, end, ...body] = l.split(" ");
          return { start: Number(start), end: Number(end), body: body.join(" ") };
        }),
    };
  }
}

/**
 * After `at` (seconds): how many requests failed, and the longest time between two
 * answered requests (what a client saw as the outage), with the usual gap for scale.
 */
function outage(requests, at) {
  const ok = requests.filter((r) => !r.body.startsWith("error"));
  let longest = 0;
  for (let i = 1; i < ok.length; i++) {
    if (ok[i].end >= at) longest = Math.max(longest, ok[i].end - ok[i - 1].end);
  }
  const gaps = ok
    .slice(1)
    .map((r, i) => r.end - ok[i].end)
    .sort((x, y) => x - y);
  return {
    requests: requests.length,
    failed: requests.length - ok.length,
    outageS: Number(longest.toFixed(2)),
    usualGapS: Number((gaps[Math.floor(gaps.length / 2)] ?? 0).toFixed(2)),
  };
}

const bothIn = (lab) => [`${lab.realAddress(1)}:80`, `${lab.realAddress(2)}:80`];

async function tableHas(d, want) {
  const have = Object.keys(Object.assign({}, ...(await d.table()).map((s) => s.dests)));
  return want.every((x) => have.includes(x));
}

/** Both directors up with the same config, tables in, VRRP settled with A as master and both told. */
async function startPair(lab, globals) {
  await lab.realsAcceptVip();
  for (const i of [1, 2]) await lab.serve(i, { files: bigFile() });
  const lines = config(lab, { globals, virtuals: [{ fwd: "gate", reals: [[1], [2]] }] });
  for (const d of [lab.a, lab.b]) {
    writeFileSync(d.config, `${lines.join("\n")}\n`);
    d.startDaemon();
  }
  for (const d of [lab.a, lab.b]) {
    await until(`director ${d.name}'s table`, () => tableHas(d, bothIn(lab)), SETTLE_MS).catch((e) => {
      throw new Error(`${e.message}\ndirector ${d.name} said:\n${d.output.slice(-3000)}`);
    });
  }
  lab.a.startKeepalived();
  lab.b.startKeepalived();
  await until("the VIP on director A", () => lab.a.hasVip(), 60_000);
  for (const [d, role] of [
    [lab.a, "master"],
    [lab.b, "backup"],
  ]) {
    await until(
      `director ${d.name}'s ldirector told ${role}`,
      () => d.output.includes(`director role: ${role}`),
      SETTLE_MS,
    ).catch((e) => {
      throw new Error(`${e.message}\ndirector ${d.name} said:\n${d.output.slice(-3000)}`);
    });
  }
  const tables = [await lab.a.ipvsadm("-S", "-n"), await lab.b.ipvsadm("-S", "-n")];
  expectEqual("the standby's table", tables[1], tables[0]);
}

/** The master dies under a download and a request loop; what the client and the standby saw. */
async function failover(lab, { sync }) {
  const requests = lab.timedRequests();
  const dl = download(lab, "big.bin", DOWNLOAD_RATE);
  // The download's connection is in the master's table; with sync, also in the standby's.
  await until(
    "the download in director A's table",
    async () => (await lab.a.connections()).length > 0,
    30_000,
  );
  if (sync)
    await until(
      "the download synced to director B",
      async () => (await lab.b.connections()).length > 0,
      30_000,
    );
  const synced = (await lab.b.connections()).length;
  await sleep(2000);
  const writesBefore = lab.b.writes().length;
  const killedAt = Date.now() / 1000;
  await lab.a.die();
  await until("the VIP on director B", () => lab.b.hasVip(), 60_000);
  const downloaded = await dl;
  // A few more requests and check rounds after the takeover, then count.
  await sleep(6000);
  const seen = await requests.stop();
  const standbyWrites = lab.b.writes().slice(writesBefore);
  const told = lab.b.roleAt("master");
  return {
    downloaded,
    synced,
    standbyWrites,
    vipMovedS: told === undefined ? undefined : Number((told - killedAt).toFixed(2)),
    ...outage(seen, killedAt),
  };
}

export const pairScenarios = [
  {
    name: "pair with sync: the master dies, the VIP moves, the download goes on, the standby writes nothing",
    Lab: PairLab,
    limitMs: PAIR_LIMIT_MS,
    alone: true,
    async run(lab) {
      await startPair(lab, ["syncdaemon=both", "syncinterface=e0", `syncid=${lab.n}`]);
      for (const d of [lab.a, lab.b]) {
        const listed = await d.ipvsadm("-L", "--daemon");
        if (
          !/^master sync daemon \(mcast=e0/m.test(listed) ||
          !/^backup sync daemon \(mcast=e0/m.test(listed)
        )
          throw new Error(`director ${d.name}'s sync daemons: ${JSON.stringify(listed)}`);
      }
      const f = await failover(lab, { sync: true });
      expectEqual("the download through the takeover", f.downloaded, `${BIG} 200`);
      expectEqual("the standby's kernel writes at takeover", f.standbyWrites, []);
      if (f.outageS > OUTAGE_LIMIT_S)
        throw new Error(
          `requests failed for ${f.outageS} s (limit ${OUTAGE_LIMIT_S} s): ${JSON.stringify(f)}`,
        );
      await until(
        "director B's ldirector told master",
        () => lab.b.output.includes("director role: master (was backup)"),
        SETTLE_MS,
      );
      const json = JSON.parse((await lab.b.ldirectorJson()).stdout);
      expectEqual("director B's status role", json.role.role, "master");
      return {
        ...f,
        standbyWrites: f.standbyWrites.length,
        advertIntS: ADVERT_INT,
        limitS: OUTAGE_LIMIT_S,
      };
    },
  },
  {
    name: "pair without sync: the master dies, requests recover, the standby writes nothing",
    Lab: PairLab,
    limitMs: PAIR_LIMIT_MS,
    alone: true,
    async run(lab) {
      await startPair(lab, []);
      const f = await failover(lab, { sync: false });
      expectEqual("connections the standby knew of", f.synced, 0);
      expectEqual("the standby's kernel writes at takeover", f.standbyWrites, []);
      if (f.outageS > OUTAGE_LIMIT_S)
        throw new Error(
          `requests failed for ${f.outageS} s (limit ${OUTAGE_LIMIT_S} s): ${JSON.stringify(f)}`,
        );
      return {
        ...f,
        standbyWrites: f.standbyWrites.length,
        advertIntS: ADVERT_INT,
        limitS: OUTAGE_LIMIT_S,
      };
    },
  },
  {
    name: "pair: the master comes back (preempt) under a download, then both see a broken config",
    Lab: PairLab,
    limitMs: PAIR_LIMIT_MS,
    alone: true,
    async run(lab) {
      await startPair(lab, ["syncdaemon=both", "syncinterface=e0", `syncid=${lab.n}`]);
      await lab.a.die();
      await until("the VIP on director B", () => lab.b.hasVip(), 60_000);
      // A comes back: its ldirector finds its own table and sync daemons and writes nothing.
      const aWrites = lab.a.writes().length;
      const starts = (d) => d.output.split("ldirector started").length;
      const started = starts(lab.a);
      await lab.a.comeBack();
      await until("director A's ldirector running again", () => starts(lab.a) > started, SETTLE_MS);
      await sleep(3000);
      expectEqual("director A's kernel writes at its restart", lab.a.writes().slice(aWrites), []);
      // Preempt: A's keepalived (priority 150) takes the VIP back from B, under a download on B.
      const requests = lab.timedRequests();
      const dl = download(lab, "big.bin", DOWNLOAD_RATE);
      await until(
        "the download in director B's table",
        async () => (await lab.b.connections()).length > 0,
        30_000,
      );
      await until(
        "the download synced to director A",
        async () => (await lab.a.connections()).length > 0,
        30_000,
      );
      const writes = [lab.a.writes().length, lab.b.writes().length];
      const startedAt = Date.now() / 1000;
      lab.a.startKeepalived();
      await until("the VIP back on director A", () => lab.a.hasVip(), 60_000);
      await until("the VIP gone from director B", async () => !(await lab.b.hasVip()), 60_000);
      const downloaded = await dl;
      await sleep(4000);
      const back = outage(await requests.stop(), startedAt);
      expectEqual("the download through the come-back", downloaded, `${BIG} 200`);
      expectEqual(
        "kernel writes at the come-back",
        [lab.a.writes().slice(writes[0]), lab.b.writes().slice(writes[1])],
        [[], []],
      );
      if (back.outageS > OUTAGE_LIMIT_S)
        throw new Error(`requests failed for ${back.outageS} s at the come-back: ${JSON.stringify(back)}`);
      const told = lab.a.roleAt("master");

      // Both directors get a broken file and a SIGHUP: both keep running their tables.
      const tables = [await lab.a.ipvsadm("-S", "-n"), await lab.b.ipvsadm("-S", "-n")];
      const before = [lab.a.writes().length, lab.b.writes().length];
      for (const d of [lab.a, lab.b]) {
        writeFileSync(d.config, `${readFileSync(d.config, "utf8")}checkinterval=banana\n`);
        d.daemon.kill("SIGHUP");
      }
      for (const d of [lab.a, lab.b])
        await until(
          `director ${d.name} rejects the broken file`,
          () => d.output.includes("new configuration rejected"),
          SETTLE_MS,
        );
      await sleep(3000);
      expectEqual(
        "tables after the broken file",
        [await lab.a.ipvsadm("-S", "-n"), await lab.b.ipvsadm("-S", "-n")],
        tables,
      );
      expectEqual(
        "kernel writes after the broken file",
        [lab.a.writes().slice(before[0]), lab.b.writes().slice(before[1])],
        [[], []],
      );
      const after = await lab.gets(4);
      expectEqual("requests after the broken file", failed(after), []);
      return {
        comeBack: {
          ...back,
          downloaded,
          vipBackS: told === undefined ? undefined : Number((told - startedAt).toFixed(2)),
        },
        restartWrites: 0,
        brokenConfigWrites: 0,
      };
    },
  },
];
