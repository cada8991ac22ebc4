// node test/bench/guard-overhead.mjs [dist/checks/run.js]
//
// The cost of runCheck itself (deadline race plus the crash guard's AsyncLocalStorage
// scope) with a checker that answers at once: 100,000 checks, 1,000 in flight, three
// rounds. Reports wall and CPU time; on a shared machine read the CPU figure. Point it
// at a build from before the guard (git stash; tsc --outDir) to compare.
import path from "node:path";
import { pathToFileURL } from "node:url";

const module = process.argv[2] ?? path.join(import.meta.dirname, "../../dist/checks/run.js");
const { runCheck } = await import(pathToFileURL(path.resolve(module)).href);
const ok = async () => ({ ok: true, reason: "ok", latencyMs: 0 });
const registry = { connect: ok, ping: ok, external: ok, negotiate: {} };
const spec = { checkTimeoutMs: 1000, negotiateTimeoutMs: 1000, checkCount: 1, service: "none" };
const target = {
  address: "127.0.0.1",
  family: "inet",
  port: 80,
  realPort: 80,
  virtual: { protocol: "tcp", port: 80 },
};
const N = 100_000;
const BATCH = 1_000;
for (let round = 0; round < 3; round++) {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < N; i += BATCH) {
    await Promise.all(
      Array.from({ length: BATCH }, () => runCheck(target, spec, { kind: "connect", registry })),
    );
  }
  const used = process.cpuUsage(cpu);
  console.log(
    `${N} runChecks: wall ${(performance.now() - wall).toFixed(0)} ms, cpu ${((used.user + used.system) / 1000).toFixed(0)} ms`,
  );
}
