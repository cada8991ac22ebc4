// Runs every probe on its own timer and turns results into health. Each probe is
// single-flight (the next run is scheduled only after the previous one settled), runs
// start at once when a probe is new (so start-up knows every real after one timeout at
// most), and a global cap with a FIFO queue bounds how many checks are in flight.
//
// Later runs are at a fixed rate: the second at a random phase within one interval (so
// probes spread evenly over the interval instead of running in bursts), then every
// intervalMs from that planned time, not from when the last check ended. A real's death
// is therefore seen within one interval plus the check's own duration. A check that
// overruns its slot is followed at once by the next, without catching up missed slots.
//
// Probes with identical (target, spec) in several virtuals are checked once each here;
// ldirectord checks such a real once per pass and fans the result out. Deduplicating
// them is a later optimisation: it needs a shared probe keyed by (target, spec) with
// several ids, and nothing above the monitor would change.
import type { CheckKind } from "../checks/registry.js";
import { runCheck } from "../checks/run.js";
import type { CheckResult, CheckTarget } from "../checks/types.js";
import type { CheckSpec } from "../config/types.js";
import { afterCombined, type CombinedState, combinedKind, initialCombined } from "./combined.js";
import { type HealthState, initialState, next } from "./state.js";
import type { Health } from "./types.js";

export interface ProbeSpec {
  /** Owned by the director: one id per (virtual, real). */
  id: string;
  target: CheckTarget;
  spec: CheckSpec;
  intervalMs: number;
  failureCount: number;
}

export type RunCheck = typeof runCheck;

export interface MonitorOptions {
  run?: RunCheck;
  /** Checks in flight at once, across all probes. Default 256. */
  concurrency?: number;
  /** Wall clock for "last checked" (ms since the epoch). Default Date.now. */
  now?: () => number;
  /** [0, 1) for jitter. Default Math.random. */
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface ResultEvent {
  id: string;
  result: CheckResult;
  /** Health after this result. */
  health: Health;
}

export interface TransitionEvent {
  id: string;
  from: Health;
  to: Health;
  result: CheckResult;
}

export interface MonitorEvents {
  result: ResultEvent;
  transition: TransitionEvent;
}

export interface ProbeStatus {
  id: string;
  health: Health;
  lastResult?: CheckResult;
  /** When the last result came in, from `now()`. */
  lastCheckAt?: number;
  /** The kind of the last check run (absent for checktype on/off). */
  lastKind?: CheckKind;
  consecutiveFailures: number;
  checks: number;
  /** Health changes (unknown → up counts). */
  transitions: number;
  /** When health last changed, from `now()`. */
  since?: number;
  inFlight: boolean;
}

export const DEFAULT_CONCURRENCY = 256;

interface Probe {
  readonly spec: ProbeSpec;
  state: HealthState;
  combined: CombinedState;
  /** False once removed, replaced or stopped: late results are then dropped. */
  live: boolean;
  timer?: unknown;
  /**
   * Aborted when the probe is retired: every check it runs gets this signal. One per
   * probe, not per check: a retired probe never runs again (a restart makes a new one).
   */
  readonly controller: AbortController;
  inFlight: boolean;
  queued: boolean;
  lastResult?: CheckResult;
  lastCheckAt?: number;
  lastKind?: CheckKind;
  checks: number;
  transitions: number;
  since?: number;
  /** Callers of checkNow() waiting for the check in flight. */
  waiters: ((result: CheckResult | undefined) => void)[];
  /** When the next run is planned (from `now()`); set when the probe starts. */
  nextDue?: number;
}

type Listener<E extends keyof MonitorEvents> = (event: MonitorEvents[E]) => void;

export class Monitor {
  private readonly run: RunCheck;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  private probes = new Map<string, Probe>();
  private readonly queue: Probe[] = [];
  private queueHead = 0;
  private running = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly listeners: { [E in keyof MonitorEvents]: Set<Listener<E>> } = {
    result: new Set(),
    transition: new Set(),
  };

  constructor(opts: MonitorOptions = {}) {
    this.run = opts.run ?? runCheck;
    this.concurrency = Math.max(1, Math.floor(opts.concurrency ?? DEFAULT_CONCURRENCY) || 1);
    this.now = opts.now ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
  }

  /** Subscribe; returns the unsubscribe function. */
  on<E extends keyof MonitorEvents>(event: E, listener: Listener<E>): () => void {
    this.listeners[event].add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof MonitorEvents>(event: E, listener: Listener<E>): void {
    this.listeners[event].delete(listener);
  }

  /**
   * Make the running probes equal to `probes` (a config load or reload):
   * - a new id starts now;
   * - a missing id stops, and its in-flight check is aborted;
   * - an id with the same target, spec, interval and failurecount is left untouched
   *   (state, timer and in-flight check);
   * - an id whose interval or failurecount changed restarts now, keeping its health and counters;
   * - an id whose target or spec changed restarts now from unknown.
   * The first of several probes with one id wins.
   */
  sync(probes: ProbeSpec[]): void {
    if (this.stopped) throw new Error("Monitor.sync after stop()");
    const wanted = new Map<string, ProbeSpec>();
    for (const p of probes) if (!wanted.has(p.id)) wanted.set(p.id, p);

    for (const [id, probe] of this.probes) if (!wanted.has(id)) this.retire(probe);

    const kept = new Map<string, Probe>();
    const started: Probe[] = [];
    for (const [id, spec] of wanted) {
      const old = this.probes.get(id);
      if (old && sameCheck(old.spec, spec)) {
        if (old.spec.intervalMs === spec.intervalMs && old.spec.failureCount === spec.failureCount) {
          kept.set(id, old);
          continue;
        }
        this.retire(old);
        const probe = fresh(spec);
        probe.state = old.state;
        probe.combined = old.combined;
        probe.checks = old.checks;
        probe.transitions = old.transitions;
        probe.since = old.since;
        probe.lastResult = old.lastResult;
        probe.lastCheckAt = old.lastCheckAt;
        probe.lastKind = old.lastKind;
        kept.set(id, probe);
        started.push(probe);
        continue;
      }
      if (old) this.retire(old);
      const probe = fresh(spec);
      kept.set(id, probe);
      started.push(probe);
    }
    this.probes = kept;
    this.compactQueue();
    for (const probe of started) this.start(probe);
  }

  /** Health of one probe; undefined for an id the monitor does not run. */
  health(id: string): Health | undefined {
    return this.probes.get(id)?.state.health;
  }

  /**
   * Runs a probe's check now (an operator's "check now") and resolves with its result; a
   * check already in flight is waited for rather than doubled. The probe's schedule is
   * kept: the next periodic check still comes at its planned time. Resolves undefined for
   * an unknown id or when the probe is stopped meanwhile; checktype on/off run nothing.
   */
  checkNow(id: string): Promise<CheckResult | undefined> {
    const probe = this.probes.get(id);
    if (!probe || !probe.live) return Promise.resolve(undefined);
    const type = probe.spec.spec.type;
    if (type === "on" || type === "off") return Promise.resolve(probe.lastResult);
    const done = new Promise<CheckResult | undefined>((resolve) => probe.waiters.push(resolve));
    if (probe.inFlight || probe.queued) return done;
    if (probe.timer !== undefined) {
      this.clearTimer(probe.timer);
      probe.timer = undefined;
      // The timer was for the planned run; it is replaced by this one, so plan from the next slot.
      if (probe.nextDue !== undefined) probe.nextDue -= probe.spec.intervalMs;
    }
    this.enqueue(probe);
    return done;
  }

  snapshot(): ProbeStatus[] {
    return [...this.probes.values()].map((p) => ({
      id: p.spec.id,
      health: p.state.health,
      ...(p.lastResult ? { lastResult: p.lastResult } : {}),
      ...(p.lastCheckAt !== undefined ? { lastCheckAt: p.lastCheckAt } : {}),
      ...(p.lastKind ? { lastKind: p.lastKind } : {}),
      consecutiveFailures: p.state.failures,
      checks: p.checks,
      transitions: p.transitions,
      ...(p.since !== undefined ? { since: p.since } : {}),
      inFlight: p.inFlight,
    }));
  }

  /**
   * Abort every check, clear every timer and forget every probe. The promise resolves when
   * the aborted checks have settled (runCheck settles within its grace after an abort).
   */
  stop(): Promise<void> {
    this.stopped = true;
    for (const probe of this.probes.values()) this.retire(probe);
    this.probes = new Map();
    this.queue.length = 0;
    this.queueHead = 0;
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private start(probe: Probe): void {
    const type = probe.spec.spec.type;
    if (type === "on" || type === "off") {
      // ldirectord: `on` sets the real up on every pass, `off` never activates it. No check runs.
      const to: Health = type === "on" ? "up" : "down";
      const result: CheckResult = {
        ok: type === "on",
        reason: `checktype ${type}: not checked`,
        latencyMs: 0,
      };
      const from = probe.state.health;
      probe.state = { ...probe.state, health: to };
      probe.lastResult = result;
      probe.lastCheckAt = this.now();
      if (from !== to) {
        probe.transitions++;
        probe.since = probe.lastCheckAt;
      }
      this.emit("result", { id: probe.spec.id, result, health: to });
      if (from !== to) this.emit("transition", { id: probe.spec.id, from, to, result });
      return;
    }
    probe.nextDue = this.now() + Math.round(probe.spec.intervalMs * this.random());
    this.enqueue(probe);
  }

  private enqueue(probe: Probe): void {
    if (!probe.live || probe.queued || probe.inFlight) return;
    if (this.running < this.concurrency) {
      this.launch(probe);
    } else {
      probe.queued = true;
      this.queue.push(probe);
    }
  }

  private launch(probe: Probe): void {
    probe.queued = false;
    this.running++;
    const controller = probe.controller;
    probe.inFlight = true;
    const { target, spec } = probe.spec;
    const kind = kindOf(spec, probe.combined);
    let pending: Promise<CheckResult>;
    try {
      pending = Promise.resolve(this.run(target, spec, { kind, signal: controller.signal }));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending
      .catch((error: unknown): CheckResult => ({
        ok: false,
        reason: `check error: ${String(error)}`,
        latencyMs: 0,
      }))
      .then((result) => this.complete(probe, controller, kind, result));
  }

  private complete(probe: Probe, controller: AbortController, kind: CheckKind, result: CheckResult): void {
    this.running--;
    probe.inFlight = false;
    const waiters = probe.waiters.splice(0);
    if (!probe.live || controller.signal.aborted) {
      for (const w of waiters) w(undefined);
      this.drain();
      return;
    }
    const from = probe.state.health;
    // An inconclusive result (ldirector was too slow to see the answer) leaves health as it is.
    const step = result.inconclusive
      ? { state: probe.state }
      : next(probe.state, result, probe.spec.failureCount);
    probe.state = step.state;
    if (probe.spec.spec.type === "combined") {
      probe.combined = afterCombined(probe.combined, kind === "connect" ? "connect" : "negotiate", result.ok);
    }
    probe.checks++;
    probe.lastResult = result;
    probe.lastCheckAt = this.now();
    probe.lastKind = kind;
    if (step.transition) {
      probe.transitions++;
      probe.since = probe.lastCheckAt;
    }
    this.schedule(probe);
    this.drain();
    for (const w of waiters) w(result);
    this.emit("result", { id: probe.spec.id, result, health: step.state.health });
    if (step.transition) this.emit("transition", { id: probe.spec.id, from, to: step.transition.to, result });
  }

  private schedule(probe: Probe): void {
    const now = this.now();
    // Behind schedule (a slow check, a busy process): run now, and plan from here.
    if (probe.nextDue === undefined || probe.nextDue < now) probe.nextDue = now;
    const delay = probe.nextDue - now;
    probe.nextDue += probe.spec.intervalMs;
    probe.timer = this.setTimer(() => {
      probe.timer = undefined;
      this.enqueue(probe);
    }, delay);
  }

  /** Hand freed slots to waiting probes, first come first served. */
  private drain(): void {
    while (this.running < this.concurrency && this.queueHead < this.queue.length) {
      const probe = this.queue[this.queueHead++]!;
      if (probe.live && probe.queued) this.launch(probe);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) this.compactQueue();
    if (this.running === 0 && this.idleWaiters.length > 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private compactQueue(): void {
    const waiting = this.queue.slice(this.queueHead).filter((p) => p.live && p.queued);
    this.queue.length = 0;
    this.queue.push(...waiting);
    this.queueHead = 0;
  }

  private retire(probe: Probe): void {
    probe.live = false;
    probe.queued = false;
    // A check in flight settles its waiters in complete(); nobody else will.
    if (!probe.inFlight) for (const w of probe.waiters.splice(0)) w(undefined);
    if (probe.timer !== undefined) {
      this.clearTimer(probe.timer);
      probe.timer = undefined;
    }
    probe.controller.abort();
  }

  private emit<E extends keyof MonitorEvents>(event: E, payload: MonitorEvents[E]): void {
    for (const listener of [...this.listeners[event]]) listener(payload);
  }
}

function fresh(spec: ProbeSpec): Probe {
  return {
    spec,
    state: initialState(),
    combined: initialCombined(),
    live: true,
    controller: new AbortController(),
    inFlight: false,
    queued: false,
    checks: 0,
    transitions: 0,
    waiters: [],
  };
}

function kindOf(spec: CheckSpec, combined: CombinedState): CheckKind {
  switch (spec.type) {
    case "combined":
      return combinedKind(combined, spec.connectCount);
    case "connect":
    case "negotiate":
    case "ping":
    case "external":
      return spec.type;
    case "on":
    case "off":
      // Never launched (start() settles them); negotiate keeps the switch total.
      return "negotiate";
  }
}

function sameCheck(a: ProbeSpec, b: ProbeSpec): boolean {
  return equalValues(a.target, b.target) && equalValues(a.spec, b.spec);
}

/** Deep equality of plain config values (objects, arrays, primitives); key order does not matter. */
function equalValues(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => equalValues((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
