// The control socket: one JSON request line in, one JSON response line out.
// It lives in a directory of mode 0700, so only root (the daemon's user) can reach it,
// with no window in which the socket itself is world-connectable.
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { dirname } from "node:path";

export type Request = { cmd: string; [k: string]: unknown };
export type Handler = (req: Request) => Promise<unknown>;

const maxRequestBytes = 64 * 1024;

export interface ControlServer {
  close(): Promise<void>;
}

export async function startControlServer(path: string, handle: Handler): Promise<ControlServer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await chmod(dirname(path), 0o700);
  await rm(path, { force: true });
  const server: Server = createServer((sock) => {
    let buf = "";
    sock.setEncoding("utf8");
    sock.setTimeout(10_000, () => sock.destroy());
    sock.on("error", () => sock.destroy());
    sock.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > maxRequestBytes) return sock.destroy();
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      sock.removeAllListeners("data");
      void respond(line).then((out) => sock.end(`${JSON.stringify(out)}\n`));
    });
  });
  const respond = async (line: string): Promise<unknown> => {
    try {
      const req = JSON.parse(line) as Request;
      if (typeof req?.cmd !== "string") return { ok: false, error: "request needs a cmd" };
      return { ok: true, result: await handle(req) };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void rm(path, { force: true });
      }),
  };
}
