// Results JSON → the Markdown tables BENCHMARKS.md quotes (medians, ratios).
//   node test/bench/report.mjs test/bench/results/<file>.json
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pct } from "./session.mjs";

const median = (xs) => {
  const v = xs.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

const fmt = (x, digits = 0) => (x === undefined ? "—" : Number(x).toFixed(digits));
const ratio = (a, b, digits = 2) =>
  a === undefined || b === undefined || b === 0 ? "—" : `${(a / b).toFixed(digits)}×`;

function byDirector(res, director, n) {
  return res.sessions.filter((s) => s.director === director && s.n === n && !s.skipped);
}

function figures(res, director, n) {
  const ss = byDirector(res, director, n);
  const windows = ss.flatMap((s) => s.windows ?? []);
  const det = (kind) => ss.flatMap((s) => s.detection?.[kind]?.samples ?? []);
  const missed = (kind) => ss.reduce((a, s) => a + (s.detection?.[kind]?.missed ?? 0), 0);
  const cold = ss.filter((s) => s.cold && s.startup);
  const coldDone = cold.filter((s) => s.startup.done);
  const warm = ss.filter((s) => !s.cold && s.settle);
  const reloads = ss.flatMap((s) => s.reloads ?? []);
  const cps = median(windows.map((w) => w.checksPerSec));
  return {
    sessions: ss,
    skipped: res.sessions.find((s) => s.director === director && s.n === n && s.skipped)?.skipped,
    cpuPerCheckMs: median(windows.map((w) => w.cpuPerCheckMs)),
    cpuCorePct: median(windows.map((w) => w.cpuCorePct)),
    cps,
    passS: cps ? n / cps : undefined,
    execsInWindows: windows.reduce((a, w) => a + w.execs, 0),
    unchecked: Math.max(0, ...windows.map((w) => w.unchecked)),
    windows: windows.length,
    rssMb: median(windows.map((w) => w.rssMb)),
    loopP50Ms: median(windows.map((w) => w.loopDelay?.p50Ms)),
    loopP99Ms: median(windows.map((w) => w.loopDelay?.p99Ms)),
    loopMaxMs: Math.max(...windows.map((w) => w.loopDelay?.maxMs ?? -Infinity)),
    refused: det("refused"),
    hung: det("hung"),
    missedRefused: missed("refused"),
    missedHung: missed("hung"),
    parRefused: ss.find((s) => s.detection?.refused)?.detection.refused.parallel,
    parHung: ss.find((s) => s.detection?.hung)?.detection.hung.parallel,
    startupMs: median(coldDone.map((s) => s.startup.ms)),
    startupExecs: median(coldDone.map((s) => s.startup.execs)),
    startupOps: median(coldDone.map((s) => s.startup.ops)),
    startupRuns: coldDone.length,
    startupUnfinished: cold.filter((s) => !s.startup.done).map((s) => s.startup),
    warmMs: median(warm.map((s) => s.settle.ms)),
    warmExecs: median(warm.map((s) => s.settle.execs)),
    reloadMs: median(reloads.map((r) => r.ms)),
    reloadOps: median(reloads.map((r) => r.opsInThatWrite)),
    reloadOpsTotal: median(reloads.map((r) => r.opsTotal)),
    reloadExecs: median(reloads.map((r) => r.execs)),
    reloadRuns: reloads.filter((r) => r.ms !== undefined).length,
    errors: ss.filter((s) => s.error).map((s) => `${s.label}: ${s.error}`),
    notes: ss.flatMap((s) => (s.notes ?? []).map((x) => `${s.label}: ${x}`)),
  };
}

/** ldirector's CPU per check over HAProxy's, per round (sessions labelled "… round k"). */
function roundRatios(res, n, build = "ldirector") {
  const perSession = (s) => median((s.windows ?? []).map((w) => w.cpuPerCheckMs));
  const roundOf = (s) => /round (\d+)/.exec(s.label ?? "")?.[1] ?? "1";
  const l = byDirector(res, build, n).filter((s) => s.windows?.length);
  const h = byDirector(res, "haproxy", n).filter((s) => s.windows?.length);
  return l
    .map((a) => [perSession(a), perSession(h.find((b) => roundOf(b) === roundOf(a)) ?? {})])
    .filter(([a, b]) => a !== undefined && b)
    .map(([a, b]) => a / b);
}

export function report(res) {
  const ns = [...new Set(res.sessions.map((s) => s.n))].sort((a, b) => a - b);
  const L = [];
  const row = (cells) => L.push(`| ${cells.join(" | ")} |`);
  const m = res.machine;
  L.push(
    `Run ${res.date} on ${m.nproc} × ${m.cpu}, kernel ${m.kernel}, Node ${m.node}, ${m.ldirectord}; ${res.wallSeconds} s wall.`,
  );
  L.push(
    `Command: \`${res.command}\`. One stand-in ipvsadm exec: ${res.standInExecMs} ms wall (a Node start-up).`,
    "",
  );

  const withHaproxy = ns.filter(
    (n) => byDirector(res, "haproxy", n).length > 0 || byDirector(res, "ldirector-baseline", n).length > 0,
  );
  if (withHaproxy.length > 0) {
    const kind = res.options?.check === "connect" ? "connect check (TCP)" : "HTTP check";
    L.push(`### ldirector beside HAProxy: CPU per ${kind}, checks/s, RSS, event-loop delay`, "");
    row([
      "N",
      "ldirector ms CPU/check",
      "HAProxy ms CPU/check",
      "ratio (median of rounds)",
      "ratio per round",
      "ldirector checks/s",
      "HAProxy checks/s",
      "ldirector RSS MB",
      "HAProxy RSS MB",
      "ldirector loop delay p50 / p99 / max ms",
    ]);
    row(Array(10).fill("---"));
    const builds = res.options?.baseline ? ["ldirector", "ldirector-baseline"] : ["ldirector"];
    for (const [n, build] of withHaproxy.flatMap((n) => builds.map((b) => [n, b]))) {
      const a = figures(res, build, n);
      const h = figures(res, "haproxy", n);
      const rounds = roundRatios(res, n, build);
      row([
        build === "ldirector" ? n : `${n} (baseline: ${res.options.baseline})`,
        fmt(a.cpuPerCheckMs, 3),
        fmt(h.cpuPerCheckMs, 3),
        rounds.length ? `${median(rounds).toFixed(2)}×` : ratio(a.cpuPerCheckMs, h.cpuPerCheckMs),
        rounds.map((x) => `${x.toFixed(2)}×`).join(", ") || "—",
        fmt(a.cps),
        fmt(h.cps),
        fmt(a.rssMb, 1),
        fmt(h.rssMb, 1),
        `${fmt(a.loopP50Ms, 1)} / ${fmt(a.loopP99Ms, 1)} / ${a.loopMaxMs > 0 ? fmt(a.loopMaxMs, 1) : "—"}`,
      ]);
    }
    L.push("");
  }

  L.push("### CPU per check and checks per second (steady state, medians of the windows)", "");
  row([
    "N",
    "ldirector ms CPU/check",
    "ldirectord ms CPU/check",
    "ratio",
    "ldirector checks/s",
    "ldirectord checks/s",
    "ldirector pass s",
    "ldirectord pass s",
    "CPU % of a core (ldirector / ldirectord)",
  ]);
  row(Array(9).fill("---"));
  for (const n of ns) {
    const a = figures(res, "ldirector", n);
    const b = figures(res, "ldirectord", n);
    row([
      n,
      fmt(a.cpuPerCheckMs, 3),
      b.skipped ? "not run" : fmt(b.cpuPerCheckMs, 3),
      ratio(a.cpuPerCheckMs, b.cpuPerCheckMs, 3),
      fmt(a.cps),
      fmt(b.cps),
      fmt(a.passS, 2),
      fmt(b.passS, 2),
      `${fmt(a.cpuCorePct, 1)} / ${fmt(b.cpuCorePct, 1)}`,
    ]);
  }
  L.push("");

  L.push("### Detection latency, kill → the stand-in logs the removing write (ms)", "");
  row([
    "N",
    "refused ldirector p50/p99 (n)",
    "refused ldirectord p50/p99 (n)",
    "p99 ratio",
    "hung ldirector p50/p99 (n)",
    "hung ldirectord p50/p99 (n)",
    "p99 ratio",
  ]);
  row(Array(7).fill("---"));
  const cell = (f, kind) => {
    const xs = f[kind];
    if (xs.length === 0) return "—";
    const miss = kind === "refused" ? f.missedRefused : f.missedHung;
    return `${pct(xs, 50)} / ${pct(xs, 99)} (${xs.length}${miss ? `, ${miss} missed` : ""})`;
  };
  for (const n of ns) {
    const a = figures(res, "ldirector", n);
    const b = figures(res, "ldirectord", n);
    row([
      n,
      cell(a, "refused"),
      cell(b, "refused"),
      ratio(pct(a.refused, 99), pct(b.refused, 99)),
      cell(a, "hung"),
      cell(b, "hung"),
      ratio(pct(a.hung, 99), pct(b.hung, 99)),
    ]);
  }
  L.push("");

  L.push("### Start-up from an empty table: time until every real is in the table, ipvsadm execs", "");
  row([
    "N",
    "ldirector ms (runs)",
    "ldirector execs / ops",
    "ldirectord ms (runs)",
    "ldirectord execs / ops",
    "exec ratio",
  ]);
  row(Array(6).fill("---"));
  for (const n of ns) {
    const a = figures(res, "ldirector", n);
    const b = figures(res, "ldirectord", n);
    const unfinished = (f) =>
      f.startupUnfinished
        .map((u) => `not done: ${u.inTable}/${n} in table after the bound, ${u.execs} execs`)
        .join("; ");
    row([
      n,
      a.startupRuns ? `${fmt(a.startupMs)} (${a.startupRuns})` : unfinished(a) || "—",
      a.startupRuns ? `${fmt(a.startupExecs)} / ${fmt(a.startupOps)}` : "—",
      b.startupRuns
        ? `${fmt(b.startupMs)} (${b.startupRuns})`
        : unfinished(b) || (b.skipped ? "not run" : "—"),
      b.startupRuns ? `${fmt(b.startupExecs)} / ${fmt(b.startupOps)}` : "—",
      ratio(a.startupExecs, b.startupExecs, 3),
    ]);
  }
  L.push("");

  const warmRows = ns
    .map((n) => [n, figures(res, "ldirectord", n)])
    .filter(([, f]) => f.warmExecs !== undefined);
  if (warmRows.length > 0) {
    L.push(
      "### ldirectord start over a table that already holds every real (used for its steady-state runs)",
      "",
    );
    row(["N", "ms until its last start-up exec", "execs"]);
    row(["---", "---", "---"]);
    for (const [n, f] of warmRows) row([n, fmt(f.warmMs), fmt(f.warmExecs)]);
    L.push("");
  }

  L.push("### Reload: one real's weight changed (temp file + rename), autoreload=yes", "");
  row([
    "director",
    "N",
    "save → write ms (runs)",
    "ops in that write",
    "ops in the whole reload",
    "execs in the whole reload",
  ]);
  row(Array(6).fill("---"));
  for (const d of ["ldirector", "ldirectord"]) {
    for (const n of ns) {
      const f = figures(res, d, n);
      if (f.reloadRuns === 0 && f.reloadOpsTotal === undefined) continue;
      row([
        d,
        n,
        `${fmt(f.reloadMs)} (${f.reloadRuns})`,
        fmt(f.reloadOps),
        fmt(f.reloadOpsTotal),
        fmt(f.reloadExecs),
      ]);
    }
  }
  L.push("");

  L.push("### Resident memory at steady state (VmRSS, process + children, MB)", "");
  row(["N", "ldirector", "ldirectord", "ratio"]);
  row(Array(4).fill("---"));
  for (const n of ns) {
    const a = figures(res, "ldirector", n);
    const b = figures(res, "ldirectord", n);
    row([n, fmt(a.rssMb, 1), b.skipped ? "not run" : fmt(b.rssMb, 1), ratio(a.rssMb, b.rssMb)]);
  }
  L.push("");

  const extra = [];
  for (const d of ["ldirector", "ldirectord", "haproxy"]) {
    for (const n of ns) {
      const f = figures(res, d, n);
      if (f.skipped) extra.push(`${d} n=${n}: skipped (${f.skipped})`);
      if (f.execsInWindows > 0)
        extra.push(`${d} n=${n}: ${f.execsInWindows} ipvsadm execs during the CPU windows`);
      if (f.unchecked > 0)
        extra.push(
          `${d} n=${n}: up to ${f.unchecked} reals got no check in a ${res.options.windowSec}-s window`,
        );
      for (const e of [...f.errors, ...f.notes]) extra.push(e);
      if (f.parRefused)
        extra.push(
          `${d} n=${n}: reals killed ${f.parRefused} at a time (refused), ${f.parHung} at a time (hung)`,
        );
    }
  }
  if (extra.length > 0) {
    L.push("### Notes from this run", "");
    for (const e of extra) L.push(`- ${e}`);
    L.push("");
  }
  return `${L.join("\n")}\n`;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) process.stdout.write(report(JSON.parse(fs.readFileSync(process.argv[2], "utf8"))));
