// One bench session: one director on one config of n reals, from spawn to stop. It
// measures, in order: start-up, steady-state CPU and checks per second (plus RSS),
// detection latency for refused and hung reals, and reload. Every wait is bounded.
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { configText, prepopulate, REAL_ADDR, saveConfig, VIP, VPORT } from "./configs.mjs";
import { CLI, STAND_IN, startDirector } from "./directors.mjs";
import { alive, cpuTimes, rssMb, sleep, stopTracked } from "./proc.mjs";
import { startReals } from "./reals-client.mjs";
import { LogWatcher, tableDests, waitForTable } from "./standin.mjs";

const BASE_PORT = 20000;

/** Deterministic [0,1) numbers so runs pick the same reals. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const portOf = (i) => BASE_PORT + i;
const esc = (s) => s.replace(/[.]/g, "\\.");

function removalMatcher(port) {
  const re = new RegExp(`^-[de] .*-r ${esc(REAL_ADDR)}:${port}(\\s|$)`);
  return (op) => re.test(op) && (op.startsWith("-d") || /-w 0(\s|$)/.test(op));
}

/** Every real counted at least one request (HAProxy has no table to watch); ms, or undefined. */
async function waitAllChecked(reals, timeoutMs, connections) {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const counts = await reals.counts(connections);
    if (counts.every((c) => c > 0)) return performance.now() - t0;
    await sleep(100);
  }
  return undefined;
}

/** The event-loop delay lines loop-delay.mjs wrote for seconds ending within [from, to] (epoch ms). */
function loopDelay(file, from, to) {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const secs = text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((x) => x.t > from + 1000 && x.t <= to);
  if (secs.length === 0) return undefined;
  const p50s = secs.map((x) => x.p50).sort((a, b) => a - b);
  return {
    seconds: secs.length,
    p50Ms: p50s[Math.floor(p50s.length / 2)],
    // The worst second's p99: a window's p99 is at most this.
    p99Ms: Math.max(...secs.map((x) => x.p99)),
    maxMs: Math.max(...secs.map((x) => x.max)),
    // The last second's process.memoryUsage() (MB): how RSS splits into heap, buffers, the rest.
    memory: secs.at(-1).mem,
  };
}

function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

/**
 * opts: {director, n, cold, windows, windowSec, kills, killParallel, reloads,
 *        startTimeoutMs, detectBudgetMs, cpuProfDir, heapProfDir, log}
 * director "haproxy" runs checks only: start-up is until every real was asked once, and
 * there is no table, so no detection or reload figures.
 */
/**
 * Wall time of GET /status and GET /metrics on the daemon's control socket, 10 of each, one
 * at a time, while the checks run: what `ldirector status` and a scraper wait (the CLI's
 * own start-up aside). The socket's path is the build's own rule (dist/daemon/config-file.js).
 */
async function timeControl(cli, cfg, runDir) {
  const dist = path.dirname(cli);
  const { controlSocketPath } = await import(path.join(dist, "daemon/config-file.js"));
  const socket = controlSocketPath(cfg, runDir);
  const out = {};
  for (const route of ["status", "metrics"]) {
    const ms = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      try {
        const code = await getOnSocket(socket, `/${route}`, 10_000);
        ms.push(code === 200 ? performance.now() - t : Number.POSITIVE_INFINITY);
      } catch {
        ms.push(Number.POSITIVE_INFINITY);
      }
      await sleep(100);
    }
    ms.sort((a, b) => a - b);
    out[route] = { p50: Math.round(ms[4] * 10) / 10, max: Math.round(ms[9] * 10) / 10 };
  }
  return out;
}

/** GET `route` over a Unix socket; resolves with the status code once the body is read. */
function getOnSocket(socketPath, route, timeoutMs) {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method: "GET", path: route, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}

export async function runSession(cleanup, opts) {
  const { director, n, log } = opts;
  const dir = cleanup.tempDir(`ldbench-${director}-${n}-`);
  const cfg = path.join(dir, "ldirectord.cf");
  const stateFile = path.join(dir, "ipvsadm.state.json");
  const logFile = path.join(dir, "ipvsadm.log");
  const outFile = path.join(dir, `${director}.out`);
  const ports = Array.from({ length: n }, (_, i) => `${REAL_ADDR}:${portOf(i)}`);
  const result = { director, n, cold: opts.cold, notes: [] };
  // A connect check sends nothing: it is counted by the connections the reals accepted;
  // so is the bench's external check (external-check.sh only connects).
  const connections = opts.check === "connect" || opts.check === "external";
  let reals;
  let proc;
  const watcher = new LogWatcher(logFile);
  const allIn = (dests) => ports.every((p) => (dests.get(p) ?? 0) > 0);
  const checkAlive = (phase) => {
    if (proc && !alive(proc.pid)) {
      throw new Error(`${director} exited during ${phase}; last output:\n${tail(outFile)}`);
    }
  };
  try {
    fs.writeFileSync(
      cfg,
      configText({
        n,
        base: BASE_PORT,
        autoreload: true,
        logfile: path.join(dir, "director.log"),
        check: opts.check,
      }),
    );
    if (!opts.cold) prepopulate({ standIn: STAND_IN, stateFile, n, base: BASE_PORT });
    reals = await startReals(cleanup, { n, base: BASE_PORT });

    // ---- start-up
    const t0 = performance.now();
    const loopFile =
      director.startsWith("ldirector-") || director === "ldirector"
        ? path.join(dir, "loop-delay.jsonl")
        : undefined;
    proc = startDirector(cleanup, director, {
      dir,
      cfg,
      stateFile,
      logFile,
      cpuProfDir: opts.cpuProfDir,
      heapProfDir: opts.heapProfDir,
      loopFile,
      haproxy: { n, base: BASE_PORT, realAddr: REAL_ADDR, check: opts.check },
      ...(opts.cli ? { cli: opts.cli } : {}),
      ...(opts.args ? { args: opts.args } : {}),
    });
    result.pid = proc.pid;
    if (director === "haproxy") {
      const ms = await waitAllChecked(reals, opts.startTimeoutMs, connections);
      checkAlive("start-up");
      result.startup = { ms: ms === undefined ? undefined : Math.round(ms), done: ms !== undefined };
      if (ms === undefined) {
        result.notes.push(`not every real checked after ${opts.startTimeoutMs} ms`);
        return result;
      }
      await sleep(2000);
    } else if (opts.cold) {
      const ms = await waitForTable(stateFile, VIP, VPORT, allIn, opts.startTimeoutMs, n >= 2000 ? 100 : 20);
      const dests = tableDests(stateFile, VIP, VPORT);
      result.startup = {
        ms: ms === undefined ? undefined : Math.round(ms),
        done: ms !== undefined,
        execs: watcher.invocations.length,
        ops: watcher.invocations.reduce((s, inv) => s + LogWatcher.ops(inv).length, 0),
        inTable: ports.filter((p) => (dests.get(p) ?? 0) > 0).length,
      };
      if (ms === undefined) {
        result.notes.push(`start-up not finished after ${opts.startTimeoutMs} ms`);
        return result;
      }
    }
    if (director !== "haproxy") {
      // Settled: no exec for 3 s (a warm start reads the table, ldirectord once per real).
      const quiet = await watcher.waitQuiet(3000, opts.startTimeoutMs);
      checkAlive("start-up");
      result.settle = {
        ms: Math.round(quiet.lastAt - t0),
        quiet: quiet.quiet,
        execs: watcher.invocations.length,
        ops: watcher.invocations.reduce((s, inv) => s + LogWatcher.ops(inv).length, 0),
      };
      if (!quiet.quiet) {
        result.notes.push(
          `still running ipvsadm after ${opts.startTimeoutMs} ms (${watcher.invocations.length} execs)`,
        );
        return result;
      }
      log(`  ${director} n=${n}: settled after ${result.settle.ms} ms, ${result.settle.execs} execs`);
    }

    // ---- steady state
    result.windows = [];
    for (let w = 0; w < opts.windows; w++) {
      const c0 = await reals.counts(connections);
      const cpu0 = cpuTimes(proc.pid);
      const e0 = watcher.invocations.length;
      const s0 = performance.now();
      const wall0 = Date.now();
      await sleep(opts.windowSec * 1000);
      const c1 = await reals.counts(connections);
      const cpu1 = cpuTimes(proc.pid);
      const dt = (performance.now() - s0) / 1000;
      checkAlive("steady window");
      const per = c1.map((c, i) => c - c0[i]);
      const checks = per.reduce((a, b) => a + b, 0);
      const own = cpu1.utime + cpu1.stime - cpu0.utime - cpu0.stime;
      const children = cpu1.cutime + cpu1.cstime - cpu0.cutime - cpu0.cstime;
      const rss = rssMb(proc.pid);
      const loop = loopFile ? loopDelay(loopFile, wall0, Date.now()) : undefined;
      result.windows.push({
        seconds: dt,
        checks,
        checksPerSec: checks / dt,
        cpuOwnS: own,
        cpuChildrenS: children,
        cpuPerCheckMs: checks > 0 ? ((own + children) * 1000) / checks : undefined,
        cpuCorePct: ((own + children) / dt) * 100,
        execs: watcher.invocations.length - e0,
        minChecksPerReal: Math.min(...per),
        unchecked: per.filter((c) => c === 0).length,
        rssMb: rss.totalMb,
        rssOwnMb: rss.ownMb,
        ...(loop ? { loopDelay: loop } : {}),
      });
      log(
        `  ${director} n=${n}: window ${w + 1}: ${(checks / dt).toFixed(0)} checks/s, ${(((own + children) * 1000) / Math.max(1, checks)).toFixed(3)} ms CPU/check, RSS ${rss.totalMb.toFixed(1)} MB${loop ? `, loop delay p99 ${loop.p99Ms} ms` : ""}`,
      );
    }

    // ---- the operator's view under load: status and /metrics over the control socket
    if (director.startsWith("ldirector")) {
      result.control = await timeControl(opts.cli ?? CLI, cfg, path.join(dir, "run"));
      log(
        `  ${director} n=${n}: control socket under load: status p50 ${result.control.status.p50} ms (max ${result.control.status.max}), /metrics p50 ${result.control.metrics.p50} ms (max ${result.control.metrics.max})`,
      );
    }

    // ---- detection latency
    const rand = prng(n * 7919 + (director === "ldirectord" ? 2 : 1));
    const order = ports.map((_, i) => i).sort(() => rand() - 0.5);
    let next = 0;
    const reloadTarget = Math.floor(n / 2);
    result.detection = {};
    for (const kind of opts.kills > 0 && director !== "haproxy" ? ["refused", "hung"] : []) {
      const par = Math.max(
        1,
        Math.min(kind === "hung" && director === "ldirectord" ? 1 : opts.killParallel, n - 1),
      );
      const samples = [];
      let missed = 0;
      const started = performance.now();
      const detectTimeout = opts.detectTimeoutMs;
      while (samples.length + missed < opts.kills && performance.now() - started < opts.detectBudgetMs) {
        const round = [];
        while (round.length < par) {
          const i = order[next++ % order.length];
          if (i !== reloadTarget && !round.includes(i)) round.push(i);
        }
        const got = await Promise.all(
          round.map(async (i) => {
            await sleep(Math.floor(rand() * 1100));
            const from = watcher.invocations.length;
            const tk = performance.now();
            await (kind === "refused" ? reals.kill(i) : reals.hang(i));
            const hit = await watcher.waitForOp(removalMatcher(portOf(i)), from, detectTimeout);
            return hit ? hit.inv.t - tk : undefined;
          }),
        );
        for (const g of got) {
          if (g === undefined) missed++;
          else samples.push(g);
        }
        for (const i of round) await reals.revive(i);
        const back = await waitForTable(stateFile, VIP, VPORT, allIn, Math.max(30000, detectTimeout));
        checkAlive(`detection (${kind})`);
        if (back === undefined) {
          result.notes.push(
            `${kind}: revived reals not back in the table within the bound; stopped this figure`,
          );
          break;
        }
      }
      result.detection[kind] = { samples: samples.map((s) => Math.round(s)), missed, parallel: par };
      log(
        `  ${director} n=${n}: ${kind}: ${samples.length} kills, p50 ${pct(samples, 50)} ms, p99 ${pct(samples, 99)} ms, missed ${missed}`,
      );
    }

    // ---- reload: one real's weight changes
    result.reloads = [];
    for (let r = 0; r < (director === "haproxy" ? 0 : (opts.reloads ?? 0)); r++) {
      await sleep(1100); // ldirectord compares mtimes at 1-s resolution
      const weight = 2 + r;
      const port = portOf(reloadTarget);
      const from = watcher.invocations.length;
      saveConfig(
        cfg,
        configText({
          n,
          base: BASE_PORT,
          autoreload: true,
          logfile: path.join(dir, "director.log"),
          weights: new Map([[reloadTarget, weight]]),
          check: opts.check,
        }),
      );
      const ts = performance.now();
      const re = new RegExp(`^-e .*-r ${esc(REAL_ADDR)}:${port}(\\s).*-w ${weight}(\\s|$)`);
      const hit = await watcher.waitForOp((op) => re.test(op), from, opts.reloadTimeoutMs);
      const settled = await watcher.waitQuiet(2000, opts.reloadTimeoutMs);
      checkAlive("reload");
      const after = watcher.invocations.slice(from);
      result.reloads.push({
        ms: hit ? Math.round(hit.inv.t - ts) : undefined,
        opsInThatWrite: hit ? LogWatcher.ops(hit.inv).length : undefined,
        opsTotal: after.reduce((s, inv) => s + LogWatcher.ops(inv).length, 0),
        execs: after.length,
        reads: after.filter((inv) => LogWatcher.isRead(inv)).length,
        settledMs: Math.round(settled.lastAt - ts),
      });
      log(`  ${director} n=${n}: reload ${r + 1}: ${JSON.stringify(result.reloads[r])}`);
    }
    return result;
  } catch (e) {
    result.error = String(e?.message ?? e);
    log(`  ${director} n=${n}: ERROR ${result.error}`);
    return result;
  } finally {
    watcher.close();
    if (proc) {
      const res = await stopTracked(proc, 20000);
      if (res.killed) result.notes.push("did not stop on SIGTERM within 20 s; killed");
    }
    if (reals) await reals.stop();
    result.outputTail = tail(outFile, 8);
    if (opts.keepDir) result.dir = dir;
    else cleanup.removeDir(dir);
  }
}

export function pct(values, p) {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const k = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return Math.round(s[k]);
}
