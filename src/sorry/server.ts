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

export interface SorryServerOptions {
  host: string;
  port: number;
  pagePath?: string;
  retryAfterSeconds?: number;
  logger?: Logger;
}

export interface SorryServer {
  address: { host: string; port: number };
  close(): Promise<void>;
}

export async function startSorryServer(options: SorryServerOptions): Promise<SorryServer> {
  const pagePath = options.pagePath ?? DEFAULT_SORRY_PAGE;
  const retryAfter = String(options.retryAfterSeconds ?? 30);
  // Read once: the page must still be served when the disk it lives on is the problem.
  const page = await readFile(pagePath);
  const logger = options.logger;

  const server = createServer(
    {
      // Slowloris bounds: a client gets a few seconds to send its request, then goes.
      headersTimeout: 5_000,
      requestTimeout: 10_000,
      keepAliveTimeout: 0,
      maxHeaderSize: 8 * 1024,
    },
    (req: IncomingMessage, res: ServerResponse) => answer(req, res, page, retryAfter),
  );
  server.keepAliveTimeout = 0;
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
