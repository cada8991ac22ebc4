import { describe, expect, it } from "vitest";
import type { Config, VirtualService } from "../../src/config/types.js";
import type { Override } from "../../src/control/override.js";
import { strongest } from "../../src/control/override.js";
import { realId } from "../../src/director/ids.js";
import {
  fallbackActive,
  forwardMethod,
  type PlanInput,
  plan,
  serviceSpecOf,
  virtualServiceKey,
} from "../../src/director/plan.js";
import type { Health } from "../../src/health/types.js";
import { type Dest, type ForwardMethod, type Service, serviceKey, type Table } from "../../src/ipvs/model.js";
import { check, config, fallback, fwmVirtual, real, virtual } from "./build.js";

const EMPTY: Table = { services: [] };

function dest(address: string, port: number, forward: ForwardMethod, weight: number, u = 0, l = 0): Dest {
  return { address, port, forward, weight, upperThreshold: u, lowerThreshold: l };
}

function withDests(v: VirtualService, ...dests: Dest[]): Service {
  return { ...serviceSpecOf(v), dests };
}

function healthOf(v: VirtualService, ...states: Health[]): Map<string, Health> {
  return new Map(v.reals.map((r, i) => [realId(v, r), states[i] ?? "unknown"]));
}

function run(input: Partial<PlanInput> & { config: Config }): Table {
  return plan({ health: new Map(), actual: EMPTY, ...input });
}

/** The desired dests of the only (or named) virtual. */
function dests(t: Table, v?: VirtualService): Dest[] {
  const s = v ? t.services.find((x) => serviceKey(x) === virtualServiceKey(v)) : t.services[0];
  if (!s) throw new Error("service missing from the plan");
  return s.dests;
}

describe("realId", () => {
  it("joins the virtual id and address:port, IPv6 in brackets", () => {
    const v4 = virtual("tcp", "10.0.0.1", 80);
    const v6 = virtual("tcp", "2001:db8::1", 443);
    expect(realId(v4, real("10.0.0.2", 8080))).toBe("tcp:10.0.0.1:80/10.0.0.2:8080");
    expect(realId(v6, { address: "2001:db8::2", port: 443 })).toBe("tcp:[2001:db8::1]:443/[2001:db8::2]:443");
    expect(realId(fwmVirtual(5, "inet6"), { address: "2001:db8::3", port: 0 })).toBe(
      "fwm6:5/[2001:db8::3]:0",
    );
  });
});

describe("services: one per virtual, as ldirectord's -A", () => {
  it("translates an IPv4 tcp virtual", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { scheduler: "wlc" });
    expect(run({ config: config([v]) })).toEqual({
      services: [
        {
          protocol: "tcp",
          family: "inet",
          address: "10.0.0.1",
          port: 80,
          scheduler: "wlc",
          schedFlags: [],
          ops: false,
          dests: [],
        },
      ],
    });
  });

  it("keeps config order and writes a service even with no dests", () => {
    const a = virtual("tcp", "10.0.0.1", 80);
    const b = virtual("udp", "10.0.0.1", 53);
    const t = run({ config: config([a, b]) });
    expect(t.services.map(serviceKey)).toEqual(["tcp:10.0.0.1:80", "udp:10.0.0.1:53"]);
  });

  it("splits schedflags on commas", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { scheduler: "sh", schedFlags: "sh-fallback, sh-port," });
    expect(serviceSpecOf(v).schedFlags).toEqual(["sh-fallback", "sh-port"]);
  });

  it("sets one-packet scheduling only for udp with ops=yes", () => {
    expect(serviceSpecOf(virtual("udp", "10.0.0.1", 53, { ops: true })).ops).toBe(true);
    expect(serviceSpecOf(virtual("udp", "10.0.0.1", 53, { ops: false })).ops).toBe(false);
    expect(serviceSpecOf(virtual("tcp", "10.0.0.1", 53, { ops: true })).ops).toBe(false);
    expect(serviceSpecOf(fwmVirtual(3, "inet", { ops: true })).ops).toBe(false);
  });

  it("writes persistence, and the netmask only with persistence", () => {
    const p = serviceSpecOf(virtual("tcp", "10.0.0.1", 80, { persistent: 600, netmask: "255.255.255.0" }));
    expect(p.persistence).toBe(600);
    expect(p.netmask).toBe("255.255.255.0");
    const np = serviceSpecOf(virtual("tcp", "10.0.0.1", 80, { netmask: "255.255.255.0" }));
    expect("persistence" in np).toBe(false);
    expect("netmask" in np).toBe(false);
    const justP = serviceSpecOf(virtual("tcp", "10.0.0.1", 80, { persistent: 300 }));
    expect(justP.persistence).toBe(300);
    expect("netmask" in justP).toBe(false);
  });

  it("writes the default netmask as none (ipvsadm -S prints none for it)", () => {
    const v4 = serviceSpecOf(virtual("tcp", "10.0.0.1", 80, { persistent: 60, netmask: "255.255.255.255" }));
    expect("netmask" in v4).toBe(false);
    const v6 = serviceSpecOf(virtual("tcp", "2001:db8::1", 80, { persistent: 60, netmask: "128" }));
    expect("netmask" in v6).toBe(false);
    const v6p = serviceSpecOf(virtual("tcp", "2001:db8::1", 80, { persistent: 60, netmask: "64" }));
    expect(v6p.netmask).toBe("64");
  });

  it("translates IPv4 and IPv6 firewall-mark virtuals", () => {
    const f4 = serviceSpecOf(fwmVirtual(5, "inet", { scheduler: "rr" }));
    expect(f4).toEqual({
      protocol: "fwmark",
      family: "inet",
      fwmark: 5,
      port: 0,
      scheduler: "rr",
      schedFlags: [],
      ops: false,
    });
    expect(serviceKey(f4)).toBe("fwmark:inet:5");
    const f6 = serviceSpecOf(fwmVirtual(5, "inet6"));
    expect(f6.family).toBe("inet6");
    expect(f6.fwmark).toBe(5);
    expect("address" in f6).toBe(false);
    expect(serviceKey(f6)).toBe("fwmark:inet6:5");
  });

  it("translates an IPv6 address virtual", () => {
    const v = virtual("udp", "2001:db8::1", 53, { reals: [real("2001:db8::2", 53, "masq", 2)] });
    const t = run({ config: config([v]), health: healthOf(v, "up") });
    expect(t.services[0]).toMatchObject({
      protocol: "udp",
      family: "inet6",
      address: "2001:db8::1",
      port: 53,
    });
    expect(dests(t)).toEqual([dest("2001:db8::2", 53, "masq", 2)]);
  });
});

describe("addresses in the kernel's spelling", () => {
  it("writes IPv6 addresses compressed and lower case, and adopts what the kernel shows", () => {
    const v = virtual("tcp", "2001:DB8:0:0::1", 80, { reals: [real("2001:DB8:0::2", 80, "masq", 3)] });
    const t = run({ config: config([v]), health: healthOf(v, "up") });
    expect(t.services[0]?.address).toBe("2001:db8::1");
    expect(dests(t)).toEqual([dest("2001:db8::2", 80, "masq", 3)]);
    expect(run({ config: config([v]), actual: t })).toEqual(t);
  });
});

describe("dests: forwarding methods and ports", () => {
  it("translates gate, masq and ipip", () => {
    expect(forwardMethod("gate")).toBe("route");
    expect(forwardMethod("masq")).toBe("masq");
    expect(forwardMethod("ipip")).toBe("tunnel");
  });

  it("forces the service port on gate and ipip dests of address services, not on masq", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 8080, "gate"), real("10.0.0.3", 8080, "ipip"), real("10.0.0.4", 8080, "masq")],
    });
    const t = run({ config: config([v]), health: healthOf(v, "up", "up", "up") });
    expect(dests(t)).toEqual([
      dest("10.0.0.2", 80, "route", 1),
      dest("10.0.0.3", 80, "tunnel", 1),
      dest("10.0.0.4", 8080, "masq", 1),
    ]);
  });

  it("forces the port for a gate real written without a port", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals: [real("10.0.0.2", 0, "gate")] });
    expect(dests(run({ config: config([v]), health: healthOf(v, "up") }))).toEqual([
      dest("10.0.0.2", 80, "route", 1),
    ]);
  });

  it("keeps the real's port on firewall-mark services (IPv4 and IPv6)", () => {
    const f4 = fwmVirtual(5, "inet", { reals: [real("10.0.0.2", 0, "gate"), real("10.0.0.3", 80, "ipip")] });
    const f6 = fwmVirtual(6, "inet6", {
      reals: [real("2001:db8::2", 0, "gate"), real("2001:db8::3", 443, "masq")],
    });
    const health = new Map([...healthOf(f4, "up", "up"), ...healthOf(f6, "up", "up")]);
    const t = run({ config: config([f4, f6]), health });
    expect(dests(t, f4)).toEqual([dest("10.0.0.2", 0, "route", 1), dest("10.0.0.3", 80, "tunnel", 1)]);
    expect(dests(t, f6)).toEqual([dest("2001:db8::2", 0, "route", 1), dest("2001:db8::3", 443, "masq", 1)]);
  });

  it("carries l: and u: as lower and upper thresholds", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 3, { lowerThreshold: 5, upperThreshold: 50 })],
    });
    expect(dests(run({ config: config([v]), health: healthOf(v, "up") }))).toEqual([
      dest("10.0.0.2", 80, "masq", 3, 50, 5),
    ]);
  });

  it("puts an up real at its configured weight, 0 included", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 0), real("10.0.0.3", 80, "masq", 7)],
    });
    expect(dests(run({ config: config([v]), health: healthOf(v, "up", "up") }))).toEqual([
      dest("10.0.0.2", 80, "masq", 0),
      dest("10.0.0.3", 80, "masq", 7),
    ]);
  });

  it("drops dests in owned services that the config does not name", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals: [real("10.0.0.2", 80)] });
    const actual = {
      services: [withDests(v, dest("10.0.0.2", 80, "masq", 1), dest("10.0.0.9", 80, "masq", 1))],
    };
    expect(dests(run({ config: config([v]), health: healthOf(v, "up"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 1),
    ]);
  });

  it("plans only configured services, whatever else the table holds", () => {
    const v = virtual("tcp", "10.0.0.1", 80);
    const foreign = withDests(virtual("tcp", "10.9.9.9", 22), dest("10.9.9.10", 22, "masq", 1));
    const t = run({ config: config([v]), actual: { services: [foreign] } });
    expect(t.services.map(serviceKey)).toEqual(["tcp:10.0.0.1:80"]);
  });
});

describe("down reals: quiescent and readdquiescent", () => {
  const r = real("10.0.0.2", 80, "masq", 4, { upperThreshold: 9, lowerThreshold: 2 });
  const vNo = virtual("tcp", "10.0.0.1", 80, { reals: [r], quiescent: false });
  const vYes = virtual("tcp", "10.0.0.1", 80, { reals: [r], quiescent: true });
  const present = (v: VirtualService, d: Dest) => ({ services: [withDests(v, d)] });

  it("quiescent=no removes a down real that is in the table", () => {
    const actual = present(vNo, dest("10.0.0.2", 80, "masq", 4, 9, 2));
    expect(dests(run({ config: config([vNo]), health: healthOf(vNo, "down"), actual }))).toEqual([]);
  });

  it("quiescent=no leaves out a down real that is not in the table, readdquiescent or not", () => {
    expect(
      dests(run({ config: config([vNo], { readdQuiescent: true }), health: healthOf(vNo, "down") })),
    ).toEqual([]);
  });

  it("quiescent=yes sets a present down real to weight 0 without thresholds", () => {
    const actual = present(vYes, dest("10.0.0.2", 80, "masq", 4, 9, 2));
    expect(dests(run({ config: config([vYes]), health: healthOf(vYes, "down"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 0),
    ]);
  });

  it("quiescent=yes leaves a real already at weight 0 (same method) exactly as it is", () => {
    const actual = present(vYes, dest("10.0.0.2", 80, "masq", 0, 9, 2));
    expect(dests(run({ config: config([vYes]), health: healthOf(vYes, "down"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 0, 9, 2),
    ]);
  });

  it("quiescent=yes rewrites the method of a quiesced real that has the wrong one", () => {
    const actual = present(vYes, dest("10.0.0.2", 80, "tunnel", 0, 9, 2));
    expect(dests(run({ config: config([vYes]), health: healthOf(vYes, "down"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 0),
    ]);
  });

  it("quiescent=yes does not add an absent down real unless readdquiescent=yes", () => {
    expect(dests(run({ config: config([vYes]), health: healthOf(vYes, "down") }))).toEqual([]);
    expect(
      dests(run({ config: config([vYes], { readdQuiescent: true }), health: healthOf(vYes, "down") })),
    ).toEqual([dest("10.0.0.2", 80, "masq", 0)]);
  });

  it("readdquiescent=yes puts a never-checked real in at weight 0, never at its weight", () => {
    expect(dests(run({ config: config([vYes], { readdQuiescent: true }) }))).toEqual([
      dest("10.0.0.2", 80, "masq", 0),
    ]);
  });

  it("a quiesced real comes back at its weight and thresholds when up", () => {
    const actual = present(vYes, dest("10.0.0.2", 80, "masq", 0));
    expect(dests(run({ config: config([vYes]), health: healthOf(vYes, "up"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 4, 9, 2),
    ]);
  });
});

describe("unknown health: start-up adoption", () => {
  const v = virtual("tcp", "10.0.0.1", 80, {
    scheduler: "wlc",
    persistent: 300,
    reals: [
      real("10.0.0.2", 80, "gate", 2, { upperThreshold: 100 }),
      real("10.0.0.3", 80, "gate", 1),
      real("10.0.0.4", 80, "gate", 0),
    ],
    fallback: fallback("127.0.0.1", 80, "gate"),
  });
  const f = fwmVirtual(7, "inet6", {
    reals: [real("2001:db8::2", 0, "gate", 5)],
    fallback: fallback("::1", 0),
  });

  it("a restart over a healthy pool plans exactly the table it finds", () => {
    const cfg = config([v, f]);
    const healthy = plan({
      config: cfg,
      health: new Map([...healthOf(v, "up", "up", "up"), ...healthOf(f, "up")]),
      actual: EMPTY,
    });
    const afterRestart = plan({ config: cfg, health: new Map(), actual: healthy });
    expect(afterRestart).toEqual(healthy);
    expect(fallbackActive(afterRestart, cfg).get(v.id)).toBe(false);
  });

  it("an adopted real takes its configured weight and thresholds", () => {
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "route", 9))] };
    expect(dests(run({ config: config([v]), actual }))).toEqual([dest("10.0.0.2", 80, "route", 2, 100, 0)]);
  });

  it("an empty table gets nothing before the first checks, not even the fallback", () => {
    expect(dests(run({ config: config([v]) }))).toEqual([]);
  });

  it("an unknown real found at weight 0 is not adopted (ldirectord treats it as down)", () => {
    const actual = { services: [withDests(v, dest("10.0.0.3", 80, "route", 0))] };
    expect(dests(run({ config: config([v]), actual }))).toEqual([]);
    const q = { ...v, quiescent: true };
    expect(
      dests(
        run({ config: config([q]), actual: { services: [withDests(q, dest("10.0.0.3", 80, "route", 0))] } }),
      ),
    ).toEqual([
      dest("10.0.0.2", 80, "route", 0),
      dest("10.0.0.3", 80, "route", 0),
      dest("10.0.0.4", 80, "route", 0),
    ]);
  });

  it("quiescent=yes: every real is in at weight 0 before its first check, checktype=off too (ldirectord's start-up)", () => {
    const q = { ...v, quiescent: true };
    const off = virtual("tcp", "10.0.0.5", 80, {
      quiescent: true,
      reals: [real("10.0.0.6", 80, "masq", 4, { check: check("off") })],
    });
    const t = run({ config: config([q, off]) });
    expect(dests(t, q)).toEqual([
      dest("10.0.0.2", 80, "route", 0),
      dest("10.0.0.3", 80, "route", 0),
      dest("10.0.0.4", 80, "route", 0),
    ]);
    expect(dests(t, off)).toEqual([dest("10.0.0.6", 80, "masq", 0)]);
    // The fallback stays out while checks are pending, as without quiescent.
    expect(fallbackActive(t, config([q, off])).get(q.id)).toBe(false);
    // Checked: the up ones take their weight, the down one stays at 0.
    const checked = run({ config: config([q]), health: healthOf(q, "up", "down", "up"), actual: t });
    expect(dests(checked, q)).toEqual([
      dest("10.0.0.2", 80, "route", 2, 100, 0),
      dest("10.0.0.3", 80, "route", 0),
      dest("10.0.0.4", 80, "route", 0),
    ]);
  });

  it("quiescent=yes: a restart over a pool with quiesced reals plans exactly the table it finds", () => {
    const q = { ...v, quiescent: true };
    const cfg = config([q]);
    const running = plan({
      config: cfg,
      health: healthOf(q, "up", "down", "down"),
      actual: plan({ config: cfg, health: new Map(), actual: EMPTY }),
    });
    expect(plan({ config: cfg, health: new Map(), actual: running })).toEqual(running);
  });

  it("a real configured at weight 0 found at weight 0 is adopted and keeps the fallback out", () => {
    const actual = { services: [withDests(v, dest("10.0.0.4", 80, "route", 0))] };
    const cfg = config([v]);
    const t = run({ config: cfg, health: healthOf(v, "down", "down"), actual });
    expect(dests(t)).toEqual([dest("10.0.0.4", 80, "route", 0)]);
    expect(fallbackActive(t, cfg).get(v.id)).toBe(false);
  });

  it("an unknown real not in the table stays out while the others are known", () => {
    const t = run({ config: config([v]), health: healthOf(v, "up", "up") });
    expect(dests(t)).toEqual([dest("10.0.0.2", 80, "route", 2, 100, 0), dest("10.0.0.3", 80, "route", 1)]);
  });
});

describe("fallback", () => {
  const reals = [real("10.0.0.2", 80, "masq"), real("10.0.0.3", 80, "masq")];
  const fbDest = dest("127.0.0.1", 80, "route", 1);

  it("is in while no real is up, and out as soon as one is", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals, fallback: fallback("127.0.0.1", 80, "gate") });
    const cfg = config([v]);
    const allDown = run({ config: cfg, health: healthOf(v, "down", "down") });
    expect(dests(allDown)).toEqual([fbDest]);
    expect(fallbackActive(allDown, cfg).get(v.id)).toBe(true);
    const oneUp = run({ config: cfg, health: healthOf(v, "down", "up"), actual: allDown });
    expect(dests(oneUp)).toEqual([dest("10.0.0.3", 80, "masq", 1)]);
    expect(fallbackActive(oneUp, cfg).get(v.id)).toBe(false);
  });

  it("is in for a virtual with no reals at all", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { fallback: fallback("127.0.0.1", 80, "gate") });
    expect(dests(run({ config: config([v]) }))).toEqual([fbDest]);
  });

  it("stays exactly as found while a real is unknown and none is up", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals, fallback: fallback("127.0.0.1", 80, "gate") });
    const cfg = config([v]);
    const odd = dest("127.0.0.1", 80, "route", 3);
    expect(
      dests(run({ config: cfg, health: healthOf(v, "down"), actual: { services: [withDests(v, odd)] } })),
    ).toEqual([odd]);
    expect(
      dests(run({ config: cfg, health: healthOf(v, "down"), actual: { services: [withDests(v)] } })),
    ).toEqual([]);
    // Once every real is known and down, it goes in at weight 1.
    expect(dests(run({ config: cfg, health: healthOf(v, "down", "down") }))).toEqual([fbDest]);
  });

  it("goes out when an unknown real is adopted from the table", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals, fallback: fallback("127.0.0.1", 80, "gate") });
    const actual = { services: [withDests(v, fbDest, dest("10.0.0.3", 80, "masq", 1))] };
    expect(dests(run({ config: config([v]), health: healthOf(v, "down"), actual }))).toEqual([
      dest("10.0.0.3", 80, "masq", 1),
    ]);
  });

  it("uses the fallback's own forwarding method and the port the config gives", () => {
    const cases: [ReturnType<typeof fallback>, Dest][] = [
      [fallback("127.0.0.1", 80, "gate"), dest("127.0.0.1", 80, "route", 1)],
      [fallback("127.0.0.1", 8080, "masq"), dest("127.0.0.1", 8080, "masq", 1)],
      [fallback("10.0.0.9", 80, "ipip"), dest("10.0.0.9", 80, "tunnel", 1)],
      // gate forces the service port even when the line named another.
      [fallback("10.0.0.9", 8080, "gate"), dest("10.0.0.9", 80, "route", 1)],
    ];
    for (const [fb, want] of cases) {
      const v = virtual("tcp", "10.0.0.1", 80, { reals, fallback: fb });
      expect(dests(run({ config: config([v]), health: healthOf(v, "down", "down") }))).toEqual([want]);
    }
  });

  it("serves each virtual from a global fallback filled with that virtual's port", () => {
    // The config model carries the global fallback into each virtual, port filled per virtual.
    const a = virtual("tcp", "10.0.0.1", 80, { reals, fallback: fallback("127.0.0.1", 80, "masq") });
    const b = virtual("tcp", "10.0.0.1", 8080, { reals, fallback: fallback("127.0.0.1", 8080, "masq") });
    const c = virtual("tcp", "10.0.0.1", 443, { reals, fallback: fallback("127.0.0.2", 4443, "masq") });
    const health = new Map([
      ...healthOf(a, "down", "down"),
      ...healthOf(b, "up", "down"),
      ...healthOf(c, "down", "down"),
    ]);
    const cfg = config([a, b, c]);
    const t = run({ config: cfg, health });
    expect(dests(t, a)).toEqual([dest("127.0.0.1", 80, "masq", 1)]);
    expect(dests(t, b)).toEqual([dest("10.0.0.2", 80, "masq", 1)]);
    expect(dests(t, c)).toEqual([dest("127.0.0.2", 4443, "masq", 1)]);
    expect([...fallbackActive(t, cfg)]).toEqual([
      [a.id, true],
      [b.id, false],
      [c.id, true],
    ]);
  });

  it("works on firewall-mark and IPv6 virtuals", () => {
    const f = fwmVirtual(5, "inet6", {
      reals: [real("2001:db8::2", 0, "gate")],
      fallback: fallback("::1", 0, "gate"),
    });
    const v6 = virtual("tcp", "2001:db8::1", 443, {
      reals: [real("2001:db8::2", 443, "masq")],
      fallback: fallback("2001:db8::99", 443, "masq"),
    });
    const t = run({
      config: config([f, v6]),
      health: new Map([...healthOf(f, "down"), ...healthOf(v6, "down")]),
    });
    expect(dests(t, f)).toEqual([dest("::1", 0, "route", 1)]);
    expect(dests(t, v6)).toEqual([dest("2001:db8::99", 443, "masq", 1)]);
  });

  it("is ignored when a real sits on the same address and port: the real wins", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      quiescent: true,
      reals: [real("127.0.0.1", 80, "gate", 3)],
      fallback: fallback("127.0.0.1", 80, "gate"),
    });
    const cfg = config([v]);
    const down = run({
      config: cfg,
      health: healthOf(v, "down"),
      actual: { services: [withDests(v, fbDest)] },
    });
    expect(dests(down)).toEqual([dest("127.0.0.1", 80, "route", 0)]);
    expect(fallbackActive(down, cfg).get(v.id)).toBe(false);
    expect(dests(run({ config: cfg, health: healthOf(v, "up") }))).toEqual([
      dest("127.0.0.1", 80, "route", 3),
    ]);
  });

  it("is reported inactive for a virtual without one or a service missing from the table", () => {
    const v = virtual("tcp", "10.0.0.1", 80, { reals });
    const w = virtual("tcp", "10.0.0.1", 81, { fallback: fallback("127.0.0.1", 81) });
    expect([...fallbackActive(EMPTY, config([v, w]))]).toEqual([
      [v.id, false],
      [w.id, false],
    ]);
  });
});

describe("checktype on and off", () => {
  it("checktype=on is up whatever the health map says", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 2, { check: check("on") })],
    });
    for (const h of ["down", "unknown", "up"] as Health[]) {
      expect(dests(run({ config: config([v]), health: healthOf(v, h) }))).toEqual([
        dest("10.0.0.2", 80, "masq", 2),
      ]);
    }
  });

  it("checktype=off never adds a real, even reported up", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 2, { check: check("off") })],
      fallback: fallback("127.0.0.1", 80),
    });
    expect(dests(run({ config: config([v]), health: healthOf(v, "up") }))).toEqual([
      dest("127.0.0.1", 80, "route", 1),
    ]);
  });

  it("checktype=off keeps a real found at weight > 0, at its configured weight", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 2, { check: check("off") })],
    });
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "masq", 5))] };
    expect(dests(run({ config: config([v]), health: healthOf(v, "down"), actual }))).toEqual([
      dest("10.0.0.2", 80, "masq", 2),
    ]);
  });

  it("checktype=off treats a real found at weight 0 as down", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      quiescent: true,
      reals: [real("10.0.0.2", 80, "masq", 2, { check: check("off") })],
    });
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "masq", 0))] };
    expect(dests(run({ config: config([v]), actual }))).toEqual([dest("10.0.0.2", 80, "masq", 0)]);
  });
});

describe("maintenance", () => {
  it("forces a real down whatever its check says, quiescent or not", () => {
    const r = real("10.0.0.2", 80, "masq", 2, { check: check("on") });
    const v = virtual("tcp", "10.0.0.1", 80, { reals: [r, real("10.0.0.3", 80)] });
    const q = { ...v, quiescent: true };
    const maintenance = new Set([realId(v, r)]);
    const actual = {
      services: [withDests(v, dest("10.0.0.2", 80, "masq", 2), dest("10.0.0.3", 80, "masq", 1))],
    };
    expect(dests(run({ config: config([v]), health: healthOf(v, "up", "up"), actual, maintenance }))).toEqual(
      [dest("10.0.0.3", 80, "masq", 1)],
    );
    expect(dests(run({ config: config([q]), health: healthOf(q, "up", "up"), actual, maintenance }))).toEqual(
      [dest("10.0.0.2", 80, "masq", 0), dest("10.0.0.3", 80, "masq", 1)],
    );
  });

  it("wins over adoption and lets the fallback in", () => {
    const r = real("10.0.0.2", 80, "masq", 2);
    const v = virtual("tcp", "10.0.0.1", 80, { reals: [r], fallback: fallback("127.0.0.1", 80) });
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "masq", 2))] };
    const t = run({ config: config([v]), actual, maintenance: new Set([realId(v, r)]) });
    expect(dests(t)).toEqual([dest("127.0.0.1", 80, "route", 1)]);
  });
});

describe("operator overrides", () => {
  const r = real("10.0.0.2", 80, "masq", 4);
  const v = virtual("tcp", "10.0.0.1", 80, { reals: [r], fallback: fallback("127.0.0.1", 80) });
  const ov = (o: Override) => new Map([[realId(v, r), o]]);

  it("a drained real stays in at weight 0 and keeps the fallback out", () => {
    const cfg = config([v]);
    const t = run({ config: cfg, health: healthOf(v, "up"), overrides: ov({ mode: "drained", since: 0 }) });
    expect(dests(t)).toEqual([dest("10.0.0.2", 80, "masq", 0)]);
    expect(fallbackActive(t, cfg).get(v.id)).toBe(false);
  });

  it("a weight override replaces the configured weight; drained wins over it", () => {
    expect(
      dests(
        run({
          config: config([v]),
          health: healthOf(v, "up"),
          overrides: ov({ mode: "weighted", weight: 9, since: 0 }),
        }),
      ),
    ).toEqual([dest("10.0.0.2", 80, "masq", 9)]);
    expect(
      dests(
        run({
          config: config([v]),
          health: healthOf(v, "up"),
          overrides: ov(strongest({ mode: "weighted", weight: 9, since: 0 }, { mode: "drained", since: 1 })!),
        }),
      ),
    ).toEqual([dest("10.0.0.2", 80, "masq", 0)]);
  });

  it("does not keep a down real in the table", () => {
    expect(
      dests(
        run({
          config: config([v]),
          health: healthOf(v, "down"),
          overrides: ov({ mode: "drained", since: 0 }),
        }),
      ),
    ).toEqual([dest("127.0.0.1", 80, "route", 1)]);
  });

  it("a disabled real leaves the table even when healthy, and the fallback comes in", () => {
    const cfg = config([v]);
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "masq", 4))] };
    const t = run({
      config: cfg,
      health: healthOf(v, "up"),
      actual,
      overrides: ov({ mode: "disabled", since: 0 }),
    });
    expect(dests(t)).toEqual([dest("127.0.0.1", 80, "route", 1)]);
    expect(fallbackActive(t, cfg).get(v.id)).toBe(true);
  });

  it("a disabled real is out also with quiescent=yes, where a down one would stay at 0", () => {
    const q = { ...v, quiescent: true };
    const actual = { services: [withDests(q, dest("10.0.0.2", 80, "masq", 4))] };
    const down = run({ config: config([q]), health: healthOf(q, "down"), actual });
    expect(dests(down)).toContainEqual(dest("10.0.0.2", 80, "masq", 0));
    const disabled = run({
      config: config([q]),
      health: healthOf(q, "up"),
      actual,
      overrides: ov({ mode: "disabled", since: 0 }),
    });
    expect(dests(disabled)).toEqual([dest("127.0.0.1", 80, "route", 1)]);
  });

  it("a drained real found at weight 0 is adopted on restart", () => {
    const actual = { services: [withDests(v, dest("10.0.0.2", 80, "masq", 0))] };
    expect(dests(run({ config: config([v]), actual, overrides: ov({ mode: "drained", since: 0 }) }))).toEqual(
      [dest("10.0.0.2", 80, "masq", 0)],
    );
  });
});

describe("several reals on one dest", () => {
  it("makes one dest with the first real's weight", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 80, "masq", 3), real("10.0.0.2", 80, "masq", 8)],
    });
    expect(dests(run({ config: config([v]), health: healthOf(v, "up", "up") }))).toEqual([
      dest("10.0.0.2", 80, "masq", 3),
    ]);
  });

  it("lets an up real win over an earlier down one that ipvsadm's port forcing merged with it", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      reals: [real("10.0.0.2", 8080, "gate", 3), real("10.0.0.2", 80, "gate", 8)],
    });
    expect(dests(run({ config: config([v]), health: healthOf(v, "down", "up") }))).toEqual([
      dest("10.0.0.2", 80, "route", 8),
    ]);
    expect(dests(run({ config: config([v]), health: healthOf(v, "up", "up") }))).toEqual([
      dest("10.0.0.2", 80, "route", 3),
    ]);
  });
});

describe("purity", () => {
  it("does not change its inputs and gives equal output for equal input", () => {
    const v = virtual("tcp", "10.0.0.1", 80, {
      quiescent: true,
      reals: [real("10.0.0.2", 80), real("10.0.0.3", 80)],
      fallback: fallback("127.0.0.1", 80),
    });
    const input: PlanInput = {
      config: config([v]),
      health: healthOf(v, "down"),
      actual: {
        services: [withDests(v, dest("10.0.0.2", 80, "masq", 1, 4, 2), dest("127.0.0.1", 80, "route", 1))],
      },
      overrides: new Map(),
      maintenance: new Set(),
    };
    const before = structuredClone(input);
    const a = plan(input);
    expect(input).toEqual(before);
    expect(plan(input)).toEqual(a);
    // The fallback dest copied from the table is a copy, not the same object.
    a.services[0]!.dests[1]!.weight = 42;
    expect(input.actual.services[0]!.dests[1]!.weight).toBe(1);
  });
});
