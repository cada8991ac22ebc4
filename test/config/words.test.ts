import { describe, expect, it } from "vitest";
import { splitWords as splitCommand } from "../../src/config/words.js";

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

describe("splitCommand, shell quoting", () => {
  it.each([
    ["/usr/local/bin/sorry", ["/usr/local/bin/sorry"]],
    ["  /bin/cmd   -a\t-b  ", ["/bin/cmd", "-a", "-b"]],
    ["/bin/cmd 'two words' \"and three words\"", ["/bin/cmd", "two words", "and three words"]],
    ["/bin/cmd '$HOME' \"$HOME\" ; rm", ["/bin/cmd", "$HOME", "$HOME", ";", "rm"]],
    ['/bin/cmd "a \\"q\\" \\\\ \\n"', ["/bin/cmd", 'a "q" \\ \\n']],
    ["/bin/cmd 'it'\\''s' a\\ b", ["/bin/cmd", "it's", "a b"]],
    ["/bin/cmd '' \"\"", ["/bin/cmd", "", ""]],
    ["pre'fix'\"ed\"", ["prefixed"]],
  ])("%s", (command, words) => {
    expect(splitCommand(command)).toEqual(words);
  });

  it("rejects unterminated quotes", () => {
    expect(() => splitCommand("/bin/cmd 'open")).toThrow(/unterminated '/);
    expect(() => splitCommand('/bin/cmd "open')).toThrow(/unterminated "/);
  });
});
