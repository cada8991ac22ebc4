// Real traffic through ldirector's nftables backend: a client namespace sends HTTP to
// the VIP, the director namespace runs the built CLI with --backend nftables, and the
// reals are HTTP servers in their own namespaces.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StatusView } from "../../src/api/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, requireBuild } from "./harness.js";
import { sorryAddress, Topology, vip } from "./netns.js";

const dir = mkdtempSync(join(tmpdir(), "ldirector-netns-"));
const cfg = join(dir, "ldirectord.cf");
let topo: Topology;
let daemon: ReturnType<Topology["spawnInDirector"]>;

function config(reals: { i: number; weight: number }[]): string {
  return [
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    "failurecount=1",
    "autoreload=yes",
    `sorryserver=${sorryAddress}:8099`,
    `virtual=${vip}:80`,
    ...reals.map(({ i, weight }) => `    real=${topo.realAddress(i)}:8080 masq ${weight}`),
    `    fallback=${sorryAddress}:8099 masq`,
    "    service=http",
    '    request="/"',
    '    receive="real"',
    "    scheduler=wrr",
    "",
  ].join("\n");
}

const bodies = (n: number) => topo.requests(n).map((r) => r.body ?? `error ${r.error}`);
const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}\n${daemon?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  requireBuild();
  Topology.requireRoot();
  topo = new Topology(3);
  topo.build();
  await topo.startReal(1);
  await topo.startReal(2);
  writeFileSync(
    cfg,
    config([
      { i: 1, weight: 1 },
      { i: 2, weight: 2 },
    ]),
  );
  daemon = topo.spawnInDirector(
    [process.execPath, cli, "--foreground", "--backend", "nftables", cfg, "start"],
    {
      ...process.env,
      LDIRECTOR_RUN_DIR: dir,
      LDIRECTOR_STATE_DIR: dir,
    },
  );
  await until("both reals serve", () => {
    const b = bodies(6);
    return count(b, "real 1") > 0 && count(b, "real 2") > 0;
  });
}, 60_000);

afterAll(async () => {
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((ok) => daemon.once("exit", ok));
    daemon.kill("SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
  }
  topo?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

describe("nftables data plane in namespaces", () => {
  it("balances requests across healthy reals by weight", () => {
    const b = bodies(30);
    expect(b.every((x) => x === "real 1" || x === "real 2")).toBe(true);
    // wrr 1:2 is three slots taken in turn: exactly one in three to real 1.
    expect(count(b, "real 1")).toBe(10);
    expect(count(b, "real 2")).toBe(20);
  });

  it("a connection established before a change keeps its real", async () => {
    const conn = topo.keepAlive();
    const first = await conn.next();
    expect(first.status).toBe(200);
    // status shows the open connection as active on its real (conntrack).
    const real = first.body!.replace("real ", "");
    const status = JSON.parse(
      execFileSync(process.execPath, [cli, "--json", cfg, "status"], {
        encoding: "utf8",
        env: { ...process.env, LDIRECTOR_RUN_DIR: dir, LDIRECTOR_STATE_DIR: dir },
      }),
    ) as StatusView;
    const id = `tcp:${vip}:80/${topo.realAddress(Number(real))}:8080`;
    const view = status.virtuals.flatMap((v) => v.reals).find((r) => r.id === id);
    expect(view?.connections?.active).toBeGreaterThanOrEqual(1);
    // Reweight through autoreload: the rules change under the open connection.
    writeFileSync(
      cfg,
      config([
        { i: 1, weight: 3 },
        { i: 2, weight: 1 },
      ]),
    );
    await until("reweighted", () => count(bodies(8), "real 1") === 6);
    const second = await conn.next();
    expect(second.body).toBe(first.body);
    expect(second.port).toBe(first.port);
    conn.close();
  });

  it("an autoreload edit that adds a real makes it receive traffic", async () => {
    await topo.startReal(3);
    writeFileSync(
      cfg,
      config([
        { i: 1, weight: 1 },
        { i: 2, weight: 1 },
        { i: 3, weight: 1 },
      ]),
    );
    await until("real 3 serves", () => count(bodies(6), "real 3") > 0);
    const b = bodies(30);
    expect(count(b, "real 1")).toBe(10);
    expect(count(b, "real 2")).toBe(10);
    expect(count(b, "real 3")).toBe(10);
  });

  it("a killed real is taken out within checkinterval + checktimeout; no request fails after that", async () => {
    await topo.stopReal(3);
    const killedAt = Date.now();
    await until("real 3 out of the rules", () => !/10\.202\.0\.13 \. 8080/.test(nftMap()));
    // checkinterval 1 s + checktimeout 1 s, with generous slack for a loaded 2-core machine.
    expect(Date.now() - killedAt).toBeLessThan(2000 + 3000);
    const b = bodies(20);
    expect(b.filter((x) => x !== "real 1" && x !== "real 2")).toEqual([]);
  });

  it("all reals down brings the sorry page; one real back restores normal answers", async () => {
    await topo.stopReal(1);
    await topo.stopReal(2);
    await until("sorry page served", () => topo.requests(1)[0]?.status === 503);
    const r = topo.requests(3);
    expect(r.every((x) => x.status === 503 && /unavailable/i.test(x.body ?? ""))).toBe(true);
    await topo.startReal(2);
    await until("real 2 serves again", () => topo.requests(1)[0]?.body === "real 2");
    expect(bodies(5)).toEqual(Array(5).fill("real 2"));
  });
});

function nftMap(): string {
  return execFileSync("ip", ["netns", "exec", topo.director, "nft", "list", "table", "inet", "ldirector"], {
    encoding: "utf8",
  }).replace(/^\s*set s\d+ \{[\s\S]*?\n\s*\}\n/gm, "");
}
