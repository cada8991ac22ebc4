// The state file on a real file system: round trip, atomic replace, bad files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultStateFile, StateFile as OverrideStore, stateDir } from "../../src/control/state-file.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("OverrideStore", () => {
  it("saves and loads overrides, creating the directory, mode 0600", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const store = new OverrideStore(join(dir, "sub", "lb.cf.state"));
    expect(await store.load()).toEqual(new Map());
    const overrides = new Map([
      ["tcp:10.0.0.1:80/10.0.0.2:80", { mode: "drained" as const, since: 1 }],
      ["tcp:10.0.0.1:80/10.0.0.3:80", { mode: "disabled" as const, since: 2 }],
    ]);
    await store.save(overrides);
    expect(await new OverrideStore(store.path).load()).toEqual(overrides);
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dir, "sub"))).toEqual(["lb.cf.state"]);
  });

  it("writes saves in call order, so the last one wins", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const store = new OverrideStore(join(dir, "s.state"));
    const saves = Array.from({ length: 20 }, (_, i) =>
      store.save(new Map([[`r${i}`, { mode: "drained" as const, since: i }]])),
    );
    await Promise.all(saves);
    expect([...(await store.load()).keys()]).toEqual(["r19"]);
  });

  it("ignores entries it does not understand and throws on a file that is not JSON", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-state-"));
    const path = join(dir, "s.state");
    writeFileSync(
      path,
      JSON.stringify({
        version: 1,
        overrides: { a: { mode: "drained", since: 5 }, b: { mode: "weird", since: 1 }, c: null },
      }),
    );
    expect(await new OverrideStore(path).load()).toEqual(new Map([["a", { mode: "drained", since: 5 }]]));
    writeFileSync(path, "{half");
    await expect(new OverrideStore(path).load()).rejects.toThrow(SyntaxError);
    expect(readFileSync(path, "utf8")).toBe("{half");
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
