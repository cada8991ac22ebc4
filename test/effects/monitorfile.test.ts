import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CheckSpec, RealServer, VirtualService } from "../../src/config/types.js";
import {
  formatMonitorLine,
  ldirectordRealId,
  MonitorFiles,
  perlLocaltime,
} from "../../src/effects/monitorfile.js";

describe("perlLocaltime", () => {
  it("matches Perl's scalar localtime", () => {
    for (const seconds of [0, 1_795_425_483, 1_793_700_000, 1_709_251_199, 951_782_400]) {
      const perl = execFileSync("perl", ["-e", `print scalar localtime(${seconds})`], { encoding: "utf8" });
      expect(perlLocaltime(new Date(seconds * 1000))).toBe(perl);
    }
  });

  it("pads the day of month with a space", () => {
    expect(perlLocaltime(new Date(2026, 10, 23, 9, 18, 3))).toBe("Mon Nov 23 09:18:03 2026");
    expect(perlLocaltime(new Date(2026, 10, 3, 0, 0, 0))).toBe("Tue Nov  3 00:00:00 2026");
  });
});

describe("formatMonitorLine", () => {
  const at = new Date(2026, 10, 23, 9, 18, 3);

  it("writes ldirectord's line", () => {
    expect(
      formatMonitorLine(
        at,
        4242,
        "negotiate:http:tcp:10.0.0.2:80:::1:gate:\\/index\\.html:ok",
        false,
        "timeout",
      ),
    ).toBe(
      "[Mon Nov 23 09:18:03 2026] [4242] negotiate http tcp 10.0.0.2 80 1 gate /index.html ok [down] timeout\n",
    );
    expect(formatMonitorLine(at, 1, "connect:tcp:[2001:db8::2]:443:::3:masq::", true, undefined)).toBe(
      "[Mon Nov 23 09:18:03 2026] [1] connect tcp [2001 db8 2] 443 3 masq  [up] -\n",
    );
  });

  it("%-escapes %, |, CR and LF in the reason", () => {
    expect(formatMonitorLine(at, 1, "on", false, "50% | bad\r\nline")).toBe(
      "[Mon Nov 23 09:18:03 2026] [1] on [down] 50%25 %7c bad%0d%0aline\n",
    );
  });
});

function spec(fields: Partial<CheckSpec>): CheckSpec {
  return { type: "connect", service: "none", request: "/", receive: "", port: 80, ...fields } as CheckSpec;
}

describe("ldirectordRealId", () => {
  it("builds get_real_id_str's fields", () => {
    const v = { protocol: "tcp" } as VirtualService;
    const r = {
      address: "10.0.0.2",
      family: "inet",
      port: 80,
      weight: 1,
      forward: "gate",
      check: spec({ type: "negotiate", service: "http", request: "/index.html", receive: "ok" }),
    } as RealServer;
    expect(ldirectordRealId(v, r)).toBe("negotiate:http:tcp:10.0.0.2:80:::1:gate:/index.html:ok");
    const r6 = {
      ...r,
      address: "2001:db8::2",
      family: "inet6",
      weight: 5,
      forward: "masq",
      check: spec({ type: "external", command: "/bin/chk", port: 8080, virtualHost: "www" }),
    } as RealServer;
    expect(ldirectordRealId(v, r6)).toBe("external:/bin/chk:tcp:[2001:db8::2]:80:www:8080:5:masq:/:");
    const perl = { ...r6, check: { ...r6.check, perl: true as const } };
    expect(ldirectordRealId(v, perl)).toBe("external-perl:/bin/chk:tcp:[2001:db8::2]:80:www:8080:5:masq:/:");
  });
});

describe("MonitorFiles", () => {
  let dir: string;
  let files: MonitorFiles;
  let logs: string[];
  const at = new Date(2026, 10, 23, 9, 18, 3);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "monitor-"));
    logs = [];
    files = new MonitorFiles({ pid: 77, logger: pino({}, { write: (s: string) => logs.push(s) }) });
  });
  afterEach(async () => {
    await files.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("appends lines in order to each virtual's file, sharing one file between virtuals", async () => {
    const path = join(dir, "web.log");
    const a = { monitorFile: path } as VirtualService;
    const b = { monitorFile: path } as VirtualService;
    const none = {} as VirtualService;
    files.record(a, "connect:tcp:10.0.0.2:80:::1:gate::", false, "refused", at);
    files.record(none, "x", true, "not written anywhere", at);
    files.record(b, "connect:tcp:10.0.0.3:80:::1:gate::", true, undefined, at);
    files.record(a, "connect:tcp:10.0.0.2:80:::1:gate::", true, "ok", at);
    await files.flush();
    expect(await readFile(path, "utf8")).toBe(
      "[Mon Nov 23 09:18:03 2026] [77] connect tcp 10.0.0.2 80 1 gate  [down] refused\n" +
        "[Mon Nov 23 09:18:03 2026] [77] connect tcp 10.0.0.3 80 1 gate  [up] -\n" +
        "[Mon Nov 23 09:18:03 2026] [77] connect tcp 10.0.0.2 80 1 gate  [up] ok\n",
    );
  });

  it("keeps writing to the rotated file until reopen, then to a new one", async () => {
    const path = join(dir, "m.log");
    const v = { monitorFile: path } as VirtualService;
    files.record(v, "on", true, "one", at);
    await files.flush();
    await rename(path, `${path}.1`);
    files.record(v, "on", true, "two", at);
    await files.reopen();
    files.record(v, "on", true, "three", at);
    await files.flush();
    expect(await readFile(`${path}.1`, "utf8")).toMatch(/one\n.*two\n$/);
    expect(await readFile(path, "utf8")).toMatch(/^\[.*\] \[77\] on \[up\] three\n$/);
  });

  it("logs a write error instead of throwing, and retries on the next line", async () => {
    const v = { monitorFile: join(dir, "missing-dir", "m.log") } as VirtualService;
    files.record(v, "on", false, "x", at);
    await files.flush();
    expect(logs.join("")).toContain("cannot write to monitorfile");
    expect(logs.join("")).toContain("ENOENT");
    await mkdir(join(dir, "missing-dir"));
    files.record(v, "on", true, "y", at);
    await files.flush();
    expect(await readFile(v.monitorFile!, "utf8")).toMatch(/\[up\] y\n$/);
  });
});
