// checktype=connect: a TCP connect to the check port within checktimeout (runCheck aborts
// the signal then), then close.
import { connect } from "node:net";
import { down, timeoutReason, up } from "./lib/result.js";
import { pingChecker } from "./ping.js";
import type { Checker, CheckResult } from "./types.js";

export const connectChecker: Checker = async (target, spec, signal) => {
  // ldirectord's _check_real (2909–2916) turns connect on a udp virtual into a ping
  // check: there is no connection to make for UDP.
  if (target.virtual.protocol === "udp") return pingChecker(target, spec, signal);

  const startedAt = performance.now();
  const ms = spec.checkTimeoutMs;
  return new Promise<CheckResult>((resolve) => {
    if (signal.aborted) {
      resolve(down(timeoutReason(ms), startedAt));
      return;
    }
    const socket = connect({
      host: target.address,
      port: target.port,
      family: target.family === "inet6" ? 6 : 4,
    });
    const finish = (result: CheckResult) => {
      signal.removeEventListener("abort", onAbort);
      // Closed at once, as ldirectord's close($sock): a check sends nothing.
      socket.destroy();
      resolve(result);
    };
    const onAbort = () => finish(down(timeoutReason(ms), startedAt));
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => finish(up("connected", startedAt)));
    socket.on("error", (err: NodeJS.ErrnoException) =>
      finish(down(`connect ${err.code ?? err.message}`, startedAt)),
    );
  });
};
