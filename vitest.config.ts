import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/bench/**", "node_modules/**"],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Protocol peers (PostgreSQL, MariaDB, slapd, …) are real processes; two cores only.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
