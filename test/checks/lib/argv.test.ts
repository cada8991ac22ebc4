import { describe, expect, it } from "vitest";
import { splitCommand } from "../../../src/checks/lib/argv.js";

describe("splitCommand", () => {
  it("splits on runs of whitespace", () => {
    expect(splitCommand("  /usr/local/bin/check\t-a  b\n")).toEqual(["/usr/local/bin/check", "-a", "b"]);
  });
  it("keeps quoted words whole, with either quote, and drops the quotes", () => {
    expect(splitCommand(`"/opt/my checks/run" 'a b' "it's" x"y z"w`)).toEqual([
      "/opt/my checks/run",
      "a b",
      "it's",
      "xy zw",
    ]);
  });
  it("keeps an empty quoted word", () => {
    expect(splitCommand(`check "" last`)).toEqual(["check", "", "last"]);
  });
  it("does no shell expansion", () => {
    expect(splitCommand("check $HOME *; rm -rf /")).toEqual(["check", "$HOME", "*;", "rm", "-rf", "/"]);
  });
  it("gives nothing for a blank command", () => {
    expect(splitCommand("   ")).toEqual([]);
  });
});
