// The listeners of the API (routes.ts): the control socket and the TCP listener.
// The control socket is itself 0600 in a directory that is 0700 when ldirector made it,
// so only root (the daemon's user) can reach it. A path that holds anything but a dead
// socket is refused, not replaced, and a directory ldirector did not make keeps its mode.
import { connect } from "node:net";
import { chmod, lstat, mkdir, rm } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname } from "node:path";

export interface Listener {
  close(): Promise<void>;
}

/** Limits of one listener: connections held at once (more are closed on accept). */
export interface ListenerLimits {
  maxConnections: number;
}

/** The TCP listener's connection cap when none is given (see daemon/fd-budget.ts). */
export const DEFAULT_WEB_CONNECTIONS = 64;
const CONTROL_CONNECTIONS = 32;

function harden(server: Server, limits: ListenerLimits): Server {
  // A slow or stuck client must not hold the daemon's resources.
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = limits.maxConnections;
  // A connection that sends nothing at all is closed too, not only a slow request.
  server.setTimeout(15_000, (socket) => socket.destroy());
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

/** Whether a process answers on the Unix socket at `path` (a live daemon) or not (a leftover). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (live: boolean) => {
      s.destroy();
      resolve(live);
    };
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(2_000, () => done(true));
  });
}

/**
 * Why `path` may not be used for the control socket, or undefined when it may: absent,
 * or a socket of ours (same owner) that nobody answers on, left by a daemon that died.
 */
export async function controlSocketRefusal(path: string): Promise<string | undefined> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return `cannot inspect it (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  if (!st.isSocket()) {
    const what = st.isDirectory()
      ? "a directory"
      : st.isSymbolicLink()
        ? "a symbolic link"
        : st.isFile()
          ? "a regular file"
          : "not a socket";
    return `it exists and is ${what}; ldirector replaces only a socket it made`;
  }
  if (process.getuid && st.uid !== process.getuid()) return `it is a socket of another user (uid ${st.uid})`;
  if (await answers(path)) return "another process is listening on it";
  return undefined;
}

export async function startControlSocket(path: string, handler: RequestListener): Promise<Listener> {
  const refusal = await controlSocketRefusal(path);
  if (refusal !== undefined) throw new Error(`control socket ${path}: ${refusal}`);
  const dir = dirname(path);
  // mkdir says which directory it made first; only what ldirector made is set to 0700.
  const made = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (made !== undefined) await chmod(dir, 0o700);
  await rm(path, { force: true });
  const server = harden(createServer(handler), { maxConnections: CONTROL_CONNECTIONS });
  await listen(server, path);
  await chmod(path, 0o600);
  // Removed on close only while it is still our socket: a newer daemon may have taken the path.
  return closer(server, async () => {
    const st = await lstat(path).catch(() => undefined);
    if (st?.isSocket()) await rm(path, { force: true });
  });
}

export interface TcpListener extends Listener {
  /** The port bound (the one asked for, or the one picked for port 0). */
  port: number;
}

export async function startTcpListener(
  host: string,
  port: number,
  handler: RequestListener,
  limits: ListenerLimits = { maxConnections: DEFAULT_WEB_CONNECTIONS },
): Promise<TcpListener> {
  const server = harden(createServer(handler), limits);
  await listen(server, port, host);
  return { ...closer(server), port: (server.address() as AddressInfo).port };
}
