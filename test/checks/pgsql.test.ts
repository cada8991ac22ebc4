// service=pgsql against a real PostgreSQL (postgresql), started once for this file.
import { pgsqlChecker } from "../../src/checks/pgsql.js";
import { startPostgres } from "./peers/postgres.js";
import { sqlCheckerSuite } from "./sql-suite.js";

sqlCheckerSuite({
  service: "pgsql",
  server: "PostgreSQL",
  checker: pgsqlChecker,
  start: startPostgres,
  bigQuery: "/SELECT g FROM generate_series(1, 200000) AS g",
  badPassword: /password authentication failed for user "checker"/,
});
