// The directive table's default column is what the readers use: a file that writes out
// every default loads to the same configuration as a file that writes none.
import { describe, expect, it } from "vitest";
import { DIRECTIVES, defaultText } from "../../src/config/directives.js";
import type { Config } from "../../src/config/types.js";
import { block, load } from "./helpers.js";

const HEADER = "virtual=192.0.2.1:80";
const REAL = "real=10.0.0.1:80 gate";

/** What a file means, without where things were written or what `check` says about it. */
function meaning(c: Config): unknown {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => k !== "location")
        .map(([k, v]) => [k, strip(v)]),
    );
  };
  return strip({ global: c.global, virtuals: c.virtuals });
}

describe("the directive table's defaults", () => {
  // An empty default ("" or "\"\"") means unset, and a file cannot write an empty value.
  const withDefault = DIRECTIVES.filter(
    (d) => d.default !== undefined && d.default !== "" && d.default !== '""',
  );

  it("has a default for the directives the readers fill in", () => {
    for (const name of [
      "checktimeout",
      "negotiatetimeout",
      "checkinterval",
      "scheduler",
      "protocol",
      "logfile",
    ]) {
      expect(withDefault.map((d) => d.name)).toContain(name);
    }
    expect(defaultText("logfile")).toBe("/var/log/ldirectord.log");
    expect(() => defaultText("real")).toThrow(/no default/);
  });

  it("a file that writes every default out means what a file that writes none means", async () => {
    const globals = withDefault.filter((d) => d.scope === "global").map((d) => `${d.name}=${d.default}`);
    const inBlock = withDefault.filter((d) => d.scope !== "global").map((d) => `${d.name}=${d.default}`);
    // The header stays on line 1 and the real on line 2 in both files.
    const spelled = await load(`${block(HEADER, REAL, ...inBlock)}${globals.join("\n")}\n`);
    const bare = await load(block(HEADER, REAL));
    expect(inBlock.length + globals.length).toBeGreaterThan(20);
    expect(meaning(spelled)).toEqual(meaning(bare));
  });
});
