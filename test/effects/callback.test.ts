import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { callbackArgv } from "../../src/effects/callback.js";
import { runCommand } from "../../src/effects/command.js";

describe("callbackArgv", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "callback-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("runs an executable callback with the config path", async () => {
    const out = join(dir, "seen");
    const cb = join(dir, "on-change");
    await writeFile(cb, `#!/bin/sh\necho "$#:$1" > '${out}'\n`);
    await chmod(cb, 0o755);
    const argv = await callbackArgv(cb, "/etc/ldirector/web.cf");
    expect(argv).toEqual([cb, "/etc/ldirector/web.cf"]);
    const r = await runCommand(argv!, { timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    expect(await readFile(out, "utf8")).toBe("1:/etc/ldirector/web.cf\n");
  });

  it("skips a callback that is missing, a directory, or (for non-root) not executable", async () => {
    expect(await callbackArgv(join(dir, "missing"), "/c")).toBeUndefined();
    const sub = join(dir, "sub");
    await mkdir(sub);
    expect(await callbackArgv(sub, "/c")).toBeUndefined();
    const plain = join(dir, "plain");
    await writeFile(plain, "#!/bin/sh\n");
    await chmod(plain, 0o644);
    // Even root needs an execute bit somewhere for X_OK on a file.
    expect(await callbackArgv(plain, "/c")).toBeUndefined();
  });
});
