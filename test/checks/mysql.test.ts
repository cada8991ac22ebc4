// service=mysql against a real MariaDB (mariadb-server), started once for this file.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mysqlChecker } from "../../src/checks/mysql.js";
import { type MariaDbPeer, startMariaDb } from "./peers/mariadb.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

describe("mysqlChecker against MariaDB", () => {
  let db: MariaDbPeer;
  let silent: SilentPeer;

  beforeAll(async () => {
    silent = await silentTcpServer();
    db = await startMariaDb();
  });
  afterAll(async () => {
    await db?.stop();
    await silent?.close();
  });

  const spec = (over = {}) =>
    negotiateSpec("mysql", {
      login: db.user,
      passwd: db.password,
      database: db.database,
      request: "/SELECT ok FROM health",
      negotiateTimeoutMs: 5000,
      ...over,
    });

  it("is up when the query returns a row, with ldirectord's leading / stripped", async () => {
    const r = await mysqlChecker(loopbackTarget(db.port), spec(), quiet());
    expect(r).toMatchObject({ ok: true, reason: "mysql: query returned a row" });
    expect(r.latencyMs).toBeGreaterThan(0);
  });

  it("is up on the first row of a large result, hanging up instead of reading the rest", async () => {
    const r = await mysqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT seq FROM seq_1_to_200000" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: true, reason: "mysql: query returned a row" });
  });

  it("is down with the server's reason on a wrong password, never printing the password", async () => {
    const r = await mysqlChecker(loopbackTarget(db.port), spec({ passwd: "wrong-pw-123" }), quiet());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^mysql: .*Access denied for user 'checker'/);
    expect(r.reason).not.toContain("wrong-pw-123");
  });

  it("is down when the query returns no rows", async () => {
    const r = await mysqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT ok FROM empty" }),
      quiet(),
    );
    expect(r).toMatchObject({ ok: false, reason: "mysql: query returned no rows" });
  });

  it("is down with the SQL error for a bad query", async () => {
    const r = await mysqlChecker(
      loopbackTarget(db.port),
      spec({ request: "/SELECT nope FROM nowhere" }),
      quiet(),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^mysql: .*nowhere/);
  });

  it("is down without trying when login or request is missing", async () => {
    const noLogin = await mysqlChecker(loopbackTarget(db.port), spec({ login: "" }), quiet());
    expect(noLogin).toMatchObject({ ok: false, reason: "mysql: login= is required for service=mysql" });
    const noRequest = await mysqlChecker(loopbackTarget(db.port), spec({ request: "/" }), quiet());
    expect(noRequest).toMatchObject({
      ok: false,
      reason: "mysql: request= (an SQL query) is required for service=mysql",
    });
  });

  it("is down with ECONNREFUSED when nothing listens", async () => {
    const r = await mysqlChecker(loopbackTarget(await freePort()), spec(), quiet());
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^mysql: .*ECONNREFUSED/);
  });

  it("times out against a real that accepts and never answers", async () => {
    const started = performance.now();
    const r = await mysqlChecker(loopbackTarget(silent.port), spec({ negotiateTimeoutMs: 700 }), quiet());
    expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
    expect(performance.now() - started).toBeLessThan(700 + 2000);
  });

  it("times out when the MariaDB process is frozen (SIGSTOP), then recovers", async () => {
    db.process.signal("SIGSTOP");
    try {
      const started = performance.now();
      const r = await mysqlChecker(loopbackTarget(db.port), spec({ negotiateTimeoutMs: 800 }), quiet());
      expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
      expect(performance.now() - started).toBeLessThan(800 + 2000);
    } finally {
      db.process.signal("SIGCONT");
    }
    const again = await mysqlChecker(loopbackTarget(db.port), spec(), quiet());
    expect(again.ok).toBe(true);
  });

  it("stops at once when the caller aborts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 200);
    const started = performance.now();
    const r = await mysqlChecker(
      loopbackTarget(silent.port),
      spec({ negotiateTimeoutMs: 10_000 }),
      ctl.signal,
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 10000 ms" });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
