// The built-in sorry server: a fallback target that needs nothing else installed.
// Every request, whatever its method or path, gets the same 503 page, so clients and
// crawlers know the outage is temporary and retry later.

import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";

/** etc/sorry.html of the package. Two levels up works from both src/sorry/ and dist/sorry/. */
export const DEFAULT_SORRY_PAGE = fileURLToPath(new URL("../../etc/sorry.html", import.meta.url));

/** The page is a few kilobytes at most; nobody has a reason to send us more than this. */
const MAX_BODY_BYTES = 8 * 1024;

/**
 * Connections held at once. Beyond it a new connection is closed at once: the sorry
 * server shares the daemon's file descriptors with the checks, and an idle flood must not
 * leave the checks without sockets (see daemon/fd-budget.ts for how the cap is chosen).
 */
export const DEFAULT_MAX_CONNECTIONS = 256;
/** A connection that says nothing for this long is closed. */
export const IDLE_TIMEOUT_MS = 10_000;

export interface SorryServerOptions {
  host: string;
  port: number;
  pagePath?: string;
  retryAfterSeconds?: number;
  logger?: Logger;
  /** Connections held at once (default DEFAULT_MAX_CONNECTIONS). */
  maxConnections?: number;
}

export interface SorryServer {
  address: { host: string; port: number };
  /** Serve another page from now on (a reload changed sorrypage=); read it first with readSorryPage. */
  setPage(page: Buffer): void;
  close(): Promise<void>;
}

/** The page, read once: it must still be served when the disk it lives on is the problem. */
export function readSorryPage(pagePath: string | undefined): Promise<Buffer> {
  return readFile(pagePath ?? DEFAULT_SORRY_PAGE);
}

export async function startSorryServer(options: SorryServerOptions): Promise<SorryServer> {
  const pagePath = options.pagePath ?? DEFAULT_SORRY_PAGE;
  const retryAfter = String(options.retryAfterSeconds ?? 30);
  let page = await readSorryPage(pagePath);
  const logger = options.logger;

  const server = createServer(
    {
      // Slowloris bounds: a client gets a few seconds to send its request, then goes.
      headersTimeout: 5_000,
      requestTimeout: 10_000,
      keepAliveTimeout: 0,
      maxHeaderSize: 8 * 1024,
      // How often the two timeouts above are enforced (Node's default is 30 s).
      connectionsCheckingInterval: 1_000,
    },
    (req: IncomingMessage, res: ServerResponse) => answer(req, res, page, retryAfter),
  );
  server.keepAliveTimeout = 0;
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // A connection that never sends a byte is not a request yet: close it when idle.
  server.setTimeout(IDLE_TIMEOUT_MS, (socket) => socket.destroy());
  server.on("clientError", (err, socket) => {
    logger?.debug({ err: err.message }, "sorry server: bad request");
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => logger?.error({ err: err.message }, "sorry server error"));
  const bound = server.address() as AddressInfo;
  logger?.info({ host: bound.address, port: bound.port, page: pagePath }, "sorry server listening");

  return {
    address: { host: bound.address, port: bound.port },
    setPage: (next) => {
      page = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Connection: close is sent on every answer, but a client that never finished
        // its request must not hold the daemon's shutdown.
        server.closeAllConnections();
      }),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, page: Buffer, retryAfter: string): void {
  // The body is never used; read at most MAX_BODY_BYTES of it, then stop listening.
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_BODY_BYTES) {
      req.off("data", onData);
      req.pause();
    }
  };
  req.on("data", onData);
  req.on("error", () => {});

  res.shouldKeepAlive = false;
  res.writeHead(503, {
    "Retry-After": retryAfter,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Length": String(page.length),
    "Cache-Control": "no-store",
    Connection: "close",
  });
  if (req.method === "HEAD") res.end();
  else res.end(page);
  // With an oversized body still arriving, drop the socket once the answer is out.
  res.on("finish", () => {
    if (received > MAX_BODY_BYTES) req.socket.destroy();
  });
}
