// Defect 3 of issue 14: every global directive, changed by a reload, either takes effect
// or the reload is refused with "needs a restart"; none is silently kept. Driven by the
// directive table itself: a directive added to src/config/directives.ts without a row
// here fails the first test. The resource directives (statefile=, controlsocket=,
// logfile=, listeners) are observed through real files and sockets.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DIRECTIVES } from "../../src/config/directives.js";
import { StateFile } from "../../src/control/state-file.js";
import type { Daemon } from "../../src/daemon/daemon.js";
import { createLogger } from "../../src/daemon/logger.js";
import type { MemoryBackend } from "../../src/ipvs/memory.js";
import { freePort, liveTable, Scratch, until, weights } from "./support.js";

let s: Scratch;
afterEach(() => s?.cleanup());

interface Http {
  status: number;
  body: string;
}

function http(
  at: { port: number } | { socketPath: string },
  path: string,
  opts: { method?: string; host?: string; body?: string } = {},
): Promise<Http> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        ...("port" in at ? { host: "127.0.0.1", port: at.port } : at),
        path,
        method: opts.method ?? "GET",
        headers: {
          ...(opts.host ? { host: opts.host } : {}),
          ...(opts.body ? { "content-type": "application/json", "x-ldirector-action": "1" } : {}),
        },
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (d: string) => (body += d));
        res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", fail);
    req.end(opts.body);
  });
}

const V = ["virtual=10.0.0.1:80", "    real=10.0.0.2:80 masq 1", "    checktype=on"];
const D = { virtual: "tcp:10.0.0.1:80", real: "10.0.0.2:80" };

interface Ctx {
  s: Scratch;
  d: Daemon;
  /** The kernel table the daemon keeps (a memory backend), for edits behind its back. */
  table: MemoryBackend;
  /** Values a row needs on both sides, made once per row (ports, paths). */
  v: Record<string, string>;
}

interface Row {
  /** Lines before and after the reload (global lines; the virtual is added). */
  before: (v: Ctx["v"]) => string[];
  after: (v: Ctx["v"]) => string[];
  /** Values to prepare: name → maker. */
  values?: (s: Scratch) => Promise<Record<string, string>>;
  /** applied: observe() gives `want` after the reload; restart: the reload is refused. */
  expect: "applied" | "restart";
  observe?: (c: Ctx) => Promise<unknown>;
  want?: (v: Ctx["v"]) => unknown;
}

const virtual0 = (c: Ctx) => Promise.resolve(c.d.config.virtuals[0]);
/** A directive read from the running config at each use: its new value must be the running one. */
const viaConfig = (pick: (c: Ctx) => unknown, want: unknown): Partial<Row> => ({
  observe: (c) => Promise.resolve(pick(c)),
  want: () => want,
});
/** Global defaults of virtuals: the virtual's value changes (its probes and plan follow it). */
const inherited = (
  line: string,
  pick: (v: Awaited<ReturnType<typeof virtual0>>) => unknown,
  want: unknown,
): Row => ({
  before: () => [],
  after: () => [line],
  expect: "applied",
  observe: async (c) => pick(await virtual0(c)),
  want: () => want,
});

const ROWS: Record<string, Row> = {
  checktimeout: inherited("checktimeout=7", (v) => v?.check.checkTimeoutMs, 7000),
  negotiatetimeout: inherited("negotiatetimeout=9", (v) => v?.check.negotiateTimeoutMs, 9000),
  checkinterval: inherited("checkinterval=3", (v) => v?.checkInterval, 3),
  checkcount: inherited("checkcount=4", (v) => v?.reals[0]?.check.checkCount, 4),
  failurecount: inherited("failurecount=5", (v) => v?.failureCount, 5),
  fallback: inherited("fallback=10.0.0.9:80", (v) => v?.fallback?.address, "10.0.0.9"),
  fallback6: {
    before: () => [],
    after: () => ["fallback6=[2001:db8::9]:80"],
    expect: "applied",
    observe: async (c) => c.d.config.virtuals.find((v) => v.family === "inet6")?.fallback?.address,
    want: () => "2001:db8::9",
  },
  fallbackcommand: inherited('fallbackcommand="/bin/true"', (v) => v?.fallbackCommand, "/bin/true"),
  quiescent: inherited("quiescent=yes", (v) => v?.quiescent, true),
  emailalert: inherited("emailalert=ops@example.com", (v) => v?.emailAlert, "ops@example.com"),
  emailalertfreq: inherited("emailalertfreq=60", (v) => v?.emailAlertFreq, 60),
  emailalertstatus: inherited("emailalertstatus=running", (v) => v?.emailAlertStatus, ["running"]),
  smtp: inherited("smtp=127.0.0.1", (v) => v?.smtp, "127.0.0.1"),
  cleanstop: inherited("cleanstop=no", (v) => v?.cleanStop, false),
  tlsverify: inherited("tlsverify=yes", (v) => v?.check.tlsVerify, true),
  tlscafile: inherited(
    "tlscafile=/etc/ssl/certs/ca-certificates.crt",
    (v) => v?.check.tlsCaFile,
    "/etc/ssl/certs/ca-certificates.crt",
  ),
  autoreload: {
    before: () => [],
    after: () => ["autoreload=yes"],
    expect: "applied",
    // The watch is on: a save is applied without a reload being asked for.
    observe: async (c) => {
      c.s.write(["autoreload=yes", ...V.slice(0, 1), "    real=10.0.0.2:80 masq 6", "    checktype=on"]);
      await until("autoreload", () => c.d.config.virtuals[0]?.reals[0]?.weight === 6);
      return true;
    },
    want: () => true,
  },
  callback: {
    before: () => [],
    after: () => ['callback="/bin/true"'],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.callback, "/bin/true"),
  },
  execute: {
    before: () => [],
    after: () => ["execute=other.cf"],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.execute, ["other.cf"]),
  },
  fork: {
    before: () => [],
    after: () => ["fork=yes"],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.fork, true),
  },
  readdquiescent: {
    before: () => [],
    after: () => ["readdquiescent=yes"],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.readdQuiescent, true),
  },
  emailalertfrom: {
    before: () => [],
    after: () => ["emailalertfrom=lb@example.com"],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.emailAlertFrom, "lb@example.com"),
  },
  maintenancedir: {
    values: async (sc) => ({ dir: sc.dir }),
    before: () => [],
    after: (v) => [`maintenancedir=${v.dir}`],
    expect: "applied",
    ...viaConfig((c) => c.d.config.global.maintenanceDir !== undefined, true),
  },
  supervised: { before: () => [], after: () => ["supervised=yes"], expect: "restart" },
  ipvsadm: { before: () => [], after: () => ["ipvsadm=/usr/sbin/ipvsadm"], expect: "restart" },
  resyncinterval: {
    before: () => ["resyncinterval=3600"],
    after: () => ["resyncinterval=1"],
    expect: "applied",
    // The new period runs at once: a weight changed by hand is put back within seconds,
    // where the old period (an hour) would leave it.
    observe: async (c) => {
      const service = (await c.table.read()).services[0]!;
      await c.table.apply([{ kind: "edit-dest", service, dest: { ...service.dests[0]!, weight: 9 } }]);
      return until(
        "the hand edit repaired",
        async () => (await weights(c.table))["10.0.0.2:80"] === 1,
        10_000,
      );
    },
    want: () => true,
  },
  // The sync daemons in the (memory) kernel follow the new lines at once.
  syncdaemon: {
    before: () => [],
    after: () => ["syncdaemon=both", "syncinterface=eth1"],
    expect: "applied",
    observe: (c) => c.table.syncDaemons(),
    want: () => [
      { role: "master", interface: "eth1", syncId: 0 },
      { role: "backup", interface: "eth1", syncId: 0 },
    ],
  },
  syncinterface: {
    before: () => ["syncdaemon=master", "syncinterface=eth1"],
    after: () => ["syncdaemon=master", "syncinterface=eth2"],
    expect: "applied",
    observe: (c) => c.table.syncDaemons(),
    want: () => [{ role: "master", interface: "eth2", syncId: 0 }],
  },
  syncid: {
    before: () => ["syncdaemon=backup", "syncinterface=eth1", "syncid=1"],
    after: () => ["syncdaemon=backup", "syncinterface=eth1", "syncid=2"],
    expect: "applied",
    observe: (c) => c.table.syncDaemons(),
    want: () => [{ role: "backup", interface: "eth1", syncId: 2 }],
  },
  webcontrol: {
    values: async () => ({ port: String(await freePort()) }),
    before: (v) => [`metricsaddress=127.0.0.1:${v.port}`],
    after: (v) => [`metricsaddress=127.0.0.1:${v.port}`, "webcontrol=yes"],
    expect: "applied",
    observe: async (c) =>
      (await http({ port: Number(c.v.port) }, "/reals/drain", { method: "POST", body: JSON.stringify(D) }))
        .status,
    want: () => 200,
  },
  metricsaddress: {
    values: async () => ({ a: String(await freePort()), b: String(await freePort()) }),
    before: (v) => [`metricsaddress=127.0.0.1:${v.a}`],
    after: (v) => [`metricsaddress=127.0.0.1:${v.b}`],
    expect: "applied",
    observe: async (c) => (await http({ port: Number(c.v.b) }, "/status")).status,
    want: () => 200,
  },
  metricshost: {
    values: async () => ({ port: String(await freePort()) }),
    before: (v) => [`metricsaddress=127.0.0.1:${v.port}`],
    after: (v) => [`metricsaddress=127.0.0.1:${v.port}`, "metricshost=lb1.example.com"],
    expect: "applied",
    observe: async (c) =>
      (await http({ port: Number(c.v.port) }, "/status", { host: `lb1.example.com:${c.v.port}` })).status,
    want: () => 200,
  },
  sorryserver: {
    values: async () => ({ a: String(await freePort()), b: String(await freePort()) }),
    before: (v) => [`sorryserver=127.0.0.1:${v.a}`],
    after: (v) => [`sorryserver=127.0.0.1:${v.b}`],
    expect: "applied",
    observe: async (c) => (await http({ port: Number(c.v.b) }, "/")).status,
    want: () => 503,
  },
  sorrypage: {
    values: async (sc) => {
      writeFileSync(join(sc.dir, "page.html"), "<p>back soon</p>");
      return { port: String(await freePort()), page: join(sc.dir, "page.html") };
    },
    before: (v) => [`sorryserver=127.0.0.1:${v.port}`],
    after: (v) => [`sorryserver=127.0.0.1:${v.port}`, `sorrypage=${v.page}`],
    expect: "applied",
    observe: async (c) => (await http({ port: Number(c.v.port) }, "/")).body,
    want: () => "<p>back soon</p>",
  },
  controlsocket: {
    values: async (sc) => ({ a: join(sc.dir, "a.sock"), b: join(sc.dir, "run", "b.sock") }),
    before: (v) => [`controlsocket=${v.a}`],
    after: (v) => [`controlsocket=${v.b}`],
    expect: "applied",
    observe: async (c) => ({
      answers: (await http({ socketPath: c.v.b! }, "/status")).status,
      oldGone: !existsSync(c.v.a!),
      recorded: readFileSync(join(c.s.dir, "control"), "utf8").trim(),
    }),
    want: (v) => ({ answers: 200, oldGone: true, recorded: v.b }),
  },
  statefile: {
    values: async (sc) => ({ a: join(sc.dir, "a.state"), b: join(sc.dir, "b.state") }),
    before: (v) => [`statefile=${v.a}`],
    after: (v) => [`statefile=${v.b}`],
    expect: "applied",
    // A drain made before the move is in the new file, and so is one made after it.
    observe: async (c) => {
      await c.d.act("disable", D);
      const moved = [...(await new StateFile(c.v.b!).load()).overrides.keys()];
      return { moved, oldGone: !existsSync(c.v.a!) };
    },
    want: () => ({ moved: [`${D.virtual}/${D.real}`], oldGone: true }),
  },
  logfile: {
    values: async (sc) => ({ a: join(sc.dir, "a.log"), b: join(sc.dir, "logs", "b.log") }),
    before: (v) => [`logfile="${v.a}"`],
    after: (v) => [`logfile="${v.b}"`],
    expect: "applied",
    observe: async (c) => {
      await c.d.act("drain", D);
      return readFileSync(c.v.b!, "utf8").includes("operator drained");
    },
    want: () => true,
  },
};

/** Directives of the global scope a reload can change (block headers and removed ones cannot be set). */
const GLOBALS = DIRECTIVES.filter(
  (d) =>
    (d.scope === "global" || d.scope === "both") && d.type !== "removed" && !d.name.startsWith("virtual"),
).map((d) => d.name);

describe("every global directive takes effect on reload or is refused", () => {
  it("has a row for every global directive of the table", () => {
    expect(GLOBALS.filter((n) => !(n in ROWS))).toEqual([]);
  });

  it.each(GLOBALS.filter((n) => n in ROWS))("%s", async (name) => {
    const row = ROWS[name]!;
    s = new Scratch();
    const v = (await row.values?.(s)) ?? {};
    const extra =
      name === "fallback6"
        ? ["virtual6=[2001:db8::1]:80", "    real6=[2001:db8::2]:80 masq", "    checktype=on"]
        : [];
    s.write([...row.before(v), ...V, ...extra]);
    const logging =
      name === "logfile"
        ? createLogger({ target: { kind: "file", path: v.a! }, pretty: false, name: "t" })
        : undefined;
    const table = liveTable();
    const d = s.daemon(table, {
      controlPointer: join(s.dir, "control"),
      ...(logging
        ? { logger: logging.logger, retargetLog: logging.retarget }
        : { logger: pino({ level: "silent" }) }),
    });
    await d.start();
    const before = JSON.stringify(d.config);
    s.write([...row.after(v), ...V, ...extra]);
    const outcome = await d.reload("test");
    if (row.expect === "restart") {
      expect(outcome.ok).toBe(false);
      expect(outcome.ok ? "" : outcome.errors.join("\n")).toMatch(
        new RegExp(`lb\\.cf:1: ${name} changed .*needs a restart`),
      );
      expect(JSON.stringify(d.config)).toBe(before);
    } else {
      expect(outcome).toEqual({ ok: true });
      expect(await row.observe!({ s, d, v, table })).toEqual(row.want!(v));
    }
    await logging?.close();
  });
});
