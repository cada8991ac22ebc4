// The one HTTP API of a running daemon, served on two listeners:
// - the control socket (root-only Unix socket): everything;
// - the opt-in TCP listener (metricsaddress=): the web page, status and metrics, and the
//   real actions only with webcontrol=yes. There a POST must carry the header
//   `x-ldirector-action: 1`: a browser sends no custom header cross-site without a CORS
//   preflight, which this server never grants, so another site cannot drive the buttons.
import type { IncomingMessage, ServerResponse } from "node:http";
import { Refused, type RefusalReason } from "../control/refused.js";
import { readParams, type Verb, type VerbResult, verbs } from "../control/verbs.js";
import { ApiError } from "./errors.js";
import { type HostPolicy, hostAllowed, originAllowed } from "./host-check.js";
import type { StatusView } from "./types.js";

/** What the daemon offers the API. */
export interface ControlApi {
  status(): Promise<StatusView>;
  /** An operator's verb with its operands (the JSON body, or {} for a GET). */
  act(verb: Verb, body: Record<string, unknown>): Promise<VerbResult>;
  reload(): Promise<unknown>;
  metrics(): Promise<{ contentType: string; text: string }>;
}

export interface RouteOptions {
  /** Serve the web status page at `/`. */
  page?: () => string;
  /** Whether POSTs to /reals/* are allowed on this listener (checked at each request: reloads change it). */
  actions: () => boolean;
  /** Require the anti-CSRF header on POSTs (the TCP listener). */
  requireActionHeader: boolean;
  /** /reload on this listener (the control socket only). */
  reload: boolean;
  /**
   * The TCP listener: which Host (and, on POST, Origin) values name it. Read at each
   * request (a reload may change metricshost=). Absent on the control socket.
   */
  hosts?: () => HostPolicy;
}

/** "METHOD /path" → verb, from the verb table; an API alias gets the route with its word. */
const ROUTES = new Map<string, Verb>(
  (verbs as readonly Verb[]).flatMap((v) => {
    const own: [string, Verb] = [`${v.method} ${v.route}`, v];
    if (!v.apiAlias) return [own];
    return [own, [`${v.method} ${v.route.replace(/[^/]+$/, v.apiAlias)}`, v]];
  }),
);

const HTTP_STATUS: Record<RefusalReason, number> = {
  "bad-request": 400,
  "not-found": 404,
  conflict: 409,
  unavailable: 503,
  failed: 500,
};
const MAX_BODY_BYTES = 16 * 1024;

export function apiHandler(api: ControlApi, opts: RouteOptions) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(api, opts, req)
      .then((out) => send(res, 200, out))
      .catch((err: unknown) => {
        if (err instanceof ApiError) return send(res, err.status, { error: err.message });
        if (err instanceof Refused) return send(res, HTTP_STATUS[err.reason], { error: err.message });
        send(res, 500, { error: err instanceof Error ? err.message : String(err) });
      });
  };
}

type Reply = { json: unknown } | { contentType: string; text: string };

async function route(api: ControlApi, opts: RouteOptions, req: IncomingMessage): Promise<Reply> {
  const path = (req.url ?? "/").split("?")[0]!;
  const method = req.method ?? "GET";
  const policy = opts.hosts?.();
  if (policy && !hostAllowed(req.headers.host, policy)) {
    // 421 Misdirected Request: this listener is not the host asked for (DNS rebinding).
    throw new ApiError(
      421,
      `this listener does not answer for host ${JSON.stringify(req.headers.host ?? "")}; add the name to metricshost=`,
    );
  }
  if (policy && method !== "GET" && method !== "HEAD" && !originAllowed(req.headers.origin, policy)) {
    throw new ApiError(403, `requests from origin ${JSON.stringify(req.headers.origin)} are refused`);
  }
  const verb = ROUTES.get(`${method === "HEAD" ? "GET" : method} ${path}`);
  if (method === "GET" || method === "HEAD") {
    if (verb) return { json: await api.act(verb, readParams(verb, {})) };
    if (path === "/status") return { json: await api.status() };
    if (path === "/metrics") return api.metrics();
    if (path === "/" && opts.page) return { contentType: "text/html; charset=utf-8", text: opts.page() };
    throw new ApiError(404, `no such resource: ${path}`);
  }
  if (method !== "POST") throw new ApiError(405, `${method} is not allowed`);
  if (path === "/reload" && opts.reload) return { json: await api.reload() };
  if (verb === undefined) throw new ApiError(404, `no such resource: ${path}`);
  if (!opts.actions()) throw new ApiError(403, "runtime actions are off here (webcontrol=yes turns them on)");
  if (opts.requireActionHeader && req.headers["x-ldirector-action"] !== "1") {
    throw new ApiError(403, "a runtime action needs the header x-ldirector-action: 1");
  }
  return { json: await api.act(verb, readParams(verb, parseBody(verb, await readBody(req)))) };
}

/** A JSON object, whose fields readParams checks against the verb's params. */
function parseBody(verb: Verb, body: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = body.trim() === "" && verb.params.length === 0 ? {} : JSON.parse(body);
  } catch {
    v = undefined;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    const example = Object.fromEntries(verb.params.map((p) => [p.name, p.word]));
    throw new ApiError(400, `the body must be a JSON object: ${JSON.stringify(example)}`);
  }
  return v as Record<string, unknown>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY_BYTES) {
        reject(new ApiError(413, "request body too large"));
        req.destroy();
      }
    });
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, out: Reply | { error: string }): void {
  if (res.headersSent || res.destroyed) return;
  // no-store: status is live; frame-ancestors/DENY: the buttons cannot be clickjacked.
  const headers = {
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": "frame-ancestors 'none'",
  };
  if ("text" in out) {
    res.writeHead(status, { ...headers, "content-type": out.contentType }).end(out.text);
    return;
  }
  const body = JSON.stringify("json" in out ? out.json : out);
  res.writeHead(status, { ...headers, "content-type": "application/json" }).end(`${body}\n`);
}
