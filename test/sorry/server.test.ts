import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SORRY_PAGE, type SorryServer, startSorryServer } from "../../src/sorry/server.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe("sorry server", () => {
  const servers: SorryServer[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it("binds port 0 and answers every method and path with 503 and the default page", async () => {
    const s = await startSorryServer({ host: "127.0.0.1", port: 0 });
    servers.push(s);
    expect(s.address.host).toBe("127.0.0.1");
    expect(s.address.port).toBeGreaterThan(0);
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/some/deep/path?x=1"],
      ["POST", "/login"],
      ["DELETE", "/x"],
    ] as const) {
      const r = await send(s.address.port, method, path, method === "POST" ? "user=a" : undefined);
      expect(r.status).toBe(503);
      expect(r.headers["retry-after"]).toBe("30");
      expect(r.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(r.headers["cache-control"]).toBe("no-store");
      expect(r.headers.connection).toBe("close");
      expect(r.body).toContain("Service temporarily unavailable");
    }
    expect(DEFAULT_SORRY_PAGE.endsWith(join("etc", "sorry.html"))).toBe(true);
  });

  it("serves a configured page and Retry-After; HEAD gets headers without a body", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sorry-"));
    dirs.push(dir);
    const page = join(dir, "page.html");
    await writeFile(page, "<p>back at five</p>\n");
    const s = await startSorryServer({ host: "127.0.0.1", port: 0, pagePath: page, retryAfterSeconds: 120 });
    servers.push(s);

    const get = await send(s.address.port, "GET", "/");
    expect(get.status).toBe(503);
    expect(get.body).toBe("<p>back at five</p>\n");
    expect(get.headers["retry-after"]).toBe("120");
    expect(get.headers["content-length"]).toBe(String(get.body.length));

    const head = await send(s.address.port, "HEAD", "/index.html");
    expect(head.status).toBe(503);
    expect(head.headers["retry-after"]).toBe("120");
    expect(head.body).toBe("");
  });

  it("still answers when the client sends a large body", async () => {
    const s = await startSorryServer({ host: "127.0.0.1", port: 0 });
    servers.push(s);
    const r = await send(s.address.port, "POST", "/upload", "x".repeat(64 * 1024)).catch((e: Error) => e);
    // Either the 503 arrives or the server cut the oversized upload; it must not hang.
    if (r instanceof Error) expect(r.message).toMatch(/EPIPE|ECONNRESET|socket hang up/);
    else expect(r.status).toBe(503);
  });

  it("rejects a missing page at start", async () => {
    await expect(
      startSorryServer({ host: "127.0.0.1", port: 0, pagePath: "/nonexistent/page.html" }),
    ).rejects.toThrow(/ENOENT/);
  });
});
