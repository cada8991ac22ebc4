// File descriptors are shared by everything in the daemon: checks open sockets (and
// pipes, for external checks), while the sorry server and the web listener accept
// connections from anyone who can reach them. Without a cap an idle flood to the sorry
// server takes every descriptor and the checks fail with EMFILE: healthy reals go down
// and the fallback comes in. So inbound connections get what is left after a reserve
// for the checks, and never more than a fixed cap.
import { readFileSync } from "node:fs";
import { DEFAULT_CONCURRENCY } from "../health/monitor.js";

/** Per check in flight: its socket, and room for an external check's pipes. */
const FDS_PER_CHECK = 2;
/** The daemon's own: stdio, log, listeners, state and pid files, watchers, child pipes. */
const BASELINE_FDS = 64;
const SORRY_CAP = 256;
const WEB_CAP = 64;

export interface FdBudget {
  /** RLIMIT_NOFILE's soft limit, or undefined when it cannot be read. */
  limit: number | undefined;
  /** Kept for checks: they never compete with inbound connections for these. */
  reserve: number;
  sorryConnections: number;
  webConnections: number;
}

/** The soft limit on open files, from /proc/self/limits (Node has no getrlimit). */
export function openFileLimit(limits = "/proc/self/limits"): number | undefined {
  try {
    const line = readFileSync(limits, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

export function fdBudget(limit = openFileLimit(), concurrency = DEFAULT_CONCURRENCY): FdBudget {
  const reserve = BASELINE_FDS + concurrency * FDS_PER_CHECK;
  if (limit === undefined) return { limit, reserve, sorryConnections: SORRY_CAP, webConnections: WEB_CAP };
  // What is left for inbound connections; a few are always allowed, so the page still answers.
  const inbound = Math.max(8, limit - reserve);
  return {
    limit,
    reserve,
    sorryConnections: Math.min(SORRY_CAP, Math.max(4, Math.floor((inbound * 3) / 4))),
    webConnections: Math.min(WEB_CAP, Math.max(4, Math.floor(inbound / 4))),
  };
}
