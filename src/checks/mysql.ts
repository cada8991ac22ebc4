// service=mysql: log in, run `request` as SQL, up when it returns at least one row
// (ldirectord's check_sql). ldirectord has no timeout here; ldirector bounds the connect
// and the whole check by negotiatetimeout and destroys the connection when it passes.
import mysql from "mysql2";
import { errorReason, stripLeadingSlash, withDeadline } from "./lib/deadline.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

export const mysqlChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const sql = stripLeadingSlash(spec.request).trim();
  if (spec.login === "") return down("mysql: login= is required for service=mysql", startedAt);
  if (sql === "") return down("mysql: request= (an SQL query) is required for service=mysql", startedAt);
  const timeoutMs = spec.negotiateTimeoutMs;

  return withDeadline(
    timeoutMs,
    signal,
    startedAt,
    ({ defer }) =>
      new Promise((resolve, reject) => {
        const conn = mysql.createConnection({
          host: target.address,
          port: target.port,
          user: spec.login,
          password: spec.passwd,
          database: spec.database === "" ? undefined : spec.database,
          connectTimeout: timeoutMs,
          // One row is enough to know; never pull a huge result into memory.
          rowsAsArray: true,
        });
        defer(() => conn.destroy());
        // Errors after the query callback (a reset while closing) must not crash the process.
        conn.on("error", () => {});
        conn.query({ sql, timeout: timeoutMs }, (err, rows) => {
          if (err) return reject(err);
          const count = Array.isArray(rows) ? rows.length : 0;
          resolve(
            count > 0
              ? up(`mysql: ${count} row${count === 1 ? "" : "s"}`, startedAt)
              : down("mysql: query returned no rows", startedAt),
          );
        });
      }),
    (err) => errorReason("mysql", err),
  );
};
