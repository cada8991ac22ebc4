// service=mysql: log in, run `request` as SQL, up when it returns at least one row
// (ldirectord's check_sql). ldirectord has no timeout here; ldirector bounds the connect
// and the whole check by negotiatetimeout and destroys the connection when it passes.
import { errorReason, libraryTimeoutMs, stripLeadingSlash, untilStopped } from "./lib/stoppable.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

export const mysqlChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const sql = stripLeadingSlash(spec.request).trim();
  if (spec.login === "") return down("mysql: login= is required for service=mysql", startedAt);
  if (sql === "") return down("mysql: request= (an SQL query) is required for service=mysql", startedAt);
  const timeoutMs = spec.negotiateTimeoutMs;

  return untilStopped(
    timeoutMs,
    signal,
    startedAt,
    async ({ defer, signal: stop }) => {
      // Imported on the first mysql check: a director that checks none never holds mysql2.
      const { default: mysql } = await import("mysql2");
      if (stop.aborted) throw new Error("aborted");
      return new Promise((resolve, reject) => {
        const conn = mysql.createConnection({
          host: target.address,
          port: target.port,
          user: spec.login,
          password: spec.passwd,
          database: spec.database === "" ? undefined : spec.database,
          connectTimeout: libraryTimeoutMs(timeoutMs),
        });
        defer(() => conn.destroy());
        // Connect and login errors arrive here; after the first row they are too late to matter.
        conn.on("error", reject);
        // Rows are streamed, not collected: the first one decides, and the connection is
        // destroyed right after, so a huge result set is never read into memory.
        let rows = 0;
        conn
          .query({ sql, timeout: libraryTimeoutMs(timeoutMs), rowsAsArray: true })
          .on("error", reject)
          .on("result", () => {
            rows += 1;
            if (rows === 1) resolve(up("mysql: query returned a row", startedAt));
          })
          .on("end", () => {
            if (rows === 0) resolve(down("mysql: query returned no rows", startedAt));
          });
      });
    },
    (err) => errorReason("mysql", err),
  );
};
