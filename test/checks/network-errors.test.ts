// Every kind of check against the network errors a director really meets, each in a
// network namespace this test makes (so no packet leaves the machine and the host's
// routes are untouched): no route (ENETUNREACH), an unreachable route (EHOSTUNREACH),
// a peer that resets mid-response (ECONNRESET), a peer that resets at accept (EPIPE, or
// ECONNRESET when the reset is read first), and no ephemeral port left (EADDRNOTAVAIL
// for TCP, EADDRINUSE for UDP's bind). TCP and UDP checkers (dns, sip, radius) alike.
// The checks run in a child process in the namespace (fixtures/network-errors.mjs, on
// the built code); each must be { ok: false } with a reason naming the error, and the
// process must finish normally.
import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuild } from "../e2e/harness.js";

const script = join(import.meta.dirname, "fixtures/network-errors.mjs");
const ns = `ldt-neterr-${randomBytes(3).toString("hex")}`;
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });

beforeAll(() => {
  requireBuild();
  ip("netns", "add", ns);
  ip("-n", ns, "link", "set", "lo", "up");
  ip("-n", ns, "route", "add", "unreachable", "10.66.2.0/24");
});
afterAll(() => {
  try {
    ip("netns", "del", ns);
  } catch {
    // never created
  }
});

interface Row {
  row: string;
  check: string;
  ok: boolean;
  reason: string;
}

function runIn(scenario: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    execFile(
      "ip",
      ["netns", "exec", ns, process.execPath, script, scenario, JSON.stringify(SERVICES)],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${scenario}: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as Row[]);
      },
    );
  });
}

const NAMES: Record<string, RegExp> = {
  ENETUNREACH: /ENETUNREACH|Network is unreachable/,
  EHOSTUNREACH: /EHOSTUNREACH|No route to host/,
  ECONNRESET: /ECONNRESET/,
  EPIPE: /EPIPE|ECONNRESET/,
  EADDRNOTAVAIL: /EADDRNOTAVAIL/,
  EADDRINUSE: /EADDRINUSE/,
};

function expectNamed(rows: Row[]): void {
  for (const r of rows) {
    expect(r.ok, `${r.row} ${r.check}: ${r.reason}`).toBe(false);
    expect(r.reason, `${r.row} ${r.check}`).toMatch(NAMES[r.row]!);
  }
}

/** Every negotiate service, by transport: the fixture checks these and the rows must name each. */
const SERVICES = {
  tcp: [
    "http",
    "https",
    "http_proxy",
    "ftp",
    "smtp",
    "submission",
    "pop",
    "pops",
    "imap",
    "imaps",
    "nntp",
    "ldap",
    "ldaps",
    "mysql",
    "pgsql",
    "simpletcp",
    "sip",
    "dns",
  ],
  udp: ["dns", "sip", "radius"],
};
const TCP_SERVICES = SERVICES.tcp.map((s) => `negotiate/${s}`);
const UDP = SERVICES.udp.map((s) => `negotiate/${s}/udp`);

describe("every checker against the network errors of a real director", () => {
  it("routes and resets: ENETUNREACH, EHOSTUNREACH (TCP, UDP, ICMP), ECONNRESET mid-response, EPIPE", async () => {
    const rows = await runIn("routes");
    const checks = (row: string) =>
      rows
        .filter((r) => r.row === row)
        .map((r) => r.check)
        .sort();
    for (const row of ["ENETUNREACH", "EHOSTUNREACH"]) {
      expect(checks(row)).toEqual(["connect", ...TCP_SERVICES, ...UDP, "ping"].sort());
    }
    for (const row of ["ECONNRESET", "EPIPE"]) expect(checks(row)).toEqual([...TCP_SERVICES].sort());
    expectNamed(rows);
  }, 150_000);

  it("no ephemeral port left: EADDRNOTAVAIL for TCP checks, EADDRINUSE for UDP ones", async () => {
    ip("netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=40000 40000");
    const rows = await runIn("exhausted");
    expect(
      rows
        .filter((r) => r.row === "EADDRNOTAVAIL")
        .map((r) => r.check)
        .sort(),
    ).toEqual(["connect", ...TCP_SERVICES].sort());
    expect(
      rows
        .filter((r) => r.row === "EADDRINUSE")
        .map((r) => r.check)
        .sort(),
    ).toEqual([...UDP].sort());
    expectNamed(rows);
  }, 150_000);
});
