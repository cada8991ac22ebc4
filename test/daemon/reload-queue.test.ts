// Defect 2 of issue 14: reloads are serialized and level-triggered. A request during a
// reload schedules one more full reload that reads the file afresh; autoreload retries
// until the file on disk is the one applied; a FIFO in place of the config is refused
// instead of blocking reloads (and stop) forever.
import { chmodSync, renameSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { liveTable, Scratch, until, weights } from "./support.js";

let s: Scratch;
afterEach(() => s?.cleanup());

function lines(weight: number, extra: string[] = []): string[] {
  return [...extra, "virtual=10.0.0.1:80", `    real=10.0.0.2:80 masq ${weight}`, "    checktype=on"];
}

/** callback= that takes a while, so the second save lands while the first reload is still running. */
function slowCallback(dir: string, ms: number): string {
  const path = join(dir, "slow-callback");
  execFileSync("sh", ["-c", `printf '#!/bin/sh\\nsleep ${ms / 1000}\\n' > ${path}`]);
  chmodSync(path, 0o755);
  return `callback="${path}"`;
}

describe("reloads are serialized and level-triggered", () => {
  it("a reload asked for while one runs reads the file afresh after it", async () => {
    s = new Scratch();
    const cb = slowCallback(s.dir, 1500);
    s.write(lines(1, [cb]));
    const backend = liveTable();
    const d = s.daemon(backend);
    await d.start();
    s.write(lines(5, [cb]));
    const first = d.reload("first");
    // The first has read the file (its weight is in the table) and runs its callback.
    await until("weight 5 applied", async () => (await weights(backend))["10.0.0.2:80"] === 5);
    s.write(lines(7, [cb]));
    const second = d.reload("second");
    expect(await first).toEqual({ ok: true });
    expect(await second).toEqual({ ok: true });
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 7 });
  });

  it("many requests during a reload cause exactly one more", async () => {
    s = new Scratch();
    const cb = slowCallback(s.dir, 1000);
    s.write(lines(1, [cb]));
    const d = s.daemon(liveTable());
    await d.start();
    const first = d.reload("first");
    const more = [d.reload("a"), d.reload("b"), d.reload("c")];
    await Promise.all([first, ...more]);
    expect((await d.status()).counters.reloads).toBe(2);
  });

  it("autoreload applies the last save even when it came during a slow reload", async () => {
    s = new Scratch();
    const cb = slowCallback(s.dir, 1500);
    s.write(lines(1, [cb, "autoreload=yes"]));
    const backend = liveTable();
    const d = s.daemon(backend);
    await d.start();
    s.write(lines(5, [cb, "autoreload=yes"]));
    await until("weight 5 applied", async () => (await weights(backend))["10.0.0.2:80"] === 5);
    s.write(lines(7, [cb, "autoreload=yes"]));
    await until("weight 7 applied", async () => (await weights(backend))["10.0.0.2:80"] === 7);
  });

  it("autoreload retries a file it could not apply once the file is saved again", async () => {
    s = new Scratch();
    s.write(lines(1, ["autoreload=yes"]));
    const backend = liveTable();
    const d = s.daemon(backend);
    await d.start();
    const busy = await s.hold();
    // Parses, but its listener cannot bind: not applied, so not remembered as seen.
    s.write(lines(5, ["autoreload=yes", `metricsaddress=127.0.0.1:${busy}`]));
    await until("the reload error", async () => (await d.status()).counters.reloadErrors === 1);
    // The same content saved again (a rename, as an editor does) is tried again.
    s.write(lines(5, ["autoreload=yes", `metricsaddress=127.0.0.1:${busy}`]));
    await until("tried again", async () => (await d.status()).counters.reloadErrors === 2);
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 1 });
  });

  it("a FIFO in place of the config is refused, and reload and stop still work", async () => {
    s = new Scratch();
    s.write(lines(1));
    const backend = liveTable();
    const d = s.daemon(backend);
    await d.start();
    const good = join(s.dir, "good.cf");
    renameSync(s.config, good);
    execFileSync("mkfifo", [s.config]);
    const outcome = await d.reload("test");
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.errors.join("\n")).toMatch(/not a regular file/);
    rmSync(s.config);
    s.write(lines(3));
    expect(await d.reload("test")).toEqual({ ok: true });
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 3 });
    await d.stop();
    expect(d.state).toBe("stopped");
  });
});
