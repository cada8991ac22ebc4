import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diff, normalizeTable } from "../../src/ipvs/diff.js";
import { applyOps } from "../../src/ipvs/memory.js";
import { type Dest, type Service, serviceKey, type Table } from "../../src/ipvs/model.js";

// Small pools so that random tables overlap: same keys with other settings, same dests with
// other weights, route dests whose ports collapse to the service port.
const v4 = fc.constantFrom("10.0.0.1", "10.0.0.2", "10.0.0.3");
const v6 = fc.constantFrom("2001:db8::1", "2001:db8::2");
const port = fc.constantFrom(80, 443, 8080);
const schedulerAndFlags = fc.oneof(
  fc.record({ scheduler: fc.constantFrom("wlc", "rr", "wrr", "lc"), schedFlags: fc.constant<string[]>([]) }),
  fc.record({ scheduler: fc.constant("sh"), schedFlags: fc.subarray(["sh-fallback", "sh-port"]) }),
);
const persistence = fc.option(
  fc.record({
    persistence: fc.constantFrom(60, 300),
    netmask: fc.option(fc.constantFrom("255.255.255.255", "255.255.255.0"), { nil: undefined }),
  }),
  { nil: undefined },
);

function destArb(family: "inet" | "inet6"): fc.Arbitrary<Dest> {
  return fc
    .record({
      address: family === "inet" ? v4 : v6,
      port,
      forward: fc.constantFrom("masq" as const, "route" as const, "tunnel" as const),
      weight: fc.integer({ min: 0, max: 3 }),
      upper: fc.constantFrom(0, 10),
      lower: fc.constantFrom(0, 5),
    })
    .map(({ upper, lower, ...d }) => ({
      ...d,
      upperThreshold: upper,
      lowerThreshold: Math.min(lower, upper),
    }));
}

const serviceArb: fc.Arbitrary<Service> = fc
  .record({
    kind: fc.constantFrom("tcp", "udp", "fwmark", "tcp6"),
    address: v4,
    address6: v6,
    port,
    mark: fc.integer({ min: 1, max: 3 }),
    sched: schedulerAndFlags,
    persistence,
  })
  .chain((r) => {
    const family = r.kind === "tcp6" ? "inet6" : "inet";
    const base: Service =
      r.kind === "fwmark"
        ? { protocol: "fwmark", family, fwmark: r.mark, port: 0, ops: false, ...r.sched, dests: [] }
        : {
            protocol: r.kind === "udp" ? "udp" : "tcp",
            family,
            address: family === "inet6" ? r.address6 : r.address,
            port: r.port,
            ops: false,
            ...r.sched,
            dests: [],
          };
    if (r.persistence) {
      base.persistence = r.persistence.persistence;
      if (r.persistence.netmask && family === "inet") base.netmask = r.persistence.netmask;
    }
    return fc.array(destArb(family), { maxLength: 4 }).map((dests) => ({ ...base, dests }));
  });

const tableArb: fc.Arbitrary<Table> = fc
  .array(serviceArb, { maxLength: 5 })
  .map((services) => ({ services }));

/** A table the kernel could hold: what applyOps builds from adding everything in it. */
function kernelTable(t: Table): Table {
  return normalizeTable(t);
}

describe("diff converges", () => {
  it("reaches the desired table from any actual one in at most two passes, never touching unowned services", () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.func(fc.boolean()), (rawDesired, rawActual, ownedPick) => {
        const actual = kernelTable(rawActual);
        const desired = rawDesired;
        const owned = new Set(actual.services.map(serviceKey).filter((k) => ownedPick(k)));
        const desiredKeys = new Set(normalizeTable(desired).services.map(serviceKey));

        let current = actual;
        let passes = 0;
        for (; passes < 2; passes++) {
          const ops = diff(desired, current, owned);
          if (ops.length === 0) break;
          current = applyOps(current, ops).table;
        }
        expect(diff(desired, current, owned)).toEqual([]);

        const want = normalizeTable(desired);
        const wantByKey = new Map(want.services.map((s) => [serviceKey(s), s]));
        for (const s of normalizeTable(current).services) {
          const key = serviceKey(s);
          if (desiredKeys.has(key)) expect(s).toEqual(wantByKey.get(key));
          else expect(owned.has(key)).toBe(false);
        }
        for (const s of actual.services) {
          const key = serviceKey(s);
          if (!desiredKeys.has(key) && !owned.has(key)) {
            expect(current.services.find((c) => serviceKey(c) === key)).toEqual(s);
          }
        }
        for (const key of desiredKeys) expect(current.services.some((c) => serviceKey(c) === key)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("takes one pass: a diff applied never leaves a second one to do", () => {
    fc.assert(
      fc.property(tableArb, tableArb, (desired, rawActual) => {
        const actual = kernelTable(rawActual);
        const everything = new Set(actual.services.map(serviceKey));
        const { table, failed } = applyOps(actual, diff(desired, actual, everything));
        expect(failed).toEqual([]);
        expect(diff(desired, table, everything)).toEqual([]);
        expect(normalizeTable(table)).toEqual(normalizeTable(desired));
      }),
      { numRuns: 2000 },
    );
  });
});
