import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diff, normalizeTable } from "../../src/ipvs/diff.js";
import { applyOps } from "../../src/ipvs/memory.js";
import { serviceKey, type Table } from "../../src/ipvs/model.js";
import { formatOp } from "../../src/ipvs/ipvsadm-text.js";
import { tableArb } from "./arbitraries.js";
import { dest, fwmark, table, tcp, udp } from "./build.js";

const NONE = new Set<string>();
const lines = (desired: Table, actual: Table, owned: ReadonlySet<string> = NONE): string[] =>
  diff(desired, actual, owned).map(formatOp);

describe("diff: equal tables", () => {
  it("writes nothing when desired equals actual", () => {
    const t = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] }));
    expect(diff(t, t, NONE)).toEqual([]);
  });

  it("sees no drift in what normalizes equal: default netmask, flag order, Local, forced ports, IPv6 spelling", () => {
    const desired = table(
      tcp("10.0.0.1", 80, {
        persistence: 300,
        netmask: "255.255.255.255",
        dests: [dest("10.0.0.2", 8080, { forward: "route" }), dest("10.0.0.3", 80, { forward: "local" })],
      }),
      tcp("2001:DB8:0:0::1", 443, { persistence: 60, netmask: "128", dests: [dest("2001:db8:0::2", 443)] }),
      fwmark(4, { scheduler: "sh", schedFlags: ["sh-port", "sh-fallback"] }),
      tcp("10.0.0.1", 81, { netmask: "255.255.0.0" }),
    );
    const actual = table(
      tcp("10.0.0.1", 80, {
        persistence: 300,
        dests: [dest("10.0.0.2", 80, { forward: "route" }), dest("10.0.0.3", 80, { forward: "route" })],
      }),
      tcp("2001:db8::1", 443, { persistence: 60, dests: [dest("2001:db8::2", 443)] }),
      fwmark(4, { scheduler: "sh", schedFlags: ["flag-1", "flag-2"] }),
      tcp("10.0.0.1", 81),
    );
    expect(lines(desired, actual)).toEqual([]);
  });

  it("ignores connection counters", () => {
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] }));
    const actual = table(
      tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80, { activeConns: 5, inactiveConns: 9 })] }),
    );
    expect(diff(desired, actual, NONE)).toEqual([]);
  });
});

describe("diff: adds and removes", () => {
  it("adds a new service, then its dests", () => {
    const desired = table(
      tcp("10.0.0.1", 80, {
        scheduler: "wrr",
        dests: [dest("10.0.0.3", 80), dest("10.0.0.2", 80, { weight: 2 })],
      }),
    );
    expect(lines(desired, table())).toEqual([
      "-A -t 10.0.0.1:80 -s wrr",
      "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 2 -x 0 -y 0",
      "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1 -x 0 -y 0",
    ]);
  });

  it("adds and deletes dests of a kept service, the add first", () => {
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80), dest("10.0.0.4", 80)] }));
    const actual = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80), dest("10.0.0.3", 80)] }));
    expect(lines(desired, actual)).toEqual([
      "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -m -w 1 -x 0 -y 0",
      "-d -t 10.0.0.1:80 -r 10.0.0.3:80",
    ]);
  });

  it("deletes an owned service with one -D, not dest by dest, and last", () => {
    const old = tcp("10.0.0.9", 80, { dests: [dest("10.0.0.2", 80), dest("10.0.0.3", 80)] });
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.5", 80)] }));
    const actual = table(old, tcp("10.0.0.1", 80));
    expect(lines(desired, actual, new Set([serviceKey(old)]))).toEqual([
      "-a -t 10.0.0.1:80 -r 10.0.0.5:80 -m -w 1 -x 0 -y 0",
      "-D -t 10.0.0.9:80",
    ]);
  });

  it("orders: service adds/edits, dest adds, edits up, edits to weight 0, dest deletes, service deletes", () => {
    const gone = udp("10.0.0.9", 53);
    const desired = table(
      tcp("10.0.0.1", 80, {
        scheduler: "rr",
        dests: [
          dest("10.0.0.2", 80, { weight: 0 }),
          dest("10.0.0.4", 80),
          dest("10.0.0.5", 80, { weight: 3 }),
        ],
      }),
      tcp("10.0.0.7", 80, { dests: [dest("10.0.0.8", 80)] }),
    );
    const actual = table(
      gone,
      tcp("10.0.0.1", 80, {
        dests: [dest("10.0.0.2", 80), dest("10.0.0.3", 80), dest("10.0.0.5", 80, { weight: 0 })],
      }),
    );
    expect(lines(desired, actual, new Set([serviceKey(gone)]))).toEqual([
      "-E -t 10.0.0.1:80 -s rr",
      "-A -t 10.0.0.7:80 -s wlc",
      "-a -t 10.0.0.1:80 -r 10.0.0.4:80 -m -w 1 -x 0 -y 0",
      "-a -t 10.0.0.7:80 -r 10.0.0.8:80 -m -w 1 -x 0 -y 0",
      "-e -t 10.0.0.1:80 -r 10.0.0.5:80 -m -w 3 -x 0 -y 0",
      "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 0 -x 0 -y 0",
      "-d -t 10.0.0.1:80 -r 10.0.0.3:80",
      "-D -u 10.0.0.9:53",
    ]);
  });
});

describe("diff: in-place edits", () => {
  const base = (extra = {}) => tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)], ...extra });
  it.each([
    ["scheduler", { scheduler: "rr" }, "-E -t 10.0.0.1:80 -s rr"],
    ["persistence on", { persistence: 300 }, "-E -t 10.0.0.1:80 -s wlc -p 300"],
    [
      "netmask",
      { persistence: 300, netmask: "255.255.255.0" },
      "-E -t 10.0.0.1:80 -s wlc -p 300 -M 255.255.255.0",
    ],
    ["scheduler flags", { scheduler: "sh", schedFlags: ["sh-port"] }, "-E -t 10.0.0.1:80 -s sh -b sh-port"],
    [
      "persistence engine",
      { persistence: 30, persistenceEngine: "sip" },
      "-E -t 10.0.0.1:80 -s wlc -p 30 --pe sip",
    ],
  ])("edits %s with -E carrying the whole spec", (_what, extra, line) => {
    expect(lines(table(base(extra)), table(base()))).toEqual([line]);
  });

  it("edits persistence off with -E (the kernel clears what -E omits)", () => {
    expect(lines(table(base()), table(base({ persistence: 300 })))).toEqual(["-E -t 10.0.0.1:80 -s wlc"]);
  });

  it("edits one-packet scheduling on a UDP service", () => {
    const d = udp("10.0.0.1", 53, { ops: true });
    expect(lines(table(d), table(udp("10.0.0.1", 53)))).toEqual(["-E -u 10.0.0.1:53 -s wlc -o"]);
  });

  it.each([
    ["weight", { weight: 0 }, "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 0 -x 0 -y 0"],
    [
      "forwarding method",
      { forward: "tunnel" as const },
      "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -i -w 1 -x 0 -y 0",
    ],
    [
      "thresholds",
      { upperThreshold: 100, lowerThreshold: 50 },
      "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1 -x 100 -y 50",
    ],
  ])("edits a dest's %s with -e", (_what, extra, line) => {
    expect(
      lines(table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80, extra)] })), table(base())),
    ).toEqual([line]);
  });
});

describe("diff: keys", () => {
  it("treats a dest with another port as another dest: add + delete", () => {
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 8080)] }));
    const actual = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] }));
    expect(lines(desired, actual)).toEqual([
      "-a -t 10.0.0.1:80 -r 10.0.0.2:8080 -m -w 1 -x 0 -y 0",
      "-d -t 10.0.0.1:80 -r 10.0.0.2:80",
    ]);
  });

  it("a masq dest on another port becoming route is an add at the service port + a delete", () => {
    const desired = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 8080, { forward: "route" })] }));
    const actual = table(tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 8080)] }));
    expect(lines(desired, actual)).toEqual([
      "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1 -x 0 -y 0",
      "-d -t 10.0.0.1:80 -r 10.0.0.2:8080",
    ]);
  });

  it("does not force ports under a firewall mark", () => {
    const desired = table(fwmark(3, { dests: [dest("10.0.0.2", 8080, { forward: "route" })] }));
    expect(lines(desired, table(fwmark(3)))).toEqual(["-a -f 3 -r 10.0.0.2:8080 -g -w 1 -x 0 -y 0"]);
  });

  it("moves a service to another port: add the new one, delete the old one if owned", () => {
    const old = tcp("10.0.0.1", 80, { dests: [dest("10.0.0.2", 80)] });
    const desired = table(tcp("10.0.0.1", 8080, { dests: [dest("10.0.0.2", 80)] }));
    expect(lines(desired, table(old), new Set([serviceKey(old)]))).toEqual([
      "-A -t 10.0.0.1:8080 -s wlc",
      "-a -t 10.0.0.1:8080 -r 10.0.0.2:80 -m -w 1 -x 0 -y 0",
      "-D -t 10.0.0.1:80",
    ]);
  });

  it("distinguishes IPv4 and IPv6 firewall marks and TCP from UDP", () => {
    const desired = table(fwmark(5, { family: "inet6" }), udp("10.0.0.1", 80));
    const actual = table(fwmark(5), tcp("10.0.0.1", 80));
    const owned = new Set(["fwmark:inet:5", "tcp:10.0.0.1:80"]);
    expect(lines(desired, actual, owned)).toEqual([
      "-A -u 10.0.0.1:80 -s wlc",
      "-A -f 5 -6 -s wlc",
      "-D -t 10.0.0.1:80",
      "-D -f 5",
    ]);
  });
});

describe("diff: ownership", () => {
  const foreign = tcp("10.9.9.9", 22, { dests: [dest("10.9.9.10", 22)] });

  it("never touches a service it does not own", () => {
    expect(diff(table(), table(foreign), NONE)).toEqual([]);
    expect(diff(table(), table(foreign), new Set(["tcp:10.0.0.1:80"]))).toEqual([]);
  });

  it("owns every desired service implicitly, even one someone else created", () => {
    const desired = table(tcp("10.9.9.9", 22, { scheduler: "rr", dests: [dest("10.9.9.11", 22)] }));
    expect(lines(desired, table(foreign), NONE)).toEqual([
      "-E -t 10.9.9.9:22 -s rr",
      "-a -t 10.9.9.9:22 -r 10.9.9.11:22 -m -w 1 -x 0 -y 0",
      "-d -t 10.9.9.9:22 -r 10.9.9.10:22",
    ]);
  });

  it("matches owned keys spelled with a non-canonical IPv6 address", () => {
    const v6 = tcp("2001:db8::1", 80);
    expect(lines(table(), table(v6), new Set(["tcp:2001:DB8:0:0::1:80"]))).toEqual([
      "-D -t [2001:db8::1]:80",
    ]);
  });
});

describe("diff: IPv6", () => {
  it("adds IPv6 services and dests in brackets", () => {
    const desired = table(
      tcp("2001:db8::1", 443, { persistence: 60, netmask: "64", dests: [dest("2001:db8::2", 443)] }),
    );
    expect(lines(desired, table())).toEqual([
      "-A -t [2001:db8::1]:443 -s wlc -p 60 -M 64",
      "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -m -w 1 -x 0 -y 0",
    ]);
  });
});

// The exact `ipvsadm -R` stdin ldirector writes for the scenarios a director lives through.
describe("golden command streams", () => {
  const vip = (dests: ReturnType<typeof dest>[], extra = {}) =>
    tcp("192.168.6.240", 80, { scheduler: "wrr", persistence: 300, dests, ...extra });
  const real1 = dest("192.168.6.2", 80, { forward: "route", weight: 1 });
  const real2 = dest("192.168.6.3", 80, { forward: "route", weight: 2 });
  const fallback = dest("127.0.0.1", 80, { forward: "route", weight: 1 });

  it("initial fill", () => {
    expect(lines(table(vip([real1, real2])), table())).toEqual([
      "-A -t 192.168.6.240:80 -s wrr -p 300",
      "-a -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 1 -x 0 -y 0",
      "-a -t 192.168.6.240:80 -r 192.168.6.3:80 -g -w 2 -x 0 -y 0",
    ]);
  });

  it("real down with quiescent=yes: weight 0 in place", () => {
    const down = { ...real2, weight: 0 };
    expect(lines(table(vip([real1, down])), table(vip([real1, real2])))).toEqual([
      "-e -t 192.168.6.240:80 -r 192.168.6.3:80 -g -w 0 -x 0 -y 0",
    ]);
  });

  it("real down with quiescent=no: removed", () => {
    expect(lines(table(vip([real1])), table(vip([real1, real2])))).toEqual([
      "-d -t 192.168.6.240:80 -r 192.168.6.3:80",
    ]);
  });

  it("fallback in when the last real goes, and out when one comes back: always add first", () => {
    // Issue 12: deleting first left the service without a dest for a moment, and on a real
    // kernel a request arriving then failed.
    expect(lines(table(vip([fallback])), table(vip([real1])))).toEqual([
      "-a -t 192.168.6.240:80 -r 127.0.0.1:80 -g -w 1 -x 0 -y 0",
      "-d -t 192.168.6.240:80 -r 192.168.6.2:80",
    ]);
    expect(lines(table(vip([real1])), table(vip([fallback])))).toEqual([
      "-a -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 1 -x 0 -y 0",
      "-d -t 192.168.6.240:80 -r 127.0.0.1:80",
    ]);
  });

  it("quiescent fallback and recovery: the fallback comes in before the last real goes to weight 0", () => {
    const quiet1 = { ...real1, weight: 0 };
    expect(lines(table(vip([quiet1, fallback])), table(vip([real1])))).toEqual([
      "-a -t 192.168.6.240:80 -r 127.0.0.1:80 -g -w 1 -x 0 -y 0",
      "-e -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 0 -x 0 -y 0",
    ]);
    expect(lines(table(vip([real1])), table(vip([quiet1, fallback])))).toEqual([
      "-e -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 1 -x 0 -y 0",
      "-d -t 192.168.6.240:80 -r 127.0.0.1:80",
    ]);
  });

  it("one quiescent real taking over from another: the weight goes up before the other goes to 0", () => {
    const quiet1 = { ...real1, weight: 0 };
    const quiet2 = { ...real2, weight: 0 };
    expect(lines(table(vip([quiet1, real2])), table(vip([real1, quiet2])))).toEqual([
      "-e -t 192.168.6.240:80 -r 192.168.6.3:80 -g -w 2 -x 0 -y 0",
      "-e -t 192.168.6.240:80 -r 192.168.6.2:80 -g -w 0 -x 0 -y 0",
    ]);
  });

  it("service edit: scheduler and persistence change in place, dests untouched", () => {
    expect(
      lines(
        table(vip([real1], { scheduler: "wlc", persistence: 600, netmask: "255.255.255.0" })),
        table(vip([real1])),
      ),
    ).toEqual(["-E -t 192.168.6.240:80 -s wlc -p 600 -M 255.255.255.0"]);
  });

  it("every stream applies cleanly to the table it was computed from", () => {
    const actual = table(vip([real1, real2]));
    const desired = table(
      vip([fallback], { scheduler: "rr" }),
      udp("192.168.6.240", 53, { dests: [dest("192.168.6.2", 53)] }),
    );
    const result = applyOps(actual, diff(desired, actual, NONE));
    expect(result.failed).toEqual([]);
    expect(diff(desired, result.table, NONE)).toEqual([]);
  });
});

// ipvsadm -R applies its lines one by one and a connection can arrive between any two, so
// every prefix of a batch is a table the kernel really holds for a moment.
describe("diff: no service passes through zero dests while a batch runs", () => {
  /** Per service key: how many dests, and how many with weight > 0 (able to take a new connection). */
  const counts = (t: Table) =>
    new Map(
      normalizeTable(t).services.map((s) => [
        serviceKey(s),
        { dests: s.dests.length, live: s.dests.filter((d) => d.weight > 0).length },
      ]),
    );

  /**
   * Applies the diff one op at a time; returns every moment a service that has dests (or live
   * dests) both before and after the batch has none, as "after N ops: KEY has no (live) dests".
   */
  function dips(desired: Table, actual: Table, owned: ReadonlySet<string>): string[] {
    const ops = diff(desired, actual, owned);
    const before = counts(actual);
    let current = actual;
    const moments: Table[] = [];
    for (const op of ops) {
      const step = applyOps(current, [op]);
      expect(step.failed).toEqual([]);
      current = step.table;
      moments.push(current);
    }
    const after = counts(current);
    const found: string[] = [];
    moments.forEach((t, i) => {
      const now = counts(t);
      for (const [key, b] of before) {
        const a = after.get(key);
        const n = now.get(key) ?? { dests: 0, live: 0 };
        if (!a) continue;
        if (b.dests > 0 && a.dests > 0 && n.dests === 0)
          found.push(`after ${i + 1} ops: ${key} has no dests`);
        if (b.live > 0 && a.live > 0 && n.live === 0)
          found.push(`after ${i + 1} ops: ${key} has no live dests`);
      }
    });
    return found;
  }

  const vip = (dests: ReturnType<typeof dest>[], extra = {}) => tcp("192.168.6.240", 80, { dests, ...extra });
  const r1 = dest("192.168.6.2", 80);
  const r2 = dest("192.168.6.3", 80);
  const fb = dest("127.0.0.1", 80, { forward: "route" });
  const quiet = (d: ReturnType<typeof dest>) => ({ ...d, weight: 0 });

  it.each([
    ["recovery: a real in, the fallback out", [fb], [r1]],
    ["fallback in, the last real out", [r1], [fb]],
    ["a real replacing another", [r1], [r2]],
    ["a real moving to another port", [r1], [{ ...r1, port: 8080 }]],
    ["quiescent: the last real to weight 0, the fallback in", [r1], [quiet(r1), fb]],
    ["quiescent recovery: weight back, the fallback out", [quiet(r1), fb], [r1]],
    ["quiescent swap: one real up, the other to weight 0", [r1, quiet(r2)], [quiet(r1), r2]],
    ["all reals replaced at once", [r1, r2], [dest("192.168.6.4", 80), dest("192.168.6.5", 80)]],
  ])("%s", (_name, from, to) => {
    expect(dips(table(vip(to)), table(vip(from)), NONE)).toEqual([]);
  });

  it("a scheduler edit, a new service and a deleted one around a dest swap", () => {
    const old = udp("192.168.6.240", 53, { dests: [dest("192.168.6.2", 53)] });
    const desired = table(
      vip([r2], { scheduler: "sh", schedFlags: ["sh-port"], persistence: 300 }),
      tcp("192.168.6.241", 80, { dests: [r1] }),
    );
    const actual = table(vip([r1]), old);
    expect(dips(desired, actual, new Set([serviceKey(old)]))).toEqual([]);
    expect(diff(desired, actual, new Set([serviceKey(old)])).map((o) => o.kind)).toEqual([
      "edit-service",
      "add-service",
      "add-dest",
      "add-dest",
      "delete-dest",
      "delete-service",
    ]);
  });

  it("holds for any two tables (fast-check)", () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.func(fc.boolean()), (desired, rawActual, ownedPick) => {
        const actual = normalizeTable(rawActual);
        const owned = new Set(actual.services.map(serviceKey).filter((k) => ownedPick(k)));
        expect(dips(desired, actual, owned)).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });
});
