import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { VirtualService } from "../../src/config/types.js";
import { runCommand } from "../../src/effects/command.js";
import { fallbackCommandArgv } from "../../src/effects/fallback-command.js";

function virtual(fields: Partial<VirtualService>): VirtualService {
  return { id: "x", family: "inet", protocol: "tcp", port: 0, reals: [], ...fields } as VirtualService;
}

describe("fallbackCommandArgv", () => {
  it("appends action, vip:vport and protocol", () => {
    const v = virtual({ address: "10.0.0.1", port: 80, protocol: "tcp" });
    expect(fallbackCommandArgv("/usr/bin/sorry -q", "start", v)).toEqual([
      "/usr/bin/sorry",
      "-q",
      "start",
      "10.0.0.1:80",
      "tcp",
    ]);
    const u = virtual({ address: "10.0.0.1", port: 53, protocol: "udp" });
    expect(fallbackCommandArgv("/usr/bin/sorry", "stop", u)).toEqual([
      "/usr/bin/sorry",
      "stop",
      "10.0.0.1:53",
      "udp",
    ]);
  });

  it("brackets IPv6 addresses", () => {
    const v = virtual({ family: "inet6", address: "2001:db8::1", port: 443 });
    expect(fallbackCommandArgv("/s", "start", v)).toEqual(["/s", "start", "[2001:db8::1]:443", "tcp"]);
  });

  it("passes the mark for firewall-mark virtuals, not ldirectord's ':0'", () => {
    const v = virtual({ protocol: "fwm", fwmark: 7, port: 0 });
    expect(fallbackCommandArgv("/s", "stop", v)).toEqual(["/s", "stop", "7", "fwm"]);
  });

  describe("run for real", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "fallbackcmd-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("the script receives exactly these words", async () => {
      const out = join(dir, "args");
      const script = join(dir, "sorry on");
      await writeFile(script, `#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done > '${out}'\n`);
      await chmod(script, 0o755);
      const v = virtual({ family: "inet6", address: "2001:db8::1", port: 80 });
      const r = await runCommand(fallbackCommandArgv(`'${script}' --tag "a b"`, "start", v), {
        timeoutMs: 10_000,
      });
      expect(r.code).toBe(0);
      expect(await readFile(out, "utf8")).toBe("[--tag]\n[a b]\n[start]\n[[2001:db8::1]:80]\n[tcp]\n");
    });
  });
});
