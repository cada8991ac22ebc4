// service=pgsql against a real PostgreSQL (postgresql), started once for this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgsqlChecker } from "../../src/checks/pgsql.js";
import { type PostgresPeer, startPostgres } from "./peers/postgres.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

describe("pgsqlChecker against PostgreSQL", () => {
  let db: PostgresPeer;
  let silent: SilentPeer;

  beforeAll(async () => {
    silent = await silentTcpServer();
    db = await startPostgres();
  });
  afterAll(async () => {
    await db?.stop();
    await silent?.close();
  });

  const spec = (over = {}) =>
    negotiateSpec("pgsql", {
      login: db.user,
      passwd: db.password,
      database: db.database,
      request: "/SELECT ok FROM health",
      negotiateTimeoutMs: 5000,
      ...over,
    });

  it("is up when the query returns a row, with ldirectord's leading / stripped", async () => {
    const r = await pgsqlChecker(loopbackTarget(db.port), spec(), quiet());
    expect(r).toMatchObject({ ok: true, reason: "pgsql: query returned a row" });
    expect(r.latencyMs).toBeGreaterThan(0);
  });

  it("is up on the first row of a large result, hanging up instead of reading the rest", async () => {
    const r = await pgsqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT g FROM generate_series(1, 200000) AS g" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: true, reason: "pgsql: query returned a row" });
  });

  it("is down with the server's reason on a wrong password, never printing the password", async () => {
    const r = await pgsqlChecker(loopbackTarget(db.port), spec({ passwd: "wrong-pw-123" }), quiet());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^pgsql: .*password authentication failed for user "checker"/);
    expect(r.reason).not.toContain("wrong-pw-123");
  });

  it("is down when the query returns no rows", async () => {
    const r = await pgsqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT ok FROM empty" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: false, reason: "pgsql: query returned no rows" });
  });

  it("is down with the SQL error for a bad query", async () => {
    const r = await pgsqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT nope FROM nowhere" }),
      quiet(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^pgsql: .*nowhere/);
  });

  it("is down without trying when login or request is missing", async () => {
    const noLogin = await pgsqlChecker(loopbackTarget(db.port), spec({ login: "" }), quiet());
    expect(noLogin).toMatchObject({ ok: false, reason: "pgsql: login= is required for service=pgsql" });
    const noRequest = await pgsqlChecker(loopbackTarget(db.port), spec({ request: "/" }), quiet());
    expect(noRequest).toMatchObject({
      ok: false,
      reason: "pgsql: request= (an SQL query) is required for service=pgsql",
    });
  });

  it("is down with ECONNREFUSED when nothing listens", async () => {
    const r = await pgsqlChecker(loopbackTarget(await freePort()), spec(), quiet());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^pgsql: .*ECONNREFUSED/);
  });

  it("times out against a real that accepts and never answers", async () => {
    const started = performance.now();
    const r = await pgsqlChecker(loopbackTarget(silent.port), spec({ negotiateTimeoutMs: 700 }), quiet());
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    expect(performance.now() - started).toBeLessThan(700 + 2000);
  });

  it("times out when the postgres server is frozen (SIGSTOP), then recovers", async () => {
    db.process.signal("SIGSTOP");
    try {
      const started = performance.now();
      const r = await pgsqlChecker(loopbackTarget(db.port), spec({ negotiateTimeoutMs: 800 }), quiet());
      expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
      expect(performance.now() - started).toBeLessThan(800 + 2000);
    } finally {
      db.process.signal("SIGCONT");
    }
    const again = await pgsqlChecker(loopbackTarget(db.port), spec(), quiet());
    expect(again.ok).toBe(true);
  });

  it("stops at once when the caller aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const started = performance.now();
    const r = await pgsqlChecker(
      loopbackTarget(silent.port),
      spec({ negotiateTimeoutMs: 10_000 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 10000 ms" });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
