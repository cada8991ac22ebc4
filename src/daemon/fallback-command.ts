// fallbackcommand= as ldirectord runs it: `<cmd> start|stop <vip>:<vport> <protocol>`,
// but split into words here and run without /bin/sh, so nothing in the config or the
// addresses is ever interpreted by a shell.

import type { VirtualService } from "../config/types.js";

/**
 * Splits a command line into words the way a shell does for plain words and quotes:
 * blanks separate words; '…' is literal; "…" is literal except \" \\ \$ \` which
 * drop the backslash; a backslash outside quotes escapes the next character. No
 * variables, globs or operators: `$HOME` and `;` are just characters.
 * Throws on an unterminated quote (the config loader should report it with its line).
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i] as string;
    if (c === " " || c === "\t" || c === "\n") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in command: ${command}`);
      word += command.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      inWord = true;
      for (;;) {
        if (i >= command.length) throw new Error(`unterminated " in command: ${command}`);
        const d = command[i] as string;
        if (d === '"') break;
        const next = command[i + 1];
        if (d === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      i++;
    } else if (c === "\\" && i + 1 < command.length) {
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** The argv for `fallbackcommand` on `action` for virtual `v`. */
export function fallbackCommandArgv(command: string, action: "start" | "stop", v: VirtualService): string[] {
  return [...splitCommand(command), action, virtualArgument(v), v.protocol];
}

function virtualArgument(v: VirtualService): string {
  // ldirectord passes `:0` for firewall-mark virtuals (it formats server:port, and a
  // fwmark virtual has neither), which tells the command nothing. The mark is what
  // identifies such a virtual, so ldirector passes it.
  if (v.fwmark !== undefined) return String(v.fwmark);
  const address = v.family === "inet6" ? `[${v.address}]` : `${v.address}`;
  return `${address}:${v.port}`;
}
