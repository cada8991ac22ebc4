// Differential test against the reference: Debian's ldirectord and ldirector read the
// same file, write to the same ipvsadm stand-in, and must end with the same table.
// Health is fixed by checktype=on (every real up) or off (every real down, so the
// fallback comes in); no check sends a packet, so the 10.x addresses of the LVS
// tutorial setups are only ever written into the stand-in's table.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sortTable, parseSave } from "../../src/ipvs/table.js";
import type { Table } from "../../src/ipvs/model.js";
import { cli, requireBuild, standIn } from "./harness.js";

const ldirectord = "/usr/sbin/ldirectord";

beforeAll(() => {
  requireBuild();
  if (!existsSync(ldirectord)) {
    throw new Error("Debian's ldirectord is missing: run scripts/install-test-deps.sh (package ldirectord)");
  }
});

const running = new Set<ChildProcess>();
const dirs: string[] = [];
afterEach(() => {
  for (const c of running) if (c.exitCode === null) c.kill("SIGKILL");
  running.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function table(dir: string): Table {
  const env = { ...process.env, IPVSADM_STATE: join(dir, "ipvsadm.state.json") };
  return sortTable(parseSave(execFileSync(standIn, ["-S", "-n"], { env, encoding: "utf8" })));
}

/**
 * Waits until the table holds `dests` destinations in all and has not changed for
 * `quietMs`, then returns it. The count matters on a loaded machine: ldirectord may pause
 * longer than `quietMs` between adding a virtual service and adding its first real, so
 * quiet alone would compare a half-built table.
 */
async function settled(dir: string, dests: Expected, quietMs = 1500, capMs = 60_000): Promise<Table> {
  const end = Date.now() + capMs;
  let last = "";
  let since = Date.now();
  for (;;) {
    const state = existsSync(join(dir, "ipvsadm.state.json"))
      ? readFileSync(join(dir, "ipvsadm.state.json"), "utf8")
      : "";
    if (state !== last) {
      last = state;
      since = Date.now();
    } else if (state !== "" && Date.now() - since >= quietMs) {
      const t = table(dir);
      const all = t.services.flatMap((s) => s.dests);
      if (typeof dests === "number" ? all.length === dests : dests(all)) return t;
      since = Date.now();
    }
    if (Date.now() > end) throw new Error(`the table in ${dir} did not settle as expected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * What a settled table holds: a number of destinations, or a test of them, for a final
 * state that passes through transients of the same size (ldirectord adds a quiescent
 * real at its weight, then sets 0).
 */
type Expected = number | ((dests: Table["services"][number]["dests"]) => boolean);

/** Runs both directors on `cf`; each table is taken once it is as `dests` expects. */
async function runBoth(cf: string, dests: Expected): Promise<{ reference: Table; ours: Table }> {
  // Both run at once, each in its own folder with its own stand-in table. The file name is
  // unique because ldirectord keeps its pid file at /var/run/ldirectord.NAME.pid, shared by
  // every ldirectord on the machine (other test files run theirs at the same time).
  const run = async (which: "ldirectord" | "ldirector"): Promise<Table> => {
    const dir = mkdtempSync(join(tmpdir(), `parity-${which}-`));
    dirs.push(dir);
    const file = join(dir, `${basename(dir)}.cf`);
    writeFileSync(file, cf);
    symlinkSync(standIn, join(dir, "ipvsadm"));
    const env = {
      ...process.env,
      IPVSADM_STATE: join(dir, "ipvsadm.state.json"),
      LDIRECTOR_RUN_DIR: dir,
      LDIRECTOR_STATE_DIR: dir,
    };
    const argv =
      which === "ldirectord"
        ? [ldirectord, "-d", file, "start"]
        : [process.execPath, cli, "--foreground", "--ipvsadm", standIn, file, "start"];
    const child = spawn(argv[0]!, argv.slice(1), { cwd: dir, env, stdio: "ignore" });
    running.add(child);
    try {
      return await settled(dir, dests);
    } finally {
      child.kill("SIGKILL"); // no cleanstop: the table as it ran is what is compared
    }
  };
  const [reference, ours] = await Promise.all([run("ldirectord"), run("ldirector")]);
  return { reference, ours };
}

const globals = ["checkinterval=1", "checktimeout=1", 'logfile="local0"', "cleanstop=no"];

const setups: Record<string, string[]> = {
  "NAT with port mapping and weights (wrr)": [
    "virtual=192.168.10.10:80",
    "    real=10.0.0.2:8080 masq 1",
    "    real=10.0.0.3:8080 masq 3",
    "    service=http",
    "    scheduler=wrr",
  ],
  "direct routing (gate), real port forced to the virtual's": [
    "virtual=192.168.10.11:80",
    "    real=10.0.0.11:80 gate 2",
    "    real=10.0.0.12:8080 gate",
    "    scheduler=wlc",
  ],
  "tunnelling (ipip) with lc": [
    "virtual=192.168.10.12:25",
    "    real=172.16.0.21:25 ipip",
    "    real=172.16.0.22:25 ipip 5",
    "    scheduler=lc",
  ],
  "firewall mark with persistence and netmask": [
    "virtual=7",
    "    real=10.0.0.31 gate",
    "    real=10.0.0.32 gate",
    "    persistent=600",
    "    netmask=255.255.255.0",
    "    scheduler=sh",
  ],
  "UDP DNS on port 53 (protocol udp by default), rr and dh": [
    "virtual=192.168.10.13:53",
    "    real=10.0.0.53:53 masq",
    "    scheduler=rr",
    "virtual=192.168.10.14:80",
    "    real=10.0.0.54:80 gate",
    "    scheduler=dh",
  ],
  // Lines from published files that ldirector used to refuse (issue 13).
  "published lines: scheduler=lc //comment, gate -w 3, text after the virtual's address": [
    "virtual=192.168.100.36:80   \\\\text",
    "    real=192.168.100.211:80 gate -w 3",
    "    real=192.168.100.212:80 gate",
    "    scheduler=lc //comment",
  ],
  "thresholds and weight 0": [
    "virtual=192.168.10.15:80",
    "    real=10.0.0.61:80 masq 0",
    "    real=10.0.0.62:80 masq 4 l:10 u:100",
    "    scheduler=wrr",
  ],
};

// Two daemons start one after the other, each through a Node stand-in exec per write: slow
// on a busy two-core machine, so the tests get more than the default 30 s.
describe("the same table as ldirectord", { timeout: 120_000 }, () => {
  for (const [name, block] of Object.entries(setups)) {
    it(`all reals up: ${name}`, async () => {
      const cf = [
        ...globals,
        ...block.flatMap((l) => (l.startsWith("virtual=") ? [l, "    checktype=on"] : [l])),
      ];
      const reals = block.filter((l) => l.trim().startsWith("real=")).length;
      const { reference, ours } = await runBoth(`${cf.join("\n")}\n`, reals);
      expect(reference.services.length).toBeGreaterThan(0);
      expect(ours).toEqual(reference);
    });
  }

  it("quiescent=yes: every real is in at weight 0, never up (checktype=off) or failing its check", async () => {
    // The connect checks go to closed ports on loopback: refused at once, nothing leaves.
    const cf = [
      ...globals,
      "quiescent=yes",
      "virtual=192.168.10.30:80",
      "    real=10.0.0.81:80 masq 3",
      "    real=10.0.0.82:80 masq",
      "    checktype=off",
      "virtual=192.168.10.31:80",
      "    real=127.0.0.1:1 masq 3",
      "    real=127.0.0.2:1 masq 2",
      "    checktype=connect",
    ];
    // ldirectord starts a quiescent real at its weight and sets 0 after (ld_start).
    const quiescent: Expected = (dests) => dests.length === 4 && dests.every((d) => d.weight === 0);
    const { reference, ours } = await runBoth(`${cf.join("\n")}\n`, quiescent);
    expect(reference.services.flatMap((s) => s.dests.map((d) => d.weight))).toEqual([0, 0, 0, 0]);
    expect(ours).toEqual(reference);
  });

  it("all reals down: the fallback is in, with its own forwarding method", async () => {
    const cf = [
      ...globals,
      "fallback=127.0.0.1:8099 masq",
      "virtual=192.168.10.20:80",
      "    real=10.0.0.71:80 gate",
      "    real=10.0.0.72:80 gate",
      "    checktype=off",
      "virtual=192.168.10.21:443",
      "    real=10.0.0.73:443 masq",
      "    fallback=127.0.0.2 gate",
      "    checktype=off",
    ];
    // A count alone is not enough: on a loaded machine ldirectord can sit for over a
    // second at a transient of the same size (one real still in, one fallback in).
    const fallbacksOnly: Expected = (dests) =>
      dests.length === 2 && dests.every((d) => d.address.startsWith("127."));
    const { reference, ours } = await runBoth(`${cf.join("\n")}\n`, fallbacksOnly);
    expect(reference.services.flatMap((s) => s.dests.map((d) => d.address))).toEqual([
      "127.0.0.1",
      "127.0.0.2",
    ]);
    expect(ours).toEqual(reference);
  });
});
