// Issue 14's reload stress test: 1,000 random saves against a running daemon (the built
// CLI as a process, memory backend, autoreload=yes): good and bad files (syntax errors,
// a listener on a port in use, a FIFO), written in place or renamed over the config, with
// SIGHUP bursts in between. Afterwards the table equals the last good file's plan, a bad
// file is refused by `reload`, and the daemon never exited.
import { execFileSync, spawn } from "node:child_process";
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { controlRequest } from "../../src/api/client.js";
import type { StatusView } from "../../src/api/types.js";
import { cli, Harness, requireBuild } from "./harness.js";

beforeAll(requireBuild);

let h: Harness;
let held: Server | undefined;
afterEach(async () => {
  held?.close();
  await h?.cleanup();
});

const SAVES = 1000;
const SEED = 14;

/** mulberry32: a seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Plan = Record<string, number>;

function good(rnd: () => number): { text: string; plan: Plan } {
  const plan: Plan = {};
  const lines = ["autoreload=yes", "virtual=10.0.0.1:80"];
  for (let i = 2; i <= 6; i++) {
    if (rnd() < 0.3) continue;
    const w = 1 + Math.floor(rnd() * 9);
    lines.push(`    real=10.0.0.${i}:80 masq ${w}`);
    plan[`10.0.0.${i}:80`] = w;
  }
  if (Object.keys(plan).length === 0) {
    lines.push("    real=10.0.0.2:80 masq 1");
    plan["10.0.0.2:80"] = 1;
  }
  lines.push("    checktype=on", "");
  return { text: lines.join("\n"), plan };
}

function bad(rnd: () => number, busyPort: number): string {
  const kinds = [
    "autoreload=yes\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 masq 1\n    checktype=bogus\n",
    "autoreload=yes\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 masq -4\n    checktype=on\n",
    "autoreload=yes\nvirtual=10.0.0.1:80\n    real=10.0.0.2\n    checktype=on\n    scheduler=\n",
    `autoreload=yes\nmetricsaddress=127.0.0.1:${busyPort}\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 masq 1\n    checktype=on\n`,
    "autoreload=yes\nvirtual=10.0.0.1:80\n    real=10.0.0.2:80 masq 1\n    checktype=on\n    scheduler=nosuch\n",
    "",
  ];
  return kinds[Math.floor(rnd() * kinds.length)]!;
}

function table(st: StatusView): Plan {
  const out: Plan = {};
  for (const v of st.virtuals)
    for (const r of v.reals) if (r.tableWeight !== undefined) out[r.address] = r.tableWeight;
  return out;
}

describe("reload stress", () => {
  it(`${SAVES} random saves, good and bad, with SIGHUP bursts: the table ends at the last good file`, async () => {
    h = new Harness();
    held = createServer();
    await new Promise<void>((ok) => held!.listen(0, "127.0.0.1", ok));
    const busy = (held.address() as { port: number }).port;
    const rnd = random(SEED);
    let last = good(rnd);
    h.writeConfig(last.text);
    const d = spawn(process.execPath, [cli, "--foreground", "--backend", "memory", h.config, "start"], {
      env: h.env,
      cwd: h.dir,
    });
    let out = "";
    d.stdout.on("data", (x) => (out += x));
    d.stderr.on("data", (x) => (out += x));
    const socket = join(h.dir, "ldirector", "ldirector.ldirectord.cf.sock");
    const status = async () =>
      (await controlRequest(socket, "GET", "/status", undefined, 30_000)) as StatusView;
    try {
      await h.until(
        "started",
        async () => (await status().catch(() => undefined))?.state === "running",
        60_000,
      );
      const temp = join(h.dir, ".ldirectord.cf.tmp");
      let goods = 0;
      let bads = 0;
      let hups = 0;
      for (let i = 0; i < SAVES; i++) {
        const isGood = rnd() < 0.6;
        const text = isGood ? (last = good(rnd)).text : bad(rnd, busy);
        if (isGood) goods++;
        else bads++;
        if (!isGood && rnd() < 0.02) {
          // A FIFO in place of the config, briefly: refused, never blocking.
          rmSync(h.config, { force: true });
          execFileSync("mkfifo", [h.config]);
        } else if (rnd() < 0.5) {
          writeFileSync(temp, text);
          renameSync(temp, h.config);
        } else {
          rmSync(h.config, { force: true });
          writeFileSync(h.config, text);
        }
        if (rnd() < 0.1) {
          const burst = 1 + Math.floor(rnd() * 3);
          for (let k = 0; k < burst; k++) d.kill("SIGHUP");
          hups += burst;
        }
        if (rnd() < 0.2) await new Promise((r) => setTimeout(r, Math.floor(rnd() * 5)));
        expect(d.exitCode).toBe(null);
      }
      // The last save is a good one, written by rename as editors do, then a burst of SIGHUPs.
      last = good(rnd);
      writeFileSync(temp, last.text);
      renameSync(temp, h.config);
      d.kill("SIGHUP");
      d.kill("SIGHUP");
      const want = last.plan;
      await h.until(
        "the table has the last good file",
        async () => JSON.stringify(table(await status())) === JSON.stringify(want),
        60_000,
      );
      const st = await status();
      expect(table(st)).toEqual(want);
      expect(st.counters.reloads).toBeGreaterThan(0);
      expect(st.counters.reloadErrors).toBeGreaterThan(0);
      // A bad file now: `reload` says so, and the table stays.
      writeFileSync(
        h.config,
        bad(() => 0.6, busy),
      );
      const r = await h.run([h.config, "reload"]);
      expect(r.code).not.toBe(0);
      expect(table(await status())).toEqual(want);
      expect(d.exitCode).toBe(null);
      expect(out).not.toMatch(/"level":60/);
      console.log(
        `reload stress: ${SAVES + 1} saves (${goods + 1} good, ${bads} bad), ${hups + 2} SIGHUPs, ` +
          `${st.counters.reloads} reloads applied, ${st.counters.reloadErrors} refused`,
      );
    } finally {
      d.kill("SIGKILL");
    }
  }, 180_000);
});
