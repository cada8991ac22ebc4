// The plain-HTTP check's own exchange on node:net: one fresh connection, the request
// exactly as the undici path sends it, the answer read by lib/http-response.ts. undici's
// request machinery costs 3–5 times the CPU of the exchange itself (BENCHMARKS.md), and
// a director checks every real every few seconds, so the common case (service=http,
// request a path on the real) takes this path; https, http_proxy, absolute request URLs
// and the hops after a redirect stay with undici, whose features they need.
import { connect } from "node:net";
import type { CheckSpec } from "../config/types.js";
import { describeHttpError } from "./lib/http-errors.js";
import { ResponseReader } from "./lib/http-response.js";
import { receiveMatches } from "./lib/receive.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { CheckResult, CheckTarget } from "./types.js";

/** The first hop answered with a redirect: the rest is undici's (see http.ts). */
export interface Redirected {
  redirect: { status: number; location: string };
}

export interface ProbeRequest {
  /** Path and query, as sent on the request line. */
  path: string;
  /** The Host header's value. */
  host: string;
  /** Bounds: the most a head may take and the most body read. */
  maxHead: number;
  maxBody: number;
  /** Statuses that are redirects when they carry a Location. */
  redirects: ReadonlySet<number>;
}

/**
 * One request to target.address:target.port. Resolves (never rejects) when the answer
 * decides the check, on a socket error, at negotiatetimeout, or when `signal` aborts (also
 * a timeout: the runner aborts at its deadline); the socket is destroyed before it
 * resolves. One timer and one listener, no AbortController of its own: this runs for
 * every real every few seconds.
 */
export function probeHttp(
  target: CheckTarget,
  spec: CheckSpec,
  req: ProbeRequest,
  signal: AbortSignal,
  startedAt: number,
): Promise<CheckResult | Redirected> {
  const timedOut = () => down(timeoutReason(spec.negotiateTimeoutMs), startedAt);
  if (signal.aborted) return Promise.resolve(timedOut());
  return new Promise((resolve) => {
    const reader = new ResponseReader(spec.httpMethod === "HEAD", req.maxHead, req.maxBody);
    const socket = connect({
      host: target.address,
      port: target.port,
      family: target.family === "inet6" ? 6 : 4,
      noDelay: true,
    });
    let settled = false;
    const finish = (answer: CheckResult | Redirected) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(answer);
    };
    const onAbort = () => finish(timedOut());
    const timer = setTimeout(onAbort, spec.negotiateTimeoutMs);
    /** Called after every read: answers as soon as what came in decides the check. */
    const decide = () => {
      if (reader.error !== undefined) return finish(down(reader.error, startedAt));
      const head = reader.head;
      if (head === undefined) return;
      const status = `HTTP ${head.status}`;
      const location = head.headers.get("location");
      if (req.redirects.has(head.status) && location !== undefined && !head.repeated.has("location")) {
        return finish({ redirect: { status: head.status, location } });
      }
      if (head.status < 200 || head.status > 299) return finish(down(status, startedAt));
      if (spec.receive === "") return finish(up(status, startedAt));
      if (!reader.complete) return;
      if (receiveMatches(spec.receive, reader.text())) return finish(up(status, startedAt));
      const where = reader.cut ? " in the first 1 MiB" : "";
      return finish(down(`${status} but receive /${spec.receive}/ not matched${where}`, startedAt));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    socket.once("connect", () => {
      // The request undici writes for these headers, byte for byte (http.test.ts checks what a server sees).
      socket.write(
        `${spec.httpMethod} ${req.path} HTTP/1.1\r\nhost: ${req.host}\r\nconnection: close\r\nuser-agent: ldirector\r\n\r\n`,
      );
    });
    socket.on("data", (chunk: Buffer) => {
      reader.push(chunk);
      decide();
    });
    socket.once("end", () => {
      reader.end();
      decide();
    });
    socket.on("error", (err) => finish(down(describeHttpError(err), startedAt)));
    socket.once("close", () => {
      // Closed without 'end' (a reset after data, say): whatever came in is all there is.
      reader.end();
      decide();
      finish(down("connection: other side closed", startedAt));
    });
  });
}
