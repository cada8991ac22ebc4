// The state file on a real file system: INI round trip, comments kept, atomic replace,
// the JSON file of earlier versions read and rewritten, errors with file:line.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Override } from "../../src/control/override.js";
import { defaultStateFile, StateFile, stateDir } from "../../src/control/state-file.js";
import { StateFileErrors } from "../../src/control/state-ini.js";
import type { Window } from "../../src/control/window.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const state = (overrides: [string, Override][], windows: Window[] = []) => ({
  overrides: new Map(overrides),
  windows,
});

const window4: Window = {
  id: 4,
  virtual: "tcp:10.0.0.1:80",
  real: "all",
  mode: "drained",
  cron: "0 3 * * 0",
  timezone: "Europe/Berlin",
  durationMs: 90 * 60_000,
  openedAt: Date.parse("2026-11-29T02:00:00Z"),
};

function errorsOf(text: string, path: string): Promise<string[]> {
  writeFileSync(path, text);
  return new StateFile(path).load().then(
    () => [],
    (err: unknown) => {
      if (err instanceof StateFileErrors) return err.errors;
      throw err;
    },
  );
}

describe("StateFile", () => {
  it("saves and loads overrides and windows as INI, creating the directory, mode 0600", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const store = new StateFile(join(dir, "sub", "lb.cf.state"));
    expect(await store.load()).toEqual(state([]));
    const saved = state(
      [
        ["tcp:10.0.0.1:80/10.0.0.2:80", { mode: "drained", since: 1_000 }],
        ["tcp:[2001:db8::1]:443/[2001:db8::3]:443", { mode: "disabled", since: 2_000 }],
        ["fwm:5/10.0.0.4:0", { mode: "weighted", weight: 7, since: 3_000 }],
      ],
      [window4],
    );
    await store.save(saved);
    expect(await new StateFile(store.path).load()).toEqual(saved);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, "sub"))).toEqual(["lb.cf.state"]);
    const text = readFileSync(store.path, "utf8");
    expect(text).toMatch(/^; ldirector's runtime state/);
    expect(text).toContain(
      "[override 3]\nvirtual = fwm:5\nreal = 10.0.0.4:0\nmode = weighted\nweight = 7\nsince = 1970-01-01T00:00:03.000Z\n",
    );
    expect(text).toContain(
      "[window 4]\nvirtual = tcp:10.0.0.1:80\nreal = all\nmode = drained\ncron = 0 3 * * 0\n",
    );
    expect(text).toContain("duration = 1h30m\nopened = 2026-11-29T02:00:00.000Z\n");
  });

  it("keeps a person's comments: the header and those above a section", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const path = join(dir, "s.state");
    writeFileSync(
      path,
      [
        "; state of the web farm, see ticket 42",
        "",
        "; web2 waits for a new disk",
        "[override 1]",
        "virtual = tcp:10.0.0.1:80",
        "real = 10.0.0.3:80",
        "mode = disabled   ; not drained: it answers wrongly",
        "since = 2026-12-01T10:00:00Z",
        "",
      ].join("\n"),
    );
    const store = new StateFile(path);
    const loaded = await store.load();
    expect(loaded.overrides.get("tcp:10.0.0.1:80/10.0.0.3:80")).toEqual({
      mode: "disabled",
      since: Date.parse("2026-12-01T10:00:00Z"),
    });
    loaded.overrides.set("tcp:10.0.0.1:80/10.0.0.4:80", { mode: "drained", since: 5 });
    await store.save(loaded);
    const text = readFileSync(path, "utf8");
    expect(text).toMatch(
      /^; state of the web farm, see ticket 42\n\n; web2 waits for a new disk\n\[override 1\]\n/,
    );
    expect(text).toContain("[override 2]\nvirtual = tcp:10.0.0.1:80\nreal = 10.0.0.4:80\n");
  });

  it("writes saves in call order, so the last one wins", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const store = new StateFile(join(dir, "s.state"));
    const saves = Array.from({ length: 20 }, (_, i) =>
      store.save(state([[`tcp:10.0.0.1:80/10.0.0.${i}:80`, { mode: "drained", since: i }]])),
    );
    await Promise.all(saves);
    expect([...(await store.load()).overrides.keys()]).toEqual(["tcp:10.0.0.1:80/10.0.0.19:80"]);
    expect(readdirSync(dir)).toEqual(["s.state"]);
  });

  it("reads the JSON file of earlier versions, and writes INI at the next save", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const path = join(dir, "s.state");
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        overrides: {
          "tcp:10.0.0.1:80/10.0.0.2:80": { mode: "drained", since: 5 },
          b: { mode: "weird", since: 1 },
          c: null,
        },
      }),
    );
    const store = new StateFile(path);
    const loaded = await store.load();
    expect(loaded).toEqual(state([["tcp:10.0.0.1:80/10.0.0.2:80", { mode: "drained", since: 5 }]]));
    await store.save(loaded);
    expect(readFileSync(path, "utf8")).toContain(
      "[override 1]\nvirtual = tcp:10.0.0.1:80\nreal = 10.0.0.2:80\n",
    );
    expect(await new StateFile(path).load()).toEqual(loaded);
    writeFileSync(path, "{half");
    await expect(new StateFile(path).load()).rejects.toThrow(SyntaxError);
    expect(readFileSync(path, "utf8")).toBe("{half");
  });

  it("names file:line of every mistake in a hand-edited file", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const path = join(dir, "s.state");
    const errors = await errorsOf(
      [
        "[override 1]", // 1
        "virtual = tcp:10.0.0.1:80",
        "real = 10.0.0.2:80",
        "mode = sleepy", // 4
        "since = yesterday", // 5
        "[window 2]", // 6
        "virtual = tcp:10.0.0.1:80",
        "real = all",
        "mode = drained",
        "cron = 0 3 * *", // 10
        "duration = forever", // 11
        "colour = blue", // 12
        "just words", // 13
        "[oops]", // 14
        "[window 3]", // 15
        "virtual = tcp:10.0.0.1:80",
        "real = all",
        "mode = disabled",
        "cron = 0 3 * * 0",
        "timezone = Mars/Olympus", // 20
        "",
      ].join("\n"),
      path,
    );
    expect(errors).toEqual([
      `${path}:4: [override 1] mode is drained, disabled or weighted, not sleepy`,
      `${path}:5: [override 1] since = yesterday is no time (write 2026-12-02T14:00:00Z)`,
      expect.stringMatching(new RegExp(`^${path}:10: \\[window 2\\] a cron time has five fields`)),
      `${path}:11: [window 2] a duration is like 90m, 2h, 1h30m or 1d, from 1s to 7d, not "forever"`,
      `${path}:12: [window 2] has no key "colour"`,
      `${path}:13: not "key = value": "just words"`,
      `${path}:14: [oops] is neither [override N] nor [window N]`,
      `${path}:15: [window 3] has no duration =`,
      `${path}:20: [window 3] unknown time zone "Mars/Olympus" (an IANA name, e.g. Europe/Berlin)`,
    ]);
  });

  it("lives in /var/lib/ldirector unless LDIRECTOR_STATE_DIR says otherwise", () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    expect(stateDir({})).toBe("/var/lib/ldirector");
    expect(stateDir({ LDIRECTOR_STATE_DIR: "/tmp/x" })).toBe("/tmp/x");
    expect(defaultStateFile("/etc/ha.d/web.cf", "/var/lib/ldirector")).toBe(
      "/var/lib/ldirector/web.cf.state",
    );
  });
});
