// `ldirector probe` where the real has no route at all: the built CLI runs inside an
// empty network namespace (`unshare -n`: only a downed loopback), so every packet to the
// real fails at once with ENETUNREACH. Issue 13: the DNS check over UDP threw from its
// connect callback and the whole process died; every check must instead report the
// error as a failed check and the command must finish normally.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, requireBuild } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "probe-unreachable-"));
beforeAll(requireBuild);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  real: string;
  check: string;
  ok: boolean;
  reason: string;
}

function probeWithoutNetwork(lines: string[]): Promise<{ code: number | null; rows: Row[]; stderr: string }> {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}.cf`);
  writeFileSync(file, `${lines.join("\n")}\n`);
  return new Promise((resolve) => {
    execFile(
      "unshare",
      ["-n", process.execPath, cli, "--json", "probe", file],
      { timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : null;
        let rows: Row[] = [];
        try {
          rows = JSON.parse(stdout) as Row[];
        } catch {
          // left empty: the assertions below show stderr
        }
        resolve({ code, rows, stderr });
      },
    );
  });
}

describe("ldirector probe with no route to the real", () => {
  it("dns over udp (the issue's minimal file) fails the check with ENETUNREACH and exits 0", async () => {
    const { code, rows, stderr } = await probeWithoutNetwork([
      "virtual=10.0.16.1:53",
      "    real=10.0.240.8:53 gate",
      "    service=dns",
      '    request="example.com"',
      '    receive="1.2.3.4"',
      "    protocol=udp",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ real: "10.0.240.8:53", check: "negotiate/dns", ok: false });
    expect(rows[0]!.reason).toMatch(/ENETUNREACH/);
  });

  it("every kind of check on tcp and udp reports ENETUNREACH, none ends the process", async () => {
    const services: [string, string][] = [
      ["dns", "53"],
      ["http", "80"],
      ["https", "443"],
      ["ftp", "21"],
      ["smtp", "25"],
      ["pop", "110"],
      ["imap", "143"],
      ["nntp", "119"],
      ["ldap", "389"],
      ["mysql", "3306"],
      ["pgsql", "5432"],
      ["radius", "1812"],
      ["sip", "5060"],
      ["simpletcp", "7"],
    ];
    const lines = ["checktimeout=5", "negotiatetimeout=5"];
    let n = 1;
    for (const [service, port] of services) {
      for (const protocol of ["tcp", "udp"]) {
        lines.push(
          `virtual=10.0.16.${n++}:${port}`,
          `    real=10.0.240.8:${port} gate`,
          `    service=${service}`,
          `    protocol=${protocol}`,
          '    request="example.com"',
          '    receive="1.2.3.4"',
          '    login="u"',
          '    passwd="p"',
          '    secret="s"',
          '    database="d"',
        );
      }
    }
    lines.push(`virtual=10.0.16.${n++}:80`, "    real=10.0.240.8:80 gate", "    checktype=connect");
    const { code, rows, stderr } = await probeWithoutNetwork(lines);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(rows).toHaveLength(services.length * 2 + 1);
    for (const row of rows) {
      expect(row.ok, `${row.check}: ${row.reason}`).toBe(false);
      expect(row.reason, row.check).toMatch(/ENETUNREACH|no route|network is unreachable/i);
    }
  }, 90_000);
});
