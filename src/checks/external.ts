// checktype=external and external-perl: run checkcommand (or perl with it) with
// ldirectord's four arguments; exit 0 = up.
import { bracketed } from "./lib/address.js";
import { splitWords } from "../config/words.js";
import { CHECK_KILL_GRACE_MS, CHECK_OUTPUT_BYTES } from "./lib/child.js";
import { firstLine, runProcess } from "../lib/process.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { Checker, CheckTarget } from "./types.js";

/**
 * `<vip-or-fwmark> <vport> <rip> <rport>` as ldirectord's check_external passes them:
 * IPv6 addresses with brackets, 0 for a fwmark virtual's port and for a real without one.
 */
export function externalArgs(target: CheckTarget): string[] {
  const v = target.virtual;
  const virtual = v.address !== undefined ? bracketed(v.address) : String(v.fwmark ?? 0);
  const virtualPort = v.address !== undefined ? v.port : 0;
  return [virtual, String(virtualPort), bracketed(target.address), String(target.realPort)];
}

export const externalChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const ms = spec.checkTimeoutMs;
  // external-perl: ldirectord evals the script in its own Perl with these four arguments
  // in @ARGV and `exit` caught: exit 0 or running off the end is up, exit N or die is
  // down. `perl SCRIPT` gives the same statuses (die exits 255) without a shell, under
  // the same timeout and process-group kill as any external check.
  const command = spec.perl ? ["perl", spec.command] : splitWords(spec.command);
  if (command.length === 0) return down("no checkcommand", startedAt);

  // runCheck aborts the signal at checktimeout; the command and all it started then go.
  const outcome = await runProcess([...command, ...externalArgs(target)], {
    signal,
    maxOutputBytes: CHECK_OUTPUT_BYTES,
    killGraceMs: CHECK_KILL_GRACE_MS,
    reapGroupOnExit: true,
  });
  switch (outcome.ended) {
    case "spawn-error":
      return down(`spawn ${outcome.error?.code}: ${command[0]}`, startedAt);
    case "aborted":
    case "timeout":
      return down(timeoutReason(ms), startedAt);
    case "exit": {
      const said = firstLine(outcome.output);
      const status = outcome.signal !== null ? `killed by ${outcome.signal}` : `exit ${outcome.code}`;
      const reason = said === "" ? status : `${status}: ${said}`;
      return outcome.code === 0 ? up(reason, startedAt) : down(reason, startedAt);
    }
  }
};
