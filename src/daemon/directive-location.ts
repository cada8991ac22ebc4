// Where a global directive is written, so an error about the resource it asks for (a
// port in use, a missing file) names the line to fix, as a parse error does.
import { parseLines } from "../config/parse.js";

/** "file:line" of the line that sets `name` (the last one: it is the one that counts), else the file. */
export function directiveLine(text: string, file: string, name: string): string {
  const lines = parseLines(text, file).globals.filter((d) => d.name === name);
  const d = lines[lines.length - 1];
  return d ? `${file}:${d.location.line}` : file;
}
