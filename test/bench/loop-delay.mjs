// Preloaded into ldirector by the bench (`node --import …/loop-delay.mjs`): once a
// second it appends the event loop's delay over that second (p50, p99, max in ms) and
// where the memory is (process.memoryUsage(), MB) as one JSON line to $LDBENCH_LOOP_FILE. Nothing of the daemon is changed; the timer is
// unref'd so it never keeps the process alive.
import fs from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";

const file = process.env.LDBENCH_LOOP_FILE;
if (file) {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  const timer = setInterval(() => {
    const mem = Object.fromEntries(
      Object.entries(process.memoryUsage()).map(([k, v]) => [k, Math.round(v / 2 ** 17) / 8]),
    );
    const line = { t: Date.now(), p50: ms(h.percentile(50)), p99: ms(h.percentile(99)), max: ms(h.max), mem };
    h.reset();
    try {
      fs.appendFileSync(file, `${JSON.stringify(line)}\n`);
    } catch {
      // the bench removed its temp dir: nothing left to report to
    }
  }, 1000);
  timer.unref();
}
