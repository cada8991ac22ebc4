// What ldirector's heap holds at steady state: starts the bench's reals and one ldirector
// on the bench's config, waits, has Node write a heap snapshot (--heapsnapshot-signal),
// and prints the live heap by constructor (self sizes; a snapshot holds only what a full
// GC kept) with process.memoryUsage() just before. `--heap-prof` (run.mjs) is written at
// exit, after the monitor stopped, so it misses the per-real state; this does not.
//   node test/bench/heap-snapshot.mjs [--n 1000] [--wait-sec 30] [--cli <dir>/dist/cli.js] [--top 25]
import fs from "node:fs";
import path from "node:path";
import { configText } from "./configs.mjs";
import { CLI, startDirector } from "./directors.mjs";
import { Cleanup, sleep, stopTracked } from "./proc.mjs";
import { startReals } from "./reals-client.mjs";

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const n = Number(arg("n", 1000));
const waitSec = Number(arg("wait-sec", 30));
const cli = path.resolve(arg("cli", CLI));
const top = Number(arg("top", 25));
const BASE = 20000;

function summarise(file) {
  const snap = JSON.parse(fs.readFileSync(file, "utf8"));
  const meta = snap.snapshot.meta;
  const width = meta.node_fields.length;
  const types = meta.node_types[0];
  const [iType, iName, iSize] = ["type", "name", "self_size"].map((f) => meta.node_fields.indexOf(f));
  const byName = new Map();
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]];
    const named = type === "object" || type === "closure";
    const key = named
      ? `${type === "closure" ? "closure " : ""}${snap.strings[snap.nodes[i + iName]]}`
      : `(${type})`;
    const size = snap.nodes[i + iSize];
    total += size;
    const row = byName.get(key.slice(0, 70)) ?? { size: 0, count: 0 };
    row.size += size;
    row.count++;
    byName.set(key.slice(0, 70), row);
  }
  console.log(`live heap (snapshot self sizes): ${(total / 2 ** 20).toFixed(1)} MB`);
  for (const [k, r] of [...byName].sort((a, b) => b[1].size - a[1].size).slice(0, top)) {
    console.log(`${(r.size / 2 ** 20).toFixed(2).padStart(7)} MB ${String(r.count).padStart(8)}  ${k}`);
  }
}

const cleanup = new Cleanup();
try {
  const dir = cleanup.tempDir("ldbench-heap-");
  const cfg = path.join(dir, "ldirectord.cf");
  fs.writeFileSync(cfg, configText({ n, base: BASE, logfile: path.join(dir, "director.log") }));
  const reals = await startReals(cleanup, { n, base: BASE });
  const loopFile = path.join(dir, "loop.jsonl");
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --heapsnapshot-signal=SIGUSR2`.trim();
  const proc = startDirector(cleanup, "ldirector", {
    dir,
    cfg,
    stateFile: path.join(dir, "state.json"),
    logFile: path.join(dir, "ipvsadm.log"),
    loopFile,
    cli,
  });
  await sleep(waitSec * 1000);
  const lines = fs.readFileSync(loopFile, "utf8").trim().split("\n");
  console.log(
    `${cli}, n=${n}, after ${waitSec} s; memoryUsage (MB): ${JSON.stringify(JSON.parse(lines.at(-1)).mem)}`,
  );
  process.kill(proc.pid, "SIGUSR2");
  let file;
  for (let i = 0; i < 120 && !file; i++) {
    await sleep(1000);
    const name = fs.readdirSync(dir).find((f) => f.endsWith(".heapsnapshot"));
    if (!name) continue;
    // Written in place: done when its size stops changing.
    let last = -1;
    for (let k = 0; k < 60; k++) {
      await sleep(1000);
      const size = fs.statSync(path.join(dir, name)).size;
      if (size > 0 && size === last) break;
      last = size;
    }
    file = path.join(dir, name);
  }
  if (!file) throw new Error("no heap snapshot written");
  await stopTracked(proc, 10000);
  await reals.stop();
  summarise(file);
} finally {
  cleanup.runSync();
}
process.exit(0);
