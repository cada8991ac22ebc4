// Block structure, virtual= forms, real= lines and ranges, the parser accidents
// ldirectord rejects (accepted here with a warning) and its misreadings (rejected).
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/config/types.js";
import { block, errorsOf, load } from "./helpers.js";

const V = "virtual=192.0.2.1:80";
const differs = (c: Config, re: RegExp) =>
  c.warnings.some((w) => w.ldirectordDiffers === true && re.test(w.message));

describe("block structure", () => {
  it("reads tab and 4-space bodies, comments at any indentation, globals after blocks", async () => {
    const c = await load(
      `${V}\n\treal=10.0.0.1:80 gate\n# a comment in column 0\n    real=10.0.0.2:80 gate\n  # indented comment\nvirtual=192.0.2.2:80\n\treal=10.0.0.3:80 gate\nchecktimeout=2\n`,
    );
    expect(c.virtuals.map((v) => v.reals.length)).toEqual([2, 1]);
    expect(c.virtuals[0]!.check.checkTimeoutMs).toBe(2000);
    expect(c.warnings.filter((w) => w.ldirectordDiffers)).toEqual([]);
  });

  it("accepts a blank line inside a block, warning that ldirectord would not", async () => {
    const c = await load(`${V}\n\treal=10.0.0.1:80 gate\n\n\treal=10.0.0.2:80 gate\n`);
    expect(c.virtuals[0]!.reals).toHaveLength(2);
    expect(differs(c, /blank line inside a virtual block/)).toBe(true);
  });

  it("a blank line followed by a global line just ends the block", async () => {
    const c = await load(`${V}\n\treal=10.0.0.1:80 gate\n\nchecktimeout=3\n`);
    expect(c.warnings.filter((w) => /blank/.test(w.message))).toEqual([]);
  });

  it("accepts CRLF, trailing comments and # inside quotes, with warnings", async () => {
    const c = await load(
      `quiescent=yes # keep\r\n${V}\r\n\treal=10.0.0.1:80 gate\r\n\treceive="color: #f00"\r\n\tops=no   \r\n`,
    );
    expect(c.virtuals[0]!.quiescent).toBe(true);
    expect(c.virtuals[0]!.check.receive).toBe("color: #f00");
    expect(differs(c, /CRLF/)).toBe(true);
    expect(differs(c, /comment or blanks after the value/)).toBe(true);
    expect(differs(c, /"#" inside the quotes/)).toBe(true);
  });

  it("rejects bodies indented by fewer than 4 columns and indented lines outside a block", async () => {
    expect(await errorsOf(`${V}\n   real=10.0.0.1:80 gate\n`)).toEqual([
      expect.stringMatching(/:2:4: indented by 3 columns/),
    ]);
    expect(await errorsOf("  checktimeout=3\n")).toEqual([
      expect.stringMatching(/:1:3: indented line outside/),
    ]);
  });

  it("reports every error of the file at once, also after a broken block", async () => {
    const errors = await errorsOf(
      `checktimeout=x\nvirtual=bogus\n\treal=10.0.0.1:80 nat\n\tscheduler=fastest\nvirtual=192.0.2.9:80\n\tpasswd=oops\n`,
    );
    expect(errors.map((e) => e.split(":")[1])).toEqual(["1", "2", "3", "4", "6"]);
  });
});

describe("virtual= forms", () => {
  it.each([
    ["virtual=192.0.2.1:80", "tcp:192.0.2.1:80", "http"],
    ["virtual=localhost:http", "tcp:127.0.0.1:80", "http"],
    ["virtual=192.0.2.1:53", "udp:192.0.2.1:53", "dns"],
    ["virtual=192.0.2.1:domain", "udp:192.0.2.1:53", "dns"],
    ["virtual=192.0.2.1:8080", "tcp:192.0.2.1:8080", "none"],
    ["virtual=7", "fwm:7", "none"],
    ["virtual6=[2001:db8::1]:443", "tcp:[2001:db8::1]:443", "https"],
    ["virtual6=www.example.com:80", "tcp:[2001:db8::80]:80", "http"],
    ["virtual6=7", "fwm6:7", "none"],
  ])("%s → %s", async (header, id, service) => {
    const c = await load(block(header));
    expect(c.virtuals[0]!.id).toBe(id);
    expect(c.virtuals[0]!.check.service).toBe(service);
  });

  it("fwmark virtuals get protocol fwm, port 0 and reals without port", async () => {
    const c = await load(block("virtual=5", "real=10.0.0.1 gate"));
    const v = c.virtuals[0]!;
    expect([v.protocol, v.port, v.fwmark, v.reals[0]!.port]).toEqual(["fwm", 0, 5, 0]);
  });

  it("fwmarks take the kernel's whole u32 range, 1..4294967295", async () => {
    // ipvsadm lists marks from 2^31 up negative; src/ipvs/ipvsadm-text.ts reads them back (issue 12).
    for (const mark of [1, 2147483647, 2147483648, 3000000000, 4294967295]) {
      const c = await load(block(`virtual=${mark}`, "real=10.0.0.1 gate"));
      expect(c.virtuals[0]!.fwmark).toBe(mark);
    }
  });

  it.each([
    ["virtual=[2001:db8::1]:80", /write virtual6=\[2001:db8::1\]:80/],
    ["virtual=1:80", /"1" is not an address \(ldirectord would read it as 0.0.0.1\)/],
    ["virtual=nosuchhost:80", /cannot resolve "nosuchhost" to an IPv4 address/],
    ["virtual=192.0.2.1:nosuchservice", /unknown service name "nosuchservice" for tcp/],
    ["virtual=192.0.2.1", /write address:port/],
    ["virtual=192.0.2.1:80junk", /unknown service name "80junk"/],
    ["virtual6=192.0.2.1:80", /IPv6 block/],
    ["virtual=0", /firewall mark must be between 1/],
    ["virtual=4294967296", /firewall mark must be between 1 and 4294967295/],
  ])("%s is rejected", async (header, pattern) => {
    expect(await errorsOf(block(header))).toEqual([expect.stringMatching(pattern)]);
  });

  it("detects duplicates on the resolved id and names the first line", async () => {
    const errors = await errorsOf(`${block("virtual=127.0.0.1:80")}${block("virtual=localhost:http")}`);
    expect(errors).toEqual([
      expect.stringMatching(/:2:1: duplicate virtual service tcp:127.0.0.1:80: .* on line 1/),
    ]);
  });

  it("warns that a negotiate check with service none is always up", async () => {
    const c = await load(block("virtual=192.0.2.1:8080", "real=10.0.0.1:8080 masq"));
    expect(c.warnings.map((w) => w.message)).toContain(
      "always up: ldirectord's negotiate check with service none never fails; set service=http or checktype=connect",
    );
  });
});

describe("real= lines", () => {
  const reals = async (...lines: string[]) => (await load(block(V, ...lines))).virtuals[0]!.reals;

  it("reads address, port name, method, weight, per-real check and thresholds in either order", async () => {
    const [a, b, c] = await reals(
      'real=10.0.0.1:http masq 0 "status", "OK" l:5 u:50',
      "real=web1 ipip u:9 l:2",
      "real=10.0.0.3:8080 gate 7",
    );
    expect(a).toMatchObject({
      address: "10.0.0.1",
      port: 80,
      forward: "masq",
      weight: 0,
      lowerThreshold: 5,
      upperThreshold: 50,
    });
    expect(a!.check).toMatchObject({ request: "/status", receive: "OK", port: 80 });
    expect(b).toMatchObject({
      address: "10.0.0.11",
      port: 0,
      weight: 1,
      lowerThreshold: 2,
      upperThreshold: 9,
    });
    expect(b!.check.port).toBe(80);
    expect(c).toMatchObject({ port: 8080, weight: 7 });
    expect(c!.check.port).toBe(8080);
  });

  it("keeps a per-real receive after a request starting with / (ldirectord drops it) and warns", async () => {
    const c = await load(block(V, 'real=10.0.0.1:80 gate "/health", "UP" u:3'));
    expect(c.virtuals[0]!.reals[0]!.check).toMatchObject({ request: "/health", receive: "UP" });
    expect(c.virtuals[0]!.reals[0]!.upperThreshold).toBe(3);
    expect(differs(c, /drops this real's receive/)).toBe(true);
  });

  it("keeps an http:// request whole", async () => {
    const [r] = await reals('real=10.0.0.1:80 gate "http://10.0.0.9:81/x", "y"');
    expect(r!.check.request).toBe("http://10.0.0.9:81/x");
  });

  it("never takes the weight from inside a quoted request", async () => {
    const c = await load(block(V, 'real=10.0.0.1:80 gate "a 5", "b"'));
    expect(c.virtuals[0]!.reals[0]!.weight).toBe(1);
    expect(differs(c, /weight 5 from inside/)).toBe(true);
  });

  it("warns about u: before l:", async () => {
    expect(differs(await load(block(V, "real=10.0.0.1:80 gate u:50 l:5")), /drops u:N/)).toBe(true);
  });

  it("expands ranges, also across digit-count boundaries (with a warning)", async () => {
    expect((await reals("real=10.0.0.2->10.0.0.4:80 gate")).map((r) => r.address)).toEqual([
      "10.0.0.2",
      "10.0.0.3",
      "10.0.0.4",
    ]);
    const c = await load(block(V, "real=59.154.201.254->59.154.202.1:80 gate"));
    expect(c.virtuals[0]!.reals.map((r) => r.address)).toEqual([
      "59.154.201.254",
      "59.154.201.255",
      "59.154.202.0",
      "59.154.202.1",
    ]);
    expect(differs(c, /expands this range to nothing/)).toBe(true);
    expect((await reals("real=sql01->sql03:80 gate")).length).toBe(3);
  });

  it.each([
    ["real=10.0.0.[2-4]:80 gate", /write real=10.0.0.2->10.0.0.4:80/],
    ["real=192.168.6.2::5060 gate", /two colons .* write 192.168.6.2:5060/],
    ["real=10.0.0.4->10.0.0.2:80 gate", /runs backwards: write 10.0.0.2->10.0.0.4/],
    ["real=10.0.0.0->10.1.0.0:80 gate", /at most 65536 reals/],
    ["real=10.0.0.1:80", /missing forwarding method/],
    ["real=10.0.0.1:80 route", /gate, masq or ipip/],
    ["real=10.0.0.1:80 gate 70000", /weight must be between 0 and 65535/],
    ['real=10.0.0.1:80 gate "l:5"', /two quoted strings/],
    ["real=10.0.0.1:80 gate 1 2", /unexpected "2"/],
    ['real=10.0.0.1:80 gate "x", "O(K"', /not a valid regular expression/],
    ["real=[2001:db8::1]:80 gate", /use real6=/],
    ["real6=[2001:db8::1]:80 gate", /use real= inside a virtual block/],
    ["real=unknownhost:80 gate", /cannot resolve "unknownhost"/],
    ["real=10.0.0.1:nosuch gate", /unknown service name "nosuch"/],
  ])("%s is rejected", async (line, pattern) => {
    expect(await errorsOf(block(V, line))).toEqual([
      expect.stringMatching(new RegExp(`:2:\\d+: .*${pattern.source}`)),
    ]);
  });

  it("rejects IPv6 ranges and IPv4 in virtual6", async () => {
    const v6 = "virtual6=[2001:db8::1]:80";
    expect(await errorsOf(block(v6, "real6=[2001:db8::2]->[2001:db8::4]:80 gate"))).toEqual([
      expect.stringMatching(/IPv4 only/),
    ]);
    expect(await errorsOf(block(v6, "real6=10.0.0.1:80 gate"))).toEqual([
      expect.stringMatching(/IPv6 block/),
    ]);
    const c = await load(block(v6, "real6=[2001:db8::2]:80 masq", "fallback6=[::1]"));
    expect(c.virtuals[0]!.reals[0]).toMatchObject({ address: "2001:db8::2", family: "inet6" });
    expect(c.virtuals[0]!.fallback).toMatchObject({ address: "::1", port: 80, forward: "gate" });
  });
});

describe("other footguns", () => {
  it("warns about per-virtual checkinterval without fork, netmask without persistent, ops on tcp", async () => {
    const c = await load(block(V, "checkinterval=2", "netmask=255.255.255.0", "ops=yes"));
    expect(differs(c, /ignores a per-virtual checkinterval unless fork=yes/)).toBe(true);
    expect(c.warnings.map((w) => w.message)).toEqual(
      expect.arrayContaining([
        "netmask has no effect without persistent=",
        "ops=yes only has an effect on udp virtual services",
      ]),
    );
    expect(c.virtuals[0]!.checkInterval).toBe(2);
  });

  it("warns that checkcount is deprecated but uses it", async () => {
    const c = await load(`checkcount=3\n${block(V)}`);
    expect(c.virtuals[0]!.check.checkCount).toBe(3);
    expect(c.warnings.some((w) => /checkcount is deprecated/.test(w.message))).toBe(true);
  });

  it("never echoes a secret in an error", async () => {
    const errors = await errorsOf(block(V, "passwd=hunter2", 'secret="s3" x', "passwd hunter3"));
    expect(errors.join("\n")).not.toMatch(/hunter|s3/);
  });
});

// Lines from published ldirectord.cf files that ldirectord starts on (verified with
// Debian's ldirectord: test/e2e/ldirectord-parity.test.ts compares the tables): take
// ldirectord's meaning, and warn with file:line what was ignored.
describe("published lines ldirectord reads (issue 13)", () => {
  const at = (c: Config, re: RegExp) =>
    c.warnings.filter((w) => re.test(w.message)).map((w) => `${w.location.line}:${w.location.column}`);

  it("scheduler=lc //comment is lc; the comment is named", async () => {
    const c = await load(`${V}\n    real=10.0.0.1:80 gate\n    scheduler=lc //comment\n`);
    expect(c.virtuals[0]!.scheduler).toBe("lc");
    expect(at(c, /text after the scheduler is ignored .*"\/\/comment"/)).toEqual(["3:15"]);
    expect(c.warnings.filter((w) => w.ldirectordDiffers)).toEqual([]);
  });

  it("real=... gate -w 3 is weight 3", async () => {
    const c = await load(`${V}\n    real=192.168.100.211:80 gate -w 3\n    real=10.0.0.2:80 masq -w 0 l:2\n`);
    expect(c.virtuals[0]!.reals.map((r) => [r.weight, r.lowerThreshold])).toEqual([
      [3, 0],
      [0, 2],
    ]);
    expect(at(c, /"-w 3" read as weight 3/)).toEqual(["2:10"]);
    expect(c.warnings.filter((w) => w.ldirectordDiffers)).toEqual([]);
  });

  it("virtual=192.168.100.36:80   \\\\text ignores the text after the port", async () => {
    const c = await load(
      `virtual=192.168.100.36:80   \\\\text\n    real=10.0.0.1:80 gate\nvirtual=7 web farm\n    real=10.0.0.2 gate\n`,
    );
    expect(c.virtuals.map((v) => v.id)).toEqual(["tcp:192.168.100.36:80", "fwm:7"]);
    expect(at(c, /text after the address is ignored .*"\\\\text"/)).toEqual(["1:9"]);
    expect(at(c, /text after the address is ignored .*"web farm"/)).toEqual(["3:9"]);
  });

  it("scheduler=WRR x stays an error: ldirectord reads x", async () => {
    expect(await errorsOf(block(V, "real=10.0.0.1:80 gate", "scheduler=WRR x"))).toEqual([
      expect.stringMatching(/unknown scheduler "WRR x"/),
    ]);
  });
});

describe("lines ldirectord refuses are never called portable (issue 13)", () => {
  it("a global fallback with a trailing comment: ldirectord takes the comment as the forwarding method", async () => {
    const c = await load(`fallback=127.0.0.1:80  #sorry\n${V}\n    real=10.0.0.1:80 gate\n`);
    expect(c.virtuals[0]!.fallback).toMatchObject({ address: "127.0.0.1", port: 80, forward: "gate" });
    expect(differs(c, /ldirectord rejects this line: .*forwarding method/)).toBe(true);
    expect(c.warnings.some((w) => /would keep the trailing comment/.test(w.message))).toBe(false);
  });

  it("a whitespace-only line of five columns or more inside a block", async () => {
    for (const blank of ["     ", "\t ", "\t\t"]) {
      const c = await load(`${V}\n    real=10.0.0.1:80 gate\n${blank}\n    scheduler=lc\nchecktimeout=3\n`);
      expect(c.virtuals[0]!.scheduler).toBe("lc");
      expect(at3(c)).toEqual(["3 whitespace-only"]);
    }
    // At the end of a block too, where an empty line would be fine for ldirectord.
    const end = await load(`${V}\n    real=10.0.0.1:80 gate\n      \nchecktimeout=3\n`);
    expect(at3(end)).toEqual(["3 whitespace-only"]);
    // Four columns (a lone tab) end the block in ldirectord: no complaint after a block's end.
    const four = await load(`${V}\n    real=10.0.0.1:80 gate\n\t\nchecktimeout=3\n`);
    expect(four.warnings).toEqual([]);
  });
});

function at3(c: Config): string[] {
  return c.warnings
    .filter((w) => w.ldirectordDiffers)
    .map((w) => `${w.location.line} ${/whitespace-only/.test(w.message) ? "whitespace-only" : w.message}`);
}

describe("non-ASCII blanks (issue 13)", () => {
  it("a fullwidth space or no-break space outside quotes is read as a blank, with a warning at its column", async () => {
    const c = await load(
      `${V}\n    real=10.0.0.1:80 gate\u3000\n    scheduler=lc\u00a0\n    request="a\u3000b"\n`,
    );
    expect(c.virtuals[0]!.reals[0]!.forward).toBe("gate");
    expect(c.virtuals[0]!.scheduler).toBe("lc");
    expect(
      c.warnings
        .filter((w) => w.ldirectordDiffers && /non-ASCII blank/.test(w.message))
        .map((w) => [w.location.line, w.location.column, /U\+[0-9A-F]{4}/.exec(w.message)![0]]),
    ).toEqual([
      [2, 26, "U+3000"],
      [3, 17, "U+00A0"],
    ]);
  });
});
