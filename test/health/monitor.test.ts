import { afterEach, describe, expect, it } from "vitest";
import type { RunOptions } from "../../src/checks/run.js";
import type { CheckResult, CheckTarget } from "../../src/checks/types.js";
import type { CheckSpec } from "../../src/config/types.js";
import {
  Monitor,
  type MonitorOptions,
  type ProbeSpec,
  type ResultEvent,
  type TransitionEvent,
} from "../../src/health/monitor.js";
import { failResult, makeSpec, makeTarget, okResult } from "./fixtures.js";

const monitors: Monitor[] = [];
afterEach(async () => {
  await Promise.all(monitors.splice(0).map((m) => m.stop()));
});

function monitor(opts: MonitorOptions): Monitor {
  const m = new Monitor(opts);
  monitors.push(m);
  return m;
}

function probe(id: string, over: Partial<ProbeSpec> = {}, spec: Partial<CheckSpec> = {}): ProbeSpec {
  return {
    id,
    target: makeTarget({ address: `127.0.0.${1 + (id.length % 200)}` }),
    spec: makeSpec(spec),
    intervalMs: 20,
    failureCount: 1,
    ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface Call {
  target: CheckTarget;
  spec: CheckSpec;
  opts: RunOptions;
}

/** A run function that records calls, tracks how many are in flight, and answers with `answer`. */
function recorder(answer: (call: Call, n: number) => Promise<CheckResult> | CheckResult = () => okResult()) {
  const calls: Call[] = [];
  const perId = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  let maxPerTarget = 0;
  const run = async (target: CheckTarget, spec: CheckSpec, opts: RunOptions): Promise<CheckResult> => {
    const call = { target, spec, opts };
    calls.push(call);
    const key = `${target.address}:${target.port}`;
    perId.set(key, (perId.get(key) ?? 0) + 1);
    maxPerTarget = Math.max(maxPerTarget, perId.get(key)!);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await answer(call, calls.length);
    } finally {
      inFlight--;
      perId.set(key, perId.get(key)! - 1);
    }
  };
  return {
    run,
    calls,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    maxPerTarget: () => maxPerTarget,
  };
}

/** setTimer/clearTimer that know which timers are still pending and every delay asked for. */
function countingTimers() {
  const live = new Set<NodeJS.Timeout>();
  const delays: number[] = [];
  let cleared = 0;
  return {
    live,
    delays,
    cleared: () => cleared,
    setTimer: (fn: () => void, ms: number) => {
      delays.push(ms);
      const handle = setTimeout(() => {
        live.delete(handle);
        fn();
      }, ms);
      live.add(handle);
      return handle;
    },
    clearTimer: (handle: unknown) => {
      cleared++;
      live.delete(handle as NodeJS.Timeout);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

function events(m: Monitor) {
  const results: ResultEvent[] = [];
  const transitions: TransitionEvent[] = [];
  m.on("result", (e) => results.push(e));
  m.on("transition", (e) => transitions.push(e));
  return { results, transitions };
}

/** A check that hangs until it is aborted, as runCheck's checkers must stop on abort. */
function hang(call: Call): Promise<CheckResult> {
  return new Promise((resolve) => {
    call.opts.signal?.addEventListener("abort", () => resolve(failResult("aborted")));
  });
}

/** A promise with its resolve, to hold a check open until the test says so. */
function gate<T>() {
  let open: (v: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    open = r;
  });
  return { promise, open };
}

describe("start-up", () => {
  it("starts every new probe at once, without waiting for any timer", () => {
    const rec = recorder(hang);
    const m = monitor({ run: rec.run });
    m.sync(Array.from({ length: 50 }, (_, i) => probe(`p${i}`, { intervalMs: 60_000 })));
    expect(rec.calls).toHaveLength(50);
  });

  it("reports health from the first round and a transition from unknown", async () => {
    const rec = recorder((call) => (call.target.port === 81 ? failResult("refused") : okResult("fine")));
    const m = monitor({ run: rec.run });
    const ev = events(m);
    m.sync([
      probe("a", { target: makeTarget({ port: 80 }) }),
      probe("b", { target: makeTarget({ port: 81 }) }),
    ]);
    expect(m.health("a")).toBe("unknown");
    await waitFor(() => ev.transitions.length === 2, "two transitions");
    expect(m.health("a")).toBe("up");
    expect(m.health("b")).toBe("down");
    expect(ev.transitions.map((t) => [t.id, t.from, t.to, t.result.reason]).sort()).toEqual([
      ["a", "unknown", "up", "fine"],
      ["b", "unknown", "down", "refused"],
    ]);
    expect(m.health("nope")).toBeUndefined();
  });

  it("passes the kind of check and an abort signal to run", () => {
    const rec = recorder();
    const m = monitor({ run: rec.run });
    m.sync([
      probe("c", {}, { type: "connect" }),
      probe("n", {}, { type: "negotiate" }),
      probe("pi", {}, { type: "ping" }),
      probe("e", {}, { type: "external" }),
      probe("x", {}, { type: "combined", connectCount: 2 }),
    ]);
    expect(rec.calls.map((c) => c.opts.kind)).toEqual([
      "connect",
      "negotiate",
      "ping",
      "external",
      "negotiate",
    ]);
    for (const c of rec.calls) expect(c.opts.signal).toBeInstanceOf(AbortSignal);
  });
});

describe("scheduling", () => {
  it("is single-flight: a check slower than the interval never overlaps itself", async () => {
    const rec = recorder(async () => {
      await sleep(30);
      return okResult();
    });
    const m = monitor({ run: rec.run });
    m.sync([probe("slow", { intervalMs: 1 })]);
    await waitFor(() => rec.calls.length >= 5, "five checks");
    expect(rec.maxPerTarget()).toBe(1);
  });

  it("keeps running: later checks come on the interval", async () => {
    const rec = recorder();
    const m = monitor({ run: rec.run });
    m.sync([probe("p", { intervalMs: 10 })]);
    await waitFor(() => rec.calls.length >= 4, "four checks");
    expect(m.snapshot()[0]!.checks).toBeGreaterThanOrEqual(3);
  });

  it("runs the first check at once and the second at a random phase within one interval", async () => {
    for (const [random, expected] of [
      [0, 0],
      [0.5, 500],
      [0.999, 999],
    ] as const) {
      const timers = countingTimers();
      const rec = recorder();
      const m = monitor({ run: rec.run, random: () => random, now: () => 10_000, ...timers });
      m.sync([probe("p", { intervalMs: 1000 })]);
      expect(timers.delays).toEqual([]);
      await waitFor(() => timers.delays.length >= 1, "the next run scheduled");
      expect(timers.delays[0]).toBe(expected);
      await m.stop();
    }
  });

  it("keeps a fixed rate: the time a check takes does not push later checks back", async () => {
    let clock = 0;
    // Timers fired by hand: the clock moves only when the test says, whatever the load.
    const pending: { fn: () => void; ms: number }[] = [];
    const fire = async () => {
      pending.shift()!.fn();
      await sleep(0);
    };
    // Each check takes 300 ms of (injected) time.
    const rec = recorder(async () => {
      clock += 300;
      return okResult();
    });
    const m = monitor({
      run: rec.run,
      random: () => 0.5,
      now: () => clock,
      setTimer: (fn, ms) => pending.push({ fn, ms }),
      clearTimer: () => {},
    });
    m.sync([probe("p", { intervalMs: 1000 })]);
    await waitFor(() => pending.length === 1, "second run planned");
    // Started at 0 with phase 500; the check ended at 300: due in 200.
    expect(pending[0]!.ms).toBe(200);
    clock = 500; // when that timer fires
    await fire();
    await waitFor(() => pending.length === 1, "third run planned");
    // The second check ran 500 → 800; the third is due at 1500, 700 from now.
    expect(pending[0]!.ms).toBe(700);
    // Far behind (a stalled process): the next check follows at once, with no burst of
    // catch-up runs for the missed slots.
    clock = 4000;
    await fire();
    await waitFor(() => pending.length === 1, "fourth run planned");
    expect(pending[0]!.ms).toBe(0);
    expect(rec.calls).toHaveLength(3);
    await m.stop();
  });

  it("never runs more checks at once than the concurrency cap, and serves the queue in order", async () => {
    const rec = recorder(async () => {
      await sleep(15);
      return okResult();
    });
    const m = monitor({ run: rec.run, concurrency: 4 });
    const ids = Array.from({ length: 30 }, (_, i) => `p${i}`);
    m.sync(ids.map((id, i) => probe(id, { target: makeTarget({ port: 1000 + i }), intervalMs: 5 })));
    expect(rec.calls).toHaveLength(4);
    await waitFor(() => rec.calls.length >= 60, "two rounds");
    expect(rec.maxInFlight()).toBe(4);
    expect(rec.calls.slice(0, 30).map((c) => c.target.port)).toEqual(ids.map((_, i) => 1000 + i));
  });

  it("runs checktype=N as negotiate, N connects, negotiate …, back to negotiate after a failed connect", async () => {
    // The 3rd check (the 2nd connect) fails.
    const rec = recorder((_call, n) => (n === 3 ? failResult() : okResult()));
    const m = monitor({ run: rec.run });
    m.sync([probe("n3", { intervalMs: 1, failureCount: 5 }, { type: "combined", connectCount: 3 })]);
    await waitFor(() => rec.calls.length >= 9, "nine checks");
    await m.stop();
    const kinds = rec.calls.slice(0, 9).map((c) => (c.opts.kind === "negotiate" ? "N" : "c"));
    expect(kinds.join("")).toBe("NccNcccNc");
  });

  it("takes a real down on the failurecount-th consecutive failure", async () => {
    const script = "+--+---+";
    const rec = recorder((_call, n) => (script[n - 1] === "-" ? failResult() : okResult()));
    const m = monitor({ run: rec.run });
    const ev = events(m);
    m.sync([probe("p", { intervalMs: 1, failureCount: 3 })]);
    await waitFor(() => ev.results.length >= script.length, "the script");
    await m.stop();
    expect(ev.results.slice(0, script.length).map((r) => r.health[0])).toEqual([
      "u",
      "u",
      "u",
      "u",
      "u",
      "u",
      "d",
      "u",
    ]);
    expect(ev.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["unknown>up", "up>down", "down>up"]);
  });

  it("leaves health alone on an inconclusive result (ldirector was too slow to see the answer)", async () => {
    const inconclusive: CheckResult = { ...failResult("timeout (inconclusive)"), inconclusive: true };
    const script = "+ii+-";
    const rec = recorder((_call, n) =>
      script[n - 1] === "+" ? okResult() : script[n - 1] === "i" ? inconclusive : failResult(),
    );
    const m = monitor({ run: rec.run });
    const ev = events(m);
    m.sync([probe("p", { intervalMs: 1, failureCount: 1 })]);
    await waitFor(() => ev.results.length >= script.length, "the script");
    await m.stop();
    expect(ev.results.slice(0, script.length).map((r) => r.health[0])).toEqual(["u", "u", "u", "u", "d"]);
    expect(ev.transitions.map((t) => `${t.from}>${t.to}`)).toEqual(["unknown>up", "up>down"]);
  });

  it("counts a run function that rejects as a failed check", async () => {
    const m = monitor({ run: async () => Promise.reject(new Error("kaput")) });
    const ev = events(m);
    m.sync([probe("p")]);
    await waitFor(() => ev.results.length >= 1, "a result");
    expect(ev.results[0]!.result.ok).toBe(false);
    expect(ev.results[0]!.result.reason).toContain("kaput");
    expect(m.health("p")).toBe("down");
  });
});

describe("checktype on and off", () => {
  it("runs no check and sets health at once, with a transition from unknown", () => {
    const rec = recorder();
    const m = monitor({ run: rec.run });
    const ev = events(m);
    m.sync([probe("on", {}, { type: "on" }), probe("off", {}, { type: "off" })]);
    expect(rec.calls).toHaveLength(0);
    expect(m.health("on")).toBe("up");
    expect(m.health("off")).toBe("down");
    expect(ev.transitions.map((t) => [t.id, t.from, t.to, t.result.reason])).toEqual([
      ["on", "unknown", "up", "checktype on: not checked"],
      ["off", "unknown", "down", "checktype off: not checked"],
    ]);
  });

  it("leaves no timer behind", () => {
    const timers = countingTimers();
    const m = monitor({ run: recorder().run, ...timers });
    m.sync([probe("on", {}, { type: "on" })]);
    expect(timers.live.size).toBe(0);
  });
});

describe("sync on reload", () => {
  it("keeps unchanged probes' state, timers and schedule untouched", async () => {
    const timers = countingTimers();
    const rec = recorder();
    const m = monitor({ run: rec.run, ...timers });
    const ev = events(m);
    m.sync([probe("a", { intervalMs: 60_000 }), probe("b", { intervalMs: 60_000 })]);
    await waitFor(() => timers.live.size === 2, "both scheduled");
    const before = { calls: rec.calls.length, live: [...timers.live], snapshot: m.snapshot() };

    // Equal values in new objects, as a re-parse gives them.
    m.sync([probe("a", { intervalMs: 60_000 }), probe("b", { intervalMs: 60_000 })]);

    expect(rec.calls.length).toBe(before.calls);
    expect(timers.cleared()).toBe(0);
    expect([...timers.live]).toEqual(before.live);
    expect(m.snapshot()).toEqual(before.snapshot);
    expect(ev.transitions).toHaveLength(2);
  });

  it("does not abort an unchanged probe's check in flight", async () => {
    const held = gate<CheckResult>();
    const rec = recorder(() => held.promise);
    const m = monitor({ run: rec.run });
    m.sync([probe("a")]);
    m.sync([probe("a")]);
    expect(rec.calls[0]!.opts.signal!.aborted).toBe(false);
    held.open(okResult());
    await waitFor(() => m.health("a") === "up", "a up");
  });

  it("stops removed probes and aborts their checks in flight; their late results are dropped", async () => {
    const timers = countingTimers();
    const held = gate<CheckResult>();
    const rec = recorder((call) => (call.target.port === 2 ? held.promise : okResult()));
    const m = monitor({ run: rec.run, ...timers });
    const ev = events(m);
    m.sync([
      probe("gone", { intervalMs: 60_000, target: makeTarget({ port: 1 }) }),
      probe("busy", { target: makeTarget({ port: 2 }) }),
      probe("stays", { intervalMs: 60_000, target: makeTarget({ port: 3 }) }),
    ]);
    await waitFor(() => timers.live.size === 2, "gone and stays scheduled");
    const busySignal = rec.calls.find((c) => c.target.port === 2)!.opts.signal!;

    m.sync([probe("stays", { intervalMs: 60_000, target: makeTarget({ port: 3 }) })]);

    expect(busySignal.aborted).toBe(true);
    expect(timers.live.size).toBe(1);
    expect(m.health("gone")).toBeUndefined();
    expect(m.health("busy")).toBeUndefined();
    expect(m.snapshot().map((s) => s.id)).toEqual(["stays"]);
    held.open(okResult("late"));
    await sleep(20);
    expect(ev.results.some((r) => r.id === "busy")).toBe(false);
  });

  it("starts new probes at once", () => {
    const rec = recorder(hang);
    const m = monitor({ run: rec.run });
    m.sync([probe("a")]);
    m.sync([probe("a"), probe("bb")]);
    expect(rec.calls.map((c) => c.target.address)).toEqual([
      probe("a").target.address,
      probe("bb").target.address,
    ]);
  });

  it("restarts a probe whose interval or failurecount changed, keeping its health", async () => {
    const rec = recorder();
    const m = monitor({ run: rec.run });
    const ev = events(m);
    m.sync([probe("a", { intervalMs: 60_000 })]);
    await waitFor(() => m.health("a") === "up", "a up");
    const calls = rec.calls.length;

    m.sync([probe("a", { intervalMs: 30_000, failureCount: 3 })]);

    expect(rec.calls.length).toBe(calls + 1);
    expect(m.health("a")).toBe("up");
    await waitFor(() => ev.results.length === 2, "the restarted check");
    expect(ev.transitions).toHaveLength(1);
  });

  it("restarts a probe whose check changed from unknown", async () => {
    const rec = recorder();
    const m = monitor({ run: rec.run });
    m.sync([probe("a", { intervalMs: 60_000 })]);
    await waitFor(() => m.health("a") === "up", "a up");

    m.sync([probe("a", { intervalMs: 60_000 }, { receive: "OK" })]);

    expect(m.health("a")).toBe("unknown");
    expect(rec.calls.at(-1)!.spec.receive).toBe("OK");
  });

  it("restarts a probe whose target changed, aborting the old check", () => {
    const rec = recorder(hang);
    const m = monitor({ run: rec.run });
    m.sync([probe("a", { target: makeTarget({ port: 80 }) })]);
    m.sync([probe("a", { target: makeTarget({ port: 8080 }) })]);
    expect(rec.calls[0]!.opts.signal!.aborted).toBe(true);
    expect(rec.calls[1]!.target.port).toBe(8080);
  });

  it("keeps the first of several probes with one id", () => {
    const rec = recorder(hang);
    const m = monitor({ run: rec.run });
    m.sync([
      probe("a", { target: makeTarget({ port: 1 }) }),
      probe("a", { target: makeTarget({ port: 2 }) }),
    ]);
    expect(rec.calls.map((c) => c.target.port)).toEqual([1]);
  });
});

describe("snapshot", () => {
  it("gives health, last result, last check time, consecutive failures and checks run", async () => {
    const m = monitor({ run: async () => failResult("HTTP 503"), now: () => 42 });
    m.sync([probe("a", { intervalMs: 1, failureCount: 3 })]);
    await waitFor(() => m.snapshot()[0]!.checks >= 3, "three checks");
    const [a] = m.snapshot();
    expect(a!.health).toBe("down");
    expect(a!.consecutiveFailures).toBe(a!.checks);

    const m2 = monitor({ run: async () => failResult("HTTP 503"), now: () => 42 });
    m2.sync([probe("b", { intervalMs: 60_000 })]);
    await waitFor(() => m2.snapshot()[0]!.checks === 1, "one check");
    expect(m2.snapshot()).toEqual([
      {
        id: "b",
        health: "down",
        lastResult: failResult("HTTP 503"),
        lastCheckAt: 42,
        lastKind: "negotiate",
        consecutiveFailures: 1,
        checks: 1,
        transitions: 1,
        since: 42,
        inFlight: false,
      },
    ]);
  });
});

describe("stop", () => {
  it("aborts every check in flight, clears every timer and runs nothing more", async () => {
    const timers = countingTimers();
    const rec = recorder(
      (call) =>
        new Promise<CheckResult>((resolve) => {
          // Half the probes answer at once, half hang until aborted.
          if (call.target.port % 2 === 0) resolve(okResult());
          else call.opts.signal?.addEventListener("abort", () => resolve(failResult("aborted")));
        }),
    );
    const m = monitor({ run: rec.run, ...timers });
    m.sync(
      Array.from({ length: 10 }, (_, i) =>
        probe(`p${i}`, { target: makeTarget({ port: i }), intervalMs: 5 }),
      ),
    );
    await waitFor(() => rec.calls.length >= 20, "a few rounds");
    expect(rec.inFlight()).toBe(5);

    await m.stop();

    expect(timers.live.size).toBe(0);
    expect(rec.inFlight()).toBe(0);
    const calls = rec.calls.length;
    await sleep(30);
    expect(rec.calls.length).toBe(calls);
    expect(m.snapshot()).toEqual([]);
    expect(() => m.sync([probe("x")])).toThrow(/after stop/);
  });

  it("resolves at once when nothing is in flight", async () => {
    const m = monitor({ run: recorder().run });
    await m.stop();
  });
});

describe("Monitor.checkNow", () => {
  it("runs the check at once, keeps the schedule, and records since and transitions", async () => {
    let now = 1000;
    let answer: CheckResult = okResult();
    const rec = recorder(() => answer);
    // Phase 0.5: the first periodic check comes 30 s after the start-up round.
    const m = monitor({ run: rec.run, now: () => now, random: () => 0.5 });
    m.sync([probe("a", { intervalMs: 60_000 })]);
    await waitFor(() => m.snapshot()[0]!.checks === 1, "the first check");
    expect(m.snapshot()[0]).toMatchObject({ health: "up", transitions: 1, since: 1000 });
    now = 5000;
    answer = failResult("connect ECONNREFUSED");
    const result = await m.checkNow("a");
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
    expect(rec.calls).toHaveLength(2);
    expect(m.snapshot()[0]).toMatchObject({ health: "down", transitions: 2, since: 5000, checks: 2 });
    // The next periodic check is still 30 s away: nothing else ran.
    await sleep(30);
    expect(rec.calls).toHaveLength(2);
  });

  it("waits for a check in flight instead of starting a second one", async () => {
    let release!: () => void;
    const rec = recorder(() => new Promise<CheckResult>((resolve) => (release = () => resolve(okResult()))));
    const m = monitor({ run: rec.run, random: () => 0.5 });
    m.sync([probe("a", { intervalMs: 60_000 })]);
    await waitFor(() => rec.calls.length === 1, "the first check to start");
    const pending = m.checkNow("a");
    expect(rec.calls).toHaveLength(1);
    release();
    expect((await pending)?.ok).toBe(true);
    expect(rec.calls).toHaveLength(1);
  });

  it("answers undefined for an unknown probe and for one stopped while it ran", async () => {
    const rec = recorder(hang);
    const m = monitor({ run: rec.run, random: () => 0.5 });
    expect(await m.checkNow("nope")).toBeUndefined();
    m.sync([probe("a", { intervalMs: 60_000 })]);
    await waitFor(() => rec.calls.length === 1, "the check to start");
    const pending = m.checkNow("a");
    m.sync([]);
    expect(await pending).toBeUndefined();
  });
});
