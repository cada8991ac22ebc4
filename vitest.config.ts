import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

/** The real-IPVS VM file runs for minutes on its own vCPUs: start it first, the rest beside it. */
const VM_FILE = "test/vm/realipvs.test.ts";
class VmFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const isVm = (f: TestSpecification) => f.moduleId.endsWith(VM_FILE);
    return [...sorted.filter(isVm), ...sorted.filter((f) => !isVm(f))];
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    // e2e tests start daemons and Node stand-ins; on a busy two-core machine one start takes
    // ~10 s, so 30 s was a flake, not a bound. Tests wait on conditions, never on this.
    testTimeout: 90_000,
    // The VM file sets its own, longer, limit on its one hook.
    hookTimeout: 120_000,
    // Protocol peers (PostgreSQL, MariaDB, slapd, …) are real processes; two cores only.
    maxWorkers: 2,
    reporters: ["default"],
    sequence: { sequencer: VmFirst },
  },
});
