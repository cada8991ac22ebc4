// The nftables backend against the real nft in a network namespace this test makes.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dest, Service, Table } from "../../src/ipvs/model.js";
import { NftablesBackend } from "../../src/ipvs/nftables.js";
import { nftUnsupported, renderTable, slots } from "../../src/ipvs/nftables-render.js";
import type { Op, ServiceSpec } from "../../src/ipvs/ops.js";

const ns = `ldt-nft-${process.pid}`;
const nft = (...args: string[]) =>
  execFileSync("ip", ["netns", "exec", ns, "nft", ...args], { encoding: "utf8" });

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error("the nftables tests need root (ip netns, nft)");
  execFileSync("ip", ["netns", "add", ns]);
});
afterAll(() => {
  execFileSync("ip", ["netns", "del", ns]);
});

const web: ServiceSpec = {
  protocol: "tcp",
  family: "inet",
  address: "10.0.0.1",
  port: 80,
  scheduler: "wrr",
  schedFlags: [],
  ops: false,
};
const dest = (address: string, weight: number, port = 8080): Dest => ({
  address,
  port,
  forward: "masq",
  weight,
  upperThreshold: 0,
  lowerThreshold: 0,
});
const sorted = (t: Table) => ({
  services: t.services.map((s) => ({
    ...s,
    dests: [...s.dests].sort((a, b) => a.address.localeCompare(b.address)),
  })),
});

describe("nftables backend", () => {
  it("writes a batch in one transaction and reads the same table back, quiescent dests included", async () => {
    const b = new NftablesBackend({ netns: ns });
    expect(await b.read()).toEqual({ services: [] });
    const ops: Op[] = [
      { kind: "add-service", service: web },
      { kind: "add-dest", service: web, dest: dest("10.1.0.2", 1) },
      { kind: "add-dest", service: web, dest: dest("10.1.0.3", 2) },
      { kind: "add-dest", service: web, dest: dest("10.1.0.4", 0) },
    ];
    const applied = await b.apply(ops);
    expect(applied.failed).toEqual([]);
    expect(sorted(applied.table)).toEqual({
      services: [{ ...web, dests: [dest("10.1.0.2", 1), dest("10.1.0.3", 2), dest("10.1.0.4", 0)] }],
    });
    // The read above primed the backend: the batch is one write and one read-back.
    expect(applied.execs).toBe(2);
    const text = nft("list", "table", "inet", "ldirector");
    expect(text).toContain("dnat ip to numgen inc mod 3 map @m0");
    // weight 2:1 → three slots; the quiescent dest gets none.
    expect(text).toMatch(
      /elements = \{ 0 : 10\.1\.0\.2 \. 8080, 1 : 10\.1\.0\.3 \. 8080,\s+2 : 10\.1\.0\.3 \. 8080 \}/,
    );
  });

  it("a fresh backend reads once before its first batch; then edits in place", async () => {
    const b = new NftablesBackend({ netns: ns });
    const applied = await b.apply([
      { kind: "edit-dest", service: web, dest: dest("10.1.0.3", 1) },
      { kind: "delete-dest", service: web, dest: dest("10.1.0.4", 0) },
    ]);
    expect(applied.execs).toBe(3);
    expect(sorted(applied.table).services[0]!.dests).toEqual([dest("10.1.0.2", 1), dest("10.1.0.3", 1)]);
  });

  it("reports a service whose rule was deleted by hand without its live dests, so the director repairs it", async () => {
    const listing = JSON.parse(nft("-j", "-a", "list", "chain", "inet", "ldirector", "services")) as {
      nftables: { rule?: { handle: number } }[];
    };
    const handle = listing.nftables.find((o) => o.rule)!.rule!.handle;
    nft("delete", "rule", "inet", "ldirector", "services", "handle", String(handle));
    const b = new NftablesBackend({ netns: ns });
    const drifted = await b.read();
    expect(drifted.services[0]!.dests).toEqual([]);
    const repaired = await b.apply([
      { kind: "add-dest", service: web, dest: dest("10.1.0.2", 1) },
      { kind: "add-dest", service: web, dest: dest("10.1.0.3", 1) },
    ]);
    expect(repaired.failed).toEqual([]);
    expect(repaired.table.services[0]!.dests).toHaveLength(2);
    expect(nft("list", "chain", "inet", "ldirector", "services")).toContain("map @m0");
  });

  it("renders IPv6, firewall marks, sh and persistence with source hashing", async () => {
    const v6: Service = {
      protocol: "tcp",
      family: "inet6",
      address: "2001:db8::1",
      port: 443,
      scheduler: "rr",
      schedFlags: [],
      ops: false,
      persistence: 300,
      dests: [dest("2001:db8::2", 1, 443), dest("2001:db8::3", 5, 443)],
    };
    const mark: Service = {
      protocol: "fwmark",
      family: "inet",
      fwmark: 7,
      port: 0,
      scheduler: "sh",
      schedFlags: ["sh-port"],
      ops: false,
      dests: [dest("10.2.0.2", 1, 0), dest("10.2.0.3", 1, 0)],
    };
    const b = new NftablesBackend({ netns: ns });
    await b.read();
    const ops: Op[] = [];
    for (const s of [v6, mark]) {
      const { dests, ...spec } = s;
      ops.push({ kind: "add-service", service: spec });
      for (const d of dests) ops.push({ kind: "add-dest", service: spec, dest: d });
    }
    const applied = await b.apply(ops);
    expect(applied.failed).toEqual([]);
    const text = nft("list", "table", "inet", "ldirector");
    expect(text).toContain("ip6 daddr 2001:db8::1 tcp dport 443 dnat ip6 to jhash ip6 saddr mod 2");
    expect(text).toContain("meta mark 0x00000007 dnat ip to jhash ip saddr mod 2");
    const back = applied.table.services.find((s) => s.protocol === "fwmark")!;
    expect(back.schedFlags).toEqual(["sh-port"]);
    expect(applied.table.services.find((s) => s.family === "inet6")!.persistence).toBe(300);
  });

  it("carries the whole u32 range of firewall marks", async () => {
    const { address: _, ...noAddress } = web;
    const top: ServiceSpec = { ...noAddress, protocol: "fwmark", port: 0, fwmark: 4294967295 };
    const high: ServiceSpec = { ...top, fwmark: 2147483648 };
    const b = new NftablesBackend({ netns: ns });
    await b.read();
    const applied = await b.apply([
      { kind: "add-service", service: top },
      { kind: "add-dest", service: top, dest: dest("10.2.0.4", 1, 0) },
      { kind: "add-service", service: high },
      { kind: "add-dest", service: high, dest: dest("10.2.0.5", 1, 0) },
    ]);
    expect(applied.failed).toEqual([]);
    const text = nft("list", "table", "inet", "ldirector");
    expect(text).toContain("meta mark 0xffffffff");
    expect(text).toContain("meta mark 0x80000000");
    const marks = (await new NftablesBackend({ netns: ns }).read()).services.map((s) => s.fwmark);
    expect(marks).toEqual(expect.arrayContaining([4294967295, 2147483648]));
  });

  it("refuses what nftables cannot express instead of approximating it", () => {
    expect(nftUnsupported({ ...web, scheduler: "wlc", dests: [] })).toMatch(/scheduler wlc/);
    expect(nftUnsupported({ ...web, dests: [{ ...dest("10.1.0.2", 1), forward: "route" }] })).toMatch(/masq/);
    expect(renderTable({ services: [{ ...web, dests: [dest("10.1.0.2", 0)] }] })).not.toContain("dnat");
  });

  it("scales large weights to at most 1024 slots, keeping every live dest", () => {
    const s: Service = { ...web, dests: [dest("10.1.0.2", 65535), dest("10.1.0.3", 1), dest("10.1.0.4", 7)] };
    const sl = slots(s);
    expect(sl.length).toBeLessThanOrEqual(1024);
    expect(new Set(sl.map((d) => d.address))).toEqual(new Set(["10.1.0.2", "10.1.0.3", "10.1.0.4"]));
  });
});
