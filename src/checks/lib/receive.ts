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

/** True when `receive` is "" (do not check) or matches somewhere in `text`; an invalid pattern never matches. */
export function receiveMatches(receive: string, text: string): boolean {
  if (receive === "") return true;
  const re = receiveRegex(receive);
  return re?.test(text) === true;
}
