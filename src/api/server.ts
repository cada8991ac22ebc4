// The listeners of the API (routes.ts): the control socket and the TCP listener.
// The control socket lives in a directory of mode 0700 and is itself 0600, so only root
// (the daemon's user) can reach it, with no window in which it is world-connectable.
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";

export interface Listener {
  close(): Promise<void>;
}

function harden(server: Server): Server {
  // A slow or stuck client must not hold the daemon's resources.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  return server;
}

function closer(server: Server, after?: () => Promise<unknown>): Listener {
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }).then(async () => {
        await after?.();
      }),
  };
}

function listen(server: Server, ...at: [string] | [number, string]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const done = () => {
      server.off("error", reject);
      resolve();
    };
    if (at.length === 1) server.listen(at[0], done);
    else server.listen(at[0], at[1], done);
  });
}

export async function startControlSocket(path: string, handler: RequestListener): Promise<Listener> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  await rm(path, { force: true });
  const server = harden(createServer(handler));
  await listen(server, path);
  await chmod(path, 0o600);
  return closer(server, () => rm(path, { force: true }));
}

export interface TcpListener extends Listener {
  /** The port bound (the one asked for, or the one picked for port 0). */
  port: number;
}

export async function startTcpListener(
  host: string,
  port: number,
  handler: RequestListener,
): Promise<TcpListener> {
  const server = harden(createServer(handler));
  await listen(server, port, host);
  return { ...closer(server), port: (server.address() as AddressInfo).port };
}
