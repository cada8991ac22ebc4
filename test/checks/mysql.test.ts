// service=mysql against a real MariaDB (mariadb-server), started once for this file.
import { mysqlChecker } from "../../src/checks/mysql.js";
import { startMariaDb } from "./peers/mariadb.js";
import { sqlCheckerSuite } from "./sql-suite.js";

sqlCheckerSuite({
  service: "mysql",
  server: "MariaDB",
  checker: mysqlChecker,
  start: startMariaDb,
  bigQuery: "/SELECT seq FROM seq_1_to_200000",
  badPassword: /Access denied for user 'checker'/,
});
