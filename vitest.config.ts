import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    // e2e tests start daemons and Node stand-ins; on a busy two-core machine one start takes
    // ~10 s, so 30 s was a flake, not a bound. Tests wait on conditions, never on this.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // Protocol peers (PostgreSQL, MariaDB, slapd, …) are real processes; two cores only.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
