// The one owner of operator overrides at run time: it holds them, saves them to the
// state file before they take effect, hands the director the override of each real, and
// runs the verbs of verbs.ts. The daemon wires it to the director and the monitor.
import { rename, rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { CheckResult } from "../checks/types.js";
import type { RealServer, VirtualService } from "../config/types.js";
import { findReal } from "./find-real.js";
import type { Override } from "./override.js";
import { Refused } from "./refused.js";
import { StateFile } from "./state-file.js";
import type { SavedState } from "./state-ini.js";
import { type Verb, type VerbName, type VerbResult, readParams } from "./verbs.js";

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
  };

  constructor(
    private readonly deps: ControlDeps,
    stateFile: string,
  ) {
    this.store = new StateFile(stateFile);
  }

  get stateFile(): string {
    return this.store.path;
  }

  /** The override of each real now. */
  current(): ReadonlyMap<string, Override> {
    return this.state.overrides;
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
    for (const [id, o] of this.state.overrides) this.deps.apply(id, o);
  }

  /** An override of a real the config no longer has is dropped (the real is gone). */
  async prune(): Promise<void> {
    await this.change(async () => {
      const reals = this.deps.reals();
      const gone = [...this.state.overrides.keys()].filter((id) => !reals.has(id));
      if (gone.length === 0) return;
      const overrides = new Map(this.state.overrides);
      for (const id of gone) overrides.delete(id);
      this.deps.log.info({ reals: gone }, "overrides dropped: those reals are no longer in the config");
      await this.save({ ...this.state, overrides });
      for (const id of gone) this.deps.apply(id, undefined);
    }).catch(() => {});
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
      this.deps.apply(id, override);
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
