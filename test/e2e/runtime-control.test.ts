// Runtime control end to end: the built CLI's drain / disable / enable / recheck verbs
// through the daemon's control socket, the ipvsadm stand-in as the kernel, real HTTP
// servers as reals, and the state file across a restart and a reload.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Override } from "../../src/control/override.js";
import { StateFile } from "../../src/control/state-file.js";
import { Harness, type Real, requireBuild } from "./harness.js";

beforeAll(requireBuild);

let h: Harness;
afterEach(async () => {
  await h?.cleanup();
});

const V = "tcp:127.0.0.1:80";

/** The overrides in the state file, by realId, as a plain object. */
async function saved(path: string): Promise<Record<string, Override>> {
  return Object.fromEntries((await new StateFile(path).load()).overrides);
}

function config(reals: Real[]): string {
  return [
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    "failurecount=1",
    "virtual=127.0.0.1:80",
    ...reals.map((r, i) => `    real=127.0.0.1:${r.port} masq ${i + 1}`),
    "    service=http",
    '    request="/"',
    '    receive="ok from"',
    "",
  ].join("\n");
}

describe("runtime control", () => {
  it("drain, disable and enable change the table at once and survive a restart", async () => {
    h = new Harness();
    const [a, b] = [await h.real("a"), await h.real("b")];
    h.writeConfig(config([a, b]));
    let d = h.startDaemon();
    await h.until("both in", () => h.weights()[a.port] === 1 && h.weights()[b.port] === 2);

    const drain = await h.run([h.config, "drain", V, `127.0.0.1:${b.port}`]);
    expect(drain.code).toBe(0);
    expect(drain.stdout).toMatch(/: drained/);
    // The command answers once the table has it: no waiting here.
    expect(h.weights()[b.port]).toBe(0);
    const status = await h.run([h.config, "status"]);
    expect(status.stdout).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${b.port}\\s+up\\s+\\d+s\\s+2\\s+0\\s+drained`),
    );
    const stateFile = join(h.dir, "ldirectord.cf.state");
    expect(statSync(stateFile).mode & 0o777).toBe(0o600);
    expect(await saved(stateFile)).toMatchObject({
      [`${V}/127.0.0.1:${b.port}`]: { mode: "drained" },
    });

    // A restart keeps the drain: b is never put back at weight 2.
    expect(await h.stop(d)).toBe(0);
    const writesBefore = h.writes().length;
    d = h.startDaemon();
    await h.until("a in again", () => h.weights()[a.port] === 1);
    await h.until("b checked", async () => {
      const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
      return json.virtuals?.[0]?.reals?.[1]?.lastCheck !== undefined;
    });
    expect(h.weights()[b.port]).toBe(0);
    expect(
      h
        .writes()
        .slice(writesBefore)
        .some((l) => l.includes(`:${b.port} `) && /-w 2\b/.test(l)),
    ).toBe(false);

    const disable = await h.run(["--json", h.config, "disable", "127.0.0.1:80", `127.0.0.1:${b.port}`]);
    expect(disable.code).toBe(0);
    expect(JSON.parse(disable.stdout)).toMatchObject({ action: "disable", override: { mode: "disabled" } });
    expect(b.port in h.weights()).toBe(false);

    const enable = await h.run([h.config, "enable", V, `127.0.0.1:${b.port}`]);
    expect(enable.code).toBe(0);
    expect(enable.stdout).toMatch(/enabled/);
    expect(h.weights()[b.port]).toBe(2);
    expect(await saved(stateFile)).toEqual({});
    await h.stop(d);
  });

  it("recheck runs a check now; unknown or ambiguous names are refused with exit 4", async () => {
    h = new Harness();
    const [a, b] = [await h.real("a"), await h.real("b")];
    h.writeConfig(config([a, b]));
    const d = h.startDaemon();
    await h.until("both in", () => Object.keys(h.weights()).length === 2);

    await h.kill(a);
    const recheck = await h.run([h.config, "recheck", V, `127.0.0.1:${a.port}`]);
    expect(recheck.code).toBe(0);
    expect(recheck.stdout).toMatch(/FAIL in \d+ ms \(.*ECONNREFUSED/);
    // Failurecount 1: that one check took it out.
    expect(a.port in h.weights()).toBe(false);

    const ambiguous = await h.run([h.config, "drain", V, "127.0.0.1"]);
    expect(ambiguous.code).toBe(4);
    expect(ambiguous.stderr).toMatch(/names several reals .* give the port/);
    const unknown = await h.run([h.config, "drain", "tcp:10.9.9.9:80", `127.0.0.1:${b.port}`]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/no virtual service "tcp:10.9.9.9:80"/);
    const usage = await h.run([h.config, "drain", V]);
    expect(usage.code).toBe(255);
    expect(h.weights()[b.port]).toBe(2);
    await h.stop(d);
  });

  it("a reload keeps overrides of reals still configured and drops the others", async () => {
    h = new Harness();
    const [a, b, c] = [await h.real("a"), await h.real("b"), await h.real("c")];
    h.writeConfig(config([a, b, c]));
    const d = h.startDaemon();
    await h.until("all in", () => Object.keys(h.weights()).length === 3);
    expect((await h.run([h.config, "drain", V, `127.0.0.1:${a.port}`])).code).toBe(0);
    expect((await h.run([h.config, "disable", V, `127.0.0.1:${c.port}`])).code).toBe(0);
    h.writeConfig(config([a, b]));
    expect((await h.run([h.config, "reload"])).code).toBe(0);
    await h.until("c gone", () => !(c.port in h.weights()) && Object.keys(h.weights()).length === 2);
    const stateFile = join(h.dir, "ldirectord.cf.state");
    await h.until("c's override dropped", async () => {
      const o = await saved(stateFile);
      return Object.keys(o).length === 1 && o[`${V}/127.0.0.1:${a.port}`]?.mode === "drained";
    });
    expect(h.weights()).toEqual({ [a.port]: 0, [b.port]: 2 });
    const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
    expect(json.counters).toMatchObject({ configGeneration: 2, reloads: 1, reloadErrors: 0 });
    await h.stop(d);
  });

  it("two actions at once both land in the state file; an unreadable state file is kept aside", async () => {
    h = new Harness();
    const [a, b, c] = [await h.real("a"), await h.real("b"), await h.real("c")];
    h.writeConfig(config([a, b, c]));
    const stateFile = join(h.dir, "ldirectord.cf.state");
    writeFileSync(stateFile, "{not json");
    const d = h.startDaemon();
    await h.until("all in", () => Object.keys(h.weights()).length === 3);
    expect(readFileSync(`${stateFile}.unreadable`, "utf8")).toBe("{not json");
    const runs = await Promise.all([
      h.run([h.config, "drain", V, `127.0.0.1:${a.port}`]),
      h.run([h.config, "disable", V, `127.0.0.1:${b.port}`]),
      h.run([h.config, "drain", V, `127.0.0.1:${c.port}`]),
    ]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(await saved(stateFile)).toMatchObject({
      [`${V}/127.0.0.1:${a.port}`]: { mode: "drained" },
      [`${V}/127.0.0.1:${b.port}`]: { mode: "disabled" },
      [`${V}/127.0.0.1:${c.port}`]: { mode: "drained" },
    });
    expect(h.weights()).toEqual({ [a.port]: 0, [c.port]: 0 });
    await h.stop(d);
  });
});

describe("the weight verb", () => {
  it("sets a real's weight through the CLI and the control socket, survives a restart, enable undoes it", async () => {
    h = new Harness();
    const [a, b] = [await h.real("a"), await h.real("b")];
    h.writeConfig(config([a, b]));
    // The memory backend: the table is the daemon's own, read back through status.
    const memory = ["--backend", "memory"];
    const tableWeights = async (): Promise<Record<number, number | undefined>> => {
      const out = await h.run(["--json", h.config, "status"]);
      // Not up yet: no table to read.
      if (out.code !== 0) return {};
      const s = JSON.parse(out.stdout);
      const reals = (s.virtuals?.[0]?.reals ?? []) as { address: string; tableWeight?: number }[];
      return Object.fromEntries(reals.map((r) => [Number(r.address.split(":")[1]), r.tableWeight]));
    };
    let d = h.startDaemon(memory);
    await h.until("both in", async () => {
      const w = await tableWeights();
      return w[a.port] === 1 && w[b.port] === 2;
    });

    const set = await h.run([h.config, "weight", V, `127.0.0.1:${b.port}`, "7"]);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/: weight 7 \(since /);
    // Answered once the table has it.
    expect((await tableWeights())[b.port]).toBe(7);
    const status = await h.run([h.config, "status"]);
    expect(status.stdout).toMatch(
      new RegExp(`127\\.0\\.0\\.1:${b.port}\\s+up\\s+\\d+s\\s+2\\s+7\\s+weight 7`),
    );

    const bad = await h.run([h.config, "weight", V, `127.0.0.1:${b.port}`, "lots"]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/weight must be a whole number from 0 to 65535, not "lots"/);
    expect((await h.run([h.config, "weight", V, `127.0.0.1:${b.port}`])).code).toBe(255);

    expect(await h.stop(d)).toBe(0);
    d = h.startDaemon(memory);
    await h.until("b back at the operator's weight", async () => (await tableWeights())[b.port] === 7);
    expect((await tableWeights())[a.port]).toBe(1);

    const json = await h.run(["--json", h.config, "enable", V, `127.0.0.1:${b.port}`]);
    expect(JSON.parse(json.stdout)).toEqual({ id: `${V}/127.0.0.1:${b.port}`, action: "enable" });
    expect((await tableWeights())[b.port]).toBe(2);
    await h.stop(d);
  });
});

describe("the state file as a person edits it", () => {
  it("check names its bad lines; a good edit made while stopped takes effect at start", async () => {
    h = new Harness();
    const [a, b] = [await h.real("a"), await h.real("b")];
    h.writeConfig(config([a, b]));
    const stateFile = join(h.dir, "ldirectord.cf.state");
    writeFileSync(
      stateFile,
      [
        "; taken out by hand, ticket 7",
        "",
        "[override 1]",
        `virtual = ${V}`,
        `real = 127.0.0.1:${b.port}`,
        "mode = drainedd",
        "since = 2026-12-01T10:00:00Z",
        "",
      ].join("\n"),
    );
    const bad = await h.run(["check", h.config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `error: ${stateFile}:6: [override 1] mode is drained, disabled or weighted, not drainedd`,
    );

    writeFileSync(stateFile, readFileSync(stateFile, "utf8").replace("drainedd", "drained"));
    const good = await h.run(["check", h.config]);
    expect(good.code).toBe(0);
    expect(good.stderr).toContain(`state file ${stateFile}: 1 override(s), 0 maintenance window(s)`);

    const d = h.startDaemon();
    await h.until("a in, b drained", () => h.weights()[a.port] === 1 && h.weights()[b.port] === 0);
    expect((await h.run([h.config, "drain", V, `127.0.0.1:${a.port}`])).code).toBe(0);
    // The daemon's save keeps the person's comment and writes INI.
    const text = readFileSync(stateFile, "utf8");
    expect(text).toMatch(/^; taken out by hand, ticket 7\n/);
    expect(await saved(stateFile)).toMatchObject({
      [`${V}/127.0.0.1:${a.port}`]: { mode: "drained" },
      [`${V}/127.0.0.1:${b.port}`]: { mode: "drained", since: Date.parse("2026-12-01T10:00:00Z") },
    });
    await h.stop(d);
  });
});

describe("schedule", () => {
  it("add, list and remove maintenance windows through the CLI; status shows them", async () => {
    h = new Harness();
    const [a, b] = [await h.real("a"), await h.real("b")];
    h.writeConfig(config([a, b]));
    const d = h.startDaemon(["--backend", "memory"]);
    await h.until("running", async () => (await h.run([h.config, "status"])).code === 0);

    const add = await h.run([
      h.config,
      "schedule",
      "add",
      V,
      "all",
      "disable",
      "TZ=Europe/Berlin 0 3 * * 0",
      "2h",
    ]);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(
      new RegExp(`^window 1: disable ${V} all at "0 3 \\* \\* 0" \\(Europe/Berlin\\) for 2h; next 20\\d\\d-`),
    );
    const bad = await h.run([h.config, "schedule", "add", V, "all", "drain", "0 25 * * *", "2h"]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/cron time "0 25 \* \* \*": 25 is a invalid expression for hour/);
    expect((await h.run([h.config, "schedule", "add", V, "all", "nap", "0 3 * * *", "2h"])).stderr).toMatch(
      /the mode is drain or disable, not "nap"/,
    );
    expect(
      (await h.run([h.config, "schedule", "add", V, `127.0.0.1:${b.port}`, "drain", "30 1 * * *", "45m"]))
        .code,
    ).toBe(0);

    const list = await h.run([h.config, "schedule", "list"]);
    expect(list.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^window 1: disable .* all at "0 3 \* \* 0"/),
      expect.stringMatching(
        new RegExp(`^window 2: drain ${V} 127\\.0\\.0\\.1:${b.port} at "30 1 \\* \\* \\*" for 45m; next`),
      ),
    ]);
    const status = await h.run([h.config, "status"]);
    expect(status.stdout).toMatch(/maintenance windows:\n {2}window 1: .*\n {2}window 2: /);
    const json = JSON.parse((await h.run(["--json", h.config, "status"])).stdout);
    expect(json.windows.map((w: { id: number; open: boolean }) => [w.id, w.open])).toEqual([
      [1, false],
      [2, false],
    ]);
    expect(typeof json.windows[0].nextRun).toBe("number");

    expect((await h.run([h.config, "schedule", "remove", "1"])).stdout).toBe("window 1 removed\n");
    expect((await h.run([h.config, "schedule", "remove", "1"])).code).toBe(4);
    expect((await new StateFile(join(h.dir, "ldirectord.cf.state")).load()).windows.map((w) => w.id)).toEqual(
      [2],
    );
    await h.stop(d);
  });
});
