// checktype=ping (and connect on a udp virtual): ICMP echo. ldirectord uses Net::Ping
// "icmp", up to checkcount attempts of checktimeout each; the system ping binary does the
// same without raw sockets in this process.

import { firstLine, runProcess } from "../lib/process.js";
import { CHECK_KILL_GRACE_MS, CHECK_OUTPUT_BYTES } from "./lib/child.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { Checker } from "./types.js";

export const pingChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const ms = spec.checkTimeoutMs;
  const attempts = Math.max(1, spec.checkCount);
  const waitSeconds = (ms / 1000).toFixed(3);
  const argv = ["ping", "-n", "-c", "1", "-W", waitSeconds];
  if (target.family === "inet6") argv.push("-6");
  argv.push(target.address);

  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (signal.aborted) return down(timeoutReason(ms), startedAt);
    // ping's own -W ends each attempt; runCheck's deadline (checktimeout per attempt)
    // aborts the signal if ping itself hangs.
    const outcome = await runProcess(argv, {
      signal,
      maxOutputBytes: CHECK_OUTPUT_BYTES,
      killGraceMs: CHECK_KILL_GRACE_MS,
      reapGroupOnExit: true,
    });
    if (outcome.ended === "spawn-error") return down(`spawn ${outcome.error?.code}: ping`, startedAt);
    if (outcome.ended === "aborted" || outcome.ended === "timeout") return down(timeoutReason(ms), startedAt);
    if (outcome.code === 0) return up("echo reply", startedAt);
    if (outcome.code === 1) {
      // iputils: 1 = sent but no reply before -W ran out.
      last = `no echo reply within ${ms} ms`;
    } else {
      // 2 = an error (no route, bad address): ping says which on its output.
      last = firstLine(outcome.output) || `ping exit ${outcome.code ?? outcome.signal}`;
    }
  }
  return down(attempts > 1 ? `${last} (${attempts} attempts)` : last, startedAt);
};
