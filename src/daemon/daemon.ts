// The running director: wires config → monitor → director → backend, and the side
// effects around them (logs, monitorfiles, alerts, fallbackcommand, sorry server,
// autoreload, control socket). Each piece lives in its own module; this file only
// connects them and owns their life cycle.
import type { Logger } from "pino";
import { ConfigErrors } from "../config/errors.js";
import type {
  AlertStatus,
  Config,
  ListenAddress,
  LogTarget,
  RealServer,
  VirtualService,
} from "../config/types.js";
import { Director } from "../director/director.js";
import { hostPort, realId } from "../director/ids.js";
import { destPort } from "../director/plan.js";
import { type ConnCounts, connKey } from "../ipvs/conntrack.js";
import { canonicalAddress } from "../ipvs/normalize.js";
import { Monitor, type ProbeSpec } from "../health/monitor.js";
import { CheckPool, type PoolEvent } from "../health/pool/check-pool.js";
import { checksPerSecond, type WorkerSetting, workersFor } from "../health/pool/size.js";
import { probesFor } from "../health/round.js";
import type { Health } from "../health/types.js";
import type { CheckResult } from "../checks/types.js";
import type { Backend } from "../ipvs/backend.js";
import { ApiError } from "../api/errors.js";
import { Metrics } from "../api/metrics.js";
import { statusPage } from "../api/page.js";
import { apiHandler, type ControlApi } from "../api/routes.js";
import type { StatusView } from "../api/types.js";
import { RuntimeControl } from "../control/control.js";
import { defaultStateFile } from "../control/state-file.js";
import { type Verb, type VerbName, type VerbResult, verbNamed } from "../control/verbs.js";
import { Alerts } from "../effects/alerts.js";
import { callbackArgv } from "../effects/callback.js";
import { runCommand } from "../effects/command.js";
import { fallbackCommandArgv } from "../effects/fallback-command.js";
import { ConnectionCache } from "../api/connection-cache.js";
import { Instances } from "./instances.js";
import { MaintenanceWatch } from "./maintenance.js";
import { ldirectordRealId, MonitorFiles } from "../effects/monitorfile.js";
import { directiveLine } from "./directive-location.js";
import { type FdBudget, fdBudget } from "./fd-budget.js";
import { errorText, type Prepared, PrepareError } from "./prepared.js";
import { type ConfigRead, readConfig } from "./read-config.js";
import { restartNeeded } from "./restart-needed.js";
import { Resources } from "./resources.js";
import { SyncDaemons } from "./sync-daemons.js";
import { statusView } from "../api/status-view.js";
import { TransitionLog } from "../api/transition-log.js";
import { watchConfig } from "./watch.js";

/** How long `status` waits for connection counts before answering with what it knows. */
const STATUS_WAIT_MS = 1_000;

export type DaemonState = "starting" | "running" | "reloading" | "stopping" | "stopped";

export interface DaemonOptions {
  configPath: string;
  /** Built by the caller from --backend / ipvsadm= so tests and the demo can pass their own. */
  backend: Backend;
  logger: Logger;
  /** Extra checks the backend puts on a config (nftables refuses gate, ipip, wlc, …); throws ConfigErrors. */
  validate?: (config: Config) => void;
  /** CLI options the execute= instances inherit (--backend, --ipvsadm). */
  instanceArgs?: string[];
  /** Called with a human summary each time the kernel table changes (the demo prints it). */
  onTableChange?: (text: string) => void;
  /** Where overrides are kept when the config names no statefile= (default: /var/lib/ldirector/<name>.state). */
  stateFile?: string;
  /** The control socket when the config names no controlsocket=; absent: none unless the config names one. */
  controlSocket?: string;
  /** Where the daemon records its control socket's current path for the CLI. */
  controlPointer?: string;
  /** Switches the daemon's log to a new logfile= (prepare, then commit); absent: logs do not follow logfile=. */
  retargetLog?: (target: LogTarget) => Promise<Prepared>;
  /** Worker threads for checks (--check-workers); default auto, by the config's check rate. */
  checkWorkers?: WorkerSetting;
  /** Connection caps of the listeners (default: from the open-file limit, keeping a reserve for checks). */
  budget?: FdBudget;
}

/** What a config reload did, for logs and the control socket. */
export type ReloadOutcome = { ok: true } | { ok: false; errors: string[] };

export class Daemon implements ControlApi {
  state: DaemonState = "starting";
  config!: Config;
  private monitor!: Monitor;
  private checkPool!: CheckPool;
  private director!: Director;
  private monitorFiles!: MonitorFiles;
  private alerts!: Alerts;
  /** Sorry server, web listener, control socket, log destination: prepared before each switch. */
  private readonly resources: Resources;
  /** sha256 of the config text in effect: autoreload reloads while the file on disk differs. */
  private appliedHash: string | undefined;
  private readonly metricsRegistry = new Metrics();
  private readonly transitions = new TransitionLog();
  /** Operators' overrides: drains, disables, weights, and the state file that keeps them. */
  private control!: RuntimeControl;
  private readonly startedAt = Date.now();
  private readonly connectionCounts: ConnectionCache;
  private counters = { configGeneration: 0, reloads: 0, reloadErrors: 0 };
  private watcher: { close(): Promise<void> } | undefined;
  private readonly log: Logger;
  /** The reload running now, and the one more asked for while it runs (at most one waits). */
  private reloading: Promise<ReloadOutcome> | undefined;
  private nextReload: Promise<ReloadOutcome> | undefined;
  /** realId → its virtual and real in the current config. */
  private reals = new Map<string, { v: VirtualService; r: RealServer }>();
  private reminderTimer: NodeJS.Timeout | undefined;
  private overload = { since: 0, count: 0 };
  private maintenance: MaintenanceWatch | undefined;
  private instances!: Instances;
  /** What stop() is waiting for now, for a second stop signal to say. */
  stopStep: string | undefined;
  /** syncdaemon=: the IPVS connection sync daemons. */
  private readonly sync: SyncDaemons;

  constructor(private readonly opts: DaemonOptions) {
    this.log = opts.logger;
    const backend = opts.backend;
    this.connectionCounts = new ConnectionCache(backend.connections && (() => backend.connections!()));
    this.sync = new SyncDaemons(backend, this.log);
    this.resources = new Resources({
      log: this.log,
      webHandler: (at) => this.webHandler(at),
      // The socket is root-only, so every action is allowed on it.
      controlHandler: apiHandler(this, { actions: () => true, requireActionHeader: false, reload: true }),
      defaultControlSocket: opts.controlSocket,
      controlPointer: opts.controlPointer,
      retargetLog: opts.retargetLog,
      budget: opts.budget ?? fdBudget(),
    });
  }

  /** Where the control socket is now (undefined: none). */
  get controlSocket(): string | undefined {
    return this.resources.controlSocket;
  }

  /**
   * Loads the config (throws ConfigErrors), gets its listeners and files (throws
   * PrepareError naming the line), and only then takes charge of the kernel table.
   */
  async start(): Promise<void> {
    const read = await this.read();
    this.setConfig(read.config);
    this.counters.configGeneration = 1;
    const ready = await this.resources.prepare(read.config, read.text);
    let synced: Prepared;
    try {
      synced = await this.prepareSync(read.config, read.text);
    } catch (err) {
      await ready.abort();
      throw err;
    }
    await ready.commit();
    await synced.commit();
    this.appliedHash = read.hash;
    for (const w of this.config.warnings) {
      this.log.warn({ at: `${w.location.file}:${w.location.line}` }, w.message);
    }
    this.monitorFiles = new MonitorFiles({ logger: this.log });
    this.alerts = new Alerts(this.config, { logger: this.log });
    // "Inaccessible real server" reminders (emailalertfreq); ldirectord checks after every pass.
    this.reminderTimer = setInterval(() => this.alerts.tick(Date.now(), this.alertStatus()), 5000);
    this.reminderTimer.unref();
    this.director = new Director({ backend: this.opts.backend, config: this.config });
    this.director.on("applied", (e) => this.onApplied(e));
    this.director.on("fallback", (e) => this.onFallback(e.virtualId, e.active));
    this.director.on("error", (err) => this.log.error({ err }, "kernel table update failed; will retry"));
    this.control = new RuntimeControl(
      {
        log: this.log,
        reals: () => this.reals,
        virtuals: () => this.config.virtuals,
        apply: (id, o) => this.director.setOverride(id, o),
        settled: () => this.director.flush(),
        checkNow: async (id) => {
          const result = await this.monitor.checkNow(id);
          if (!result) return undefined;
          return { result, at: this.monitor.snapshot().find((p) => p.id === id)?.lastCheckAt ?? Date.now() };
        },
      },
      this.stateFilePath(this.config),
    );
    // Before the first pass, so a real drained before a restart is not put back at full weight.
    await this.control.load();
    await this.director.start();
    const probes = probesFor(this.config, realId);
    this.checkPool = new CheckPool({
      workers: this.workersFor(probes),
      onEvent: (e) => this.onPoolEvent(e),
    });
    this.monitor = new Monitor({ run: this.checkPool.run });
    this.monitor.on("result", (e) => this.onResult(e.id, e.result));
    this.monitor.on("transition", (e) => this.onTransition(e.id, e.from, e.to, e.result.reason));
    this.monitor.sync(probes);
    await this.syncMaintenance();
    if (this.config.global.autoreload) await this.watch();
    this.instances = new Instances(this.log, this.opts.instanceArgs);
    await this.instances.sync(this.config.global.execute);
    this.state = "running";
    this.log.info(
      { virtuals: this.config.virtuals.length, backend: this.opts.backend.name },
      `ldirector started for ${this.config.file}`,
    );
    // Off the start path: the first table is written before prom-client is loaded.
    this.metricsRegistry.load().catch((err: unknown) => this.log.error({ err }, "metrics unavailable"));
  }

  /**
   * Re-reads the config. A bad file, or one whose listeners or files cannot be had,
   * changes nothing (the running config, its resources, its health and the kernel table
   * stay); a good one is applied as a diff: unchanged probes keep their state and timers,
   * the director touches only what changed.
   *
   * Level-triggered: a request while a reload runs schedules one more, which reads the
   * file afresh once the running one is done; requests while that one waits join it.
   */
  reload(reason = "control socket"): Promise<ReloadOutcome> {
    if (this.reloading) {
      this.nextReload ??= this.reloading.then(() => {
        this.nextReload = undefined;
        return this.reload(reason);
      });
      return this.nextReload;
    }
    const running = this.doReload(reason).catch((err: unknown) => this.rejected(reason, [errorText(err)]));
    this.reloading = running.finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private rejected(reason: string, errors: string[]): ReloadOutcome {
    this.counters.reloadErrors++;
    this.log.error({ errors, reason }, "new configuration rejected; keeping the running one");
    return { ok: false, errors };
  }

  private async doReload(reason: string): Promise<ReloadOutcome> {
    if (this.state !== "running") return { ok: false, errors: [`not running (${this.state})`] };
    this.state = "reloading";
    try {
      let read: ConfigRead;
      try {
        read = await this.read();
      } catch (err) {
        return this.rejected(
          reason,
          err instanceof ConfigErrors ? err.errors.map((e) => e.message) : [errorText(err)],
        );
      }
      const next = read.config;
      const refused = restartNeeded(this.config, next, read.text);
      if (refused.length) return this.rejected(reason, refused);
      let ready: Prepared;
      try {
        ready = await this.resources.prepare(next, read.text);
      } catch (err) {
        return this.rejected(reason, [errorText(err)]);
      }
      let store: Prepared;
      try {
        store = await this.prepareStateFile(next, read.text);
      } catch (err) {
        await ready.abort();
        return this.rejected(reason, [errorText(err)]);
      }
      // Last, as it is the one step that changes the kernel: nothing after it can fail.
      let synced: Prepared;
      try {
        synced = await this.prepareSync(next, read.text);
      } catch (err) {
        await store.abort();
        await ready.abort();
        return this.rejected(reason, [errorText(err)]);
      }
      // Everything the new config needs is in hand: from here on it takes effect.
      await ready.commit();
      await store.commit();
      await synced.commit();
      const autoreloadChanged = next.global.autoreload !== this.config.global.autoreload;
      this.setConfig(next);
      this.appliedHash = read.hash;
      this.counters.reloads++;
      this.counters.configGeneration++;
      await this.control.prune();
      this.transitions.retain(new Set(this.reals.keys()));
      this.alerts.update(next);
      this.director.setConfig(next);
      const probes = probesFor(next, realId);
      this.checkPool.resize(this.workersFor(probes));
      this.monitor.sync(probes);
      await this.syncMaintenance();
      await this.instances.sync(next.global.execute);
      if (autoreloadChanged) {
        await this.watcher?.close();
        this.watcher = undefined;
        if (next.global.autoreload) await this.watch();
      }
      // The answer to `ldirector reload` means the table has the new config.
      await this.director.flush();
      this.log.info({ reason, virtuals: next.virtuals.length }, "configuration reloaded");
      await this.runCallback();
      return { ok: true };
    } finally {
      if (this.state === "reloading") this.state = "running";
    }
  }

  /** statefile= moved: the control writes the new file now and switches to it on commit. */
  private async prepareStateFile(next: Config, text: string): Promise<Prepared> {
    const path = this.stateFilePath(next);
    try {
      return await this.control.prepareMove(path);
    } catch (err) {
      throw new PrepareError(
        `${directiveLine(text, next.file, "statefile")}: statefile=${path}: ${errorText(err)}`,
      );
    }
  }

  /** syncdaemon=: the sync daemons the config asks for, or a PrepareError naming its line. */
  private async prepareSync(next: Config, text: string): Promise<Prepared> {
    try {
      return await this.sync.prepare(next.global.sync);
    } catch (err) {
      const line = directiveLine(text, next.file, "syncdaemon");
      throw new PrepareError(`${line}: syncdaemon=: ${errorText(err)}`);
    }
  }

  private stateFilePath(config: Config): string {
    return config.global.stateFile ?? this.opts.stateFile ?? defaultStateFile(config.file);
  }

  /** Stops checks, then cleans the kernel table per cleanstop, then runs fallbackcommand stop. */
  async stop(): Promise<void> {
    if (this.state === "stopping" || this.state === "stopped") return;
    this.state = "stopping";
    // A reload waiting to run sees "stopping" and does nothing.
    this.stopStep = "a reload in progress";
    await this.reloading;
    await this.nextReload;
    this.stopStep = "watchers";
    await this.watcher?.close();
    await this.maintenance?.close();
    this.control?.close();
    clearInterval(this.reminderTimer);
    this.stopStep = "execute= instances to stop";
    await this.instances?.stopAll();
    this.stopStep = "checks in flight";
    await this.monitor?.stop();
    await this.checkPool?.close();
    const active = this.director ? this.activeFallbacks() : [];
    this.stopStep = "the kernel table cleanup (cleanstop=)";
    await this.director?.stop({ clean: true });
    this.stopStep = "the sync daemons (syncdaemon=)";
    await this.sync.stop().catch((err: unknown) => this.log.error({ err }, "sync daemons not stopped"));
    // ldirectord never runs fallbackcommand on shutdown (resource-agents #750); a
    // started sorry service would be left running. Stop it for virtuals that were
    // cleaned out of the table.
    this.stopStep = "fallbackcommand stop";
    await Promise.all(active.filter((v) => v.cleanStop).map((v) => this.runFallbackCommand(v, "stop")));
    this.stopStep = "listeners and files";
    await this.resources.close();
    await this.monitorFiles?.close();
    await this.alerts?.close();
    this.state = "stopped";
    this.stopStep = undefined;
    this.log.info("ldirector stopped");
  }

  /** After logrotate: reopen monitorfiles (the log file itself belongs to the logger). */
  async reopenFiles(): Promise<void> {
    await this.monitorFiles.reopen();
  }

  /** Everything an operator may want to see (`ldirector status`, the web page, metrics). */
  async status(): Promise<StatusView> {
    // The control socket is up before the director has read the table: say so at once.
    if (!this.director || !this.monitor) throw new ApiError(503, `ldirector is ${this.state}`);
    // Connection counts are extra: a hung ipvsadm must not hold `status` up.
    const counts = await this.connectionCounts.get(STATUS_WAIT_MS);
    const connections: Record<string, ConnCounts> = {};
    for (const [id, { v, r }] of this.reals) {
      const c = counts.get(connectionKey(v, r));
      if (c) connections[id] = c;
    }
    return statusView({
      state: this.state,
      pid: process.pid,
      config: this.config.file,
      backend: this.opts.backend.name,
      startedAt: this.startedAt,
      webControl: this.config.global.webControl,
      director: this.director.status(),
      probes: this.monitor.snapshot(),
      connections,
      overrides: this.control.current(),
      windows: this.control.windows(),
      transitions: this.transitions.list(),
      daemon: { ...this.counters, ...this.poolCounters() },
      role: this.control.role(),
      syncDaemons: this.sync.view(),
    });
  }

  async metrics(): Promise<{ contentType: string; text: string }> {
    const text = await this.metricsRegistry.render(await this.status());
    return { contentType: this.metricsRegistry.contentType, text };
  }

  /** An operator's verb (drain, disable, weight, …): the control runs it, once the daemon is up. */
  async act(verb: Verb | VerbName, body: Record<string, unknown>): Promise<VerbResult> {
    if (this.state !== "running" && this.state !== "reloading")
      throw new ApiError(503, `ldirector is ${this.state}`);
    return this.control.run(typeof verb === "string" ? verbNamed(verb)! : verb, body);
  }

  /** Reads (bounded: a FIFO or a hung mount is refused) and validates; throws ConfigErrors. */
  private async read(): Promise<ConfigRead> {
    const read = await readConfig(this.opts.configPath);
    this.opts.validate?.(read.config);
    return read;
  }

  private alertStatus(): AlertStatus {
    return this.state === "stopped" ? "stopping" : this.state;
  }

  /**
   * Checks that ldirector saw too late to judge (see checks/run.ts overloaded()): health
   * is left as it is, and the operator is told, at most once every 10 s, with a count.
   */
  private noteOverload(id: string, reason: string): void {
    this.overload.count++;
    const now = Date.now();
    if (now - this.overload.since < 10_000) return;
    this.log.warn(
      { inconclusive: this.overload.count, example: id, reason },
      "checks are falling behind: ldirector is overloaded; results too late to judge leave health unchanged",
    );
    this.overload = { since: now, count: 0 };
  }

  private setConfig(config: Config): void {
    this.config = config;
    this.reals = new Map(
      config.virtuals.flatMap((v) => v.reals.map((r) => [realId(v, r), { v, r }] as const)),
    );
  }

  private poolCounters(): { checkWorkers: number; checkWorkersUp: number; checkWorkerExits: number } {
    const p = this.checkPool.stats();
    return { checkWorkers: p.workers, checkWorkersUp: p.up, checkWorkerExits: p.exits };
  }

  private workersFor(probes: readonly ProbeSpec[]): number {
    const rate = checksPerSecond(probes);
    const workers = workersFor(rate, this.opts.checkWorkers ?? "auto");
    if (workers > (this.checkPool?.size ?? 0)) {
      this.log.info({ workers, checksPerSecond: Math.round(rate) }, "checks run in worker threads");
    }
    return workers;
  }

  private onPoolEvent(e: PoolEvent): void {
    if (e.type === "worker-up") return;
    if (e.type === "worker-exit") {
      this.log.error(
        { worker: e.worker, code: e.code, checksLost: e.lost },
        "check worker exited; its checks in flight count as inconclusive, a new one starts",
      );
    } else {
      this.log.error(
        { worker: e.worker, silentMs: e.silentMs, overdue: e.overdue },
        "check worker stalled; replacing it",
      );
    }
  }

  private onResult(id: string, result: CheckResult): void {
    if (result.inconclusive) this.noteOverload(id, result.reason);
    const found = this.reals.get(id);
    if (found) this.metricsRegistry.observeCheck(found.v.id, result);
    if (!found?.v.monitorFile) return;
    this.monitorFiles.record(
      found.v,
      ldirectordRealId(found.v, found.r),
      result.ok,
      result.reason,
      new Date(),
    );
  }

  private onTransition(id: string, from: Health, to: Health, reason: string): void {
    this.director.setHealth(id, to);
    const found = this.reals.get(id);
    const level = to === "down" ? "warn" : "info";
    this.log[level]({ real: id, from, to, reason }, `real server ${to}: ${id} (${reason})`);
    if (!found) return;
    const { v, r } = found;
    const real = hostPort(r.address, r.port);
    this.transitions.add({ at: Date.now(), virtual: v.id, real, id, from, to, reason });
    if (from === "unknown") return;
    if (to === "down") this.alerts.event(v.quiescent ? "quiescent" : "deleted", v, real, this.alertStatus());
    // ldirectord says "Restored" for a real brought back from weight 0, "Added" for one re-inserted.
    if (to === "up") {
      this.alerts.event(v.quiescent ? "restored" : "added", v, real, this.alertStatus(), {
        weight: r.weight,
      });
    }
  }

  private onApplied(e: { ops: unknown[]; failed: { error: string }[]; execs: number }): void {
    if (e.ops.length === 0) return;
    this.log.info({ ops: e.ops.length, failed: e.failed.length, execs: e.execs }, "kernel table updated");
    for (const f of e.failed) this.log.error({ error: f.error }, "kernel refused a change");
    this.opts.onTableChange?.(this.tableText());
  }

  private onFallback(virtualId: string, active: boolean): void {
    const v = this.config.virtuals.find((x) => x.id === virtualId);
    this.log.warn({ virtual: virtualId, active }, active ? "fallback server in" : "fallback server out");
    if (v) void this.runFallbackCommand(v, active ? "start" : "stop");
  }

  private activeFallbacks(): VirtualService[] {
    const st = this.director.status();
    return this.config.virtuals.filter((v) => st.virtuals.find((s) => s.id === v.id)?.fallbackActive);
  }

  private async runFallbackCommand(v: VirtualService, action: "start" | "stop"): Promise<void> {
    if (!v.fallbackCommand) return;
    let argv: string[];
    try {
      argv = fallbackCommandArgv(v.fallbackCommand, action, v);
    } catch (err) {
      this.log.error(
        { virtual: v.id, err: String(err) },
        "fallbackcommand cannot be split into words; not run",
      );
      return;
    }
    const r = await runCommand(argv, { timeoutMs: 30_000 });
    const fields = { virtual: v.id, action, code: r.code, signal: r.signal, timedOut: r.timedOut };
    if (r.code === 0) this.log.info(fields, "fallbackcommand ran");
    else this.log.error({ ...fields, output: r.output }, "fallbackcommand failed");
  }

  private async runCallback(): Promise<void> {
    const cb = this.config.global.callback;
    if (!cb) return;
    const argv = await callbackArgv(cb, this.config.file);
    if (!argv) return this.log.warn({ callback: cb }, "callback is not executable; not run");
    const r = await runCommand(argv, { timeoutMs: 30_000 });
    if (r.code !== 0) this.log.error({ callback: cb, code: r.code, output: r.output }, "callback failed");
  }

  /**
   * metricsaddress=: the status page at /, status JSON at /status, Prometheus metrics at
   * /metrics; runtime actions only with webcontrol=yes, and only for requests whose Host
   * names this listener or a metricshost= name (both read per request: reloads change them).
   */
  private webHandler(at: ListenAddress) {
    return apiHandler(this, {
      page: statusPage,
      actions: () => this.config.global.webControl,
      requireActionHeader: true,
      reload: false,
      hosts: () => ({ address: at.address, port: at.port, names: this.config.global.metricsHost ?? [] }),
    });
  }

  /** maintenancedir=: files there force reals down; watched, so changes apply at once. */
  private async syncMaintenance(): Promise<void> {
    const dir = this.config.global.maintenanceDir;
    if (this.maintenance && this.maintenance.dir !== dir) {
      await this.maintenance.close();
      this.maintenance = undefined;
      this.director.setMaintenance(new Set());
    }
    if (!dir) return;
    this.maintenance ??= new MaintenanceWatch(
      dir,
      (down) => {
        if (down.size) this.log.info({ reals: [...down] }, "reals in maintenance");
        this.director.setMaintenance(down);
      },
      (err) => this.log.warn({ err: String(err), dir }, "maintenancedir cannot be read"),
    );
    await this.maintenance.setConfig(this.config);
  }

  private async watch(): Promise<void> {
    this.watcher = await watchConfig(
      this.opts.configPath,
      () => {
        this.log.info({ file: this.opts.configPath }, "configuration file changed on disk");
        void this.reload("autoreload");
      },
      {
        // Compared with the file last applied, not the last seen: a save that could not be
        // applied is tried again when saved again.
        applied: () => this.appliedHash,
        onError: (err) => this.log.warn({ err: err.message }, "autoreload watch error"),
      },
    );
  }

  /** A short table of what the kernel holds now, for the demo and `status`. */
  tableText(): string {
    return formatDirectorStatus(this.director.status());
  }
}

type DirectorStatus = ReturnType<Director["status"]>;

/** The key a backend's connection counts use for this real (conntrack.ts's connKey). */
function connectionKey(v: VirtualService, r: RealServer): string {
  const port = destPort(v, r.forward, r.port);
  if (v.fwmark !== undefined)
    return connKey("fwmark", String(v.fwmark), 0, canonicalAddress(r.address), port);
  return connKey(v.protocol, canonicalAddress(v.address!), v.port, canonicalAddress(r.address), port);
}

export function formatDirectorStatus(
  st: DirectorStatus,
  connections: Record<string, ConnCounts> = {},
): string {
  const lines: string[] = [];
  for (const v of st.virtuals) {
    lines.push(`${v.id}${v.fallbackActive ? "  (fallback active)" : ""}`);
    for (const r of v.reals) {
      const w = r.tableWeight === undefined ? "absent" : `weight ${r.tableWeight}`;
      const c = connections[r.id];
      const conns = c ? `  conns ${c.active} active, ${c.inactive} inactive` : "";
      lines.push(`  -> ${r.address.padEnd(24)} ${r.health.padEnd(8)} ${w.padEnd(10)}${conns}`.trimEnd());
    }
  }
  return lines.join("\n");
}
