// service=pgsql: log in, run `request` as SQL, up when it returns at least one row
// (ldirectord's check_sql). ldirectord has no timeout here (a stopped PostgreSQL froze
// it); ldirector bounds connect, statement and the whole check by negotiatetimeout and
// destroys the socket when it passes.
import pg from "pg";
import { errorReason, stripLeadingSlash, withDeadline } from "./lib/deadline.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

export const pgsqlChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const sql = stripLeadingSlash(spec.request).trim();
  if (spec.login === "") return down("pgsql: login= is required for service=pgsql", startedAt);
  if (sql === "") return down("pgsql: request= (an SQL query) is required for service=pgsql", startedAt);
  const timeoutMs = spec.negotiateTimeoutMs;

  return withDeadline(
    timeoutMs,
    signal,
    startedAt,
    async ({ defer }) => {
      const client = new pg.Client({
        host: target.address,
        port: target.port,
        user: spec.login,
        password: spec.passwd,
        database: spec.database === "" ? undefined : spec.database,
        ssl: false,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
        query_timeout: timeoutMs,
        application_name: "ldirector",
      });
      // end() waits for the server; a hung server needs the socket torn down instead.
      defer(() => client.connection.stream.destroy());
      client.on("error", () => {});
      await client.connect();
      const result = await client.query({ text: sql, rowMode: "array" });
      await client.end().catch(() => {});
      const count = result.rows.length;
      return count > 0
        ? up(`pgsql: ${count} row${count === 1 ? "" : "s"}`, startedAt)
        : down("pgsql: query returned no rows", startedAt);
    },
    (err) => errorReason("pgsql", err),
  );
};
