// fallbackcommand= as ldirectord runs it: `<cmd> start|stop <vip>:<vport> <protocol>`,
// but split into words here and run without /bin/sh, so nothing in the config or the
// addresses is ever interpreted by a shell.

import type { VirtualService } from "../config/types.js";
import { splitWords } from "../config/words.js";

/** The argv for `fallbackcommand` on `action` for virtual `v`. */
export function fallbackCommandArgv(command: string, action: "start" | "stop", v: VirtualService): string[] {
  return [...splitWords(command), action, virtualArgument(v), v.protocol];
}

function virtualArgument(v: VirtualService): string {
  // ldirectord passes `:0` for firewall-mark virtuals (it formats server:port, and a
  // fwmark virtual has neither), which tells the command nothing. The mark is what
  // identifies such a virtual, so ldirector passes it.
  if (v.fwmark !== undefined) return String(v.fwmark);
  const address = v.family === "inet6" ? `[${v.address}]` : `${v.address}`;
  return `${address}:${v.port}`;
}
