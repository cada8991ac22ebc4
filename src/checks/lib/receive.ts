// `receive=` is a regular expression matched anywhere in what the real sent, as
// ldirectord's `$body =~ /$receive/` does. Validated at load; still never trusted here.

/** The compiled receive pattern, or undefined when it does not compile. */
export function receiveRegex(receive: string): RegExp | undefined {
  try {
    return new RegExp(receive);
  } catch {
    return undefined;
  }
}

/**
 * True when `receive` is "" (do not check) or matches somewhere in `text`; an invalid
 * pattern never matches. receive= is a Perl pattern: Perl's `$` (without /m) also
 * matches before a final newline, so `receive="^OK$"` matches a body of "OK\n". The text
 * is tried without that newline too, so files written for ldirectord keep working.
 */
export function receiveMatches(receive: string, text: string): boolean {
  if (receive === "") return true;
  const re = receiveRegex(receive);
  if (!re) return false;
  return re.test(text) || (text.endsWith("\n") && re.test(text.slice(0, -1)));
}
