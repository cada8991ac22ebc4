// The guest suite: what test/vm/realipvs.test.ts boots the VM to run (also by hand:
// `node test/vm/run.mjs -- node test/vm/guest/suite.mjs`). Loads the IPVS modules, runs
// the differential cases, then the scenarios, several at once (each in its own
// namespaces). One JSON line per case or scenario goes to $LDVM_SHARE/results.jsonl;
// a readable line goes to the console.
//   LDVM_ONLY=REGEX   run only the cases and scenarios whose names match
//   LDVM_JOBS=N       scenarios at once (default 3)
//   LDVM_BREAK=REGEX  the ipvsadm shim drops matching -R lines (a broken backend)
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { runDifferential } from "./differential.mjs";
import { Lab } from "./lab.mjs";
import { scenarios } from "./scenarios.mjs";

const share = process.env.LDVM_SHARE ?? "/tmp";
const results = join(share, "results.jsonl");
const only = process.env.LDVM_ONLY ? new RegExp(process.env.LDVM_ONLY) : undefined;
const wanted = (name) => !only || only.test(name);
const jobs = Number(process.env.LDVM_JOBS) || 3;
/** One scenario's hard limit (unless it names its own): a hung one must not take the whole boot with it. */
const SCENARIO_LIMIT_MS = 8 * 60_000;

const suiteStarted = Date.now();
let failures = 0;
function report(r) {
  appendFileSync(results, `${JSON.stringify(r)}\n`);
  const ok = r.kind === "case" ? r.error === undefined : r.ok;
  const secs = ((r.ms ?? 0) / 1000).toFixed(1);
  if (!ok) failures++;
  console.log(
    `ldvm: ${r.kind} ${r.name}: ${ok ? "done" : "FAILED"} (${secs} s)${r.measured ? ` ${JSON.stringify(r.measured)}` : ""}`,
  );
  if (r.error) console.log(`ldvm:   ${r.error.split("\n").slice(0, 30).join("\nldvm:   ")}`);
}

for (const m of [
  "ip_vs",
  "ip_vs_rr",
  "ip_vs_wrr",
  "ip_vs_sh",
  "ip_vs_dh",
  "ip_vs_wlc",
  "ip_vs_lc",
  "ipip",
  "nf_conntrack",
]) {
  execFileSync("modprobe", [m]);
}
console.log(
  `ldvm: kernel ${execFileSync("uname", ["-r"], { encoding: "utf8" }).trim()}, ${execFileSync("/usr/sbin/ipvsadm", ["--version"], { encoding: "utf8" }).trim()}`,
);

const casesFile = join(share, "cases.json");
if (existsSync(casesFile)) runDifferential(casesFile, wanted, report);

async function runScenario(s, n) {
  const started = Date.now();
  // A scenario may bring its own kind of lab (pair.mjs: two directors).
  const lab = new (s.Lab ?? Lab)(n, { flat: s.flat, reals: s.reals });
  let timer;
  try {
    await lab.build();
    const limit = new Promise((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`still running after ${(s.limitMs ?? SCENARIO_LIMIT_MS) / 1000} s`)),
        s.limitMs ?? SCENARIO_LIMIT_MS,
      );
    });
    const measured = await Promise.race([s.run(lab), limit]);
    report({ kind: "scenario", name: s.name, ok: true, ms: Date.now() - started, measured });
  } catch (e) {
    // What the failure looked like from outside: the kernel's table and the daemon's last words.
    const table = await lab.ipvsadm("-S", "-n").catch((err) => `(unreadable: ${err.message})`);
    const error = `${e?.message ?? e}\nipvsadm -S -n:\n${table}daemon output (end):\n${lab.daemonOutput.slice(-1500)}`;
    report({ kind: "scenario", name: s.name, ok: false, ms: Date.now() - started, error });
  } finally {
    clearTimeout(timer);
    await lab.destroy();
  }
}

const chosen = scenarios.map((s, k) => ({ s, n: k + 1 })).filter(({ s }) => wanted(s.name));
const queue = chosen.filter(({ s }) => !s.alone);
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await runScenario(next.s, next.n);
  }),
);
// The heavy ones (pair.mjs: two daemons, keepalived, CLI runs from notify scripts) after
// the others, one at a time: beside them, other scenarios' 2 s checks timed out under TCG.
for (const { s, n } of chosen.filter(({ s }) => s.alone)) await runScenario(s, n);
console.log(`ldvm: suite done in ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s, ${failures} failed`);
process.exit(failures ? 1 : 0);
