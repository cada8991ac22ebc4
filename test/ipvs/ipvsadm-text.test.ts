import { describe, expect, it } from "vitest";
import type { Op } from "../../src/ipvs/ops.js";
import {
  formatOp,
  formatSave,
  parseList,
  parseSave,
  parseThresholds,
  sortTable,
  TableParseError,
  withThresholds,
} from "../../src/ipvs/ipvsadm-text.js";
import { realCases } from "../fixtures/realipvs/cases.js";
import { dest, fwmark, table, tcp, udp } from "./build.js";

// Samples of ipvsadm 1.31's output, byte for byte (trailing spaces included).
const LIST_SAMPLE = [
  "IP Virtual Server version 1.2.1 (size=4096)",
  "Prot LocalAddress:Port Scheduler Flags",
  "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
  "TCP  192.168.0.111:80 wrr",
  "  -> 192.168.137.130:80           Masq    1      0          0         ",
  "  -> 192.168.137.131:80           Masq    2      0          0         ",
  "UDP  10.1.2.3:53 rr persistent 600 mask 255.255.255.0",
  "FWM  5 sh",
  "  -> 127.0.0.2:0                  Route   1      0          0         ",
  "TCP  [2001:db8::1]:443 wlc",
  "",
].join("\n");

const SAVE_SAMPLE = [
  "-A -t 192.168.0.111:80 -s wrr",
  "-a -t 192.168.0.111:80 -r 192.168.137.130:80 -m -w 1",
  "-A -u 10.1.2.3:53 -s rr -p 600 -M 255.255.255.0",
  "-A -f 5 -s sh",
  "-a -f 5 -r 127.0.0.2:0 -g -w 1",
  "",
].join("\n");

describe("parseSave", () => {
  it("reads the sample of ipvsadm -S -n", () => {
    expect(parseSave(SAVE_SAMPLE)).toEqual(
      table(
        tcp("192.168.0.111", 80, { scheduler: "wrr", dests: [dest("192.168.137.130", 80)] }),
        udp("10.1.2.3", 53, { scheduler: "rr", persistence: 600, netmask: "255.255.255.0" }),
        fwmark(5, { scheduler: "sh", dests: [dest("127.0.0.2", 0, { forward: "route" })] }),
      ),
    );
  });

  it("reads IPv6, fwmark -6, --pe, -o, -b, tunnel type, thresholds and a leading 'ipvsadm'", () => {
    const text = [
      "-A -t [2001:db8::1]:443 -s sh -p 300 -M 64 --pe sip -b sh-fallback,sh-port",
      "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -i -w 3 --tun-type ipip -x 100 -y 10",
      "ipvsadm -A -f 7 -6 -s rr",
      "-A -u 10.0.0.1:53 -s rr -o",
      "-A --sctp-service 10.0.0.1:9 -s wlc",
    ].join("\n");
    expect(parseSave(text)).toEqual(
      table(
        tcp("2001:db8::1", 443, {
          scheduler: "sh",
          persistence: 300,
          netmask: "64",
          persistenceEngine: "sip",
          schedFlags: ["sh-fallback", "sh-port"],
          dests: [
            dest("2001:db8::2", 443, {
              forward: "tunnel",
              weight: 3,
              upperThreshold: 100,
              lowerThreshold: 10,
            }),
          ],
        }),
        fwmark(7, { family: "inet6", scheduler: "rr" }),
        udp("10.0.0.1", 53, { scheduler: "rr", ops: true }),
        { ...tcp("10.0.0.1", 9), protocol: "sctp" },
      ),
    );
  });

  it("reads -p without a value as 360 seconds", () => {
    expect(parseSave("-A -t 10.0.0.1:80 -s wlc -p")).toEqual(
      table(tcp("10.0.0.1", 80, { persistence: 360 })),
    );
  });

  it("refuses lines it does not understand, naming the line", () => {
    expect(() => parseSave("-A -t 10.0.0.1:80 -s wlc\n-X nonsense")).toThrow(/line 2/);
    expect(() => parseSave("-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1")).toThrow(TableParseError);
    expect(() => parseSave("-A -t host.example:80")).toThrow(/not an address:port/);
  });
});

describe("formatSave", () => {
  it("prints the table as ipvsadm -S -n does, sorted", () => {
    const t = parseSave(SAVE_SAMPLE);
    expect(formatSave({ services: [...t.services].reverse() })).toBe(SAVE_SAMPLE);
  });

  it("round-trips: parseSave(formatSave(t)) equals the sorted table", () => {
    const t = table(
      fwmark(9, {
        family: "inet6",
        scheduler: "mh",
        schedFlags: ["mh-port"],
        persistence: 10,
        netmask: "48",
      }),
      tcp("10.0.0.1", 80, {
        scheduler: "wrr",
        persistence: 300,
        netmask: "255.255.0.0",
        dests: [
          dest("10.0.0.3", 8080, { weight: 0, upperThreshold: 5, lowerThreshold: 1 }),
          dest("10.0.0.2", 80),
        ],
      }),
      udp("10.0.0.1", 53, { ops: true, persistenceEngine: "sip", persistence: 1 }),
      tcp("2001:db8::1", 80, { dests: [dest("2001:db8::9", 80, { forward: "tunnel" })] }),
    );
    expect(parseSave(formatSave(t))).toEqual(sortTable(t));
  });
});

describe("parseList", () => {
  it("reads the sample of ipvsadm -L -n with counters", () => {
    const t = parseList(LIST_SAMPLE);
    expect(t.services.map((s) => [s.protocol, s.address ?? s.fwmark, s.port, s.scheduler])).toEqual([
      ["tcp", "192.168.0.111", 80, "wrr"],
      ["udp", "10.1.2.3", 53, "rr"],
      ["fwmark", 5, 0, "sh"],
      ["tcp", "2001:db8::1", 443, "wlc"],
    ]);
    expect(t.services[0]!.dests).toEqual([
      { ...dest("192.168.137.130", 80), activeConns: 0, inactiveConns: 0 },
      { ...dest("192.168.137.131", 80, { weight: 2 }), activeConns: 0, inactiveConns: 0 },
    ]);
    expect(t.services[1]).toMatchObject({ persistence: 600, netmask: "255.255.255.0" });
    expect(t.services[2]!.dests[0]).toMatchObject({ forward: "route", address: "127.0.0.2", port: 0 });
  });

  it("reads flags, persistence with pe, ops, IPv6 marks, Local and Tunnel dests and counters", () => {
    const text = [
      "IP Virtual Server version 1.2.1 (size=4096)",
      "Prot LocalAddress:Port Scheduler Flags",
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
      "UDP  10.0.0.1:53 sh (sh-fallback,sh-port) persistent 60 mask 255.255.255.0 pe sip ops",
      "  -> 10.0.0.7:53                   Local   4      12         345       ",
      "FWM  3 IPv6 rr persistent 360 mask 64",
      "  -> [2001:db8::5]:0               Tunnel  1      0          7         ",
    ].join("\n");
    const t = parseList(text);
    expect(t.services[0]).toMatchObject({
      protocol: "udp",
      schedFlags: ["sh-fallback", "sh-port"],
      persistence: 60,
      netmask: "255.255.255.0",
      persistenceEngine: "sip",
      ops: true,
    });
    expect(t.services[0]!.dests[0]).toMatchObject({
      forward: "local",
      weight: 4,
      activeConns: 12,
      inactiveConns: 345,
    });
    expect(t.services[1]).toMatchObject({ protocol: "fwmark", family: "inet6", fwmark: 3, netmask: "64" });
    expect(t.services[1]!.dests[0]).toMatchObject({
      address: "2001:db8::5",
      forward: "tunnel",
      inactiveConns: 7,
    });
  });

  it("refuses a line that is no part of -L -n", () => {
    expect(() => parseList("TCP  10.0.0.1:80 wlc\n  -> what is this")).toThrow(/line 2/);
  });
});

describe("parseThresholds", () => {
  it("reads -L -n --thresholds into service → dest → thresholds", () => {
    const text = [
      "IP Virtual Server version 1.2.1 (size=4096)",
      "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ",
      "  -> RemoteAddress:Port",
      "TCP  192.168.0.111:80 wrr",
      "  -> 192.168.137.130:80           100        10         0          0         ",
      "FWM  5 IPv6 sh",
      "  -> [2001:db8::2]:0               0          0          0          0         ",
    ].join("\n");
    const th = parseThresholds(text);
    expect(th.get("tcp:192.168.0.111:80")?.get("192.168.137.130:80")).toEqual({ upper: 100, lower: 10 });
    expect(th.get("fwmark:inet6:5")?.get("2001:db8::2:0")).toEqual({ upper: 0, lower: 0 });
    const merged = withThresholds(
      table(tcp("192.168.0.111", 80, { dests: [dest("192.168.137.130", 80)] })),
      th,
    );
    expect(merged.services[0]!.dests[0]).toMatchObject({ upperThreshold: 100, lowerThreshold: 10 });
  });
});

describe("formatOp", () => {
  const { dests: _a, ...web } = tcp("10.0.0.1", 80, {
    scheduler: "wrr",
    persistence: 300,
    netmask: "255.255.255.255",
  });
  const { dests: _b, ...v6 } = tcp("2001:db8::1", 443, { persistence: 60, netmask: "64" });
  const { dests: _c, ...mark6 } = fwmark(5, { family: "inet6", scheduler: "sh", schedFlags: ["sh-port"] });
  const { dests: _d, ...dns } = udp("10.0.0.1", 53, {
    scheduler: "rr",
    ops: true,
    persistence: 10,
    persistenceEngine: "sip",
  });
  const cases: Array<[Op, string]> = [
    [{ kind: "add-service", service: web }, "-A -t 10.0.0.1:80 -s wrr -p 300"],
    [
      { kind: "edit-service", service: { ...web, netmask: "255.255.255.0" } },
      "-E -t 10.0.0.1:80 -s wrr -p 300 -M 255.255.255.0",
    ],
    [{ kind: "delete-service", service: web }, "-D -t 10.0.0.1:80"],
    [
      { kind: "add-dest", service: web, dest: dest("10.0.0.2", 80) },
      "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -m -w 1 -x 0 -y 0",
    ],
    [
      {
        kind: "edit-dest",
        service: web,
        dest: dest("10.0.0.2", 80, { forward: "route", weight: 0, upperThreshold: 9 }),
      },
      "-e -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 0 -x 9 -y 0",
    ],
    [{ kind: "delete-dest", service: web, dest: dest("10.0.0.2", 80) }, "-d -t 10.0.0.1:80 -r 10.0.0.2:80"],
    [{ kind: "add-service", service: v6 }, "-A -t [2001:db8::1]:443 -s wlc -p 60 -M 64"],
    [
      { kind: "add-dest", service: v6, dest: dest("2001:db8::2", 443, { forward: "tunnel" }) },
      "-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -i -w 1 -x 0 -y 0",
    ],
    [{ kind: "add-service", service: mark6 }, "-A -f 5 -6 -s sh -b sh-port"],
    [{ kind: "delete-service", service: mark6 }, "-D -f 5 -6"],
    [{ kind: "add-service", service: dns }, "-A -u 10.0.0.1:53 -s rr -p 10 --pe sip -o"],
    [
      { kind: "add-dest", service: web, dest: dest("10.0.0.9", 80, { forward: "local" }) },
      "-a -t 10.0.0.1:80 -r 10.0.0.9:80 -g -w 1 -x 0 -y 0",
    ],
  ];
  it.each(cases)("%j → %s", (op, line) => {
    expect(formatOp(op)).toBe(line);
  });
});

describe("sortTable", () => {
  it("orders services by fwmark, family, protocol, address, port and dests by address, port", () => {
    const t = table(
      fwmark(2),
      fwmark(1),
      tcp("2001:db8::1", 80),
      udp("10.0.0.1", 53),
      tcp("10.0.0.10", 80),
      tcp("10.0.0.9", 443),
      tcp("10.0.0.9", 80, { dests: [dest("10.0.1.1", 80), dest("10.0.0.200", 81), dest("10.0.0.200", 80)] }),
    );
    const sorted = sortTable(t);
    expect(sorted.services.map((s) => `${s.protocol}:${s.address ?? s.fwmark}:${s.port}`)).toEqual([
      "tcp:10.0.0.9:80",
      "tcp:10.0.0.9:443",
      "tcp:10.0.0.10:80",
      "udp:10.0.0.1:53",
      "tcp:2001:db8::1:80",
      "fwmark:1:0",
      "fwmark:2:0",
    ]);
    expect(sorted.services[0]!.dests.map((d) => `${d.address}:${d.port}`)).toEqual([
      "10.0.0.200:80",
      "10.0.0.200:81",
      "10.0.1.1:80",
    ]);
    expect(t.services[0]!.fwmark).toBe(2);
  });
});

// What the real ipvsadm 1.31 printed on a real 6.1 kernel (test/fixtures/realipvs/groundtruth.txt).
describe("reads the real ipvsadm's output", () => {
  const recorded = (name: string) => {
    const c = realCases.find((x) => x.name === name);
    if (!c) throw new Error(`no recorded case ${name}`);
    return c;
  };
  /** -S -n and -L -n --thresholds inside one -R, split as IpvsadmBackend splits them. */
  const readBack = (stdout: string) => {
    const at = stdout.indexOf("IP Virtual Server version");
    return withThresholds(parseSave(stdout.slice(0, at)), parseThresholds(stdout.slice(at)));
  };

  it("reads fwmarks from 2^31 up, which ipvsadm prints negative, as the unsigned marks they are", () => {
    const c = recorded("fwmark-limits");
    expect(c.saved.text).toContain("-A -f -2147483648 -s rr\n");
    const want = table(
      fwmark(2147483648, { scheduler: "rr", dests: [dest("10.0.0.2", 0, { forward: "route" })] }),
      fwmark(4294967295, { scheduler: "rr" }),
      fwmark(2147483647, { scheduler: "rr" }),
    );
    expect(sortTable(parseSave(c.saved.text))).toEqual(sortTable(want));
    expect(sortTable(readBack(c.stdout.text))).toEqual(sortTable(want));
    expect(parseThresholds(c.stdout.text.slice(c.stdout.text.indexOf("IP Virtual")))).toEqual(
      new Map([
        ["fwmark:inet:2147483648", new Map([["10.0.0.2:0", { upper: 0, lower: 0 }]])],
        ["fwmark:inet:4294967295", new Map()],
        ["fwmark:inet:2147483647", new Map()],
      ]),
    );
    expect(
      parseList("IP Virtual Server version 1.2.1 (size=4096)\nFWM  -1294967296 rr\n").services[0]?.fwmark,
    ).toBe(3000000000);
  });

  it("writes a high mark unsigned, the only form ipvsadm -R reads (it refuses -f -1)", () => {
    const { dests: _, ...high } = fwmark(3000000000, { scheduler: "rr" });
    expect(formatOp({ kind: "add-service", service: high })).toBe("-A -f 3000000000 -s rr");
    expect(formatOp({ kind: "delete-dest", service: high, dest: dest("10.0.0.2", 0) })).toBe(
      "-d -f 3000000000 -r 10.0.0.2:0",
    );
  });

  it("refuses a mark that no u32 is, and mark 0", () => {
    for (const bad of [
      "-A -f -2147483649 -s rr",
      "-A -f 4294967296 -s rr",
      "-A -f 0 -s rr",
      "-A -f x -s rr",
    ]) {
      expect(() => parseSave(bad)).toThrow(TableParseError);
    }
  });

  it("reads IPv6, an IPv4-mapped IPv6 service in dotted form, and the keys agree across -S and -L", () => {
    const c = recorded("ipv6");
    expect(c.saved.text).toContain("-A -u [::ffff:10.0.0.1]:53 -s rr\n");
    expect(readBack(c.stdout.text)).toEqual(
      table(
        tcp("2001:db8::1", 80, {
          scheduler: "rr",
          dests: [
            dest("2001:db8::2", 80),
            dest("2001:db8::3", 80, { weight: 2 }),
            dest("2001:db8::4", 80, { forward: "route" }),
          ],
        }),
        udp("::ffff:a00:1", 53, { scheduler: "rr" }),
      ),
    );
    // The mapped service line of -L -n --thresholds names the same service as -S -n's line.
    const thresholds = parseThresholds(c.stdout.text.slice(c.stdout.text.indexOf("IP Virtual")));
    expect([...thresholds.keys()]).toEqual(["tcp:2001:db8::1:80", "udp:::ffff:a00:1:53"]);
  });

  it("reads tunnel dests saved with --tun-type ipip, and ports forced to the service's", () => {
    const c = recorded("forwarding");
    expect(c.saved.text).toContain("-r 10.0.0.4:80 -i -w 1 --tun-type ipip\n");
    expect(readBack(c.stdout.text).services[0]?.dests).toEqual([
      dest("10.0.0.2", 8080),
      dest("10.0.0.3", 80, { forward: "route" }),
      dest("10.0.0.4", 80, { forward: "tunnel" }),
      dest("10.0.0.5", 80),
      dest("127.0.0.1", 80, { forward: "route" }),
      dest("127.0.0.1", 8081),
    ]);
  });

  it("reads weights above 65535, up to 2147483647", () => {
    const c = recorded("weight-limits");
    expect(parseSave(c.saved.text).services[0]?.dests.map((d) => d.weight)).toEqual([
      65535, 65536, 2147483647,
    ]);
  });

  it("reads thresholds, persistence, pe, masks and the plain -L -n listing", () => {
    expect(readBack(recorded("ldirector-batch").stdout.text).services[0]?.dests).toEqual([
      dest("10.0.0.2", 80),
      dest("10.0.0.3", 80, { weight: 2, upperThreshold: 50, lowerThreshold: 5 }),
    ]);
    const p = readBack(recorded("persistence").stdout.text).services;
    expect(p.map((s) => [s.port, s.persistence, s.netmask, s.persistenceEngine])).toEqual([
      [0, 60, undefined, undefined],
      [443, undefined, undefined, undefined],
      [444, 360, undefined, undefined],
      [445, 300, undefined, undefined],
      [5060, 60, undefined, "sip"],
      [443, 300, "64", undefined],
      [444, 300, undefined, undefined],
    ]);
    const order = recorded("sort-order").stdout.text;
    const listed = parseList(order.slice(order.indexOf("IP Virtual")));
    expect(listed.services).toHaveLength(10);
    expect(listed.services[1]?.dests.map((d) => `${d.address}:${d.port} ${d.forward} ${d.weight}`)).toEqual([
      "200.0.0.3:80 masq 1",
      "10.0.0.3:79 masq 1",
      "10.0.0.3:80 masq 1",
      "10.0.0.20:80 masq 1",
    ]);
  });

  it("reads every recorded -S -n", () => {
    for (const c of realCases) {
      if (c.saved.totalLines !== undefined) continue;
      const lines = c.saved.text.split("\n").filter((l) => l !== "");
      const t = parseSave(c.saved.text);
      expect(t.services.length + t.services.reduce((n, s) => n + s.dests.length, 0), c.name).toBe(
        lines.length,
      );
    }
  });
});
