import { mkdtemp, rename, rm, unlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type ConfigWatch, watchConfig } from "../../src/daemon/watch.js";

const DEBOUNCE = 150;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("watchConfig", () => {
  let dir: string;
  let file: string;
  let calls: number;
  let watcher: ConfigWatch | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "watch-"));
    file = join(dir, "ldirectord.cf");
    await writeFile(file, "checkinterval=5\n");
    calls = 0;
    watcher = await watchConfig(file, () => calls++, { debounceMs: DEBOUNCE });
  });
  afterEach(async () => {
    await watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Waits until `n` calls were seen, then long enough to see a wrong extra one. */
  async function expectCalls(n: number): Promise<void> {
    for (let i = 0; i < 100 && calls < n; i++) await sleep(50);
    await sleep(DEBOUNCE * 4);
    expect(calls).toBe(n);
  }

  it("sees a write in place", async () => {
    await writeFile(file, "checkinterval=10\n");
    await expectCalls(1);
  });

  it("sees an editor's save: a temp file renamed over the config", async () => {
    const temp = join(dir, ".ldirectord.cf.swp");
    await writeFile(temp, "checkinterval=7\n");
    await rename(temp, file);
    await expectCalls(1);
    // The watch survives the rename: the next save is seen too.
    await writeFile(temp, "checkinterval=8\n");
    await rename(temp, file);
    await expectCalls(2);
  });

  it("sees a delete and recreate", async () => {
    await unlink(file);
    await sleep(DEBOUNCE * 3);
    expect(calls).toBe(0);
    await writeFile(file, "checkinterval=9\n");
    await expectCalls(1);
  });

  it("ignores a touch that leaves the content unchanged", async () => {
    const later = new Date(Date.now() + 60_000);
    await utimes(file, later, later);
    await writeFile(file, "checkinterval=5\n");
    await expectCalls(0);
    // Still watching: a real change afterwards is reported.
    await writeFile(file, "checkinterval=6\n");
    await expectCalls(1);
  });

  it("debounces a burst of five writes into one call", async () => {
    for (let i = 1; i <= 5; i++) {
      await writeFile(file, `checkinterval=${i * 10}\n`);
      await sleep(10);
    }
    await expectCalls(1);
  });

  it("ignores other files in the directory", async () => {
    await writeFile(join(dir, "other.cf"), "x\n");
    await writeFile(join(dir, "ldirectord.cf.bak"), "y\n");
    await expectCalls(0);
  });

  it("stops calling after close", async () => {
    await watcher?.close();
    watcher = undefined;
    await writeFile(file, "checkinterval=11\n");
    await expectCalls(0);
  });
});
