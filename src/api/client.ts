// The CLI's side of the control socket: one HTTP request over the Unix socket.
import { request } from "node:http";

export class ControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    message: string,
    /** The HTTP status the daemon answered with; undefined when it did not answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** GET or POST `path` on the daemon's socket; resolves with the parsed JSON answer. */
export function controlRequest(
  socketPath: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: payload ? { "content-type": "application/json", "x-ldirector-action": "1" } : {},
        timeout: timeoutMs,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          if (text.length < 16 * 1024 * 1024) text += d;
        });
        res.on("end", () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            return reject(new ControlError(`bad answer on ${socketPath}`, res.statusCode));
          }
          if (res.statusCode === 200) return resolve(parsed);
          const msg = (parsed as { error?: string } | null)?.error ?? `HTTP ${res.statusCode}`;
          reject(new ControlError(msg, res.statusCode));
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new ControlError(`no answer on ${socketPath} within ${timeoutMs} ms`)),
    );
    req.on("error", (err) => reject(err instanceof ControlError ? err : new ControlError(err.message)));
    req.end(payload);
  });
}
