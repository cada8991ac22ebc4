// `ldirector status` for people: one line for the daemon, then per virtual its health
// count and a table of its reals. Everything here is in `--json` too.
import type { RealView, StatusView, TransitionView } from "../api/types.js";
import { describeWindow } from "../control/window.js";

/** "4s", "3m12s", "2h05m", "3d04h": how long ago, short enough for a table. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

const HEAD = ["REAL", "HEALTH", "FOR", "WEIGHT", "KERNEL", "OPERATOR", "CONNS", "LAST CHECK"];

function row(r: RealView, now: number): string[] {
  const mode = r.override?.mode === "weighted" ? `weight ${r.override.weight}` : r.override?.mode;
  const operator = [mode, r.maintenance ? "maintenance" : undefined].filter(Boolean).join(",");
  const last = r.lastCheck;
  const check = last
    ? `${last.ok ? "ok" : "FAIL"} ${Math.round(last.latencyMs)} ms, ${ago(now - last.at)} ago${last.ok ? "" : `: ${last.reason}`}`
    : "-";
  return [
    r.address,
    r.health,
    r.since === undefined ? "-" : ago(now - r.since),
    String(r.configuredWeight),
    r.tableWeight === undefined ? "absent" : String(r.tableWeight),
    operator || "-",
    r.connections ? `${r.connections.active}/${r.connections.inactive}` : "-",
    check,
  ];
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  // The last column is free text: no padding after it.
  return rows.map((r) =>
    `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")}`.trimEnd(),
  );
}

function transition(t: TransitionView, now: number): string {
  return `  ${ago(now - t.at).padStart(6)} ago  ${t.virtual} -> ${t.real}  ${t.from} -> ${t.to}  (${t.reason})`;
}

export function formatStatus(s: StatusView, now = Date.now()): string {
  const c = s.counters;
  const lines = [
    `ldirector ${s.state}, pid ${s.pid}, up ${ago(now - s.startedAt)}, backend ${s.backend}, config ${s.config} (generation ${c.configGeneration})`,
    `role ${s.role.role}${s.role.since === undefined ? " (not told by VRRP since start)" : ` for ${ago(now - s.role.since)}`}${s.syncDaemons.length ? `, sync daemons ${s.syncDaemons.map((d) => `${d.role} on ${d.interface} syncid ${d.syncId}${d.startedHere ? "" : " (adopted)"}`).join(", ")}` : ""}`,
    `kernel writes ${c.kernelWrites} (${c.kernelWriteErrors} failed), reloads ${c.reloads} (${c.reloadErrors} rejected), resync repairs ${c.resyncRepairs}${c.checkWorkers ? `, check workers ${c.checkWorkersUp}/${c.checkWorkers} up (${c.checkWorkerExits} replaced)` : ""}${c.lastError ? `; last error: ${c.lastError}` : ""}`,
  ];
  for (const v of s.virtuals) {
    lines.push(
      "",
      `${v.id}  ${v.healthy}/${v.reals.length} healthy${v.fallbackActive ? "  FALLBACK ACTIVE" : ""}`,
    );
    if (v.reals.length > 0) lines.push(...table([HEAD, ...v.reals.map((r) => row(r, now))]));
  }
  if (s.windows?.length) {
    lines.push("", "maintenance windows:", ...s.windows.map((w) => `  ${describeWindow(w)}`));
  }
  if (s.transitions.length > 0) {
    lines.push("", "recent transitions:", ...s.transitions.slice(0, 10).map((t) => transition(t, now)));
  }
  return `${lines.join("\n")}\n`;
}
