// The differential half, run in the guest: every recorded case (cases.json, which the host
// writes from test/fixtures/realipvs/cases.ts) on the real /usr/sbin/ipvsadm, in the
// guest's root namespace (the scenarios use their own). The host compares each result
// with the recording (compareCase), the same comparison the stand-in passes.
import { readFileSync } from "node:fs";
import { runCase } from "../../fixtures/realipvs/run-case.mjs";

export function runDifferential(casesFile, wanted, report) {
  const cases = JSON.parse(readFileSync(casesFile, "utf8"));
  for (const c of cases.filter((x) => wanted(x.name))) {
    const started = Date.now();
    try {
      const result = runCase("/usr/sbin/ipvsadm", c);
      report({ kind: "case", name: c.name, ms: Date.now() - started, result });
    } catch (e) {
      report({ kind: "case", name: c.name, ms: Date.now() - started, error: String(e?.stack ?? e) });
    }
  }
}
