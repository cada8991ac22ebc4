import { afterEach, describe, expect, it } from "vitest";
import type { Config, VirtualService } from "../../src/config/types.js";
import {
  type AppliedEvent,
  Director,
  type DirectorOptions,
  type FallbackEvent,
} from "../../src/director/director.js";
import { realId } from "../../src/director/ids.js";
import { serviceSpecOf } from "../../src/director/plan.js";
import { type Applied, type Backend, BackendError } from "../../src/ipvs/backend.js";
import { MemoryBackend } from "../../src/ipvs/memory.js";
import { type Dest, type Service, serviceKey, type Table } from "../../src/ipvs/model.js";
import type { Op } from "../../src/ipvs/ops.js";
import { config, fallback, real, virtual } from "./build.js";

/** Timers under the test's control: time moves only when the test says so. */
class FakeTimers {
  now = 0;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  set = (fn: () => void, ms: number): number => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  };

  clear = (h: unknown): void => {
    this.timers.delete(h as number);
  };

  get pending(): number {
    return this.timers.size;
  }

  /** Fires every timer due within ms, in order, letting the passes they start finish. */
  async advance(ms: number, director?: Director): Promise<void> {
    const until = this.now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= until && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = next[1].at;
      next[1].fn();
      await director?.idle();
    }
    this.now = until;
  }
}

/** A backend in front of a MemoryBackend that counts calls and can be told to misbehave. */
class CountingBackend implements Backend {
  readonly name = "counting";
  reads = 0;
  batches: Op[][] = [];
  /** Refuse (report as failed, do not apply) the next N batches. */
  refuseNext = 0;
  /** Throw a BackendError from the next N apply calls. */
  throwNext = 0;
  /** When set, apply waits for it before doing anything. */
  gate: Promise<void> | undefined;

  constructor(readonly inner: MemoryBackend) {}

  async read(): Promise<Table> {
    this.reads++;
    return this.inner.read();
  }

  async apply(ops: Op[]): Promise<Applied> {
    this.batches.push(ops);
    if (this.gate) await this.gate;
    if (this.throwNext > 0) {
      this.throwNext--;
      throw new BackendError("ipvsadm: Protocol not available");
    }
    if (this.refuseNext > 0) {
      this.refuseNext--;
      return {
        table: await this.inner.read(),
        failed: ops.map((op) => ({ op, error: "Memory allocation problem" })),
        execs: 1,
      };
    }
    return { ...(await this.inner.apply(ops)), execs: 1 };
  }

  get opsWritten(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }
}

const web = (more: Partial<VirtualService> = {}) =>
  virtual("tcp", "10.0.0.1", 80, {
    reals: [
      real("10.0.0.2", 80, "masq", 2),
      real("10.0.0.3", 80, "masq", 1),
      real("10.0.0.4", 80, "masq", 1),
    ],
    fallback: fallback("127.0.0.1", 80, "gate"),
    ...more,
  });

function dest(address: string, port: number, weight: number, forward: Dest["forward"] = "masq"): Dest {
  return { address, port, forward, weight, upperThreshold: 0, lowerThreshold: 0 };
}

function service(v: VirtualService, ...dests: Dest[]): Service {
  return { ...serviceSpecOf(v), dests };
}

function find(t: Table, v: VirtualService): Service | undefined {
  const key = serviceKey(serviceSpecOf(v));
  return t.services.find((s) => serviceKey(s) === key);
}

/** The table a healthy `web()` pool has, as ldirector (or ldirectord) would have left it. */
function healthyTable(v: VirtualService): Table {
  return {
    services: [service(v, dest("10.0.0.2", 80, 2), dest("10.0.0.3", 80, 1), dest("10.0.0.4", 80, 1))],
  };
}

const foreign: Service = {
  protocol: "tcp",
  family: "inet",
  address: "192.168.9.9",
  port: 22,
  scheduler: "rr",
  schedFlags: [],
  ops: false,
  dests: [dest("192.168.9.10", 22, 1)],
};

interface Rig {
  director: Director;
  backend: CountingBackend;
  memory: MemoryBackend;
  timers: FakeTimers;
  applied: AppliedEvent[];
  fallbacks: FallbackEvent[];
  errors: Error[];
}

const live: Director[] = [];
let rigTimers: FakeTimers[] = [];

afterEach(async () => {
  for (const d of live.splice(0)) await d.stop();
  for (const t of rigTimers) expect(t.pending).toBe(0);
  rigTimers = [];
});

function rig(cfg: Config, initial: Table = { services: [] }, opts: Partial<DirectorOptions> = {}): Rig {
  const memory = new MemoryBackend(initial);
  const backend = new CountingBackend(memory);
  return attach(cfg, backend, opts);
}

function attach(cfg: Config, backend: CountingBackend, opts: Partial<DirectorOptions> = {}): Rig {
  const timers = new FakeTimers();
  rigTimers.push(timers);
  const director = new Director({
    backend,
    config: cfg,
    setTimer: timers.set,
    clearTimer: timers.clear,
    now: () => timers.now,
    ...opts,
  });
  live.push(director);
  const r: Rig = { director, backend, memory: backend.inner, timers, applied: [], fallbacks: [], errors: [] };
  director.on("applied", (e) => r.applied.push(e));
  director.on("fallback", (e) => r.fallbacks.push(e));
  director.on("error", (e) => r.errors.push(e));
  return r;
}

function allUp(d: Director, v: VirtualService): void {
  for (const r of v.reals) d.setHealth(realId(v, r), "up");
}

describe("Director: start-up adoption", () => {
  it("a restart over a healthy pool writes nothing and emits no fallback event", async () => {
    const v = web();
    const { director, backend, fallbacks, timers } = rig(config([v]), healthyTable(v));
    await director.start();
    expect(backend.reads).toBe(1);
    expect(backend.batches).toEqual([]);
    // The first checks confirm the pool: a pass runs and still has nothing to write.
    allUp(director, v);
    await timers.advance(5, director);
    expect(director.status().counters.passes).toBe(2);
    expect(backend.batches).toEqual([]);
    expect(fallbacks).toEqual([]);
    const st = director.status();
    expect(st.virtuals[0]?.reals.map((r) => r.tableWeight)).toEqual([2, 1, 1]);
    expect(st.virtuals[0]?.fallbackActive).toBe(false);
  });

  it("a second director over the table the first one built applies zero ops", async () => {
    const v = web();
    const first = rig(config([v]));
    await first.director.start();
    allUp(first.director, v);
    await first.timers.advance(5, first.director);
    expect(find(await first.memory.read(), v)?.dests).toHaveLength(3);
    await first.director.stop();

    const second = attach(config([v]), new CountingBackend(first.memory));
    await second.director.start();
    allUp(second.director, v);
    await second.timers.advance(5, second.director);
    expect(second.backend.opsWritten).toBe(0);
    expect(second.fallbacks).toEqual([]);
  });

  it("on an empty table adds only the service until checks report, and no fallback", async () => {
    const v = web();
    const { director, memory, fallbacks } = rig(config([v]));
    await director.start();
    expect(find(await memory.read(), v)?.dests).toEqual([]);
    expect(fallbacks).toEqual([]);
  });
});

describe("Director: batching and single flight", () => {
  it("transitions within the debounce window go in one batch", async () => {
    const v = web();
    const { director, backend, timers, memory } = rig(config([v]), undefined, { debounceMs: 5 });
    await director.start();
    const before = backend.batches.length;
    director.setHealth(realId(v, v.reals[0]!), "up");
    await timers.advance(2, director);
    director.setHealth(realId(v, v.reals[1]!), "up");
    await timers.advance(2, director);
    director.setHealth(realId(v, v.reals[2]!), "up");
    expect(backend.batches.length).toBe(before);
    await timers.advance(5, director);
    expect(backend.batches.length).toBe(before + 1);
    expect(backend.batches.at(-1)?.map((o) => o.kind)).toEqual(["add-dest", "add-dest", "add-dest"]);
    expect(find(await memory.read(), v)?.dests).toHaveLength(3);
  });

  it("a wake-up during a pass gives exactly one more pass after it, never two at once", async () => {
    const v = web();
    const { director, backend, timers } = rig(config([v]));
    await director.start();
    const passes = director.status().counters.passes;
    let release!: () => void;
    backend.gate = new Promise((r) => {
      release = r;
    });
    director.setHealth(realId(v, v.reals[0]!), "up");
    await timers.advance(5); // the pass starts and blocks in apply
    expect(backend.batches.length).toBe(2);
    director.setHealth(realId(v, v.reals[1]!), "up");
    await timers.advance(5);
    director.setHealth(realId(v, v.reals[2]!), "up");
    await timers.advance(5);
    expect(backend.batches.length).toBe(2); // still the one blocked pass
    backend.gate = undefined;
    release();
    await director.idle();
    expect(director.status().counters.passes).toBe(passes + 2);
    expect(backend.batches.at(-1)?.map((o) => o.kind)).toEqual(["add-dest", "add-dest"]);
  });

  it("an unchanged health report does not wake it", async () => {
    const v = web();
    const { director, timers } = rig(config([v]));
    await director.start();
    allUp(director, v);
    await timers.advance(5, director);
    const passes = director.status().counters.passes;
    allUp(director, v);
    await timers.advance(50, director);
    expect(director.status().counters.passes).toBe(passes);
  });
});

describe("Director: drift and retries", () => {
  it("restores a dest deleted behind its back at the next resync", async () => {
    const v = web();
    const { director, backend, memory, timers } = rig(config([v]), healthyTable(v), { resyncMs: 10_000 });
    await director.start();
    allUp(director, v);
    await timers.advance(5, director);
    await memory.apply([{ kind: "delete-dest", service: serviceSpecOf(v), dest: dest("10.0.0.3", 80, 1) }]);
    expect(find(await memory.read(), v)?.dests).toHaveLength(2);
    const reads = backend.reads;
    expect(director.status().counters.resyncRepairs).toBe(0);
    await timers.advance(10_000, director);
    expect(backend.reads).toBe(reads + 1);
    expect(backend.batches.at(-1)?.map((o) => o.kind)).toEqual(["add-dest"]);
    expect(director.status().counters.resyncRepairs).toBe(1);
    // A resync that finds the table as written counts nothing.
    await timers.advance(10_000, director);
    expect(director.status().counters.resyncRepairs).toBe(1);
    expect(
      find(await memory.read(), v)
        ?.dests.map((d) => d.address)
        .sort(),
    ).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.4"]);
  });

  it("retries refused ops with a doubling backoff until they apply", async () => {
    const v = web();
    const { director, backend, memory, timers, applied } = rig(config([v]), healthyTable(v), {
      retryMinMs: 1000,
      retryMaxMs: 30_000,
    });
    await director.start();
    backend.refuseNext = 2;
    director.setHealth(realId(v, v.reals[0]!), "down");
    await timers.advance(5, director);
    expect(applied.at(-1)?.failed).toHaveLength(1);
    expect(director.status().counters.opsFailed).toBe(1);
    expect(director.status().counters.lastError).toContain("Memory allocation problem");
    await timers.advance(999, director);
    expect(backend.batches).toHaveLength(1);
    await timers.advance(1, director); // first retry after 1 s: refused again
    expect(backend.batches).toHaveLength(2);
    await timers.advance(1999, director);
    expect(backend.batches).toHaveLength(2);
    await timers.advance(1, director); // second retry after 2 s: applies
    expect(backend.batches).toHaveLength(3);
    expect(director.status().counters).toMatchObject({ batches: 3, batchesFailed: 2 });
    expect(find(await memory.read(), v)?.dests.map((d) => d.address)).toEqual(["10.0.0.3", "10.0.0.4"]);
    await timers.advance(60_000, director);
    expect(backend.batches).toHaveLength(3);
  });

  it("keeps running after the backend throws, emits error, and re-reads before the retry", async () => {
    const v = web();
    const { director, backend, memory, timers, errors } = rig(config([v]), healthyTable(v));
    await director.start();
    backend.throwNext = 1;
    director.setHealth(realId(v, v.reals[2]!), "down");
    await timers.advance(5, director);
    expect(errors.map((e) => e.name)).toEqual(["BackendError"]);
    expect(director.status().counters.lastError).toBe("ipvsadm: Protocol not available");
    expect(director.status().counters.batchesFailed).toBe(1);
    const reads = backend.reads;
    await timers.advance(1000, director);
    expect(backend.reads).toBe(reads + 1);
    expect(find(await memory.read(), v)?.dests.map((d) => d.address)).toEqual(["10.0.0.2", "10.0.0.3"]);
  });

  it("does not crash without an error listener", async () => {
    const v = web();
    const memory = new MemoryBackend(healthyTable(v));
    const backend = new CountingBackend(memory);
    const timers = new FakeTimers();
    rigTimers.push(timers);
    const director = new Director({
      backend,
      config: config([v]),
      setTimer: timers.set,
      clearTimer: timers.clear,
    });
    live.push(director);
    await director.start();
    backend.throwNext = 1;
    director.setHealth(realId(v, v.reals[2]!), "down");
    await timers.advance(5, director);
    expect(director.status().counters.lastError).toBe("ipvsadm: Protocol not available");
    expect(director.status().counters.batchesFailed).toBe(1);
  });

  it("rejects start when the first read fails", async () => {
    const v = web();
    const backend: Backend = {
      name: "broken",
      read: async () => {
        throw new BackendError("no IPVS in this kernel");
      },
      apply: async () => {
        throw new BackendError("no IPVS in this kernel");
      },
    };
    const director = new Director({ backend, config: config([v]) });
    await expect(director.start()).rejects.toThrow("no IPVS in this kernel");
    await director.stop({ clean: true });
  });
});

describe("Director: reload and ownership", () => {
  it("a reload that drops a virtual deletes its service and never touches a foreign one", async () => {
    const a = web();
    const b = virtual("udp", "10.0.0.1", 53, { reals: [real("10.0.0.5", 53, "masq")] });
    const { director, memory, timers } = rig(config([a, b]), {
      services: [...healthyTable(a).services, foreign],
    });
    await director.start();
    director.setHealth(realId(b, b.reals[0]!), "up");
    await timers.advance(5, director);
    expect(find(await memory.read(), b)?.dests).toHaveLength(1);

    director.setConfig(config([a]));
    await timers.advance(5, director);
    const t = await memory.read();
    expect(find(t, b)).toBeUndefined();
    expect(find(t, a)?.dests).toHaveLength(3);
    expect(t.services.find((s) => s.address === "192.168.9.9")).toEqual(foreign);
  });

  it("once a dropped service is gone, one made again by hand at that address is left alone", async () => {
    const a = web();
    const b = virtual("udp", "10.0.0.1", 53);
    const { director, memory, timers } = rig(config([a, b]), healthyTable(a), { resyncMs: 1000 });
    await director.start();
    director.setConfig(config([a]));
    await timers.advance(5, director);
    expect(find(await memory.read(), b)).toBeUndefined();
    await memory.apply([{ kind: "add-service", service: serviceSpecOf(b) }]);
    await timers.advance(1000, director);
    expect(find(await memory.read(), b)).toBeDefined();
  });

  it("a reload that adds a virtual adds its service; one that changes a weight edits in place", async () => {
    const a = web();
    const { director, memory, timers, backend } = rig(config([a]), healthyTable(a));
    await director.start();
    allUp(director, a);
    const b = virtual("tcp", "10.0.0.1", 443, { reals: [real("10.0.0.2", 443, "masq")] });
    const a2 = web({ reals: [real("10.0.0.2", 80, "masq", 5), ...a.reals.slice(1)] });
    director.setConfig(config([a2, b]));
    await timers.advance(5, director);
    expect(
      backend.batches
        .at(-1)
        ?.map((o) => o.kind)
        .sort(),
    ).toEqual(["add-service", "edit-dest"]);
    const t = await memory.read();
    expect(find(t, b)?.dests).toEqual([]);
    expect(find(t, a)?.dests.find((d) => d.address === "10.0.0.2")?.weight).toBe(5);
  });
});

describe("Director: fallback events", () => {
  it("reports the fallback going in when every real is down and out on recovery", async () => {
    const v = web();
    const { director, timers, fallbacks, memory } = rig(config([v]), healthyTable(v));
    await director.start();
    allUp(director, v);
    await timers.advance(5, director);
    expect(fallbacks).toEqual([]);
    for (const r of v.reals) director.setHealth(realId(v, r), "down");
    await timers.advance(5, director);
    expect(fallbacks).toEqual([{ virtualId: v.id, active: true }]);
    expect(find(await memory.read(), v)?.dests).toEqual([dest("127.0.0.1", 80, 1, "route")]);
    expect(director.status().virtuals[0]?.fallbackActive).toBe(true);
    director.setHealth(realId(v, v.reals[1]!), "up");
    await timers.advance(5, director);
    expect(fallbacks).toEqual([
      { virtualId: v.id, active: true },
      { virtualId: v.id, active: false },
    ]);
  });

  it("recovery adds the real before it deletes the fallback, and fallback-in adds before it deletes (issue 12)", async () => {
    // ipvsadm -R runs line by line: with the delete first, the service had no dest for a
    // moment, and a request arriving then failed on a real kernel.
    const v = web();
    const { director, timers, backend } = rig(config([v]), healthyTable(v));
    await director.start();
    allUp(director, v);
    await timers.advance(5, director);
    for (const r of v.reals) director.setHealth(realId(v, r), "down");
    await timers.advance(5, director);
    const fallbackIn = backend.batches
      .at(-1)!
      .map((op) => `${op.kind} ${"dest" in op ? op.dest.address : ""}`);
    expect(fallbackIn.indexOf("add-dest 127.0.0.1")).toBe(0);
    expect(fallbackIn.slice(1).sort()).toEqual([
      "delete-dest 10.0.0.2",
      "delete-dest 10.0.0.3",
      "delete-dest 10.0.0.4",
    ]);
    director.setHealth(realId(v, v.reals[1]!), "up");
    await timers.advance(5, director);
    const last = () =>
      backend.batches
        .at(-1)!
        .map((op) => `${op.kind} ${"dest" in op ? `${op.dest.address} ${op.dest.weight}` : ""}`);
    // The fallback leaves at weight 0 first: a dest deleted has its connections' packets
    // dropped by the kernel, so a sorry page being sent would hang.
    expect(last()).toEqual(["add-dest 10.0.0.3 1", "edit-dest 127.0.0.1 0"]);
    const batches = backend.batches.length;
    await timers.advance(4900, director);
    expect(backend.batches.length).toBe(batches);
    await timers.advance(200, director);
    expect(last()).toEqual(["delete-dest 127.0.0.1 0"]);
  });

  it("a leaving fallback wanted again goes back to its weight and is not deleted", async () => {
    const v = web();
    const { director, timers, memory } = rig(config([v]), healthyTable(v));
    await director.start();
    allUp(director, v);
    await timers.advance(5, director);
    for (const r of v.reals) director.setHealth(realId(v, r), "down");
    await timers.advance(5, director);
    director.setHealth(realId(v, v.reals[1]!), "up");
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests.find((d) => d.address === "127.0.0.1")?.weight).toBe(0);
    director.setHealth(realId(v, v.reals[1]!), "down");
    await timers.advance(10_000, director);
    expect(find(await memory.read(), v)?.dests.map((d) => `${d.address} ${d.weight}`)).toEqual([
      "127.0.0.1 1",
    ]);
  });

  it("adopts a fallback already in the table without an event, and keeps it until the reals are known", async () => {
    const v = web();
    const table = { services: [service(v, dest("127.0.0.1", 80, 1, "route"))] };
    const { director, timers, fallbacks, memory, backend } = rig(config([v]), table);
    await director.start();
    expect(backend.batches).toEqual([]);
    director.setHealth(realId(v, v.reals[0]!), "down");
    director.setHealth(realId(v, v.reals[1]!), "down");
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests).toEqual([dest("127.0.0.1", 80, 1, "route")]);
    director.setHealth(realId(v, v.reals[2]!), "up");
    await timers.advance(5, director);
    expect(fallbacks).toEqual([{ virtualId: v.id, active: false }]);
  });
});

describe("Director: overrides and maintenance", () => {
  it("drains and restores a real through an override", async () => {
    const v = web();
    const { director, timers, memory } = rig(config([v]), healthyTable(v));
    await director.start();
    allUp(director, v);
    const id = realId(v, v.reals[0]!);
    director.setOverride(id, { mode: "drained", since: 0 });
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests.find((d) => d.address === "10.0.0.2")?.weight).toBe(0);
    expect(director.status().virtuals[0]?.reals[0]?.override).toEqual({ mode: "drained", since: 0 });
    director.setOverride(id, undefined);
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests.find((d) => d.address === "10.0.0.2")?.weight).toBe(2);
  });

  it("takes a real in maintenance out and brings it back", async () => {
    const v = web();
    const { director, timers, memory } = rig(config([v]), healthyTable(v));
    await director.start();
    allUp(director, v);
    const id = realId(v, v.reals[1]!);
    director.setMaintenance(new Set([id]));
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests.map((d) => d.address)).toEqual(["10.0.0.2", "10.0.0.4"]);
    expect(director.status().virtuals[0]?.reals[1]).toMatchObject({
      maintenance: true,
      tableWeight: undefined,
    });
    director.setMaintenance(new Set());
    await timers.advance(5, director);
    expect(find(await memory.read(), v)?.dests).toHaveLength(3);
  });
});

describe("Director: stop", () => {
  it("clean stop deletes cleanstop=yes services in one batch and leaves the rest exactly as they are", async () => {
    const yes = web({ cleanStop: true });
    const no = virtual("tcp", "10.0.0.1", 443, { cleanStop: false, reals: [real("10.0.0.2", 443, "masq")] });
    const noService = service(no, dest("10.0.0.2", 443, 1));
    const { director, backend, memory, timers } = rig(config([yes, no]), {
      services: [...healthyTable(yes).services, noService, foreign],
    });
    await director.start();
    expect(backend.batches).toEqual([]);
    await director.stop({ clean: true });
    expect(backend.batches).toHaveLength(1);
    expect(backend.batches[0]?.map((o) => o.kind)).toEqual(["delete-service"]);
    const t = await memory.read();
    expect(find(t, yes)).toBeUndefined();
    expect(find(t, no)).toEqual(noService);
    expect(t.services.find((s) => s.address === "192.168.9.9")).toEqual(foreign);
    expect(timers.pending).toBe(0);
  });

  it("unclean stop leaves the table alone and clears every timer", async () => {
    const v = web();
    const { director, backend, memory, timers } = rig(config([v]), healthyTable(v), { resyncMs: 5000 });
    await director.start();
    director.setHealth(realId(v, v.reals[0]!), "down");
    expect(timers.pending).toBe(2); // resync and debounce
    await director.stop();
    expect(timers.pending).toBe(0);
    expect(backend.batches).toEqual([]);
    expect(await memory.read()).toEqual(await new MemoryBackend(healthyTable(v)).read());
    director.setHealth(realId(v, v.reals[1]!), "down");
    expect(timers.pending).toBe(0);
  });

  it("waits for a pass in flight before cleaning", async () => {
    const v = web();
    const { director, backend, memory, timers } = rig(config([v]));
    await director.start();
    let release!: () => void;
    backend.gate = new Promise((r) => {
      release = r;
    });
    allUp(director, v);
    await timers.advance(5);
    const stopping = director.stop({ clean: true });
    backend.gate = undefined;
    release();
    await stopping;
    expect(backend.batches.map((b) => b[0]?.kind)).toEqual(["add-service", "add-dest", "delete-service"]);
    expect(find(await memory.read(), v)).toBeUndefined();
  });
});

describe("Director: status", () => {
  it("reports every virtual and real with health, weights and counters", async () => {
    const v = web();
    const { director, timers } = rig(config([v]), undefined, { now: () => 1234 });
    await director.start();
    director.setHealth(realId(v, v.reals[0]!), "up");
    director.setHealth(realId(v, v.reals[1]!), "down");
    await timers.advance(5, director);
    const st = director.status();
    expect(st.virtuals).toEqual([
      {
        id: "tcp:10.0.0.1:80",
        serviceKey: "tcp:10.0.0.1:80",
        fallbackActive: false,
        reals: [
          {
            id: "tcp:10.0.0.1:80/10.0.0.2:80",
            address: "10.0.0.2:80",
            health: "up",
            configuredWeight: 2,
            tableWeight: 2,
            override: undefined,
            maintenance: false,
          },
          {
            id: "tcp:10.0.0.1:80/10.0.0.3:80",
            address: "10.0.0.3:80",
            health: "down",
            configuredWeight: 1,
            tableWeight: undefined,
            override: undefined,
            maintenance: false,
          },
          {
            id: "tcp:10.0.0.1:80/10.0.0.4:80",
            address: "10.0.0.4:80",
            health: "unknown",
            configuredWeight: 1,
            tableWeight: undefined,
            override: undefined,
            maintenance: false,
          },
        ],
      },
    ]);
    expect(st.counters).toEqual({
      passes: 2,
      batches: 2,
      opsApplied: 2,
      opsFailed: 0,
      batchesFailed: 0,
      resyncRepairs: 0,
      lastPassAt: 1234,
      lastError: undefined,
    });
  });
});
