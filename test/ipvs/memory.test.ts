import { describe, expect, it } from "vitest";
import { applyOps, MemoryBackend } from "../../src/ipvs/memory.js";
import { serviceKey } from "../../src/ipvs/model.js";
import type { Op, ServiceSpec } from "../../src/ipvs/ops.js";
import { dest, fwmark, table, tcp, udp } from "./build.js";

const spec = (s: ReturnType<typeof tcp>): ServiceSpec => {
  const { dests: _, ...rest } = s;
  return rest;
};
const web = spec(tcp("10.0.0.1", 80));
const errorsOf = (ops: Op[], start = table()) => applyOps(start, ops).failed.map((f) => f.error);

describe("applyOps: the kernel's rules in ipvsadm's words", () => {
  it("Service already exists / No such service / Service not defined", () => {
    expect(errorsOf([{ kind: "add-service", service: web }], table(tcp("10.0.0.1", 80)))).toEqual([
      "Service already exists",
    ]);
    expect(errorsOf([{ kind: "edit-service", service: web }])).toEqual(["No such service"]);
    expect(errorsOf([{ kind: "delete-service", service: web }])).toEqual(["No such service"]);
    expect(errorsOf([{ kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) }])).toEqual([
      "Service not defined",
    ]);
    expect(errorsOf([{ kind: "edit-dest", service: web, dest: dest("10.0.0.2", 80) }])).toEqual([
      "Service not defined",
    ]);
    expect(errorsOf([{ kind: "delete-dest", service: web, dest: dest("10.0.0.2", 80) }])).toEqual([
      "Service not defined",
    ]);
  });

  it("Destination already exists / No such destination", () => {
    const t = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] }));
    expect(errorsOf([{ kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) }], t)).toEqual([
      "Destination already exists",
    ]);
    expect(errorsOf([{ kind: "edit-dest", service: web, dest: dest("10.0.0.3", 80) }], t)).toEqual([
      "No such destination",
    ]);
    expect(errorsOf([{ kind: "delete-dest", service: web, dest: dest("10.0.0.2", 81) }], t)).toEqual([
      "No such destination",
    ]);
  });

  it("forces route and tunnel dest ports to the service port, so a second one collides", () => {
    const ops: Op[] = [
      { kind: "add-service", service: web },
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 8080, { forward: "route" }) },
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 9090, { forward: "tunnel" }) },
    ];
    const result = applyOps(table(), ops);
    expect(result.failed.map((f) => f.error)).toEqual(["Destination already exists"]);
    expect(result.table.services[0]!.dests).toEqual([dest("10.0.0.2", 80, { forward: "route" })]);
  });

  it("keeps the dest port under a firewall mark", () => {
    const mark = spec(fwmark(1));
    const result = applyOps(table(), [
      { kind: "add-service", service: mark },
      { kind: "add-dest", service: mark, dest: dest("10.0.0.2", 8080, { forward: "route" }) },
    ]);
    expect(result.table.services[0]!.dests[0]!.port).toBe(8080);
  });

  it("refuses what ipvsadm or the kernel refuse, with their words", () => {
    expect(errorsOf([{ kind: "add-service", service: { ...web, scheduler: "nope" } }])).toEqual([
      "Scheduler or persistence engine not found",
    ]);
    expect(
      errorsOf([{ kind: "add-service", service: { ...web, persistence: 5, persistenceEngine: "x" } }]),
    ).toEqual(["Scheduler or persistence engine not found"]);
    expect(errorsOf([{ kind: "add-service", service: { ...web, port: 0 } }])).toEqual([
      "Zero port specified for non-persistent service",
    ]);
    expect(errorsOf([{ kind: "add-service", service: { ...web, ops: true } }])).toEqual([
      "One-Packet Scheduling is only for UDP virtual services",
    ]);
    expect(errorsOf([{ kind: "add-service", service: { ...web, schedFlags: ["sh-port"] } }])).toEqual([
      "incompatible scheduler flag `sh-port'",
    ]);
    const t = table(tcp("10.0.0.1", 80));
    expect(errorsOf([{ kind: "add-dest", service: web, dest: dest("2001:db8::2", 80) }], t)).toEqual([
      "Different address family is allowed only for tunneling servers",
    ]);
    expect(
      errorsOf([{ kind: "add-dest", service: web, dest: dest("10.0.0.2", 80, { lowerThreshold: 5 }) }], t),
    ).toEqual(["Numerical result out of range"]);
    // The real ipvsadm takes weights up to 2147483647 (groundtruth.txt, weight-limits).
    expect(
      errorsOf([{ kind: "add-dest", service: web, dest: dest("10.0.0.2", 80, { weight: 2147483648 }) }], t),
    ).toEqual(["illegal weight specified"]);
    expect(
      errorsOf([{ kind: "add-dest", service: web, dest: dest("10.0.0.2", 80, { weight: 2147483647 }) }], t),
    ).toEqual([]);
    const { dests: _, ...mark } = fwmark(1);
    expect(errorsOf([{ kind: "add-service", service: { ...mark, fwmark: 0 } }])).toEqual([
      "invalid fwmark value `0' specified",
    ]);
    expect(errorsOf([{ kind: "add-service", service: { ...mark, fwmark: 2 ** 32 } }])).toEqual([
      "invalid fwmark value `4294967296' specified",
    ]);
    expect(errorsOf([{ kind: "add-service", service: { ...mark, fwmark: 4294967295 } }])).toEqual([]);
  });

  it("accepts a tunnel dest of the other family, persistent port-0 services and UDP one-packet", () => {
    const anyPort = spec(tcp("10.0.0.1", 0, { persistence: 360 }));
    const dns = spec(udp("10.0.0.1", 53, { ops: true }));
    const result = applyOps(table(), [
      { kind: "add-service", service: anyPort },
      { kind: "add-dest", service: anyPort, dest: dest("2001:db8::2", 0, { forward: "tunnel" }) },
      { kind: "add-service", service: dns },
    ]);
    expect(result.failed).toEqual([]);
    expect(result.table.services.map(serviceKey)).toEqual(["tcp:10.0.0.1:0", "udp:10.0.0.1:53"]);
  });

  it("edits in place, keeps dests, deletes a service with its dests, and leaves the input untouched", () => {
    const start = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] }));
    const snapshot = structuredClone(start);
    const result = applyOps(start, [
      { kind: "edit-service", service: { ...web, scheduler: "rr" } },
      { kind: "edit-dest", service: web, dest: dest("10.0.0.2", 80, { weight: 0 }) },
    ]);
    expect(result.table).toEqual(
      table(tcp("10.0.0.1", 80, { scheduler: "rr", dests: [dest("10.0.0.2", 80, { weight: 0 })] })),
    );
    expect(start).toEqual(snapshot);
    expect(applyOps(result.table, [{ kind: "delete-service", service: web }]).table).toEqual(table());
  });

  it("goes on after a refused op, as the kernel does", () => {
    const result = applyOps(table(), [
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) },
      { kind: "add-service", service: web },
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) },
    ]);
    expect(result.failed.map((f) => f.op.kind)).toEqual(["add-dest"]);
    expect(result.table.services[0]!.dests).toHaveLength(1);
  });
});

describe("MemoryBackend", () => {
  it("reads deep copies, applies with applyOps and spends no exec", async () => {
    const backend = new MemoryBackend(table(tcp("10.0.0.1", 80)));
    expect(backend.name).toBe("memory");
    const first = await backend.read();
    first.services[0]!.scheduler = "changed by the caller";
    expect((await backend.read()).services[0]!.scheduler).toBe("wlc");
    const applied = await backend.apply([
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) },
      { kind: "add-service", service: web },
    ]);
    expect(applied.execs).toBe(0);
    expect(applied.failed.map((f) => f.error)).toEqual(["Service already exists"]);
    expect(applied.table).toEqual(await backend.read());
    expect(applied.table.services[0]!.dests).toEqual([dest("10.0.0.2", 80)]);
  });
});
