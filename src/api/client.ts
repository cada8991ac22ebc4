import { connect } from "node:net";

/** Sends one request to a daemon's control socket; rejects when nobody answers in time. */
export function controlRequest(path: string, req: { cmd: string; [k: string]: unknown }, timeoutMs = 5000) {
  return new Promise<unknown>((resolve, reject) => {
    const sock = connect(path);
    let buf = "";
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding("utf8");
    sock.on("connect", () => sock.write(`${JSON.stringify(req)}\n`));
    sock.on("data", (d: string) => {
      buf += d;
    });
    sock.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.on("end", () => {
      clearTimeout(timer);
      try {
        const res = JSON.parse(buf) as { ok: boolean; result?: unknown; error?: string };
        if (res.ok) resolve(res.result);
        else reject(new Error(res.error ?? "request failed"));
      } catch {
        reject(new Error(`bad answer on ${path}`));
      }
    });
  });
}
