// A scheduled maintenance window: "drain (or disable) this real, or every real of this
// virtual, at this cron time, for this long". node-cron parses the expression, computes
// its next runs and fires the openings; the window is open from an opening for its
// duration. The time of the last opening is kept in the state file, so a restart in the
// middle of a window keeps it open until the same end.
import { createTask, validateDetailed } from "node-cron";

export interface Window {
  /** Stable across restarts: `schedule remove ID`. */
  id: number;
  /** The virtual's id as status prints it (`tcp:10.0.0.1:80`). */
  virtual: string;
  /** `address:port` as status prints it, or "all": every real of the virtual. */
  real: string;
  /** What an open window does to its reals. */
  mode: "drained" | "disabled";
  /** Five fields: minute hour day-of-month month day-of-week. */
  cron: string;
  /** An IANA time zone (Europe/Berlin) the cron fields are read in; absent: the system's. */
  timezone?: string;
  durationMs: number;
  /** When it last opened (ms since the epoch); absent: never since it was added. */
  openedAt?: number;
}

/** Whole minutes: cron has no finer step, a window shorter than a minute makes no sense. */
const MINUTE = 60_000;
/** Longer than a month is no window but a drain: say so instead. */
export const MAX_WINDOW_MS = 31 * 24 * 60 * MINUTE;

const UNITS: Record<string, number> = { d: 24 * 60 * MINUTE, h: 60 * MINUTE, m: MINUTE };

/** "90m", "2h", "1h30m", "1d" → ms; throws an Error saying what is accepted. */
export function parseDuration(text: string): number {
  const parts = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/.exec(text.trim());
  const ms = parts
    ? Number(parts[1] ?? 0) * UNITS.d! + Number(parts[2] ?? 0) * UNITS.h! + Number(parts[3] ?? 0) * UNITS.m!
    : 0;
  if (!parts || text.trim() === "" || ms < MINUTE || ms > MAX_WINDOW_MS) {
    throw new Error(`a duration is like 90m, 2h, 1h30m or 1d, from 1m to 31d, not ${JSON.stringify(text)}`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  let rest = Math.round(ms / MINUTE);
  const d = Math.floor(rest / 1440);
  rest -= d * 1440;
  const h = Math.floor(rest / 60);
  const m = rest - h * 60;
  return `${d ? `${d}d` : ""}${h ? `${h}h` : ""}${m || (!d && !h) ? `${m}m` : ""}`;
}

/** Why a cron expression or time zone is refused; undefined when both are good. */
export function cronProblem(cron: string, timezone: string | undefined): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) {
    return `a cron time has five fields (minute hour day month weekday), e.g. "0 3 * * 0"; not ${JSON.stringify(cron)}`;
  }
  const v = validateDetailed(cron);
  if (!v.valid) return `cron time ${JSON.stringify(cron)}: ${v.errors.map((e) => e.message).join("; ")}`;
  if (timezone !== undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone: timezone });
    } catch {
      return `unknown time zone ${JSON.stringify(timezone)} (an IANA name, e.g. Europe/Berlin)`;
    }
  }
  return undefined;
}

/** The next `count` openings after now, as node-cron computes them in the window's time zone. */
export function nextRuns(w: Pick<Window, "cron" | "timezone">, count: number): Date[] {
  const task = createTask(w.cron, () => {}, w.timezone ? { timezone: w.timezone } : {});
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/** When an opening at `openedAt` ends. */
export function closesAt(w: Window): number | undefined {
  return w.openedAt === undefined ? undefined : w.openedAt + w.durationMs;
}

export function isOpen(w: Window, now: number): boolean {
  const end = closesAt(w);
  return end !== undefined && w.openedAt! <= now && now < end;
}

/** Whether the window covers this real (`address:port` as status prints it) of this virtual. */
export function covers(w: Window, virtual: string, real: string): boolean {
  return w.virtual === virtual && (w.real === "all" || w.real === real);
}
