// Checks on more than one core. The monitor (schedule, health, events) stays on the
// director's thread; the checks themselves (sockets, parsing, child processes, TLS) run
// in worker threads. The pool is a drop-in for runCheck (`Monitor({ run: pool.run })`):
// the monitor neither knows nor cares where a check ran.
//
// - A probe sticks to one worker (the one with the fewest probes when it first ran), and
//   its target and spec go there once; after that a check is a 3-entry tuple.
// - Both directions are batched per event-loop turn (see protocol.ts).
// - A worker that dies, or stays silent while a check of it is overdue, is replaced; its
//   checks in flight come back inconclusive (the real did nothing wrong, so health
//   stays), and until the new worker is up its probes' checks run on this thread.
// - Without workers (size 0) every check runs here, as before.
import { Worker } from "node:worker_threads";
import { DEFAULT_GRACE_MS, deadlineMs, runCheck } from "../../checks/run.js";
import type { CheckResult, CheckTarget } from "../../checks/types.js";
import type { CheckSpec } from "../../config/types.js";
import type { RunCheck } from "../monitor.js";
import type { FromWorker, ToWorker } from "./protocol.js";

export type PoolEvent =
  | { type: "worker-exit"; worker: number; code: number; lost: number }
  | { type: "worker-stalled"; worker: number; silentMs: number; overdue: number }
  | { type: "worker-up"; worker: number };

export interface CheckPoolOptions {
  /** Worker threads; 0 runs every check on this thread. */
  workers: number;
  /** The worker's module (default: ./worker.js beside this file, i.e. in dist/). */
  workerUrl?: URL;
  onEvent?: (event: PoolEvent) => void;
  /**
   * A worker is stalled when a check of it is this far past its deadline and the worker
   * has said nothing for as long. Default 5000 ms: a busy worker answers every turn.
   */
  stallMs?: number;
  /** Where checks run while no worker can take them (default runCheck). */
  inThread?: RunCheck;
}

export interface PoolStats {
  workers: number;
  up: number;
  inFlight: number;
  exits: number;
  /** Probes each worker holds, by worker. */
  probes: number[];
}

interface Pending {
  resolve: (result: CheckResult) => void;
  /** performance.now() past which the worker owes an answer (deadline + grace). */
  due: number;
}

interface Slot {
  index: number;
  worker?: Worker;
  /** Bumped for each new worker: a probe whose `gen` differs must be sent again. */
  gen: number;
  probes: number;
  pending: Map<number, Pending>;
  outbox: ToWorker;
  lastHeard: number;
  /** Consecutive deaths, for the respawn backoff; reset once a worker answered. */
  deaths: number;
  respawn?: NodeJS.Timeout;
}

interface Entry {
  key: number;
  slot: Slot;
  gen: number;
  target: CheckTarget;
  spec: CheckSpec;
}

const MAX_RESPAWN_DELAY_MS = 30_000;

export class CheckPool {
  readonly run: RunCheck;
  private readonly slots: Slot[] = [];
  private readonly workerUrl: URL;
  private readonly inThread: RunCheck;
  private readonly stallMs: number;
  private readonly onEvent: (event: PoolEvent) => void;
  /** One entry per probe, found by the probe's own abort signal (one per probe in the monitor). */
  private readonly entries = new WeakMap<AbortSignal, Entry>();
  private nextKey = 0;
  private nextSeq = 0;
  private flushQueued = false;
  private exits = 0;
  private closed = false;
  private readonly watchdog: NodeJS.Timeout;

  constructor(opts: CheckPoolOptions) {
    this.workerUrl = opts.workerUrl ?? new URL("./worker.js", import.meta.url);
    this.inThread = opts.inThread ?? runCheck;
    this.stallMs = opts.stallMs ?? 5000;
    this.onEvent = opts.onEvent ?? (() => {});
    this.run = (target, spec, runOpts) => this.dispatch(target, spec, runOpts);
    this.resize(opts.workers);
    this.watchdog = setInterval(() => setImmediate(() => this.findStalled()), 1000);
    this.watchdog.unref();
  }

  /** Grows the pool to `workers` (a reload that raised the check rate). It never shrinks. */
  resize(workers: number): void {
    while (!this.closed && this.slots.length < Math.max(0, Math.floor(workers))) {
      const slot: Slot = {
        index: this.slots.length,
        gen: 0,
        probes: 0,
        pending: new Map(),
        outbox: emptyBatch(),
        lastHeard: performance.now(),
        deaths: 0,
      };
      this.slots.push(slot);
      this.spawn(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  stats(): PoolStats {
    let inFlight = 0;
    for (const s of this.slots) inFlight += s.pending.size;
    return {
      workers: this.slots.length,
      up: this.slots.filter((s) => s.worker).length,
      inFlight,
      exits: this.exits,
      probes: this.slots.map((s) => s.probes),
    };
  }

  /** Stops every worker; checks still in flight come back aborted. Call after the monitor stopped. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const ending: Promise<number>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.respawn);
      const worker = slot.worker;
      slot.worker = undefined;
      this.settleAll(slot, "aborted", false);
      if (worker) ending.push(worker.terminate());
    }
    await Promise.all(ending);
  }

  private dispatch(
    target: CheckTarget,
    spec: CheckSpec,
    opts: Parameters<RunCheck>[2],
  ): Promise<CheckResult> {
    const signal = opts.signal;
    // Without a probe's signal there is nothing to key a probe by: run it here.
    if (this.slots.length === 0 || !signal || this.closed) return this.inThread(target, spec, opts);
    if (signal.aborted) return Promise.resolve({ ok: false, reason: "aborted", latencyMs: 0 });
    const entry = this.entries.get(signal) ?? this.register(signal, target, spec);
    const slot = entry.slot;
    if (!slot.worker) return this.inThread(target, spec, opts);
    if (entry.gen !== slot.gen) {
      slot.outbox.probes.push({ key: entry.key, target: entry.target, spec: entry.spec });
      entry.gen = slot.gen;
    }
    const seq = ++this.nextSeq;
    const due = performance.now() + deadlineMs(opts.kind, spec) + (opts.graceMs ?? DEFAULT_GRACE_MS);
    slot.outbox.runs.push([seq, entry.key, opts.kind]);
    this.queueFlush();
    return new Promise((resolve) => slot.pending.set(seq, { resolve, due }));
  }

  private register(signal: AbortSignal, target: CheckTarget, spec: CheckSpec): Entry {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.probes < slot.probes) slot = s;
    slot.probes++;
    // gen -1: never sent, so the first check sends the probe.
    const entry: Entry = { key: ++this.nextKey, slot, gen: -1, target, spec };
    this.entries.set(signal, entry);
    signal.addEventListener(
      "abort",
      () => {
        slot.probes--;
        if (slot.worker && entry.gen === slot.gen) {
          slot.outbox.retired.push(entry.key);
          this.queueFlush();
        }
      },
      { once: true },
    );
    return entry;
  }

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    // After this turn's timers: every check launched in this turn goes in one message.
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushQueued = false;
    for (const slot of this.slots) {
      const batch = slot.outbox;
      if (batch.probes.length + batch.runs.length + batch.retired.length === 0) continue;
      slot.outbox = emptyBatch();
      slot.worker?.postMessage(batch);
    }
  }

  private spawn(slot: Slot): void {
    slot.respawn = undefined;
    if (this.closed) return;
    let worker: Worker;
    try {
      worker = new Worker(this.workerUrl);
    } catch {
      this.scheduleRespawn(slot);
      return;
    }
    slot.worker = worker;
    slot.gen++;
    slot.lastHeard = performance.now();
    worker.on("message", (message: FromWorker) => this.received(slot, worker, message));
    worker.on("online", () => {
      if (slot.worker === worker) this.onEvent({ type: "worker-up", worker: slot.index });
    });
    // 'error' precedes 'exit' for an uncaught exception; the exit does the work.
    worker.on("error", () => {});
    worker.on("exit", (code) => this.exited(slot, worker, code));
  }

  private received(slot: Slot, worker: Worker, message: FromWorker): void {
    if (slot.worker !== worker) return;
    slot.lastHeard = performance.now();
    slot.deaths = 0;
    for (const [seq, ok, reason, latencyMs, inconclusive] of message.done) {
      const pending = slot.pending.get(seq);
      if (!pending) continue;
      slot.pending.delete(seq);
      pending.resolve(
        inconclusive
          ? { ok: ok === 1, reason, latencyMs, inconclusive: true }
          : { ok: ok === 1, reason, latencyMs },
      );
    }
  }

  private exited(slot: Slot, worker: Worker, code: number): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    this.exits++;
    const lost = slot.pending.size;
    this.settleAll(slot, `check worker ${slot.index} exited (code ${code})`, true);
    slot.outbox = emptyBatch();
    this.onEvent({ type: "worker-exit", worker: slot.index, code, lost });
    this.scheduleRespawn(slot);
  }

  private scheduleRespawn(slot: Slot): void {
    if (this.closed) return;
    const delay = Math.min(MAX_RESPAWN_DELAY_MS, 100 * 2 ** slot.deaths);
    slot.deaths++;
    slot.respawn = setTimeout(() => this.spawn(slot), delay);
    slot.respawn.unref();
  }

  /** Runs one poll phase after the watchdog's timer, so answers already sent are read first. */
  private findStalled(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (!worker || now - slot.lastHeard < this.stallMs) continue;
      let overdue = 0;
      for (const p of slot.pending.values()) if (now - p.due > this.stallMs) overdue++;
      if (overdue === 0) continue;
      this.onEvent({
        type: "worker-stalled",
        worker: slot.index,
        silentMs: Math.round(now - slot.lastHeard),
        overdue,
      });
      // terminate() ends it even in a busy loop; its 'exit' replaces it.
      void worker.terminate();
    }
  }

  private settleAll(slot: Slot, reason: string, inconclusive: boolean): void {
    const pending = [...slot.pending.values()];
    slot.pending.clear();
    for (const p of pending) {
      p.resolve(
        inconclusive
          ? { ok: false, reason, latencyMs: 0, inconclusive: true }
          : { ok: false, reason, latencyMs: 0 },
      );
    }
  }
}

function emptyBatch(): ToWorker {
  return { probes: [], runs: [], retired: [] };
}
