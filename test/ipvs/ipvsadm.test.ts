import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BackendError } from "../../src/ipvs/backend.js";
import { connKey } from "../../src/ipvs/conntrack.js";
import { diff } from "../../src/ipvs/diff.js";
import { IpvsadmBackend, NO_IPVS_MESSAGE, probeIpvsadm, restoreScript } from "../../src/ipvs/ipvsadm.js";
import type { Op, ServiceSpec } from "../../src/ipvs/ops.js";
import { formatSave } from "../../src/ipvs/ipvsadm-text.js";
import { dest, fwmark, table, tcp } from "./build.js";

const STAND_IN = resolve("test/fixtures/ipvsadm");
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "ldirector-ipvsadm-"));
  env = { ...process.env, IPVSADM_STATE: join(dir, "state.json"), IPVSADM_LOG: join(dir, "log") };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const backend = () => new IpvsadmBackend({ path: STAND_IN, env });
const log = () =>
  readFileSync(join(dir, "log"), "utf8")
    .split("\n")
    .filter((l) => l !== "");
const invocations = () => log().filter((l) => !l.startsWith("R "));
const spec = (s: ReturnType<typeof tcp>): ServiceSpec => {
  const { dests: _, ...rest } = s;
  return rest;
};

describe("IpvsadmBackend against the ipvsadm stand-in", () => {
  it("writes a whole batch and reads it back in one exec", async () => {
    const desired = table(
      tcp("192.168.6.240", 80, {
        scheduler: "wrr",
        persistence: 300,
        dests: [
          dest("192.168.6.2", 80, { forward: "route" }),
          dest("192.168.6.3", 80, { weight: 2, upperThreshold: 50, lowerThreshold: 5 }),
        ],
      }),
      fwmark(7, { family: "inet6", dests: [dest("2001:db8::7", 0, { forward: "route" })] }),
    );
    const b = backend();
    const ops = diff(desired, table(), new Set());
    const applied = await b.apply(ops);
    expect(applied.execs).toBe(1);
    expect(applied.failed).toEqual([]);
    expect(invocations()).toEqual(["-R"]);
    expect(
      log()
        .filter((l) => l.startsWith("R "))
        .map((l) => l.slice(2)),
    ).toEqual(restoreScript(ops).trimEnd().split("\n"));
    expect(diff(desired, applied.table, new Set())).toEqual([]);
    expect(applied.table.services[0]!.dests[1]).toMatchObject({ upperThreshold: 50, lowerThreshold: 5 });
    expect(await b.read()).toEqual(applied.table);
    expect(invocations()).toEqual(["-R", "-R"]);
  });

  it("reports refused ops with ipvsadm's words, and only those", async () => {
    const web = spec(tcp("10.0.0.1", 80));
    const ops: Op[] = [
      { kind: "add-service", service: web },
      { kind: "add-service", service: { ...web, port: 81, scheduler: "nosuch" } },
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) },
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80, { weight: 3 }) },
      { kind: "edit-dest", service: web, dest: dest("10.0.0.9", 80) },
      { kind: "add-dest", service: web, dest: dest("10.0.0.3", 80, { lowerThreshold: 4 }) },
    ];
    const applied = await backend().apply(ops);
    expect(applied.execs).toBe(1);
    expect(applied.failed.map((f) => [ops.indexOf(f.op), f.error])).toEqual([
      [1, "Scheduler or persistence engine not found"],
      [3, "Destination already exists"],
      [4, "No such destination"],
      [5, "Numerical result out of range"],
    ]);
    expect(formatSave(applied.table)).toBe(
      "-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1\n",
    );
  });

  it("writes and reads back fwmarks from 2^31 up, which ipvsadm lists negative (issue 12)", async () => {
    // The real ipvsadm prints mark 3000000000 as `-A -f -1294967296`; the reader once threw
    // "firewall mark is not a number" on it and the daemon retried forever.
    const desired = table(
      fwmark(3000000000, { scheduler: "rr", dests: [dest("10.0.0.2", 0, { forward: "route" })] }),
      fwmark(4294967295, { scheduler: "rr" }),
      fwmark(2147483647, { scheduler: "rr" }),
    );
    const b = backend();
    const applied = await b.apply(diff(desired, table(), new Set()));
    expect(applied.failed).toEqual([]);
    const listed = execFileSync(STAND_IN, ["-S", "-n"], { env, encoding: "utf8" });
    expect(listed).toContain("-A -f -1294967296 -s rr\n-a -f -1294967296 -r 10.0.0.2:0 -g -w 1\n");
    expect(listed).toContain("-A -f -1 -s rr\n");
    expect(diff(desired, applied.table, new Set())).toEqual([]);
    const read = await b.read();
    expect(read.services.map((s) => s.fwmark).sort()).toEqual([2147483647, 3000000000, 4294967295]);
    expect(diff(desired, read, new Set())).toEqual([]);
    // status looks connection counts up by the unsigned mark, as the daemon knows it.
    const conns = await b.connections();
    expect([...conns.keys()]).toEqual([connKey("fwmark", "3000000000", 0, "10.0.0.2", 0)]);
  });

  it("survives a usage error in the middle of a batch and converges on the next pass", async () => {
    const desired = table(
      tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80), dest("10.0.0.3", 80)] }),
      tcp("10.0.0.5", 80, { dests: [dest("10.0.0.6", 80)] }),
    );
    const ops = diff(desired, table(), new Set());
    // A port-0 non-persistent service makes ipvsadm exit 2 in the middle of -R.
    const broken: Op[] = [
      ...ops.slice(0, 3),
      { kind: "add-service", service: spec(tcp("10.0.0.9", 0)) },
      ...ops.slice(3),
    ];
    const b = backend();
    const first = await b.apply(broken);
    expect(first.execs).toBe(2);
    expect(first.failed[0]).toEqual({
      op: broken[3],
      error: "Zero port specified for non-persistent service",
    });
    expect(
      first.failed
        .slice(1)
        .every((f) => f.error.startsWith("not run: ipvsadm -R stopped at an earlier line")),
    ).toBe(true);
    expect(first.table.services).toHaveLength(2);
    // The two -A and the first -a ran before the bad line; nothing after it did.
    expect(first.table.services.flatMap((s) => s.dests.map((d) => d.address))).toEqual(["10.0.0.2"]);

    const again = diff(desired, first.table, new Set());
    expect(again.length).toBeGreaterThan(0);
    const second = await b.apply(again);
    expect(second.failed).toEqual([]);
    expect(diff(desired, second.table, new Set())).toEqual([]);
    expect(diff(desired, await b.read(), new Set())).toEqual([]);
  });

  it("sees drift made by hand and repairs it", async () => {
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80), dest("10.0.0.3", 80)] }));
    const b = backend();
    await b.apply(diff(desired, table(), new Set()));
    execFileSync(STAND_IN, ["-d", "-t", "10.0.0.1:80", "-r", "10.0.0.3:80"], { env });
    const ops = diff(desired, await b.read(), new Set());
    expect(ops.map((o) => o.kind)).toEqual(["add-dest"]);
    expect(diff(desired, (await b.apply(ops)).table, new Set())).toEqual([]);
  });

  it("turns a kernel without IPVS into one clear BackendError", async () => {
    const b = new IpvsadmBackend({ path: STAND_IN, env: { ...env, IPVSADM_NO_KERNEL: "1" } });
    await expect(b.read()).rejects.toThrow(new BackendError(NO_IPVS_MESSAGE));
    await expect(b.apply([])).rejects.toBeInstanceOf(BackendError);
    await expect(probeIpvsadm(STAND_IN, { ...env, IPVSADM_NO_KERNEL: "1" })).rejects.toThrow(
      "this kernel has no IPVS (ipvsadm: Protocol not available); use --backend nftables or --backend memory",
    );
  });

  it("names the missing binary and the ways to point at one", async () => {
    const missing = join(dir, "no-such-ipvsadm");
    const error = await probeIpvsadm(missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain("--ipvsadm PATH");
    expect((error as Error).message).toContain("ipvsadm= directive");
  });

  it("probes a working ipvsadm and returns its table", async () => {
    expect(await probeIpvsadm(STAND_IN, env)).toEqual(table());
  });
});
