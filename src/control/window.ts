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
  /** Five fields (minute hour day-of-month month day-of-week), or six with seconds first, as node-cron reads them. */
  cron: string;
  /** An IANA time zone (Europe/Berlin) the cron fields are read in; absent: the system's. */
  timezone?: string;
  durationMs: number;
  /** When it last opened (ms since the epoch); absent: never since it was added. */
  openedAt?: number;
}

const SECOND = 1000;
/** Longer than a week is no window but a drain; it also keeps the close timer within setTimeout's range. */
export const MAX_WINDOW_MS = 7 * 24 * 3600 * SECOND;

const UNITS: [string, number][] = [
  ["d", 24 * 3600 * SECOND],
  ["h", 3600 * SECOND],
  ["m", 60 * SECOND],
  ["s", SECOND],
];

/** "90m", "2h", "1h30m", "1d", "30s" → ms; throws an Error saying what is accepted. */
export function parseDuration(text: string): number {
  const parts = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  const ms = parts ? UNITS.reduce((sum, [, unit], i) => sum + Number(parts[i + 1] ?? 0) * unit, 0) : 0;
  if (!parts || ms < SECOND || ms > MAX_WINDOW_MS) {
    throw new Error(`a duration is like 90m, 2h, 1h30m or 1d, from 1s to 7d, not ${JSON.stringify(text)}`);
  }
  return ms;
}

export function formatDuration(ms: number): string {
  let rest = Math.round(ms / SECOND);
  let out = "";
  for (const [name, unit] of UNITS) {
    const n = Math.floor(rest / (unit / SECOND));
    rest -= n * (unit / SECOND);
    if (n) out += `${n}${name}`;
  }
  return out || "0s";
}

/** Why a cron expression or time zone is refused; undefined when both are good. */
export function cronProblem(cron: string, timezone: string | undefined): string | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `a cron time has five fields (minute hour day month weekday, or six with seconds first), e.g. "0 3 * * 0"; not ${JSON.stringify(cron)}`;
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

/** A window as status, the page and the metrics show it. */
export interface WindowView {
  id: number;
  virtual: string;
  real: string;
  mode: Window["mode"];
  cron: string;
  timezone?: string;
  durationMs: number;
  open: boolean;
  /** The start of the current or last opening. */
  openedAt?: number;
  /** While open: when it closes (the opening plus the duration, whatever restarts came between). */
  openUntil?: number;
  /** The next opening, as node-cron computes it. */
  nextRun?: number;
}

export function windowView(w: Window, now: number): WindowView {
  const open = isOpen(w, now);
  const next = nextRuns(w, 1)[0];
  return {
    id: w.id,
    virtual: w.virtual,
    real: w.real,
    mode: w.mode,
    cron: w.cron,
    ...(w.timezone !== undefined ? { timezone: w.timezone } : {}),
    durationMs: w.durationMs,
    open,
    ...(w.openedAt !== undefined ? { openedAt: w.openedAt } : {}),
    ...(open ? { openUntil: closesAt(w) } : {}),
    ...(next ? { nextRun: next.getTime() } : {}),
  };
}

/** One line for the CLI: `window 3: drain tcp:10.0.0.1:80 all at "0 3 * * 0" (Europe/Berlin) for 2h; open until …`. */
export function describeWindow(w: WindowView): string {
  const verb = w.mode === "drained" ? "drain" : "disable";
  const zone = w.timezone ? ` (${w.timezone})` : "";
  const state = w.open
    ? `open until ${new Date(w.openUntil!).toISOString()}`
    : `next ${w.nextRun ? new Date(w.nextRun).toISOString() : "never"}`;
  return `window ${w.id}: ${verb} ${w.virtual} ${w.real} at "${w.cron}"${zone} for ${formatDuration(w.durationMs)}; ${state}`;
}
