import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RunOptions } from "../../src/checks/run.js";
import type { CheckResult, CheckTarget } from "../../src/checks/types.js";
import type { CheckSpec, Config, RealServer, VirtualService } from "../../src/config/types.js";
import {
  checkLabel,
  formatProbeTable,
  type ProbeRow,
  probeRound,
  probesFor,
} from "../../src/health/round.js";
import { makeSpec, okResult } from "./fixtures.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const here = { file: "/etc/ha.d/ldirectord.cf", line: 1, column: 1 };

function real(address: string, port: number, check: Partial<CheckSpec> = {}): RealServer {
  return {
    address,
    family: address.includes(":") ? "inet6" : "inet",
    port,
    forward: "gate",
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    check: makeSpec({ port, ...check }),
    location: here,
  };
}

function virtual(id: string, reals: RealServer[], over: Partial<VirtualService> = {}): VirtualService {
  return {
    id,
    family: "inet",
    protocol: "tcp",
    address: "10.0.0.1",
    port: 80,
    scheduler: "wrr",
    ops: false,
    reals,
    check: makeSpec(),
    checkInterval: 6,
    failureCount: 2,
    quiescent: false,
    cleanStop: true,
    emailAlert: "",
    emailAlertFreq: 0,
    emailAlertStatus: [],
    location: here,
    ...over,
  };
}

function config(virtuals: VirtualService[]): Config {
  return {
    file: here.file,
    global: {
      checkInterval: 10,
      autoreload: false,
      logfile: { kind: "syslog", facility: "daemon" },
      execute: [],
      fork: false,
      supervised: false,
      readdQuiescent: true,
      resyncInterval: 0,
      webControl: false,
    },
    virtuals,
    warnings: [],
    extensions: [],
  };
}

/** A real TCP listener on 127.0.0.1; returns its port. */
async function listener(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return (server.address() as net.AddressInfo).port;
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe("probesFor", () => {
  it("builds one probe per (virtual, real) with the director's ids, in config order", () => {
    const cfg = config([
      virtual("tcp:10.0.0.1:80", [real("192.168.1.2", 8080, { port: 8081 }), real("192.168.1.3", 80)]),
      virtual("fwm:5", [real("2001:db8::2", 0)], {
        protocol: "fwm",
        address: undefined,
        port: 0,
        fwmark: 5,
        checkInterval: 2,
        failureCount: 4,
      }),
    ]);
    const probes = probesFor(cfg, (v, r) => `${v.id}/${r.address}:${r.port}`);
    expect(probes.map((p) => p.id)).toEqual([
      "tcp:10.0.0.1:80/192.168.1.2:8080",
      "tcp:10.0.0.1:80/192.168.1.3:80",
      "fwm:5/2001:db8::2:0",
    ]);
    expect(probes[0]).toEqual({
      id: "tcp:10.0.0.1:80/192.168.1.2:8080",
      target: {
        address: "192.168.1.2",
        family: "inet",
        port: 8081,
        realPort: 8080,
        virtual: { protocol: "tcp", address: "10.0.0.1", port: 80 },
      },
      spec: cfg.virtuals[0]!.reals[0]!.check,
      intervalMs: 6000,
      failureCount: 2,
    });
    expect(probes[2]!.target).toEqual({
      address: "2001:db8::2",
      family: "inet6",
      port: 0,
      realPort: 0,
      virtual: { protocol: "fwm", port: 0, fwmark: 5 },
    });
    expect(probes[2]!.intervalMs).toBe(2000);
    expect(probes[2]!.failureCount).toBe(4);
  });
});

describe("checkLabel", () => {
  it("names what runs", () => {
    expect(checkLabel(makeSpec({ type: "negotiate", service: "http" }))).toBe("negotiate/http");
    expect(checkLabel(makeSpec({ type: "combined", connectCount: 3, service: "ftp" }))).toBe("negotiate/ftp");
    expect(checkLabel(makeSpec({ type: "connect" }))).toBe("connect");
    expect(checkLabel(makeSpec({ type: "ping" }))).toBe("ping");
    expect(checkLabel(makeSpec({ type: "external" }))).toBe("external");
    expect(checkLabel(makeSpec({ type: "on" }))).toBe("on");
    expect(checkLabel(makeSpec({ type: "off" }))).toBe("off");
  });
});

describe("probeRound", () => {
  it("checks real TCP servers with the real connect checker: a listener is up, a closed port down", async () => {
    const open = await listener();
    const closed = await closedPort();
    const cfg = config([
      virtual("tcp:10.0.0.1:80", [
        real("127.0.0.1", open, { type: "connect" }),
        real("127.0.0.1", closed, { type: "connect" }),
        real("127.0.0.1", closed, { type: "negotiate", service: "none" }),
      ]),
      virtual("tcp:10.0.0.1:81", [
        real("127.0.0.1", closed, { type: "on" }),
        real("127.0.0.1", open, { type: "off" }),
      ]),
    ]);
    const rows = await probeRound(cfg);
    expect(rows.map(({ latencyMs: _latency, ...rest }) => rest)).toEqual([
      {
        virtual: "tcp:10.0.0.1:80",
        real: `127.0.0.1:${open}`,
        check: "connect",
        ok: true,
        reason: "connected",
      },
      {
        virtual: "tcp:10.0.0.1:80",
        real: `127.0.0.1:${closed}`,
        check: "connect",
        ok: false,
        reason: "connect ECONNREFUSED",
      },
      {
        virtual: "tcp:10.0.0.1:80",
        real: `127.0.0.1:${closed}`,
        check: "negotiate/none",
        ok: true,
        reason: "service none: not checked",
      },
      {
        virtual: "tcp:10.0.0.1:81",
        real: `127.0.0.1:${closed}`,
        check: "on",
        ok: true,
        reason: "checktype on: not checked",
      },
      {
        virtual: "tcp:10.0.0.1:81",
        real: `127.0.0.1:${open}`,
        check: "off",
        ok: false,
        reason: "checktype off: not checked",
      },
    ]);
    for (const r of rows) expect(Number.isFinite(r.latencyMs)).toBe(true);
  });

  it("runs every check at once up to the cap, and no more", async () => {
    let inFlight = 0;
    let max = 0;
    const kinds: string[] = [];
    let release: () => void = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const run = async (_t: CheckTarget, _s: CheckSpec, opts: RunOptions): Promise<CheckResult> => {
      kinds.push(opts.kind);
      inFlight++;
      max = Math.max(max, inFlight);
      await released;
      inFlight--;
      return okResult();
    };
    const reals = Array.from({ length: 12 }, (_, i) => real(`127.0.0.${i + 1}`, 80, { type: "combined" }));
    const cfg = config([virtual("tcp:10.0.0.1:80", reals)]);

    const all = probeRound(cfg, { run });
    await new Promise((r) => setTimeout(r, 10));
    expect(inFlight).toBe(12);
    release();
    expect((await all).every((r) => r.ok)).toBe(true);
    expect(kinds.every((k) => k === "negotiate")).toBe(true);

    max = 0;
    const capped = await probeRound(cfg, { run, concurrency: 3 });
    expect(max).toBe(3);
    expect(capped.map((r) => r.real)).toEqual(reals.map((r) => `${r.address}:80`));
  });

  it("turns a run that throws into a down row", async () => {
    const cfg = config([virtual("tcp:10.0.0.1:80", [real("::1", 80)])]);
    const rows = await probeRound(cfg, {
      run: async () => {
        throw new Error("wires crossed");
      },
    });
    expect(rows).toEqual([
      {
        virtual: "tcp:10.0.0.1:80",
        real: "[::1]:80",
        check: "negotiate/http",
        ok: false,
        reason: "check error: wires crossed",
        latencyMs: 0,
      },
    ]);
  });

  it("gives no rows for a config without reals", async () => {
    expect(await probeRound(config([virtual("tcp:10.0.0.1:80", [])]))).toEqual([]);
  });
});

describe("formatProbeTable", () => {
  it("aligns columns, right-aligns latency, and keeps reasons on one line", () => {
    const rows: ProbeRow[] = [
      {
        virtual: "tcp:10.0.0.1:80",
        real: "192.168.1.2:80",
        check: "negotiate/http",
        ok: true,
        reason: "HTTP 200",
        latencyMs: 3.25,
      },
      {
        virtual: "udp:[2001:db8::1]:53",
        real: "[2001:db8::2]:53",
        check: "connect",
        ok: false,
        reason: "receive /OK/\r\nnot matched",
        latencyMs: 1500,
      },
    ];
    expect(formatProbeTable(rows)).toBe(
      [
        "VIRTUAL               REAL              CHECK           STATE  REASON                      LATENCY",
        "tcp:10.0.0.1:80       192.168.1.2:80    negotiate/http  up     HTTP 200                     3.3 ms",
        "udp:[2001:db8::1]:53  [2001:db8::2]:53  connect         down   receive /OK/ not matched  1500.0 ms",
      ].join("\n"),
    );
  });

  it("prints the header alone for no rows", () => {
    expect(formatProbeTable([])).toBe("VIRTUAL  REAL  CHECK  STATE  REASON  LATENCY");
  });
});
