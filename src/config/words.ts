// Command lines in the config (checkcommand=, fallbackcommand=) are run without a shell:
// ldirector splits them into words here, once, with the quoting rules people expect
// from a shell, and nothing in them is ever interpreted (no variables, no globs).

/**
 * Splits a command line into words the way a shell does for plain words and quotes:
 * blanks separate words; '…' is literal; "…" is literal except \" \\ \$ \` which
 * drop the backslash; a backslash outside quotes escapes the next character. No
 * variables, globs or operators: `$HOME` and `;` are just characters.
 * Throws on an unterminated quote (the loader reports it with its file:line; see readCommand).
 */
export function splitWords(command: string): string[] {
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
