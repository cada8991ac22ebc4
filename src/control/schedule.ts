// The clocks of the maintenance windows: a node-cron task per window fires its openings,
// a timer per open window its closing. It holds no state of its own that matters: the
// control says which windows there are (sync), and is told when one opens or closes.
import { createTask, type Logger as CronLogger, type ScheduledTask } from "node-cron";
import type { Logger } from "pino";
import { closesAt, isOpen, type Window } from "./window.js";

export interface ScheduleEvents {
  /** A window's cron time came: it opens at `at` (the scheduled time). */
  opened(id: number, at: number): void;
  /** A window's opening has run its duration. */
  closed(id: number): void;
}

export class Schedule {
  private readonly tasks = new Map<number, { task: ScheduledTask; key: string }>();
  private readonly closers = new Map<number, { timer: NodeJS.Timeout; at: number }>();
  private closed = false;

  /** node-cron's own messages (a missed opening when the process stalled) go to the daemon's log. */
  private readonly cronLog: CronLogger | undefined;

  constructor(
    private readonly events: ScheduleEvents,
    log?: Logger,
  ) {
    this.cronLog = log && {
      info: (m) => log.info({ component: "node-cron" }, m),
      warn: (m) => log.warn({ component: "node-cron" }, m),
      error: (m, err) => log.error({ component: "node-cron", err: String(err ?? m) }, String(m)),
      debug: (m) => log.debug({ component: "node-cron" }, String(m)),
    };
  }

  /** Makes the tasks and close timers match these windows. */
  sync(windows: readonly Window[], now = Date.now()): void {
    if (this.closed) return;
    const live = new Set(windows.map((w) => w.id));
    for (const [id, t] of this.tasks) {
      const w = windows.find((x) => x.id === id);
      if (w && t.key === taskKey(w)) continue;
      void t.task.destroy();
      this.tasks.delete(id);
    }
    for (const w of windows) {
      if (this.tasks.has(w.id)) continue;
      const task = createTask(
        w.cron,
        (ctx) => this.events.opened(w.id, ctx.date.getTime()),
        // The daemon's life is its own: a pending opening must not keep a stopping process up.
        {
          name: `window ${w.id}`,
          unref: true,
          ...(this.cronLog ? { logger: this.cronLog } : {}),
          ...(w.timezone ? { timezone: w.timezone } : {}),
        },
      );
      void task.start();
      this.tasks.set(w.id, { task, key: taskKey(w) });
    }
    for (const [id, c] of this.closers) {
      const w = windows.find((x) => x.id === id);
      if (w && isOpen(w, now) && closesAt(w) === c.at) continue;
      clearTimeout(c.timer);
      this.closers.delete(id);
    }
    for (const w of windows) {
      if (!live.has(w.id) || !isOpen(w, now) || this.closers.has(w.id)) continue;
      const at = closesAt(w)!;
      const timer = setTimeout(() => {
        this.closers.delete(w.id);
        this.events.closed(w.id);
      }, at - now);
      timer.unref();
      this.closers.set(w.id, { timer, at });
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.tasks.values()) void t.task.destroy();
    for (const c of this.closers.values()) clearTimeout(c.timer);
    this.tasks.clear();
    this.closers.clear();
  }
}

function taskKey(w: Window): string {
  return `${w.cron}\u0000${w.timezone ?? ""}`;
}
