// service=pgsql: log in, run `request` as SQL, up when it returns at least one row
// (ldirectord's check_sql). ldirectord has no timeout here (a stopped PostgreSQL froze
// it); here the check ends at negotiatetimeout (runCheck's deadline) and the socket is
// destroyed then.
import { errorReason, libraryTimeoutMs, stripLeadingSlash, untilStopped } from "./lib/stoppable.js";
import { down, up } from "./lib/result.js";
import type { Checker, CheckResult } from "./types.js";

export const pgsqlChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const sql = stripLeadingSlash(spec.request).trim();
  if (spec.login === "") return down("pgsql: login= is required for service=pgsql", startedAt);
  if (sql === "") return down("pgsql: request= (an SQL query) is required for service=pgsql", startedAt);
  const timeoutMs = spec.negotiateTimeoutMs;

  return untilStopped(
    timeoutMs,
    signal,
    startedAt,
    async ({ defer, signal: stop }) => {
      // Imported on the first pgsql check: a director that checks none never holds pg.
      const { default: pg } = await import("pg");
      if (stop.aborted) throw new Error("aborted");
      const client = new pg.Client({
        host: target.address,
        port: target.port,
        user: spec.login,
        password: spec.passwd,
        database: spec.database === "" ? undefined : spec.database,
        ssl: false,
        connectionTimeoutMillis: libraryTimeoutMs(timeoutMs),
        // The server gives up too; no client query_timeout: pg would then collect every row
        // and report errors through a callback instead of the events used below.
        statement_timeout: libraryTimeoutMs(timeoutMs),
        application_name: "ldirector",
      });
      // end() waits for the server; a hung server needs the socket torn down instead.
      defer(() => client.connection.stream.destroy());
      client.on("error", () => {});
      await client.connect();
      // Rows are streamed, not collected (a "row" listener turns pg's accumulation off):
      // the first row decides, and the socket is destroyed right after.
      return await new Promise<CheckResult>((resolve, reject) => {
        let rows = 0;
        client
          .query(new pg.Query({ text: sql }))
          .on("error", reject)
          .on("row", () => {
            rows += 1;
            if (rows === 1) resolve(up("pgsql: query returned a row", startedAt));
          })
          .on("end", () => {
            if (rows === 0) resolve(down("pgsql: query returned no rows", startedAt));
          });
      });
    },
    (err) => errorReason("pgsql", err),
  );
};
