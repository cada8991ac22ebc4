import { execFileSync } from "node:child_process";
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { httpChecker } from "../../src/checks/http.js";
import { close, listen, never, spec, target, tempDir } from "./core/fixtures.js";
import { type SelfSigned, selfSigned } from "./core/tls.js";

interface Seen {
  method: string;
  url: string;
  host: string | undefined;
  port: number;
  servername?: string | false | null;
}

const hasIpv6Loopback = execFileSync("ip", ["-6", "addr", "show", "lo"], { encoding: "utf8" }).includes(
  "::1/128",
);

describe("httpChecker", () => {
  const dir = tempDir("ldirector-http-");
  const seen: Seen[] = [];
  const servers: Server[] = [];
  let port: number;
  let otherPort: number;
  let httpsPort: number;
  let proxyPort: number;
  let cert: SelfSigned;
  let otherCert: SelfSigned;

  // One handler for every origin: what the check asked for is recorded, then answered.
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const local = req.socket.localPort ?? 0;
    const socket = req.socket as TLSSocket;
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      host: req.headers.host,
      port: local,
      servername: socket.encrypted ? socket.servername : undefined,
    });
    const url = new URL(req.url ?? "/", "http://x");
    const hop = /^\/redirect\/(\d+)$/.exec(url.pathname);
    if (hop) {
      const left = Number(hop[1]);
      res.writeHead(302, { location: left === 0 ? "/ok" : `/redirect/${left - 1}` }).end();
    } else if (url.pathname === "/ok") res.end("status: all OK here\n");
    else if (url.pathname === "/fail") res.writeHead(503).end("down for maintenance\n");
    else if (url.pathname === "/abs") res.end("absolute OK\n");
    else if (url.pathname === "/elsewhere")
      res.writeHead(301, { location: `http://127.0.0.1:${otherPort}/abs` }).end();
    else res.writeHead(404).end("no such page\n");
  };

  beforeAll(async () => {
    cert = selfSigned(dir.path, "real");
    otherCert = selfSigned(dir.path, "other");
    const main = createHttpServer(handler);
    const other = createHttpServer(handler);
    const secure = createHttpsServer({ cert: cert.cert, key: cert.key }, handler);
    // A forward proxy: takes absolute-form requests and fetches them itself.
    const proxy = createHttpServer((req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", host: req.headers.host, port: -1 });
      const upstream = httpRequest(req.url ?? "", { method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    servers.push(main, other, secure, proxy);
    port = await listen(main);
    otherPort = await listen(other);
    httpsPort = await listen(secure);
    proxyPort = await listen(proxy);
  });
  afterAll(async () => {
    for (const s of servers) await close(s);
    dir.remove();
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it("GET: up on 200 when the body matches receive; Host is the real's address", async () => {
    const r = await httpChecker(target(port), spec({ request: "/ok", receive: "all OK" }), never());
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(seen).toEqual([expect.objectContaining({ method: "GET", url: "/ok", host: "127.0.0.1" })]);
  });

  it("GET: down when the body does not match receive", async () => {
    const r = await httpChecker(target(port), spec({ request: "/ok", receive: "^OK$" }), never());
    expect(r).toMatchObject({ ok: false, reason: "HTTP 200 but receive /^OK$/ not matched" });
  });

  it("receive is a regular expression", async () => {
    const r = await httpChecker(target(port), spec({ request: "/ok", receive: "all\\s+O[K]\\s+h" }), never());
    expect(r.ok).toBe(true);
  });

  it("down on a non-2xx status, whatever the body", async () => {
    const r = await httpChecker(target(port), spec({ request: "/fail", receive: "" }), never());
    expect(r).toMatchObject({ ok: false, reason: "HTTP 503" });
    const r404 = await httpChecker(target(port), spec({ request: "/nowhere", receive: "page" }), never());
    expect(r404).toMatchObject({ ok: false, reason: "HTTP 404" });
  });

  it("HEAD: up on 200 with an empty receive, down with a non-empty one (no body)", async () => {
    const r = await httpChecker(target(port), spec({ request: "/ok", httpMethod: "HEAD" }), never());
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(seen[0]?.method).toBe("HEAD");
    const withReceive = await httpChecker(
      target(port),
      spec({ request: "/ok", httpMethod: "HEAD", receive: "OK" }),
      never(),
    );
    expect(withReceive).toMatchObject({ ok: false, reason: "HTTP 200 but receive /OK/ not matched" });
  });

  it("sends virtualhost as the Host header", async () => {
    const r = await httpChecker(
      target(port),
      spec({ request: "/ok", virtualHost: "www.example.com" }),
      never(),
    );
    expect(r.ok).toBe(true);
    expect(seen[0]?.host).toBe("www.example.com");
  });

  it("checks the check port of the target, not the real's own port", async () => {
    const r = await httpChecker(target(otherPort, { realPort: port }), spec({ request: "/ok" }), never());
    expect(r.ok).toBe(true);
    expect(seen.map((s) => s.port)).toEqual([otherPort]);
  });

  it("uses an absolute per-real request as the whole URL", async () => {
    const request = `/http://127.0.0.1:${otherPort}/abs`;
    const r = await httpChecker(target(port), spec({ request, receive: "absolute" }), never());
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(seen).toEqual([expect.objectContaining({ url: "/abs", port: otherPort, host: "127.0.0.1" })]);
  });

  it("follows redirects for GET and HEAD, dropping the virtualhost Host as LWP does", async () => {
    const r = await httpChecker(
      target(port),
      spec({ request: "/redirect/2", receive: "all OK", virtualHost: "vhost.test" }),
      never(),
    );
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(seen.map((s) => s.url)).toEqual(["/redirect/2", "/redirect/1", "/redirect/0", "/ok"]);
    expect(seen[0]?.host).toBe("vhost.test");
    expect(seen[1]?.host).toBe(`127.0.0.1:${port}`);

    const head = await httpChecker(
      target(port),
      spec({ request: "/redirect/0", httpMethod: "HEAD" }),
      never(),
    );
    expect(head.ok).toBe(true);

    const cross = await httpChecker(
      target(port),
      spec({ request: "/elsewhere", receive: "absolute" }),
      never(),
    );
    expect(cross.ok).toBe(true);
    expect(seen.at(-1)?.port).toBe(otherPort);
  });

  it("follows at most 7 redirects", async () => {
    const seven = await httpChecker(target(port), spec({ request: "/redirect/6" }), never());
    expect(seven.ok).toBe(true);
    seen.length = 0;
    const eight = await httpChecker(target(port), spec({ request: "/redirect/7" }), never());
    expect(eight).toMatchObject({ ok: false, reason: "HTTP 302 (more than 7 redirects)" });
    expect(seen).toHaveLength(8);
  });

  it("is down with the errno when nothing listens", async () => {
    const gone = createHttpServer();
    const freePort = await listen(gone);
    await close(gone);
    const r = await httpChecker(target(freePort), spec({ request: "/ok" }), never());
    expect(r).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("is down with a timeout reason when the runner has aborted", async () => {
    const ctl = new AbortController();
    ctl.abort();
    const r = await httpChecker(target(port), spec({ request: "/ok", negotiateTimeoutMs: 1234 }), ctl.signal);
    expect(r).toMatchObject({ ok: false, reason: "timeout after 1234 ms" });
  });

  it("speaks to IPv6 reals with the address in brackets", async () => {
    const v6 = createHttpServer(handler);
    try {
      const v6Port = hasIpv6Loopback ? await listen(v6, "::1") : 1;
      const r = await httpChecker(
        target(v6Port, { address: "::1", family: "inet6" }),
        spec({ request: "/ok", receive: "OK" }),
        never(),
      );
      if (hasIpv6Loopback) {
        expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
        expect(seen[0]?.host).toBe("[::1]");
      } else expect(r.ok).toBe(false);
    } finally {
      if (v6.listening) await close(v6);
    }
  });

  describe("https", () => {
    const https = (over: Parameters<typeof spec>[0] = {}) =>
      spec({ service: "https", request: "/ok", receive: "OK", ...over });

    it("is up against a self-signed real by default (no verification)", async () => {
      const r = await httpChecker(target(httpsPort), https(), never());
      expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    });

    it("is down on a non-2xx status over TLS too", async () => {
      const r = await httpChecker(target(httpsPort), https({ request: "/fail", receive: "" }), never());
      expect(r).toMatchObject({ ok: false, reason: "HTTP 503" });
    });

    it("with tlsverify: up against the right CA, sending virtualhost as SNI", async () => {
      const r = await httpChecker(
        target(httpsPort),
        https({ tlsVerify: true, tlsCaFile: cert.certPath, virtualHost: "localhost" }),
        never(),
      );
      expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
      expect(seen[0]).toMatchObject({ servername: "localhost", host: "localhost" });
    });

    it("with tlsverify and no virtualhost: the chain is checked, not the name", async () => {
      const r = await httpChecker(
        target(httpsPort),
        https({ tlsVerify: true, tlsCaFile: cert.certPath }),
        never(),
      );
      expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    });

    it("with tlsverify: down against the wrong CA", async () => {
      const r = await httpChecker(
        target(httpsPort),
        https({ tlsVerify: true, tlsCaFile: otherCert.certPath, virtualHost: "localhost" }),
        never(),
      );
      expect(r.ok).toBe(false);
      expect(r.reason).toMatch(
        /^TLS: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_\w+)$/,
      );
      expect(seen).toHaveLength(0);
    });

    it("with tlsverify: down when virtualhost is not the certificate's name", async () => {
      const r = await httpChecker(
        target(httpsPort),
        https({ tlsVerify: true, tlsCaFile: cert.certPath, virtualHost: "www.example.com" }),
        never(),
      );
      expect(r).toMatchObject({ ok: false, reason: "TLS: ERR_TLS_CERT_ALTNAME_INVALID" });
    });

    it("with tlsverify: down with the errno when the CA file is missing", async () => {
      const r = await httpChecker(
        target(httpsPort),
        https({ tlsVerify: true, tlsCaFile: `${dir.path}/missing.pem` }),
        never(),
      );
      expect(r).toMatchObject({ ok: false, reason: "TLS CA file: ENOENT" });
    });
  });

  describe("http_proxy", () => {
    it("GETs the absolute request URL through the real as a proxy", async () => {
      const request = `/http://127.0.0.1:${otherPort}/abs`;
      const r = await httpChecker(
        target(proxyPort),
        spec({ service: "http_proxy", request, receive: "absolute", virtualHost: "ignored.test" }),
        never(),
      );
      expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
      // The proxy got the absolute form and the target's own Host; the origin got the path.
      expect(seen[0]).toMatchObject({
        port: -1,
        url: `http://127.0.0.1:${otherPort}/abs`,
        host: `127.0.0.1:${otherPort}`,
      });
      expect(seen[1]).toMatchObject({ port: otherPort, url: "/abs" });
    });

    it("is down when the proxied page fails", async () => {
      const request = `http://127.0.0.1:${otherPort}/fail`;
      const r = await httpChecker(target(proxyPort), spec({ service: "http_proxy", request }), never());
      expect(r).toMatchObject({ ok: false, reason: "HTTP 503" });
      expect(seen[0]?.port).toBe(-1);
    });

    it("is down, saying why, when the request is not an absolute URL", async () => {
      const r = await httpChecker(
        target(proxyPort),
        spec({ service: "http_proxy", request: "/abs" }),
        never(),
      );
      expect(r).toMatchObject({ ok: false, reason: 'http_proxy needs an absolute request URL, not "abs"' });
      expect(seen).toHaveLength(0);
    });
  });
});
