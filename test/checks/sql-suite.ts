// One suite for the two SQL checkers: service=mysql and service=pgsql promise the same
// behaviour (ldirectord's leading "/" stripped, up on a first row, the server's reason
// on failure, real timeouts), each run against its own real server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Checker } from "../../src/checks/types.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";
import { underDeadline } from "./core/fixtures.js";

export interface SqlPeer {
  port: number;
  user: string;
  password: string;
  database: string;
  process: { signal(signal: NodeJS.Signals): void };
  stop(): Promise<void>;
}

export interface SqlSuite {
  service: "mysql" | "pgsql";
  /** The server, as test names call it. */
  server: string;
  checker: Checker;
  start: () => Promise<SqlPeer>;
  /** A query of this server's dialect that returns 200,000 rows. */
  bigQuery: string;
  /** The server's own words for a wrong password. */
  badPassword: RegExp;
}

export function sqlCheckerSuite(s: SqlSuite): void {
  const check = s.checker;
  const prefix = `${s.service}: `;
  describe(`${s.service}Checker against ${s.server}`, () => {
    let db: SqlPeer;
    let silent: SilentPeer;

    beforeAll(async () => {
      silent = await silentTcpServer();
      db = await s.start();
    });
    afterAll(async () => {
      await db?.stop();
      await silent?.close();
    });

    const spec = (over = {}) =>
      negotiateSpec(s.service, {
        login: db.user,
        passwd: db.password,
        database: db.database,
        request: "/SELECT ok FROM health",
        negotiateTimeoutMs: 5000,
        ...over,
      });

    it("is up when the query returns a row, with ldirectord's leading / stripped", async () => {
      const r = await check(loopbackTarget(db.port), spec(), quiet());
      expect(r).toMatchObject({ ok: true, reason: `${prefix}query returned a row` });
      expect(r.latencyMs).toBeGreaterThan(0);
    });

    it("is up on the first row of a large result, hanging up instead of reading the rest", async () => {
      const r = await check(loopbackTarget(db.port), spec({ request: s.bigQuery }), quiet());
      expect(r).toMatchObject({ ok: true, reason: `${prefix}query returned a row` });
    });

    it("is down with the server's reason on a wrong password, never printing the password", async () => {
      const r = await check(loopbackTarget(db.port), spec({ passwd: "wrong-pw-123" }), quiet());
      expect(r.ok).toBe(false);
      expect(r.reason.startsWith(prefix)).toBe(true);
      expect(r.reason).toMatch(s.badPassword);
      expect(r.reason).not.toContain("wrong-pw-123");
    });

    it("is down when the query returns no rows", async () => {
      const r = await check(loopbackTarget(db.port), spec({ request: "/SELECT ok FROM empty" }), quiet());
      expect(r).toMatchObject({ ok: false, reason: `${prefix}query returned no rows` });
    });

    it("is down with the SQL error for a bad query", async () => {
      const r = await check(loopbackTarget(db.port), spec({ request: "/SELECT nope FROM nowhere" }), quiet());
      expect(r.ok).toBe(false);
      expect(r.reason.startsWith(prefix)).toBe(true);
      expect(r.reason).toMatch(/nowhere/);
    });

    it("is down without trying when login or request is missing", async () => {
      const noLogin = await check(loopbackTarget(db.port), spec({ login: "" }), quiet());
      expect(noLogin).toMatchObject({
        ok: false,
        reason: `${prefix}login= is required for service=${s.service}`,
      });
      const noRequest = await check(loopbackTarget(db.port), spec({ request: "/" }), quiet());
      expect(noRequest).toMatchObject({
        ok: false,
        reason: `${prefix}request= (an SQL query) is required for service=${s.service}`,
      });
    });

    it("is down with ECONNREFUSED when nothing listens", async () => {
      const r = await check(loopbackTarget(await freePort()), spec(), quiet());
      expect(r.ok).toBe(false);
      expect(r.reason.startsWith(prefix)).toBe(true);
      expect(r.reason).toMatch(/ECONNREFUSED/);
    });

    it("times out against a real that accepts and never answers", async () => {
      const started = performance.now();
      const r = await underDeadline(
        "negotiate",
        check,
        loopbackTarget(silent.port),
        spec({ negotiateTimeoutMs: 700 }),
      );
      expect(r).toMatchObject({ ok: false, reason: "timeout after 700 ms" });
      expect(performance.now() - started).toBeLessThan(700 + 2000);
    });

    it(`times out when the ${s.server} process is frozen (SIGSTOP), then recovers`, async () => {
      db.process.signal("SIGSTOP");
      try {
        const started = performance.now();
        const r = await underDeadline(
          "negotiate",
          check,
          loopbackTarget(db.port),
          spec({ negotiateTimeoutMs: 800 }),
        );
        expect(r).toMatchObject({ ok: false, reason: "timeout after 800 ms" });
        expect(performance.now() - started).toBeLessThan(800 + 2000);
      } finally {
        db.process.signal("SIGCONT");
      }
      const again = await check(loopbackTarget(db.port), spec(), quiet());
      expect(again.ok).toBe(true);
    });

    it("stops at once when the caller aborts", async () => {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 200);
      const started = performance.now();
      const r = await check(loopbackTarget(silent.port), spec({ negotiateTimeoutMs: 10_000 }), ctl.signal);
      expect(r).toMatchObject({ ok: false, reason: "timeout after 10000 ms" });
      expect(performance.now() - started).toBeLessThan(5000);
    });
  });
}
