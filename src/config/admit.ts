// The checks every directive line passes before its value is read: is the name known,
// is it in a place where it belongs, is it an extension, and would ldirectord read the
// line differently because of a trailing comment or a `#` inside quotes.

import { type Diagnostics, fail, warn } from "./diagnostics.js";
import { type DirectiveSpec, findDirective, suggestDirective } from "./directives.js";
import type { DirectiveLine } from "./parse.js";

export interface Admitted {
  line: DirectiveLine;
  spec: DirectiveSpec;
}

export function admit(lines: DirectiveLine[], where: "global" | "virtual", diag: Diagnostics): Admitted[] {
  const out: Admitted[] = [];
  for (const line of lines) {
    const spec = check(line, where, diag);
    if (spec !== undefined) out.push({ line, spec });
  }
  return out;
}

function check(d: DirectiveLine, where: "global" | "virtual", diag: Diagnostics): DirectiveSpec | undefined {
  const spec = findDirective(d.name);
  if (spec === undefined) {
    const hint = suggestDirective(d.name);
    return fail(
      diag,
      d.location,
      `unknown directive "${d.name}"${hint === undefined ? "" : `; did you mean ${hint}=?`}`,
    );
  }
  if (spec.type === "removed") {
    return fail(
      diag,
      d.location,
      `${d.name}= is deprecated and rejected (by ldirectord too): use ${spec.replacement}`,
    );
  }
  if (where === "virtual" && spec.scope === "global") {
    if (d.name === "virtual" || d.name === "virtual6") {
      return fail(diag, d.location, `${d.name}= opens a new block and must start in column 0`);
    }
    return fail(
      diag,
      d.location,
      `${d.name} is a global directive: move it out of the virtual block, to column 0`,
    );
  }
  if (where === "global" && spec.scope === "virtual") {
    return fail(
      diag,
      d.location,
      `${d.name} belongs inside a virtual block: indent it under a virtual= line`,
    );
  }
  if (!d.hasEquals && d.name !== "supervised") {
    return fail(diag, d.location, `expected ${d.name}=value`);
  }
  if (spec.extension) diag.extensions.push({ name: d.name, location: d.location });
  if (d.trailingRemoved && spec.trailing === "exact") {
    warn(
      diag,
      d.location,
      `ldirectord rejects this line because of the comment or blanks after the value; write ${d.name}=${spec.secret ? "..." : d.value} alone`,
      true,
    );
  } else if (d.commentRemoved && !d.inBlock && (d.name === "fallback" || d.name === "fallback6")) {
    // parse_fallback takes the last word of the value as the forwarding method.
    warn(
      diag,
      d.location,
      `ldirectord rejects this line: it keeps the comment and reads its last word as the forwarding method; move the comment to a line of its own`,
      true,
    );
  } else if (d.trailingRemoved && spec.trailing === "raw" && !d.inBlock) {
    warn(
      diag,
      d.location,
      "ldirectord would keep the trailing comment or blanks as part of this value",
      true,
    );
  }
  if (d.hashInQuotes && d.inBlock) {
    warn(diag, d.location, 'ldirectord cuts this line at the "#" inside the quotes and rejects it', true);
  }
  return spec;
}

/**
 * The last line of each name (a later line overrides an earlier one, as in ldirectord),
 * with a warning naming the overridden line. Lists (real=, execute=) are kept whole.
 */
export function lastByName(lines: Admitted[], diag: Diagnostics): Map<string, Admitted> {
  const out = new Map<string, Admitted>();
  for (const a of lines) {
    const name = a.line.name;
    if (name === "real" || name === "real6" || name === "execute") continue;
    const before = out.get(name);
    if (before !== undefined) {
      warn(
        diag,
        a.line.location,
        `${name} is set again; the value on line ${before.line.location.line} is ignored`,
      );
    }
    out.set(name, a);
  }
  return out;
}
