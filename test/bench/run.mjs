// npm run bench [-- --n 10,200,2000,10000 --only ldirector,ldirectord,haproxy --quick]
// npm run bench:quick   (= --preset quick: 1,000 reals, ldirector beside HAProxy, < 2 min)
// npm run bench:quick -- --baseline <dir>   (also another build of ldirector, e.g. main's,
//   in the same rounds: <dir>/dist/cli.js; before/after on a busy machine)
//
// ldirector side by side with Debian's ldirectord, same config, same reals, same
// ipvsadm stand-in, and with Debian's HAProxy running the same HTTP checks of the same
// reals (checks only: the yardstick for what one check should cost). Writes
// test/bench/results/<stamp>.json and prints the Markdown tables that BENCHMARKS.md
// quotes. See BENCHMARKS.md for what each figure means.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CLI, LDIRECTORD, REPO, STAND_IN } from "./directors.mjs";
import { HAPROXY } from "./haproxy.mjs";
import { Cleanup } from "./proc.mjs";
import { report } from "./report.mjs";
import { runSession } from "./session.mjs";

function parse(argv) {
  const o = {
    n: [10, 200, 2000, 10000],
    only: ["ldirector", "ldirectord", "haproxy"],
    quick: false,
    preset: undefined,
    /** Sessions per (director, n) for CPU and memory, alternating directors. */
    rounds: 1,
    windows: 3,
    windowSec: 10,
    kills: 20,
    killParallel: 4,
    startupRepeats: 3,
    reloadN: 1000,
    reloads: 3,
    // ldirectord over the Node stand-in costs ~0.2 s per ipvsadm exec and ≥ 2 execs per
    // real at every start: above this N its start alone takes minutes (see BENCHMARKS.md).
    ldirectordMaxN: 200,
    ldirectordColdMaxMs: 60000,
    cpuProf: false,
    heapProf: false,
    /** A checkout whose dist/cli.js runs as "ldirector-baseline" beside ldirector. */
    baseline: undefined,
    /** Extra ldirector options (e.g. "--check-workers 2"), for ldirector and for the baseline. */
    args: [],
    baselineArgs: [],
    /** negotiate (HTTP GET), connect, or external (test/bench/external-check.sh): what every director checks. */
    check: "negotiate",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === "--n") o.n = v().split(",").map(Number);
    else if (a === "--only") o.only = v().split(",");
    else if (a === "--preset") o.preset = v();
    else if (a === "--rounds") o.rounds = Number(v());
    else if (a === "--quick") o.quick = true;
    else if (a === "--windows") o.windows = Number(v());
    else if (a === "--window-sec") o.windowSec = Number(v());
    else if (a === "--kills") o.kills = Number(v());
    else if (a === "--ldirectord-max-n") o.ldirectordMaxN = Number(v());
    else if (a === "--reload-n") o.reloadN = Number(v());
    else if (a === "--cpu-prof") o.cpuProf = true;
    else if (a === "--heap-prof") o.heapProf = true;
    else if (a === "--baseline") o.baseline = path.resolve(v());
    else if (a === "--check") o.check = v();
    else if (a === "--args") o.args = v().split(" ").filter(Boolean);
    else if (a === "--baseline-args") o.baselineArgs = v().split(" ").filter(Boolean);
    else throw new Error(`unknown option ${a}`);
  }
  if (!["negotiate", "connect", "external"].includes(o.check)) {
    throw new Error(`--check must be negotiate, connect or external, not ${o.check}`);
  }
  if (o.preset === "quick") {
    // Every change to the check path is measured with this before it lands: steady-state
    // CPU, checks/s, RSS and loop delay only, two alternating rounds so that a burst of
    // load from elsewhere on the machine hits both directors alike.
    const given = (flag) => argv.includes(flag);
    if (!given("--n")) o.n = [1000];
    if (!given("--only")) o.only = ["ldirector", "haproxy"];
    if (!given("--rounds")) o.rounds = 2;
    if (!given("--windows")) o.windows = 2;
    if (!given("--window-sec")) o.windowSec = 7;
    if (!given("--kills")) o.kills = 0;
    o.startupRepeats = 1;
    o.reloads = 0;
    o.reloadN = 0;
  } else if (o.preset !== undefined) throw new Error(`unknown preset ${o.preset}`);
  if (o.quick) {
    if (!argv.includes("--n")) o.n = [10, 200, 2000];
    o.startupRepeats = 2;
    o.reloads = 2;
    o.windowSec = Math.min(o.windowSec, 8);
  }
  return o;
}

function machine() {
  const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
  const ldv = spawnSync(LDIRECTORD, ["-v"], { encoding: "utf8" });
  return {
    nproc: os.cpus().length,
    cpu,
    kernel: os.release(),
    node: process.version,
    ldirectord: (ldv.stdout || ldv.stderr || "").trim().split("\n")[0],
    memMb: Math.round(os.totalmem() / 2 ** 20),
  };
}

/** Wall time of one stand-in exec (`ipvsadm -L -n` on an empty table), median of 7. */
function standInExecMs() {
  const times = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ldbench-exec-"));
  try {
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      spawnSync(STAND_IN, ["-L", "-n"], {
        env: { ...process.env, IPVSADM_STATE: path.join(dir, "s.json"), IPVSADM_LOG: "" },
      });
      times.push(performance.now() - t);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return Math.round(times.sort((a, b) => a - b)[3]);
}

async function main() {
  const o = parse(process.argv.slice(2));
  const cleanup = new Cleanup();
  const log = (s) => process.stderr.write(`${s}\n`);
  if (!fs.existsSync(CLI)) {
    log("building (dist/cli.js is missing)…");
    execFileSync("npm", ["run", "build"], { cwd: REPO, stdio: "inherit" });
  }
  if (o.only.includes("ldirectord") && !fs.existsSync(LDIRECTORD)) {
    log("ldirectord is missing: installing Debian's package (apt-get install -y ldirectord)…");
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "ldirectord"], { stdio: "inherit" });
  }
  if (o.only.includes("haproxy") && !fs.existsSync(HAPROXY)) {
    log("haproxy is missing: installing Debian's package (apt-get install -y haproxy)…");
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "haproxy"], { stdio: "inherit" });
  }
  const started = new Date();
  const res = {
    date: started.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    options: o,
    machine: machine(),
    standInExecMs: standInExecMs(),
    sessions: [],
  };
  log(`machine: ${JSON.stringify(res.machine)}; stand-in exec ${res.standInExecMs} ms`);
  const t0 = performance.now();
  const common = {
    windows: o.windows,
    windowSec: o.windowSec,
    killParallel: o.killParallel,
    check: o.check,
    detectBudgetMs: 240000,
    reloadTimeoutMs: 180000,
    log,
  };
  const add = async (label, opts) => {
    log(`${label} (${((performance.now() - t0) / 1000).toFixed(0)} s in)`);
    const r = await runSession(cleanup, { ...common, ...opts });
    r.label = label;
    res.sessions.push(r);
    return r;
  };
  try {
    for (const n of o.n) {
      for (let round = 1; round <= o.rounds; round++) {
        const tag = o.rounds > 1 ? ` round ${round}` : "";
        const first = round === 1;
        if (o.only.includes("ldirector")) {
          const big = Math.max(...o.n);
          const profDir = (kind) =>
            first && n === big ? path.join(REPO, `test/bench/results/${kind}`) : undefined;
          await add(`ldirector n=${n} main${tag}`, {
            director: "ldirector",
            args: o.args,
            n,
            cold: true,
            kills: first ? o.kills : 0,
            detectTimeoutMs: 15000,
            startTimeoutMs: 120000,
            reloads: n === 200 && first ? o.reloads : 0,
            cpuProfDir: o.cpuProf ? profDir("cpuprof") : undefined,
            heapProfDir: o.heapProf ? profDir("heapprof") : undefined,
          });
        }
        if (o.baseline) {
          await add(`ldirector-baseline n=${n} main${tag}`, {
            director: "ldirector-baseline",
            cli: path.join(o.baseline, "dist/cli.js"),
            args: o.baselineArgs,
            n,
            cold: true,
            kills: 0,
            startTimeoutMs: 120000,
            reloads: 0,
          });
        }
        if (o.only.includes("haproxy") && o.check === "connect" && first) {
          // HAProxy's layer-4 check never completes the handshake (SYN, SYN-ACK, RST): the
          // reals never accept it, so there is nothing to count it by, and it is a cheaper
          // act than ldirector's and ldirectord's full connect and close.
          res.sessions.push({
            director: "haproxy",
            n,
            skipped: "--check connect: HAProxy's L4 check is half-open, the reals cannot count it",
          });
        }
        if (o.only.includes("haproxy") && o.check === "external" && first) {
          res.sessions.push({
            director: "haproxy",
            n,
            skipped:
              "--check external: not compared (HAProxy's external-check is off by default and runs differently)",
          });
        }
        if (o.only.includes("haproxy") && o.check === "negotiate") {
          await add(`haproxy n=${n}${tag}`, {
            director: "haproxy",
            n,
            cold: true,
            kills: 0,
            startTimeoutMs: 60000,
            reloads: 0,
          });
        }
      }
      if (o.only.includes("ldirector")) {
        for (let k = 1; k < o.startupRepeats; k++) {
          await add(`ldirector n=${n} start-up ${k + 1}`, {
            director: "ldirector",
            n,
            cold: true,
            windows: 0,
            kills: 0,
            startTimeoutMs: 120000,
          });
        }
      }
      if (o.only.includes("ldirectord")) {
        if (n > o.ldirectordMaxN) {
          res.sessions.push({
            director: "ldirectord",
            n,
            skipped: `n > --ldirectord-max-n ${o.ldirectordMaxN}`,
          });
          log(`ldirectord n=${n}: skipped (see BENCHMARKS.md)`);
          continue;
        }
        // A cold start costs ldirectord ~8 execs per real; bounded, and the steady-state
        // session then starts over a full table (2 reads per real) when n is large.
        const cold = await add(`ldirectord n=${n} cold start`, {
          director: "ldirectord",
          n,
          cold: true,
          windows: n <= 10 ? o.windows : 0,
          kills: n <= 10 ? o.kills : 0,
          detectTimeoutMs: 20000,
          startTimeoutMs: o.ldirectordColdMaxMs,
          reloads: 0,
        });
        if (n > 10) {
          await add(`ldirectord n=${n} main (warm start)`, {
            director: "ldirectord",
            n,
            cold: false,
            kills: o.kills,
            detectTimeoutMs: 30000,
            startTimeoutMs: 600000,
            reloads: n === 200 ? 1 : 0,
          });
        }
        void cold;
      }
    }
    if (o.reloadN > 0 && o.only.includes("ldirector")) {
      await add(`ldirector n=${o.reloadN} reload`, {
        director: "ldirector",
        n: o.reloadN,
        cold: true,
        windows: 0,
        kills: 0,
        startTimeoutMs: 120000,
        reloads: o.reloads,
      });
    }
  } finally {
    res.wallSeconds = Math.round((performance.now() - t0) / 1000);
    const dir = path.join(REPO, "test/bench/results");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${started.toISOString().replace(/[:.]/g, "-")}.json`);
    fs.writeFileSync(file, `${JSON.stringify(res, null, 1)}\n`);
    log(`results: ${path.relative(REPO, file)} (${res.wallSeconds} s)`);
    process.stdout.write(report(res));
  }
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`bench failed: ${e?.stack ?? e}\n`);
      process.exit(1);
    },
  );
}
