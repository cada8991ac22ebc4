// Lines → directives with file:line:column, in ldirectord's block structure: a
// `virtual=` line in column 0 opens a block; the block is the run of lines indented by
// four or more columns (a tab counts as four); `#` starts a comment.
//
// ldirectord rejects some lines only because of parser accidents (a blank line inside a
// block, `#` inside quotes, CRLF). Where the meaning is evident we accept them and
// record a warning saying ldirectord would not.
import { ConfigError } from "./errors.js";
import type { ConfigWarning, SourceLocation } from "./types.js";

export interface DirectiveLine {
  name: string;
  /** After `=`, comment outside quotes removed, surrounding blanks trimmed. */
  value: string;
  /** False for a bare word such as `supervised`. */
  hasEquals: boolean;
  location: SourceLocation;
  valueLocation: SourceLocation;
  /** A trailing comment or trailing blanks were removed (ldirectord keeps them). */
  trailingRemoved: boolean;
  /** Of those, a `#` comment (not just blanks) was removed. */
  commentRemoved: boolean;
  /** A `#` inside quotes was kept (ldirectord cuts the line there inside a block). */
  hashInQuotes: boolean;
  /** Part of a virtual block (ldirectord strips comments there but not on global lines). */
  inBlock: boolean;
}

export interface Block {
  header: DirectiveLine;
  body: DirectiveLine[];
}

export interface ParsedFile {
  globals: DirectiveLine[];
  blocks: Block[];
  errors: ConfigError[];
  warnings: ConfigWarning[];
}

const TAB_WIDTH = 4;
const BODY_INDENT = 4;

export function parseLines(text: string, file: string): ParsedFile {
  const out: ParsedFile = { globals: [], blocks: [], errors: [], warnings: [] };
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  let crlfWarned = false;
  let current: Block | undefined;
  let blankWarned = false;

  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    let line = lines[i]!;
    if (line.endsWith("\r")) {
      line = line.slice(0, -1);
      if (!crlfWarned) {
        crlfWarned = true;
        out.warnings.push({
          location: { file, line: lineNumber, column: line.length + 1 },
          message: "the file has CRLF line ends; ldirectord rejects yes/no values followed by CR",
          ldirectordDiffers: true,
        });
      }
    }
    const trimmed = line.trim();
    if (trimmed === "") {
      // ldirectord reads a blank line of five columns or more inside a block as a body
      // line whose command is blank: "Unknown command", and the file is refused.
      const wideBlank = current !== undefined && indentation(line).width > BODY_INDENT;
      if (wideBlank) {
        out.warnings.push({
          location: { file, line: lineNumber, column: 1 },
          message:
            "whitespace-only line inside a virtual block: ldirectord rejects it as an unknown command; make the line empty or a # comment",
          ldirectordDiffers: true,
        });
      }
      if (current !== undefined) {
        if (blockContinuesAfter(lines, i)) {
          if (!blankWarned && !wideBlank) {
            blankWarned = true;
            out.warnings.push({
              location: { file, line: lineNumber, column: 1 },
              message:
                "blank line inside a virtual block: ldirectord ends the block here and rejects the indented lines after it; remove the blank line or make it a # comment",
              ldirectordDiffers: true,
            });
          }
        } else {
          current = undefined;
        }
      }
      continue;
    }
    blankWarned = false;
    if (trimmed.startsWith("#")) continue;

    const { width, chars } = indentation(line);
    const loc = (column: number): SourceLocation => ({ file, line: lineNumber, column });
    if (width === 0) {
      current = undefined;
      const d = splitDirective(line, 0, loc, false, out);
      if (d === undefined) continue;
      if (d.name === "virtual" || d.name === "virtual6") {
        current = { header: d, body: [] };
        out.blocks.push(current);
      } else {
        out.globals.push(d);
      }
      continue;
    }
    if (current === undefined) {
      out.errors.push(
        new ConfigError(
          loc(chars + 1),
          "indented line outside a virtual block: start global directives in column 0, or put this line under a virtual= line",
        ),
      );
      continue;
    }
    if (width < BODY_INDENT) {
      out.errors.push(
        new ConfigError(
          loc(chars + 1),
          `indented by ${width} column${width === 1 ? "" : "s"}: indent lines of a virtual block by at least 4 columns (or one tab), or start global directives in column 0`,
        ),
      );
      continue;
    }
    const d = splitDirective(line, chars, loc, true, out);
    if (d !== undefined) current.body.push(d);
  }
  return out;
}

/** After a blank line inside a block: do the next non-comment lines still belong to the block? */
function blockContinuesAfter(lines: string[], blankIndex: number): boolean {
  for (let j = blankIndex + 1; j < lines.length; j++) {
    const line = lines[j]!.replace(/\r$/, "");
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    return indentation(line).width >= BODY_INDENT;
  }
  return false;
}

function indentation(line: string): { width: number; chars: number } {
  let width = 0;
  let chars = 0;
  for (const c of line) {
    if (c === " ") width += 1;
    else if (c === "\t") width += TAB_WIDTH;
    else if (c === "\f" || c === "\v") width += 1;
    else break;
    chars++;
  }
  return { width, chars };
}

/** Removes a `#` comment that is outside double quotes. */
function stripComment(text: string): { text: string; hadComment: boolean; hashInQuotes: boolean } {
  let inQuotes = false;
  let hashInQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if (c === "#") {
      if (!inQuotes) return { text: text.slice(0, i), hadComment: true, hashInQuotes };
      hashInQuotes = true;
    }
  }
  return { text, hadComment: false, hashInQuotes };
}

const DIRECTIVE = /^([A-Za-z0-9_-]+)[ \t]*(=)?[ \t]*/;

function splitDirective(
  line: string,
  start: number,
  loc: (column: number) => SourceLocation,
  inBlock: boolean,
  out: ParsedFile,
): DirectiveLine | undefined {
  const body = line.slice(start);
  const m = DIRECTIVE.exec(body);
  if (m === null) {
    out.errors.push(new ConfigError(loc(start + 1), "expected a directive of the form name=value"));
    return undefined;
  }
  const name = m[1]!;
  const valueStart = start + m[0].length;
  const stripped = stripComment(line.slice(valueStart));
  const value = stripped.text.trim();
  const hasEquals = m[2] !== undefined;
  if (!hasEquals && value !== "") {
    out.errors.push(new ConfigError(loc(start + name.length + 1), `expected "=" after ${name}`));
    return undefined;
  }
  const blank = nonAsciiBlank(stripped.text);
  if (blank !== undefined) {
    out.warnings.push({
      location: loc(valueStart + blank.index + 1),
      message: `non-ASCII blank ${blank.code} read as a blank here; ldirectord reads it as part of the value (and refuses a real= or yes/no line that has it): write an ASCII space or nothing`,
      ldirectordDiffers: true,
    });
  }
  return {
    name,
    value,
    hasEquals,
    location: loc(start + 1),
    valueLocation: loc(valueStart + 1),
    trailingRemoved: stripped.hadComment || stripped.text !== stripped.text.trimEnd(),
    commentRemoved: stripped.hadComment,
    hashInQuotes: stripped.hashInQuotes,
    inBlock,
  };
}

/**
 * The first Unicode blank outside quotes that is not an ASCII one (U+3000, U+00A0, a BOM,
 * …). JavaScript's trim() and \s take them for blanks; ldirectord's Perl, reading bytes,
 * does not.
 */
function nonAsciiBlank(text: string): { index: number; code: string } | undefined {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && c > "\x7f" && /[\s\ufeff]/u.test(c)) {
      return { index: i, code: `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` };
    }
  }
  return undefined;
}
