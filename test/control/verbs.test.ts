// The verb table: what every surface reads, so its rows must be consistent.
import { describe, expect, it } from "vitest";
import { parseArgs, usage } from "../../src/args.js";
import { Refused } from "../../src/control/refused.js";
import {
  overrideModes,
  readParams,
  type Verb,
  verbNamed,
  verbs,
  verbUsage,
} from "../../src/control/verbs.js";

const all = verbs as readonly Verb[];

describe("the verb table", () => {
  it("has one name, one CLI word sequence and one route per verb", () => {
    const names = all.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(all.map((v) => v.words.join(" "))).size).toBe(all.length);
    expect(new Set(all.map((v) => `${v.method} ${v.route}`)).size).toBe(all.length);
  });

  it("drives the CLI: every verb parses and has its help line", () => {
    for (const v of all) {
      const operands = v.params.map((p) => (p.name === "weight" ? "3" : `x-${p.name}`));
      const args = parseArgs(["lb.cf", ...v.words, ...operands]);
      expect(args.command).toBe(v.name);
      expect(args.configFile).toBe("lb.cf");
      expect(usage).toContain(verbUsage(v));
    }
  });

  it("keeps check as the API's alias of recheck, not a CLI verb", () => {
    expect(verbNamed("check", true)?.name).toBe("recheck");
    expect(verbNamed("check")).toBeUndefined();
    expect(parseArgs(["check", "lb.cf"]).command).toBe("check");
  });

  it("reads operands and refuses a missing one naming what the verb takes", () => {
    const drain = verbNamed("drain")!;
    expect(readParams(drain, { virtual: "v", real: "r", extra: 1 })).toEqual({ virtual: "v", real: "r" });
    let err: unknown;
    try {
      readParams(drain, { virtual: "v" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Refused);
    expect((err as Refused).reason).toBe("bad-request");
    expect((err as Refused).message).toMatch(
      /real is missing; drain takes \{"virtual":"VIRTUAL","real":"REAL"\}/,
    );
  });

  it("names the override modes the metrics label", () => {
    expect(overrideModes).toEqual(expect.arrayContaining(["drained", "disabled"]));
  });
});
