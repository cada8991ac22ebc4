// fast-check arbitraries for IPVS tables, shared by the diff property tests.
import fc from "fast-check";
import type { Dest, Service, Table } from "../../src/ipvs/model.js";

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

export const tableArb: fc.Arbitrary<Table> = fc
  .array(serviceArb, { maxLength: 5 })
  .map((services) => ({ services }));
