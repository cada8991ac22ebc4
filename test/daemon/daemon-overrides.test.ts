// The Daemon in-process on the memory backend: operator overrides under concurrency and
// across a restart, against the state file on disk. checktype=on keeps the reals up
// without any network; the e2e suite covers the same through the CLI and real checks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateFile } from "../../src/control/state-file.js";
import { Daemon } from "../../src/daemon/daemon.js";
import { MemoryBackend } from "../../src/ipvs/memory.js";
import { startPool, weightsByAddress } from "./support.js";

let dir: string;
const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
  rmSync(dir, { recursive: true, force: true });
});

const V = "tcp:10.0.0.1:80";

const start = (backend = new MemoryBackend()) => startPool(dir, [1, 2, 3], daemons, backend);
const weights = weightsByAddress;

describe("Daemon overrides", () => {
  it("saves every one of several actions made at once", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-daemon-"));
    const { d, backend } = await start();
    await Promise.all([
      d.act("drain", { virtual: V, real: "10.0.0.2" }),
      d.act("disable", { virtual: V, real: "10.0.0.3" }),
      d.act("drain", { virtual: V, real: "10.0.0.4" }),
    ]);
    const saved = Object.fromEntries((await new StateFile(join(dir, "lb.state")).load()).overrides);
    expect(
      Object.fromEntries(Object.entries(saved).map(([id, o]) => [id, (o as { mode: string }).mode])),
    ).toEqual({
      [`${V}/10.0.0.2:80`]: "drained",
      [`${V}/10.0.0.3:80`]: "disabled",
      [`${V}/10.0.0.4:80`]: "drained",
    });
    expect(await weights(backend)).toEqual({ "10.0.0.2": 0, "10.0.0.4": 0 });
    const reals = (await d.status()).virtuals[0]!.reals;
    expect(reals.map((r) => r.override?.mode)).toEqual(["drained", "disabled", "drained"]);
  });

  it("restores overrides before its first table write after a restart", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-daemon-"));
    const first = await start();
    await first.d.act("disable", { virtual: V, real: "10.0.0.3:80" });
    await first.d.stop();
    const backend = new MemoryBackend();
    const applied: string[] = [];
    const apply = backend.apply.bind(backend);
    backend.apply = async (ops) => {
      applied.push(...ops.map((o) => `${o.kind} ${"dest" in o ? o.dest.address : ""}`.trim()));
      return apply(ops);
    };
    const second = await start(backend);
    await second.d.act("recheck", { virtual: V, real: "10.0.0.2" });
    expect(applied.some((a) => a.endsWith("10.0.0.3"))).toBe(false);
    expect(await weights(backend)).toEqual({ "10.0.0.2": 1, "10.0.0.4": 3 });
  });
});
