// The one owner of operator overrides at run time: it holds them, saves them to the
// state file before they take effect, hands the director the override of each real, and
// runs the verbs of verbs.ts. The daemon wires it to the director and the monitor.
import { rename, rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { CheckResult } from "../checks/types.js";
import type { RealServer, VirtualService } from "../config/types.js";
import { hostPort } from "../director/ids.js";
import { effectiveOverrides, type RealRef } from "./effective.js";
import { findReal, findVirtual } from "./find-real.js";
import type { Override } from "./override.js";
import { Refused } from "./refused.js";
import type { Role, RoleView } from "./role.js";
import { StateFile } from "./state-file.js";
import type { SavedState } from "./state-ini.js";
import { Schedule } from "./schedule.js";
import { type Verb, type VerbName, type VerbResult, readParams } from "./verbs.js";
import { covers, cronProblem, parseDuration, type Window, type WindowView, windowView } from "./window.js";

export interface ControlDeps {
  log: Logger;
  /** The reals of the config in effect, by realId. */
  reals(): ReadonlyMap<string, { v: VirtualService; r: RealServer }>;
  virtuals(): readonly VirtualService[];
  /** Gives the director the override a real has now (undefined: none). */
  apply(id: string, override: Override | undefined): void;
  /** Resolves once the kernel table has everything applied so far. */
  settled(): Promise<void>;
  /** Runs the real's check now; undefined when it is not being checked. */
  checkNow(id: string): Promise<{ result: CheckResult; at: number } | undefined>;
}

type Params = Record<string, string | number>;
type Handler = (p: Params) => Promise<VerbResult>;

export class RuntimeControl {
  /** Operators' overrides by realId and the maintenance windows, as saved in the state file. */
  private state: SavedState = { overrides: new Map(), windows: [] };
  private store: StateFile;
  private changes: Promise<void> = Promise.resolve();

  /** One per row of the verb table; the compiler refuses a row without its handler. */
  private readonly handlers: Record<VerbName, Handler> = {
    drain: (p) => this.setOverride(p, "drain", (since) => ({ mode: "drained", since })),
    disable: (p) => this.setOverride(p, "disable", (since) => ({ mode: "disabled", since })),
    enable: (p) => this.setOverride(p, "enable", () => undefined),
    weight: (p) =>
      this.setOverride(p, "weight", (since) => ({ mode: "weighted", weight: Number(p.weight), since })),
    recheck: (p) => this.recheck(p),
    "schedule-add": (p) => this.addWindow(p),
    "schedule-list": async () => ({ action: "schedule-list", windows: this.windows() }),
    "schedule-remove": (p) => this.removeWindow(Number(p.id)),
    role: async (p) => this.setRole(p.role as Role),
  };
  /** What VRRP last said; in memory only (see role.ts). */
  private roleNow: RoleView = { role: "unknown" };
  /** What the director was last given, by realId: only changes are passed on. */
  private applied = new Map<string, Override>();
  private readonly schedule: Schedule;

  constructor(
    private readonly deps: ControlDeps,
    stateFile: string,
  ) {
    this.store = new StateFile(stateFile);
    this.schedule = new Schedule(
      {
        opened: (id, at) => void this.opened(id, at),
        closed: () => this.refresh(),
      },
      deps.log,
    );
  }

  get stateFile(): string {
    return this.store.path;
  }

  /** The override in force on each real now: the operator's own and any open window's, the strongest. */
  current(): ReadonlyMap<string, Override> {
    return this.applied;
  }

  role(): RoleView {
    return { ...this.roleNow };
  }

  /** Records and logs the role; the table is not touched (the standby is already warm). */
  private setRole(role: Role): VerbResult {
    const was = this.roleNow.role;
    if (role !== was) {
      this.roleNow = { role, since: Date.now() };
      const level = role === "fault" ? "warn" : "info";
      this.deps.log[level]({ role, was }, `director role: ${role} (was ${was})`);
    }
    return { action: "role", role: this.role() };
  }

  /** Every maintenance window, as status shows it. */
  windows(now = Date.now()): WindowView[] {
    return this.state.windows.map((w) => windowView(w, now));
  }

  /** Stops the windows' clocks (the daemon is stopping). */
  close(): void {
    this.schedule.close();
  }

  /** Runs a verb on operands as the CLI or the API gave them; throws Refused. */
  run(verb: Verb, body: Record<string, unknown>): Promise<VerbResult> {
    return this.handlers[verb.name as VerbName](readParams(verb, body));
  }

  /** Reads the state file once, at start; a file that cannot be read is kept aside and logged. */
  async load(): Promise<void> {
    try {
      this.state = await this.store.load();
    } catch (err) {
      // Kept aside, not overwritten by the next save: an operator may want what was in it.
      const aside = `${this.store.path}.unreadable`;
      await rename(this.store.path, aside).catch(() => {});
      this.deps.log.error(
        { file: this.store.path, keptAs: aside, err: String(err) },
        "state file cannot be read; starting with no operator overrides",
      );
    }
    if (this.state.overrides.size)
      this.deps.log.info(
        { overrides: Object.fromEntries(this.state.overrides) },
        "operator overrides restored",
      );
    await this.prune();
    this.refresh();
  }

  /** Overrides and windows of reals (or virtuals) the config no longer has are dropped. */
  async prune(): Promise<void> {
    await this.change(async () => {
      const reals = this.deps.reals();
      const refs = this.realRefs();
      const gone = [...this.state.overrides.keys()].filter((id) => !reals.has(id));
      const stale = this.state.windows.filter((w) => !refs.some((r) => covers(w, r.virtual, r.real)));
      if (gone.length === 0 && stale.length === 0) return;
      const overrides = new Map(this.state.overrides);
      for (const id of gone) overrides.delete(id);
      if (gone.length)
        this.deps.log.info({ reals: gone }, "overrides dropped: those reals are no longer in the config");
      if (stale.length)
        this.deps.log.info(
          { windows: stale.map((w) => w.id) },
          "maintenance windows dropped: they name no real of the config",
        );
      await this.save({ overrides, windows: this.state.windows.filter((w) => !stale.includes(w)) });
    }).catch(() => {});
    this.refresh();
  }

  /**
   * statefile= moved: the overrides are written to the new file first (atomically); on
   * commit the new file is the store and the old one goes, so a restart finds them there.
   * Throws when the new file cannot be written (the reload is then refused).
   */
  async prepareMove(path: string): Promise<{ commit(): Promise<void>; abort(): Promise<void> }> {
    if (path === this.store.path) return { commit: async () => {}, abort: async () => {} };
    const store = new StateFile(path);
    const snapshot = this.state;
    await store.save(snapshot);
    const old = this.store;
    return {
      commit: () =>
        this.change(async () => {
          this.store = store;
          // A change that came in since the snapshot is saved to the new file too.
          if (this.state !== snapshot) await store.save(this.state);
          await rm(old.path, { force: true });
          this.deps.log.info({ from: old.path, to: path }, "state file moved");
        }).catch((err: unknown) => this.deps.log.error({ err: String(err) }, "state file move incomplete")),
      abort: () => rm(path, { force: true }),
    };
  }

  /** Saved before it is applied, answered once the kernel table has it. */
  private async setOverride(
    p: Params,
    action: VerbName,
    make: (since: number) => Override | undefined,
  ): Promise<VerbResult> {
    const { v, r, id } = findReal(this.deps.virtuals(), String(p.virtual), String(p.real));
    const override = make(Date.now());
    await this.change(async () => {
      const overrides = new Map(this.state.overrides);
      if (override) overrides.set(id, override);
      else overrides.delete(id);
      await this.save({ ...this.state, overrides });
      this.refresh();
    });
    const what = !override
      ? "enabled"
      : override.mode === "weighted"
        ? `set weight ${override.weight} on`
        : override.mode;
    this.deps.log.info(
      { real: id, virtual: v.id, action, weight: r.weight, override },
      `operator ${what} ${id}`,
    );
    await this.deps.settled();
    return { id, action, ...(override ? { override: { ...override } } : {}) };
  }

  private async recheck(p: Params): Promise<VerbResult> {
    const { id } = findReal(this.deps.virtuals(), String(p.virtual), String(p.real));
    const done = await this.deps.checkNow(id);
    if (!done) throw new Refused("conflict", `${id} is not being checked`);
    // The result has already reached the director; answer once the table agrees with it.
    await this.deps.settled();
    const { ok, reason, latencyMs } = done.result;
    return { id, action: "recheck", check: { ok, reason, latencyMs, at: done.at } };
  }

  /** `schedule add VIRTUAL REAL|all drain|disable "[TZ=Zone] CRON" DURATION`. */
  private async addWindow(p: Params): Promise<VerbResult> {
    const v = findVirtual(this.deps.virtuals(), String(p.virtual));
    const found = String(p.real) === "all" ? undefined : findReal([v], v.id, String(p.real)).r;
    const real = found ? hostPort(found.address, found.port) : "all";
    const tz = /^\s*(?:CRON_)?TZ=(\S+)\s+(.*)$/.exec(String(p.cron));
    const cron = (tz ? tz[2]! : String(p.cron)).trim();
    const timezone = tz?.[1];
    const problem = cronProblem(cron, timezone);
    if (problem) throw new Refused("bad-request", problem);
    let durationMs: number;
    try {
      durationMs = parseDuration(String(p.duration));
    } catch (err) {
      throw new Refused("bad-request", (err as Error).message);
    }
    let added!: Window;
    await this.change(async () => {
      const id = Math.max(0, ...this.state.windows.map((w) => w.id)) + 1;
      added = {
        id,
        virtual: v.id,
        real,
        mode: p.mode === "disable" ? "disabled" : "drained",
        cron,
        ...(timezone !== undefined ? { timezone } : {}),
        durationMs,
      };
      await this.save({ ...this.state, windows: [...this.state.windows, added] });
      this.refresh();
    });
    this.deps.log.info({ window: added }, `maintenance window ${added.id} added`);
    return { action: "schedule-add", window: windowView(added, Date.now()) };
  }

  private async removeWindow(id: number): Promise<VerbResult> {
    let removed: Window | undefined;
    await this.change(async () => {
      removed = this.state.windows.find((w) => w.id === id);
      if (!removed) return;
      await this.save({ ...this.state, windows: this.state.windows.filter((w) => w !== removed) });
      this.refresh();
    });
    if (!removed)
      throw new Refused("not-found", `no maintenance window ${id} (\`ldirector schedule list\` shows them)`);
    this.deps.log.info({ window: removed }, `maintenance window ${id} removed`);
    await this.deps.settled();
    return { action: "schedule-remove", window: windowView(removed, Date.now()) };
  }

  /** A window's cron time came: saved with its start, so a restart keeps it open until the same end. */
  private async opened(id: number, at: number): Promise<void> {
    await this.change(async () => {
      const windows = this.state.windows.map((w) => (w.id === id ? { ...w, openedAt: at } : w));
      const w = windows.find((x) => x.id === id);
      if (!w) return;
      this.deps.log.info(
        { window: id, mode: w.mode, virtual: w.virtual, real: w.real },
        `maintenance window ${id} opens`,
      );
      try {
        await this.save({ ...this.state, windows });
      } catch {
        // Not saved: it still opens now, it just would not survive a restart (logged by save).
        this.state = { ...this.state, windows };
      }
      this.refresh();
    }).catch(() => {});
  }

  /** The reals of the config as windows name them. */
  private realRefs(): RealRef[] {
    return [...this.deps.reals()].map(([id, { v, r }]) => ({
      id,
      virtual: v.id,
      real: hostPort(r.address, r.port),
    }));
  }

  /**
   * Tells the director what changed in the override of each real (the operator's own
   * combined with every open window), and sets the windows' clocks to the saved state.
   */
  private refresh(now = Date.now()): void {
    const next = effectiveOverrides(this.state.overrides, this.state.windows, this.realRefs(), now);
    for (const id of this.applied.keys()) if (!next.has(id)) this.deps.apply(id, undefined);
    for (const [id, o] of next) if (!same(this.applied.get(id), o)) this.deps.apply(id, o);
    this.applied = next;
    this.schedule.sync(this.state.windows, now);
  }

  /**
   * Changes run one at a time: each copies the current set, saves it and only then makes
   * it current, so two at once (two clicks on the page) would otherwise save a set
   * missing the other's change.
   */
  private change(step: () => Promise<void>): Promise<void> {
    const done = this.changes.then(step);
    this.changes = done.catch(() => {});
    return done;
  }

  /** Saves first, then takes effect: an override that could not be saved would not survive a restart. */
  private async save(next: SavedState): Promise<void> {
    try {
      await this.store.save(next);
    } catch (err) {
      this.deps.log.error({ file: this.store.path, err: String(err) }, "state file cannot be written");
      throw new Refused("failed", `cannot write the state file ${this.store.path}: ${String(err)}`);
    }
    this.state = next;
  }
}

function same(a: Override | undefined, b: Override | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
