// Whole files: the LVS tutorial setups and Debian's sample, loaded into the model and
// summarized. The summaries are golden files under fixtures/ (review changes to them).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import { toPublicModel } from "../../src/config/redact.js";
import { summarize } from "../../src/config/summary.js";
import { errorsOf, opts } from "./helpers.js";

const dir = join(import.meta.dirname, "fixtures");
const loadFixture = async (name: string) =>
  parseConfigText(await readFile(join(dir, name), "utf8"), `fixtures/${name}`, opts);

describe("golden files", () => {
  it.each(["nat-8080", "dr", "tun", "fwmark-persistent", "schedulers", "extensions", "debian-sample"])(
    "%s.cf",
    async (name) => {
      const config = await loadFixture(`${name}.cf`);
      await expect(summarize(config)).toMatchFileSnapshot(join(dir, `${name}.summary.txt`));
    },
  );

  it("NAT with port mapping keeps real ports and weights", async () => {
    const v = (await loadFixture("nat-8080.cf")).virtuals[0]!;
    expect(v.reals.map((r) => [r.port, r.forward, r.weight, r.check.port])).toEqual([
      [8080, "masq", 3, 8080],
      [8080, "masq", 2, 8080],
      [8080, "masq", 1, 8080],
    ]);
    expect([v.scheduler, v.quiescent, v.checkInterval, v.check.negotiateTimeoutMs]).toEqual([
      "wlc",
      true,
      5,
      3000,
    ]);
  });

  it("DR fills the fallback port and the https check port", async () => {
    const [http, https] = (await loadFixture("dr.cf")).virtuals;
    expect(http!.fallback).toMatchObject({ address: "127.0.0.1", port: 80, forward: "gate" });
    expect(http!.check).toMatchObject({ type: "connect", checkTimeoutMs: 2000 });
    expect(https!.reals.map((r) => [r.port, r.check.port])).toEqual([
      [0, 443],
      [0, 443],
    ]);
    expect(https!.check.virtualHost).toBe("www.example.com");
  });

  it("fwmark with persistence", async () => {
    const v = (await loadFixture("fwmark-persistent.cf")).virtuals[0]!;
    expect(v).toMatchObject({
      id: "fwm:1",
      protocol: "fwm",
      port: 0,
      persistent: 600,
      netmask: "255.255.255.0",
    });
    expect(v.reals.every((r) => r.port === 0 && r.check.port === 80)).toBe(true);
  });

  it("schedulers and their defaults", async () => {
    const c = await loadFixture("schedulers.cf");
    expect(c.virtuals.map((v) => [v.scheduler, v.check.service])).toEqual([
      ["rr", "http"],
      ["wrr", "http"],
      ["dh", "http_proxy"],
      ["sh", "smtp"],
    ]);
  });

  it("extensions are listed and secrets redacted in the public model", async () => {
    const c = await loadFixture("extensions.cf");
    expect(c.extensions.map((e) => e.name)).toEqual([
      "ipvsadm",
      "sorryserver",
      "sorrypage",
      "resyncinterval",
      "tlsverify",
      "tlscafile",
    ]);
    const json = JSON.stringify(toPublicModel(c));
    expect(json).not.toContain("s3cr3t-pass");
    expect(json).toContain('"passwd":"<redacted>"');
    expect(json).toContain('"secret":""');
    expect(summarize(c)).not.toContain("s3cr3t-pass");
  });

  // Debian's sample loads as shipped. Uncommenting its examples shows ldirectord's
  // own sample misreads: the SIP example's `::5060` (ldirectord: host 0.0.19.196) and
  // the oracle service ldirector does not support; everything else loads.
  it("Debian's sample, with its commented examples switched on", async () => {
    const text = (await readFile(join(dir, "debian-sample.cf"), "utf8")).replace(/^#(virtual|\t)/gm, "$1");
    const errors = await errorsOf(text);
    expect(errors.map((e) => e.replace(/^[^:]*:/, ""))).toEqual([
      expect.stringMatching(/^63:1: duplicate virtual service tcp:192.168.6.240:80: .* on line 25/),
      expect.stringMatching(/^257:10: service=oracle is not supported/),
      expect.stringMatching(/^319:\d+: two colons in "192.168.6.2::5060": write 192.168.6.2:5060/),
      expect.stringMatching(/^320:\d+: two colons/),
      expect.stringMatching(/^321:\d+: two colons/),
    ]);
  });
});
