// Maintenance windows in a running Daemon on the memory backend: a window that node-cron
// opens, one kept open across a restart until the end its start set, overlapping
// windows closing one after the other on real timers. checktype=on keeps reals up.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateFile } from "../../src/control/state-file.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { MemoryBackend } from "../../src/ipvs/memory.js";
import { startPool, until, weightsByAddress } from "../daemon/support.js";

let dir: string;
const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const V = "tcp:10.0.0.1:80";

const start = (backend = new MemoryBackend()) => startPool(dir, [1, 2], daemons, backend);
const weights = weightsByAddress;

function windowSection(id: number, real: string, mode: string, openedAt: number, duration: string): string {
  return [
    `[window ${id}]`,
    `virtual = ${V}`,
    `real = ${real}`,
    `mode = ${mode}`,
    // 1 January at midnight: it does not open by itself during the test.
    "cron = 0 0 1 1 *",
    `duration = ${duration}`,
    `opened = ${new Date(openedAt).toISOString()}`,
    "",
  ].join("\n");
}

describe("maintenance windows in the daemon", () => {
  it("node-cron opens a window at its cron time; its start is saved; remove ends it", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-windows-"));
    const { d, backend } = await start();
    expect(await weights(backend)).toEqual({ "10.0.0.2": 1, "10.0.0.3": 2 });
    // Six fields: every second, so the test need not wait for a minute.
    const added = await d.act("schedule-add", {
      virtual: "10.0.0.1:80",
      real: "10.0.0.3",
      mode: "drain",
      cron: "TZ=Europe/Berlin * * * * * *",
      duration: "1h",
    });
    expect(added.window).toMatchObject({
      id: 1,
      real: "10.0.0.3:80",
      timezone: "Europe/Berlin",
      open: false,
    });
    expect(added.window!.nextRun! - Date.now()).toBeLessThanOrEqual(1000);
    await until("the window opens", async () => (await weights(backend))["10.0.0.3"] === 0, 5000);
    const w = (await d.status()).windows[0]!;
    expect(w.open).toBe(true);
    expect(w.openUntil! - w.openedAt!).toBe(3_600_000);
    expect((await d.status()).virtuals[0]!.reals[1]!.override).toMatchObject({ mode: "drained" });
    const saved = await new StateFile(join(dir, "lb.state")).load();
    expect(saved.windows[0]!.openedAt).toBeGreaterThan(Date.now() - 5000);

    await d.act("schedule-remove", { id: 1 });
    expect(await weights(backend)).toEqual({ "10.0.0.2": 1, "10.0.0.3": 2 });
    expect((await d.status()).windows).toEqual([]);
    await expect(d.act("schedule-remove", { id: 1 })).rejects.toThrow(/no maintenance window 1/);
  });

  it("a restart in the middle of a window keeps it open until the end set by its start", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-windows-"));
    const openedAt = Date.now() - 20 * 60_000;
    writeFileSync(join(dir, "lb.state"), windowSection(7, "all", "drained", openedAt, "1h"));
    const backend = new MemoryBackend();
    const applied: string[] = [];
    const apply = backend.apply.bind(backend);
    backend.apply = async (ops) => {
      applied.push(...ops.map((o) => `${o.kind} ${"dest" in o ? `${o.dest.address} ${o.dest.weight}` : ""}`));
      return apply(ops);
    };
    const { d } = await start(backend);
    // Never put in at full weight: the first write already has the window.
    expect(applied.filter((a) => / 10\.0\.0\.[23] [12]$/.test(a))).toEqual([]);
    expect(await weights(backend)).toEqual({ "10.0.0.2": 0, "10.0.0.3": 0 });
    expect((await d.status()).windows[0]).toMatchObject({
      id: 7,
      open: true,
      openedAt,
      openUntil: openedAt + 3_600_000,
    });
  });

  it("overlapping windows: disable wins while both are open; its closing leaves the drain", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-windows-"));
    const now = Date.now();
    writeFileSync(
      join(dir, "lb.state"),
      [
        windowSection(1, "all", "drained", now - 60_000, "1h"),
        windowSection(2, "10.0.0.2:80", "disabled", now, "3s"),
      ].join("\n"),
    );
    const { d, backend } = await start();
    expect(await weights(backend)).toEqual({ "10.0.0.3": 0 });
    await until("the disable closes", async () => (await weights(backend))["10.0.0.2"] !== undefined, 10_000);
    expect(await weights(backend)).toEqual({ "10.0.0.2": 0, "10.0.0.3": 0 });
    const windows = (await d.status()).windows;
    expect(windows.map((w) => [w.id, w.open])).toEqual([
      [1, true],
      [2, false],
    ]);
    // The operator's enable clears only the operator's own override: the window still drains.
    await d.act("enable", { virtual: V, real: "10.0.0.2" });
    expect(await weights(backend)).toEqual({ "10.0.0.2": 0, "10.0.0.3": 0 });
  });
});
