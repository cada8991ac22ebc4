// Global directives a running daemon cannot take up on reload: they shape what was built
// at start (the backend's binary, whether the process stays attached). A reload that changes one is refused, saying so, rather than
// applying the rest and silently keeping the old value.
import type { Config, GlobalSettings } from "../config/types.js";
import { directiveLine } from "./directive-location.js";

const AT_START_ONLY: readonly { name: string; value: (g: GlobalSettings) => string }[] = [
  { name: "supervised", value: (g) => (g.supervised ? "yes" : "no") },
  { name: "ipvsadm", value: (g) => g.ipvsadm ?? "(default)" },
];

/** The directive names a reload cannot apply (every other global takes effect on reload). */
export const RESTART_DIRECTIVES: readonly string[] = AT_START_ONLY.map((d) => d.name);

/** One error per such directive that `next` changes, naming its line; empty when none. */
export function restartNeeded(running: Config, next: Config, text: string): string[] {
  const out: string[] = [];
  for (const d of AT_START_ONLY) {
    const was = d.value(running.global);
    const now = d.value(next.global);
    if (was === now) continue;
    out.push(
      `${directiveLine(text, next.file, d.name)}: ${d.name} changed from ${was} to ${now}: that needs a restart (ldirector restart); the running configuration stays`,
    );
  }
  return out;
}
