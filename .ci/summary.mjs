// Reads vitest's JSON report and prints the plain "N passed, N failed" line CI reads.
// A skipped or todo test counts as a failure here: in CI nothing may be skipped silently.
import { readFileSync } from "node:fs";

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (err) {
  console.log(`ci: no test report (${err.message})`);
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// Suites that failed to load count as failures even though they ran no test.
const brokenSuites = (report.testResults ?? []).filter((r) => r.status === "failed" && r.assertionResults.length === 0);
for (const s of brokenSuites) console.log(`ci: suite failed to run: ${s.name}\n${s.message ?? ""}`);
if (skipped > 0) console.log(`ci: ${skipped} test(s) skipped or todo; CI treats that as a failure`);
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + skipped + brokenSuites.length;
if (passed + failed === 0) console.log("ci: no test ran");
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
