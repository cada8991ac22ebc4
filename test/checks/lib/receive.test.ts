import { describe, expect, it } from "vitest";
import { receiveMatches, receiveRegex } from "../../../src/checks/lib/receive.js";

describe("receiveMatches", () => {
  it.each([
    ["", "anything", true],
    ["OK", "all OK here", true],
    ["^OK$", "OK", true],
    // Perl's $ matches before a final newline: bodies end in "\n" more often than not.
    ["^OK$", "OK\n", true],
    ["^OK$", "OK\n\n", false],
    ["^OK$", "NOT OK\n", false],
    ["up", "down", false],
    ["O(K", "O(K", false],
  ])("receive %j against %j → %s", (receive, text, want) => {
    expect(receiveMatches(receive, text)).toBe(want);
  });

  it("compiles valid patterns and refuses invalid ones without throwing", () => {
    expect(receiveRegex("a+b")).toBeInstanceOf(RegExp);
    expect(receiveRegex("O(K")).toBeUndefined();
  });
});
