// The reconcile loop. Level-triggered: whatever wakes it (a health transition, a
// config reload, an override, the resync timer, a failed write), a pass computes the
// whole desired table, diffs it against what the kernel last read back, and applies
// the difference as one batch. It never assumes a write worked: the backend's
// read-back becomes the new known table, and the next pass repairs what is missing.

import { EventEmitter } from "node:events";
import type { Config } from "../config/types.js";
import type { Health } from "../health/types.js";
import type { Backend } from "../ipvs/backend.js";
import { diff } from "../ipvs/diff.js";
import { type Dest, destKey, serviceKey, type Table } from "../ipvs/model.js";
import type { Op, OpFailure } from "../ipvs/ops.js";
import { hostPort, realId } from "./ids.js";
import type { Override } from "../control/override.js";
import { fallbackActive, plan, realDestKey, virtualServiceKey } from "./plan.js";

export type TimerHandle = unknown;

export interface DirectorOptions {
  backend: Backend;
  config: Config;
  /** Wall clock in ms, for status. Default Date.now. */
  now?: () => number;
  /** How long a wake-up waits for more changes before a pass. Default 5 ms. */
  debounceMs?: number;
  /**
   * Period of full re-reads of the kernel table; 0 = off. Absent: the config's
   * resyncinterval, followed across reloads.
   */
  resyncMs?: number;
  /**
   * How long a fallback that is no longer wanted stays in at weight 0 before it is
   * deleted, so the connections it serves finish (default 5 s; a sorry page is small).
   */
  fallbackDrainMs?: number;
  /** First retry delay after a failed batch; doubles up to retryMaxMs. Defaults 1 s and 30 s. */
  retryMinMs?: number;
  retryMaxMs?: number;
  setTimer?: (fn: () => void, ms: number) => TimerHandle;
  clearTimer?: (handle: TimerHandle) => void;
}

/** One batch written to the backend. Emitted only when a pass had ops to apply. */
export interface AppliedEvent {
  ops: Op[];
  failed: OpFailure[];
  execs: number;
}

/** The fallback of a virtual went into (active) or out of the table. */
export interface FallbackEvent {
  virtualId: string;
  active: boolean;
}

export interface DirectorEvents {
  applied: [AppliedEvent];
  fallback: [FallbackEvent];
  /** The backend could not run (BackendError or any other throw). The loop keeps going and retries. */
  error: [Error];
}

export interface RealStatus {
  /** The realId: `tcp:10.0.0.1:80/10.0.0.2:80`. */
  id: string;
  /** `address:port` as configured, IPv6 in brackets. */
  address: string;
  health: Health;
  configuredWeight: number;
  /** Weight of its dest in the last table read back; undefined = not in the table. */
  tableWeight: number | undefined;
  override: Override | undefined;
  maintenance: boolean;
}

export interface VirtualStatus {
  id: string;
  serviceKey: string;
  fallbackActive: boolean;
  reals: RealStatus[];
}

export interface DirectorCounters {
  passes: number;
  /** Calls to backend.apply. */
  batches: number;
  opsApplied: number;
  opsFailed: number;
  /** Batches that failed as a whole (the backend threw) or in part (some op refused). */
  batchesFailed: number;
  /** Ops a resync found missing: the kernel table had drifted from what this director wrote. */
  resyncRepairs: number;
  /** now() at the end of the last pass. */
  lastPassAt: number | undefined;
  lastError: string | undefined;
}

export interface DirectorStatus {
  virtuals: VirtualStatus[];
  counters: DirectorCounters;
}

export class Director extends EventEmitter<DirectorEvents> {
  private readonly backend: Backend;
  private config: Config;
  private readonly now: () => number;
  private readonly debounceMs: number;
  /** A period fixed by the caller (tests); undefined: the config's resyncinterval. */
  private readonly fixedResyncMs: number | undefined;
  private readonly retryMinMs: number;
  private readonly fallbackDrainMs: number;
  /** Virtual id → when its leaving fallback (at weight 0) is deleted. */
  private readonly fallbackLeaving = new Map<string, number>();
  private readonly retryMaxMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => TimerHandle;
  private readonly clearTimer: (handle: TimerHandle) => void;

  private readonly health = new Map<string, Health>();
  private readonly overrides = new Map<string, Override>();
  private maintenance: ReadonlySet<string> = new Set();

  /** The kernel table as last read back; undefined = read it at the next pass. */
  private known: Table | undefined;
  private readNext = false;
  /** Service keys of every config since start that may still be in the kernel: ours to change. */
  private readonly configured = new Set<string>();
  private fallbacks = new Map<string, boolean>();

  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private startCalled = false;
  private started = false;
  private debounceTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private resyncTimer: TimerHandle | undefined;
  private drainTimer: TimerHandle | undefined;
  private retryDelay: number;

  private readonly counters: DirectorCounters = {
    passes: 0,
    batches: 0,
    opsApplied: 0,
    opsFailed: 0,
    batchesFailed: 0,
    resyncRepairs: 0,
    lastPassAt: undefined,
    lastError: undefined,
  };

  constructor(opts: DirectorOptions) {
    super();
    this.backend = opts.backend;
    this.config = opts.config;
    this.now = opts.now ?? Date.now;
    this.debounceMs = opts.debounceMs ?? 5;
    this.fixedResyncMs = opts.resyncMs;
    this.retryMinMs = opts.retryMinMs ?? 1000;
    this.fallbackDrainMs = opts.fallbackDrainMs ?? 5000;
    this.retryMaxMs = opts.retryMaxMs ?? 30_000;
    this.retryDelay = this.retryMinMs;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    this.rememberConfig(opts.config);
  }

  /**
   * Reads the kernel table once (adoption), then runs the first pass. Rejects only when
   * that first read fails (the backend cannot run at all); a failed write is retried.
   */
  async start(): Promise<void> {
    if (this.startCalled) throw new Error("Director.start() called twice");
    this.startCalled = true;
    this.known = await this.backend.read();
    this.started = true;
    // What the table already holds is the baseline: no fallback event for the state we adopt.
    this.fallbacks = fallbackActive(this.known, this.config);
    this.trigger();
    await this.running;
    this.armResync();
  }

  setHealth(id: string, health: Health): void {
    if (this.health.get(id) === health) return;
    this.health.set(id, health);
    this.wake();
  }

  setConfig(config: Config): void {
    const period = this.resyncMs;
    this.config = config;
    this.rememberConfig(config);
    // A new resyncinterval takes effect now, not after the old period runs out.
    if (this.resyncMs !== period && this.started) {
      this.cancel("resyncTimer");
      this.armResync();
    }
    this.wake();
  }

  private get resyncMs(): number {
    return this.fixedResyncMs ?? this.config.global.resyncInterval * 1000;
  }

  setOverride(id: string, override: Override | undefined): void {
    if (override === undefined) this.overrides.delete(id);
    else this.overrides.set(id, { ...override });
    this.wake();
  }

  setMaintenance(ids: ReadonlySet<string>): void {
    this.maintenance = new Set(ids);
    this.wake();
  }

  /**
   * Cancels timers and waits for a pass in flight. With clean, deletes in one batch
   * every service of a virtual with cleanstop=yes (its dests go with it); services of
   * cleanstop=no virtuals stay exactly as they are. No fallback events are emitted.
   */
  async stop(opts: { clean?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.cancel("debounceTimer");
    this.cancel("retryTimer");
    this.cancel("resyncTimer");
    this.cancel("drainTimer");
    await this.running;
    if (!opts.clean || !this.started) return;
    try {
      const actual = this.known ?? (await this.backend.read());
      const present = new Map(actual.services.map((s) => [serviceKey(s), s]));
      const ops: Op[] = [];
      for (const v of this.config.virtuals) {
        if (!v.cleanStop) continue;
        const s = present.get(virtualServiceKey(v));
        if (s === undefined) continue;
        const { dests: _dests, ...service } = s;
        ops.push({ kind: "delete-service", service });
      }
      if (ops.length > 0) await this.applyBatch(ops);
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * Runs a pass now instead of after the debounce, and resolves when the table reflects
   * everything set so far: an operator's drain answers with the table already changed.
   */
  async flush(): Promise<void> {
    if (this.stopped || !this.started) return;
    this.cancel("debounceTimer");
    this.trigger();
    await this.idle();
  }

  /** Resolves once no pass is running (timers may still be armed). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  status(): DirectorStatus {
    const table = new Map((this.known?.services ?? []).map((s) => [serviceKey(s), s]));
    const active = this.known ? fallbackActive(this.known, this.config) : new Map<string, boolean>();
    return {
      virtuals: this.config.virtuals.map((v) => {
        const key = virtualServiceKey(v);
        const dests = new Map<string, Dest>((table.get(key)?.dests ?? []).map((d) => [destKey(d), d]));
        return {
          id: v.id,
          serviceKey: key,
          fallbackActive: active.get(v.id) ?? false,
          reals: v.reals.map((r) => {
            const id = realId(v, r);
            const override = this.overrides.get(id);
            return {
              id,
              address: hostPort(r.address, r.port),
              health: this.health.get(id) ?? "unknown",
              configuredWeight: r.weight,
              tableWeight: dests.get(realDestKey(v, r))?.weight,
              override: override ? { ...override } : undefined,
              maintenance: this.maintenance.has(id),
            };
          }),
        };
      }),
      counters: { ...this.counters },
    };
  }

  /** Something changed: run a pass soon, together with whatever else arrives meanwhile. */
  private wake(): void {
    if (this.stopped || !this.started || this.debounceTimer !== undefined) return;
    this.debounceTimer = this.setTimer(() => {
      this.debounceTimer = undefined;
      this.trigger();
    }, this.debounceMs);
  }

  /** Single flight: a trigger during a pass asks for exactly one more pass after it. */
  private trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.pass();
    } while (this.again && !this.stopped);
  }

  private async pass(): Promise<void> {
    this.counters.passes++;
    try {
      if (this.known === undefined || this.readNext) {
        this.readNext = false;
        const believed = this.known;
        this.known = await this.backend.read();
        // What it takes to put the table back as we left it = what someone else changed.
        if (believed !== undefined)
          this.counters.resyncRepairs += diff(believed, this.known, this.owned(this.known)).length;
      }
      const actual = this.known;
      const input = {
        config: this.config,
        health: this.health,
        actual,
        overrides: this.overrides,
        maintenance: this.maintenance,
      };
      const wanted = plan(input);
      const leaving = this.leavingFallbacks(actual, wanted);
      // Planned again only while a fallback is leaving (a few seconds after a recovery).
      const desired = leaving.size === 0 ? wanted : plan({ ...input, fallbackLeaving: leaving });
      const ops = diff(desired, actual, this.owned(actual));
      const failed = ops.length > 0 ? await this.applyBatch(ops) : [];
      this.forgetGone();
      this.emitFallbackChanges();
      if (failed.length > 0) {
        this.counters.lastError = failed.map((f) => f.error).join("; ");
        this.scheduleRetry();
      } else {
        this.cancel("retryTimer");
        this.retryDelay = this.retryMinMs;
      }
    } catch (err) {
      // The table may be half-written: read it again before the next plan.
      this.known = undefined;
      this.report(err);
      this.scheduleRetry();
    } finally {
      this.counters.lastPassAt = this.now();
    }
  }

  private async applyBatch(ops: Op[]): Promise<OpFailure[]> {
    this.counters.batches++;
    let applied: Awaited<ReturnType<Backend["apply"]>>;
    try {
      applied = await this.backend.apply(ops);
    } catch (err) {
      this.counters.batchesFailed++;
      throw err;
    }
    if (applied.failed.length > 0) this.counters.batchesFailed++;
    this.known = applied.table;
    this.counters.opsApplied += ops.length - applied.failed.length;
    this.counters.opsFailed += applied.failed.length;
    this.emit("applied", { ops, failed: applied.failed, execs: applied.execs });
    return applied.failed;
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.counters.lastError = error.message;
    // An EventEmitter "error" without a listener throws; status() still shows lastError.
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.retryMaxMs);
    this.retryTimer = this.setTimer(() => {
      this.retryTimer = undefined;
      this.trigger();
    }, delay);
  }

  private armResync(): void {
    if (this.stopped || this.resyncMs <= 0) return;
    this.resyncTimer = this.setTimer(() => {
      this.resyncTimer = undefined;
      this.readNext = true;
      this.trigger();
      this.armResync();
    }, this.resyncMs);
  }

  private cancel(which: "debounceTimer" | "retryTimer" | "resyncTimer" | "drainTimer"): void {
    const h = this[which];
    if (h === undefined) return;
    this.clearTimer(h);
    this[which] = undefined;
  }

  private rememberConfig(config: Config): void {
    for (const v of config.virtuals) this.configured.add(virtualServiceKey(v));
  }

  /**
   * The services this director may change: those of the current config, and those of
   * earlier configs still in the kernel (so a reload that drops a virtual deletes it).
   * A service it never configured is never touched.
   */
  private owned(actual: Table): Set<string> {
    const present = new Set(actual.services.map(serviceKey));
    const current = new Set(this.config.virtuals.map(virtualServiceKey));
    return new Set([...this.configured].filter((k) => current.has(k) || present.has(k)));
  }

  /** Once a dropped virtual's service is gone, a service later made there by hand is not ours. */
  private forgetGone(): void {
    if (this.known === undefined) return;
    const present = new Set(this.known.services.map(serviceKey));
    const current = new Set(this.config.virtuals.map(virtualServiceKey));
    for (const k of this.configured) if (!current.has(k) && !present.has(k)) this.configured.delete(k);
  }

  /**
   * The virtuals whose serving fallback the plan takes out start leaving now (weight 0,
   * deleted after fallbackDrainMs); one wanted again stops leaving. Arms a pass for the
   * earliest deletion.
   */
  private leavingFallbacks(actual: Table, wanted: Table): Set<string> {
    const now = this.now();
    const serving = fallbackActive(actual, this.config);
    const stays = fallbackActive(wanted, this.config);
    for (const v of this.config.virtuals) {
      if (stays.get(v.id)) this.fallbackLeaving.delete(v.id);
      else if (serving.get(v.id) && !this.fallbackLeaving.has(v.id))
        this.fallbackLeaving.set(v.id, now + this.fallbackDrainMs);
    }
    const ids = new Set(this.config.virtuals.map((v) => v.id));
    for (const [id, until] of this.fallbackLeaving)
      if (until <= now || !ids.has(id)) this.fallbackLeaving.delete(id);
    if (this.fallbackLeaving.size > 0 && this.drainTimer === undefined && !this.stopped) {
      const next = Math.min(...this.fallbackLeaving.values());
      this.drainTimer = this.setTimer(
        () => {
          this.drainTimer = undefined;
          this.trigger();
        },
        Math.max(0, next - now),
      );
    }
    return new Set(this.fallbackLeaving.keys());
  }

  private emitFallbackChanges(): void {
    if (this.known === undefined) return;
    const next = fallbackActive(this.known, this.config);
    const ids = new Set([...this.fallbacks.keys(), ...next.keys()]);
    const prev = this.fallbacks;
    this.fallbacks = next;
    for (const virtualId of ids) {
      const was = prev.get(virtualId) ?? false;
      const is = next.get(virtualId) ?? false;
      if (was !== is) this.emit("fallback", { virtualId, active: is });
    }
  }
}
