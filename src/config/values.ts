// Readers for the value kinds of the directive table. Each returns the value or
// undefined after recording an error that says what to write instead. A value is taken
// as a whole: ldirectord's habit of picking the first digit run or word out of a longer
// value is a misreading we name, never copy.

import { type Diagnostics, fail } from "./diagnostics.js";
import type { DirectiveSpec } from "./directives.js";
import type { DirectiveLine } from "./parse.js";
import { splitWords } from "./words.js";

export function readNumber(
  d: DirectiveLine,
  diag: Diagnostics,
  min: number,
  max: number,
): number | undefined {
  if (/^\d+$/.test(d.value)) {
    const n = Number(d.value);
    if (n >= min && n <= max) return n;
    return fail(diag, d.valueLocation, `${d.name} must be between ${min} and ${max}, not ${d.value}`);
  }
  const digits = /\d+/.exec(d.value);
  const misread = digits === null ? "" : ` (ldirectord would read ${digits[0]})`;
  const what = min > 0 ? "a whole number greater than 0" : "a whole number";
  return fail(
    diag,
    d.valueLocation,
    `${d.name} must be ${what}, e.g. ${d.name}=${Math.max(min, 5)}${misread}`,
  );
}

export function readYesNo(d: DirectiveLine, diag: Diagnostics): boolean | undefined {
  if (d.value === "yes") return true;
  if (d.value === "no") return false;
  return fail(diag, d.valueLocation, `${d.name} must be yes or no (lower case), e.g. ${d.name}=yes`);
}

/** `name="text"`: ldirectord requires the quotes for these directives. */
export function readQuoted(
  d: DirectiveLine,
  spec: DirectiveSpec,
  diag: Diagnostics,
  allowEmpty = false,
): string | undefined {
  const v = d.value;
  const shown = spec.secret ? "..." : "text";
  if (!v.startsWith('"')) {
    return fail(diag, d.valueLocation, `${d.name} must be quoted: write ${d.name}="${shown}"`);
  }
  const last = v.lastIndexOf('"');
  if (last === 0) return fail(diag, d.valueLocation, `${d.name}: missing closing quote`);
  if (last !== v.length - 1) {
    return fail(
      diag,
      d.valueLocation,
      `${d.name}: unexpected text after the closing quote; write ${d.name}="${shown}" and nothing after it`,
    );
  }
  const text = v.slice(1, last);
  if (text === "" && !allowEmpty) {
    return fail(diag, d.valueLocation, `${d.name} must not be empty: write ${d.name}="${shown}"`);
  }
  return text;
}

/** `name=text` or `name="text"`: one pair of surrounding quotes is removed. */
export function readText(d: DirectiveLine, diag: Diagnostics): string | undefined {
  const m = /^"(.*)"$/.exec(d.value);
  const text = m === null ? d.value : m[1]!;
  if (text === "")
    return fail(diag, d.valueLocation, `${d.name} needs a value, e.g. ${d.name}=${example(d.name)}`);
  return text;
}

/**
 * checkcommand= and fallbackcommand=: text that must split into words (no shell runs
 * it), so an unterminated quote is an error here rather than a failed command later.
 */
export function readCommand(d: DirectiveLine, diag: Diagnostics): string | undefined {
  const text = readText(d, diag);
  if (text === undefined) return undefined;
  try {
    if (splitWords(text).length === 0) return fail(diag, d.valueLocation, `${d.name} names no command`);
  } catch (err) {
    return fail(
      diag,
      d.valueLocation,
      `${d.name}: ${(err as Error).message.replace(/ in command: .*/s, "")}; close the quote`,
    );
  }
  return text;
}

function example(name: string): string {
  switch (name) {
    case "checkcommand":
    case "fallbackcommand":
      return "/usr/local/bin/check-it";
    case "emailalert":
      return "admin@example.com";
    case "virtualhost":
      return "www.example.com";
    default:
      return "/path/to/file";
  }
}
