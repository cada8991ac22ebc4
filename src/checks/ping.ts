// checktype=ping (and connect on a udp virtual): ICMP echo. ldirectord uses Net::Ping
// "icmp", up to checkcount attempts of checktimeout each; the system ping binary does the
// same without raw sockets in this process.

import { firstLine, runProcess } from "./lib/process.js";
import { down, timeoutReason, up } from "./lib/result.js";
import { timeLimit } from "./lib/time-limit.js";
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
    const attemptDeadline = timeLimit(signal, ms);
    let outcome: Awaited<ReturnType<typeof runProcess>>;
    try {
      outcome = await runProcess(argv, attemptDeadline.signal);
    } finally {
      attemptDeadline.dispose();
    }
    if (outcome.kind === "spawn-error") return down(`spawn ${outcome.code}: ping`, startedAt);
    if (outcome.kind === "exit" && outcome.code === 0) return up("echo reply", startedAt);
    if (outcome.kind === "aborted") {
      if (signal.aborted) return down(timeoutReason(ms), startedAt);
      last = `no echo reply within ${ms} ms`;
    } else if (outcome.code === 1) {
      // iputils: 1 = sent but no reply before -W ran out.
      last = `no echo reply within ${ms} ms`;
    } else {
      // 2 = an error (no route, bad address): ping says which on its output.
      last = firstLine(outcome.output) || `ping exit ${outcome.code ?? outcome.signal}`;
    }
  }
  return down(attempts > 1 ? `${last} (${attempts} attempts)` : last, startedAt);
};
