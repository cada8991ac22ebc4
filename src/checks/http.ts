// service=http, https and http_proxy: ldirectord's check_http. Up when the answer is 2xx
// (redirects followed for GET and HEAD, at most 7, as LWP does) and the body matches
// receive. The common case, service=http asking the real for a path, is one exchange on
// a plain socket (http-probe.ts); everything else, and every hop after a redirect, goes
// through undici. Each undici check has its own Agent, destroyed when it ends: nothing is
// shared and nothing outlives the check.
import { readFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Agent, Dispatcher } from "undici";
import type { CheckSpec } from "../config/types.js";
import { bracketed } from "./lib/address.js";
import { probeHttp } from "./http-probe.js";
import { describeHttpError } from "./lib/http-errors.js";
import { type HttpPlan, httpPlan } from "./lib/http-plan.js";
import { receiveMatches } from "./lib/receive.js";
import { libraryTimeoutMs } from "./lib/stoppable.js";
import { down, timeoutReason, up } from "./lib/result.js";
import type { Checker, CheckResult, CheckTarget } from "./types.js";

/** The most body a check reads; the rest is never read (the connection is dropped). */
const MAX_BODY = 1024 * 1024;
/** LWP::UserAgent's max_redirect. */
const MAX_REDIRECTS = 7;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** The most a response head may take: undici's default (Node's --max-http-header-size). */
const MAX_HEAD = 16 * 1024;

type ConnectOptions = { rejectUnauthorized: boolean; ca?: Buffer; checkServerIdentity?: () => undefined };

/**
 * Off by default: ldirectord meant not to verify (it turned hostname checks off) and
 * back-ends behind a director often use self-signed certificates. With tlsverify the
 * chain is checked against tlscafile, and the name against virtualhost when there is
 * one (it is also the SNI, as the Host header). Reals are addressed by IP, so without
 * a virtualhost only the chain is checked.
 */
async function tlsOptions(spec: CheckSpec): Promise<ConnectOptions> {
  if (!spec.tlsVerify) return { rejectUnauthorized: false };
  const ca = spec.tlsCaFile !== undefined ? await readFile(spec.tlsCaFile) : undefined;
  const options: ConnectOptions = { rejectUnauthorized: true, ...(ca !== undefined ? { ca } : {}) };
  if (spec.virtualHost === undefined) options.checkServerIdentity = () => undefined;
  return options;
}

/** Reads at most `max` bytes, then stops (the stream is destroyed, aborting the request). */
async function readBounded(body: Readable, max: number): Promise<{ text: string; cut: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let cut = false;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = max - size;
    if (chunk.length >= room) {
      chunks.push(chunk.subarray(0, room));
      size = max;
      cut = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  return { text: Buffer.concat(chunks).toString("utf8"), cut };
}

/** Where an undici exchange starts: the plan's URL, or the hop after a redirect the probe got. */
interface Hop {
  url: URL;
  host: string | undefined;
  redirects: number;
}

/** The next URL after a redirect to `location`, or a result that ends the check. */
function follow(
  status: string,
  location: string,
  from: URL,
  redirects: number,
  startedAt: number,
): URL | CheckResult {
  let next: URL | undefined;
  try {
    next = new URL(location, from);
  } catch {
    next = undefined;
  }
  if (next === undefined || (next.protocol !== "http:" && next.protocol !== "https:")) {
    return down(`${status} to an unusable Location`, startedAt);
  }
  if (redirects === MAX_REDIRECTS) return down(`${status} (more than ${MAX_REDIRECTS} redirects)`, startedAt);
  return next;
}

async function exchange(
  agent: Agent,
  plan: HttpPlan,
  spec: CheckSpec,
  signal: AbortSignal,
  startedAt: number,
  start: Hop,
): Promise<CheckResult> {
  let url = start.url;
  let host = start.host;
  for (let redirects = start.redirects; ; redirects++) {
    // LWP proxies only http: URLs (`$ua->proxy("http", …)`); an https: one goes direct.
    const proxy = plan.proxy !== undefined && url.protocol === "http:" ? plan.proxy : undefined;
    const headers: Record<string, string> = { "user-agent": "ldirector", connection: "close" };
    if (proxy !== undefined) headers.host = url.host;
    else if (host !== undefined) headers.host = host;
    const options: Dispatcher.RequestOptions = {
      origin: proxy?.origin ?? url.origin,
      path: proxy !== undefined ? url.href : `${url.pathname}${url.search}`,
      method: spec.httpMethod,
      headers,
      signal,
    };
    const res = await agent.request(options);
    // Destroying an unread body makes undici emit "Request aborted": that is the point
    // (the connection is dropped), not an error of the check.
    res.body.on("error", () => {});
    const status = `HTTP ${res.statusCode}`;
    const location = res.headers.location;
    if (REDIRECTS.has(res.statusCode) && typeof location === "string") {
      res.body.destroy();
      const next = follow(status, location, url, redirects, startedAt);
      if (!(next instanceof URL)) return next;
      url = next;
      host = undefined;
      continue;
    }
    if (res.statusCode < 200 || res.statusCode > 299) {
      res.body.destroy();
      return down(status, startedAt);
    }
    if (spec.receive === "") {
      res.body.destroy();
      return up(status, startedAt);
    }
    // HEAD has no body, so a non-empty receive fails, as in ldirectord.
    const { text, cut } = await readBounded(res.body, MAX_BODY);
    if (receiveMatches(spec.receive, text)) return up(status, startedAt);
    const where = cut ? " in the first 1 MiB" : "";
    return down(`${status} but receive /${spec.receive}/ not matched${where}`, startedAt);
  }
}

/**
 * The plan of a check the plain probe can make: service=http to the real itself (a
 * path, not an absolute URL), with a Host header undici would send as it is.
 */
function plainPlan(target: CheckTarget, spec: CheckSpec, plan: HttpPlan): boolean {
  return (
    spec.service === "http" &&
    plan.proxy === undefined &&
    plan.host !== undefined &&
    !/[\0-\x20\x7f]/.test(plan.host) &&
    plan.url.protocol === "http:" &&
    plan.url.hostname === bracketed(target.address) &&
    (plan.url.port || "80") === String(target.port)
  );
}

export const httpChecker: Checker = async (target, spec, signal) => {
  const startedAt = performance.now();
  const plan = httpPlan(target, spec);
  if ("error" in plan) return down(plan.error, startedAt);
  let start: Hop = { url: plan.url, host: plan.host, redirects: 0 };
  if (plainPlan(target, spec, plan)) {
    const answer = await probeHttp(
      target,
      spec,
      {
        path: `${plan.url.pathname}${plan.url.search}`,
        host: plan.host!,
        maxHead: MAX_HEAD,
        maxBody: MAX_BODY,
        redirects: REDIRECTS,
      },
      signal,
      startedAt,
    );
    if (!("redirect" in answer)) return answer;
    const { status, location } = answer.redirect;
    const next = follow(`HTTP ${status}`, location, plan.url, 0, startedAt);
    if (!(next instanceof URL)) return next;
    // LWP drops the virtualhost Host on a redirect; undici then sends the URL's own.
    start = { url: next, host: undefined, redirects: 1 };
  }
  // One bound for the whole check (runCheck's signal): the hops after a redirect get what the first one left.
  return viaUndici(plan, spec, signal, startedAt, start);
};

/** `signal` is the check's time limit: aborted means timed out (or the runner stopped it). */
async function viaUndici(
  plan: HttpPlan,
  spec: CheckSpec,
  signal: AbortSignal,
  startedAt: number,
  start: Hop,
): Promise<CheckResult> {
  const ms = spec.negotiateTimeoutMs;
  let connect: ConnectOptions;
  try {
    connect = await tlsOptions(spec);
  } catch (err) {
    return down(`TLS CA file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, startedAt);
  }
  // Imported on the first check that needs it: a director whose checks are all plain
  // http never holds undici in memory.
  const { Agent } = await import("undici");
  if (signal.aborted) return down(timeoutReason(ms), startedAt);
  // undici's own timers are only a backstop past runCheck's deadline, which decides.
  const backstop = libraryTimeoutMs(ms);
  const agent = new Agent({
    connect: { ...connect, timeout: backstop },
    headersTimeout: backstop,
    bodyTimeout: backstop,
    connections: 1,
    pipelining: 0,
  });
  try {
    return await exchange(agent, plan, spec, signal, startedAt, start);
  } catch (err) {
    if (signal.aborted) return down(timeoutReason(ms), startedAt);
    const code = (err as { code?: unknown }).code;
    if (
      code === "UND_ERR_CONNECT_TIMEOUT" ||
      code === "UND_ERR_HEADERS_TIMEOUT" ||
      code === "UND_ERR_BODY_TIMEOUT"
    ) {
      return down(timeoutReason(ms), startedAt);
    }
    return down(describeHttpError(err), startedAt);
  } finally {
    await agent.destroy().catch(() => {});
  }
}
