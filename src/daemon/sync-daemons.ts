// syncdaemon=: the IPVS connection sync daemons this director runs. Started at start,
// stopped at a clean stop only when this process started them (one found running as
// configured is adopted as it is: a director killed and started again writes nothing),
// changed by a reload as one step of its transaction: stop and start in one exec, and on
// failure the daemons that ran before are put back and the reload is refused.
import type { Logger } from "pino";
import type { SyncSettings } from "../config/types.js";
import type { Backend } from "../ipvs/backend.js";
import { sameSyncDaemon, type SyncDaemon, type SyncDaemonRole } from "../ipvs/sync-daemon.js";
import { type Prepared, unchanged } from "./prepared.js";

export interface SyncDaemonView extends SyncDaemon {
  /** This process started it (and so stops it at a clean stop); false: adopted as found. */
  startedHere: boolean;
}

function wanted(settings: SyncSettings | undefined): SyncDaemon[] {
  if (!settings) return [];
  return settings.roles.map((role) => ({ role, interface: settings.interface, syncId: settings.syncId }));
}

const describe = (d: SyncDaemon) => `${d.role} on ${d.interface} (syncid ${d.syncId})`;

export class SyncDaemons {
  /** What runs, as last read back; and which roles this process started. */
  private running: SyncDaemon[] = [];
  private startedHere = new Set<SyncDaemonRole>();
  /** Whether this process has read the kernel's daemons (it does only once a config asks for one). */
  private known = false;

  constructor(
    private readonly backend: Backend,
    private readonly log: Logger,
  ) {}

  view(): SyncDaemonView[] {
    return this.running.map((d) => ({ ...d, startedHere: this.startedHere.has(d.role) }));
  }

  /**
   * Makes the running daemons what `settings` asks for; throws Error with ipvsadm's words
   * when it cannot (the daemons that ran before are back). Returns how to commit (nothing
   * more to do) or abort (put the old ones back). A config without syncdaemon= touches
   * nothing, not even a read: daemons someone else runs are theirs.
   */
  async prepare(settings: SyncSettings | undefined): Promise<Prepared> {
    const want = wanted(settings);
    if (want.length === 0 && this.startedHere.size === 0) return unchanged;
    if (!this.backend.syncDaemons || !this.backend.changeSyncDaemons) {
      throw new Error(`the ${this.backend.name} backend has no IPVS connection sync daemon`);
    }
    if (!this.known) {
      this.running = await this.backend.syncDaemons();
      this.known = true;
      for (const d of this.running) {
        if (want.some((w) => sameSyncDaemon(w, d)))
          this.log.info({ daemon: describe(d) }, "sync daemon found running as configured; adopted");
      }
    }
    const before = this.running;
    const startedBefore = new Set(this.startedHere);
    // Roles to stop: running otherwise than wanted; or no longer wanted and started here.
    const stop = before
      .filter((d) => {
        const w = want.find((x) => x.role === d.role);
        return w ? !sameSyncDaemon(w, d) : this.startedHere.has(d.role);
      })
      .map((d) => d.role);
    const start = want.filter((w) => !before.some((d) => sameSyncDaemon(w, d)));
    if (stop.length === 0 && start.length === 0) return unchanged;
    const change = await this.backend.changeSyncDaemons(stop, start);
    this.running = change.daemons;
    const failed = start.filter((w) => !change.daemons.some((d) => sameSyncDaemon(w, d)));
    if (failed.length > 0) {
      await this.restore(before, startedBefore);
      throw new Error(
        `cannot start the sync daemon ${failed.map(describe).join(", ")}: ${change.errors.join("; ") || "not running after the start"}`,
      );
    }
    for (const role of stop) this.startedHere.delete(role);
    for (const d of start) this.startedHere.add(d.role);
    if (stop.length) this.log.info({ roles: stop }, "sync daemons stopped");
    for (const d of start) this.log.info({ daemon: describe(d) }, "sync daemon started");
    return {
      commit: async () => {},
      abort: () => this.restore(before, startedBefore),
    };
  }

  /** A clean stop: the daemons this process started go; adopted ones stay. */
  async stop(): Promise<void> {
    const roles = this.running.filter((d) => this.startedHere.has(d.role)).map((d) => d.role);
    if (roles.length === 0 || !this.backend.changeSyncDaemons) return;
    const change = await this.backend.changeSyncDaemons(roles, []);
    this.running = change.daemons;
    this.startedHere.clear();
    if (change.errors.length) this.log.warn({ errors: change.errors }, "sync daemons did not all stop");
    else this.log.info({ roles }, "sync daemons stopped");
  }

  /** Back to `before`: what runs now and is not in it goes, what is missing from it starts. */
  private async restore(before: SyncDaemon[], startedBefore: Set<SyncDaemonRole>): Promise<void> {
    const now = this.running;
    const stop = now.filter((d) => !before.some((b) => sameSyncDaemon(b, d))).map((d) => d.role);
    const start = before.filter((b) => !now.some((d) => sameSyncDaemon(b, d)));
    if (stop.length || start.length) {
      const change = await this.backend.changeSyncDaemons!(stop, start);
      this.running = change.daemons;
      if (change.errors.length)
        this.log.error({ errors: change.errors }, "sync daemons could not all be put back");
    }
    this.startedHere = startedBefore;
  }
}
