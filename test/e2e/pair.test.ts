// One director of a pair, end to end: the built CLI as keepalived's notify scripts call it
// (`ldirector CF role master|backup|fault`), and syncdaemon= starting, adopting, changing
// and stopping the IPVS connection sync daemons, with the ipvsadm stand-in as the kernel
// (its sync daemons as recorded from the real ipvsadm: test/fixtures/realipvs). lo is the
// sync interface: it exists wherever the tests run. The VM runs a real pair (test/vm).
import { execFileSync } from "node:child_process";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Harness, type Real, requireBuild, standIn } from "./harness.js";

beforeAll(requireBuild);

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

function config(real: Real, sync: string[], weight = 1): string {
  return [
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    ...sync,
    "virtual=127.0.0.1:80",
    `    real=127.0.0.1:${real.port} masq ${weight}`,
    "    service=http",
    '    request="/"',
    '    receive="ok from"',
    "",
  ].join("\n");
}

/** `ipvsadm -L --daemon` on the stand-in, as an operator would look. */
function daemons(): string {
  return execFileSync(standIn, ["-L", "--daemon"], { env: h.env, encoding: "utf8" });
}

/** The stand-in's log lines that start or stop a sync daemon (direct or inside -R). */
function daemonWrites(): string[] {
  return h.logLines().filter((l) => /^(R )?--(start|stop)-daemon /.test(l));
}

/** The execs that carried those lines: each -R whose stdin starts or stops one. */
function daemonExecs(): number {
  let execs = 0;
  let counted = false;
  for (const l of h.logLines()) {
    if (!l.startsWith("R ")) counted = false;
    if (/^(R )?--(start|stop)-daemon /.test(l) && !counted) {
      execs++;
      counted = l.startsWith("R ");
    }
  }
  return execs;
}

const SYNC_BOTH = ["syncdaemon=both", "syncinterface=lo", "syncid=4"];

describe("a director of a pair", () => {
  it("records the role VRRP gives it, shows it, and writes nothing to the table for it", async () => {
    h = new Harness();
    const a = await h.real("a");
    h.writeConfig(config(a, SYNC_BOTH));
    const d = h.startDaemon();
    await h.until("a in", () => h.weights()[a.port] === 1);

    let status = await h.run([h.config, "status"]);
    expect(status.stdout).toMatch(
      /^role unknown \(not told by VRRP since start\), sync daemons master on lo syncid 4, backup on lo syncid 4$/m,
    );
    const writes = h.writes().length;

    for (const role of ["backup", "master", "fault", "master"]) {
      const told = await h.run([h.config, "role", role]);
      expect(told.code, told.stderr).toBe(0);
      expect(told.stdout).toMatch(new RegExp(`^role ${role} since \\d{4}-`));
    }
    status = await h.run([h.config, "status"]);
    expect(status.stdout).toMatch(/^role master for \d+s, sync daemons/m);
    const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
    expect(json.role.role).toBe("master");
    expect(json.syncDaemons).toEqual([
      { role: "master", interface: "lo", syncId: 4, startedHere: true },
      { role: "backup", interface: "lo", syncId: 4, startedHere: true },
    ]);
    // Warm standby: the role is a label; the table is what the checks say either way.
    expect(h.writes().length).toBe(writes);

    const wrong = await h.run([h.config, "role", "boss"]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/the role is master or backup or fault, not "boss"/);

    // Both daemons were started in one exec, and go at a clean stop.
    expect(daemonExecs()).toBe(1);
    expect(daemons()).toMatch(
      /^master sync daemon \(mcast=lo, syncid=4,.*\nbackup sync daemon \(mcast=lo, syncid=4,/,
    );
    expect(await h.stop(d)).toBe(0);
    expect(daemons()).toBe("");
    expect(d.output()).toMatch(/director role: fault \(was master\)/);
  });

  it("adopts a sync daemon found running as configured, and leaves it running at stop", async () => {
    h = new Harness();
    const a = await h.real("a");
    execFileSync(standIn, ["--start-daemon", "master", "--mcast-interface", "lo", "--syncid", "4"], {
      env: h.env,
    });
    const before = daemonWrites().length;
    h.writeConfig(config(a, ["syncdaemon=master", "syncinterface=lo", "syncid=4"]));
    let d = h.startDaemon();
    await h.until("a in", () => h.weights()[a.port] === 1);
    expect(daemonWrites().length).toBe(before);
    const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
    expect(json.syncDaemons).toEqual([{ role: "master", interface: "lo", syncId: 4, startedHere: false }]);
    expect((await h.run([h.config, "status"])).stdout).toMatch(
      /sync daemons master on lo syncid 4 \(adopted\)/,
    );
    expect(await h.stop(d)).toBe(0);
    expect(daemons()).toMatch(/^master sync daemon \(mcast=lo, syncid=4,/);

    // A director killed outright and started again finds its own daemon: nothing is written.
    const writes = [h.writes().length, daemonWrites().length];
    d = h.startDaemon();
    await h.until("status answers", async () => (await h.run([h.config, "status"])).code === 0);
    expect(await h.stop(d, "SIGKILL")).toBe(null);
    d = h.startDaemon();
    await h.until("status answers again", async () => (await h.run([h.config, "status"])).code === 0);
    expect(daemonWrites().length).toBe(writes[1]);
    expect(await h.stop(d)).toBe(0);
  });

  it("follows a reload: a changed syncid is a stop and a start in one exec; a missing interface refuses the whole reload", async () => {
    h = new Harness();
    const a = await h.real("a");
    h.writeConfig(config(a, SYNC_BOTH));
    const d = h.startDaemon();
    await h.until("a in", () => h.weights()[a.port] === 1);
    const execs = daemonExecs();

    h.writeConfig(config(a, ["syncdaemon=both", "syncinterface=lo", "syncid=9"]));
    const ok = await h.run([h.config, "reload"]);
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(daemons()).toMatch(
      /^master sync daemon \(mcast=lo, syncid=9,.*\nbackup sync daemon \(mcast=lo, syncid=9,/,
    );
    expect(daemonExecs()).toBe(execs + 1);

    // A new weight and a sync interface the host lacks: neither takes effect.
    h.writeConfig(config(a, ["syncdaemon=master", "syncinterface=nosuch0", "syncid=9"], 3));
    const bad = await h.run([h.config, "reload"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr + bad.stdout).toMatch(
      /ldirectord\.cf:4: syncdaemon=: cannot start the sync daemon master on nosuch0 \(syncid 9\): .*No such device/,
    );
    expect(daemons()).toMatch(
      /^master sync daemon \(mcast=lo, syncid=9,.*\nbackup sync daemon \(mcast=lo, syncid=9,/,
    );
    expect(h.weights()[a.port]).toBe(1);
    const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
    expect(json.syncDaemons.map((x: { startedHere: boolean }) => x.startedHere)).toEqual([true, true]);

    // syncdaemon=no: the daemons this director started go.
    h.writeConfig(config(a, [], 2));
    expect((await h.run([h.config, "reload"])).code).toBe(0);
    expect(daemons()).toBe("");
    expect(h.weights()[a.port]).toBe(2);
    expect(await h.stop(d)).toBe(0);
  });
});
