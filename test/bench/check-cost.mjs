// CPU per HTTP check on the client side alone, path by path, in this one process:
// the same GET / against test/bench/reals.mjs (another process), `--checks` checks with
// `--concurrency` in flight, CPU from process.cpuUsage() (user + system) divided by checks.
//   node test/bench/check-cost.mjs [--checks 20000] [--concurrency 64] [--rounds 3]
// Paths: a bare node:net exchange (the floor for a Node process), httpChecker's plain
// probe, the same through runCheck (deadline, grace, verdict), and httpChecker's undici
// path (an absolute request URL takes it). Needs dist/ (npm run build).
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Cleanup } from "./proc.mjs";
import { startReals } from "./reals-client.mjs";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { httpChecker } = await import(path.join(REPO, "dist/checks/http.js"));
const { runCheck } = await import(path.join(REPO, "dist/checks/run.js"));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const CHECKS = arg("checks", 20000);
const CONCURRENCY = arg("concurrency", 64);
const ROUNDS = arg("rounds", 3);
const N = 50;
const BASE = 21000;

const target = (i) => ({
  address: "127.0.0.1",
  family: "inet",
  port: BASE + (i % N),
  realPort: BASE + (i % N),
  virtual: { protocol: "tcp", address: "192.0.2.1", port: 80 },
});
const spec = (request) => ({
  type: "negotiate",
  connectCount: 0,
  service: "http",
  request,
  receive: "ok",
  httpMethod: "GET",
  port: 0,
  login: "",
  passwd: "",
  database: "",
  secret: "",
  command: "",
  checkTimeoutMs: 2000,
  negotiateTimeoutMs: 2000,
  checkCount: 1,
  tlsVerify: false,
});
/** A signal of its own per check, as the monitor gives each one. */
const never = () => new AbortController().signal;

function bare(i) {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port: BASE + (i % N) });
    let got = "";
    s.once("connect", () => s.write("GET / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n"));
    s.on("data", (d) => (got += d));
    s.on("error", () => resolve({ ok: false }));
    s.once("close", () => resolve({ ok: got.endsWith("ok") }));
  });
}

const paths = {
  "bare node:net": bare,
  "httpChecker (plain probe)": (i) => httpChecker(target(i), spec("/"), never()),
  "runCheck(httpChecker probe)": (i) => runCheck(target(i), spec("/"), { kind: "negotiate" }),
  "httpChecker (undici path)": (i) =>
    httpChecker(target(i), spec(`http://127.0.0.1:${BASE + (i % N)}/`), never()),
};

async function measure(fn) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < CHECKS) {
      const r = await fn(next++);
      if (!r.ok) failed++;
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const cpu = process.cpuUsage(cpu0);
  return {
    cpuMsPerCheck: (cpu.user + cpu.system) / 1000 / CHECKS,
    wallS: (performance.now() - t0) / 1000,
    failed,
  };
}

const cleanup = new Cleanup();
try {
  const reals = await startReals(cleanup, { n: N, base: BASE });
  // Warm up each path (JIT, module loading) before measuring.
  for (const fn of Object.values(paths)) await Promise.all(Array.from({ length: 500 }, (_, i) => fn(i)));
  const rows = new Map(Object.keys(paths).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, fn] of Object.entries(paths)) rows.get(name).push(await measure(fn));
  }
  console.log(
    `${CHECKS} checks per round, ${CONCURRENCY} in flight, ${ROUNDS} rounds; client CPU ms per check (median, all rounds):`,
  );
  for (const [name, runs] of rows) {
    const v = runs.map((x) => x.cpuMsPerCheck).sort((a, b) => a - b);
    const failed = runs.reduce((a, x) => a + x.failed, 0);
    console.log(
      `  ${name.padEnd(30)} ${v[Math.floor(v.length / 2)].toFixed(3)}  (${v.map((x) => x.toFixed(3)).join(", ")})${failed ? `, ${failed} failed` : ""}`,
    );
  }
  await reals.stop();
} finally {
  cleanup.runSync();
}
process.exit(0);
