// simpletcpChecker against a node:net server: simpletcp is plain TCP, so a real socket
// server that answers only after it has read the whole request (up to our half-close)
// is a real peer, not a mock of some library.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simpletcpChecker, simpletcpPayload } from "../../src/checks/simpletcp.js";
import { freePort } from "./peers/process.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

let server: net.Server;
let port = 0;
const requests: string[] = [];

function answer(request: string): string | Buffer {
  if (request === "status\nverbose\n") return "hello\r\nSTATUS OK\r\nbye\r\n";
  if (request === "status\n") return "hello\nSTATUS OK\n";
  if (request === "flood\n") return Buffer.alloc(200 * 1024, 0x78);
  return "ERR unknown request\r\n";
}

beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (socket) => {
    let request = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      request += chunk.toString("latin1");
    });
    // Answer only once the client has closed its side, as a simpletcp service may.
    socket.on("end", () => {
      requests.push(request);
      socket.end(answer(request));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe("simpletcpChecker", () => {
  it("is up when some line of the reply matches, after sending the request with \\n expanded", async () => {
    const spec = negotiateSpec("simpletcp", { request: "/status\\nverbose\\n", receive: "^STATUS OK" });
    const result = await simpletcpChecker(loopbackTarget(port), spec, quiet());
    expect(result).toMatchObject({ ok: true, reason: "simpletcp STATUS OK" });
    expect(requests.at(-1)).toBe("status\nverbose\n");
  });

  it("lets $ match before the line's newline, as Perl does", async () => {
    const spec = negotiateSpec("simpletcp", { request: "/status\\n", receive: "STATUS OK$" });
    const result = await simpletcpChecker(loopbackTarget(port), spec, quiet());
    expect(result.ok).toBe(true);
  });

  it("is down when no line matches", async () => {
    const spec = negotiateSpec("simpletcp", { request: "/other\\n", receive: "^STATUS OK" });
    const result = await simpletcpChecker(loopbackTarget(port), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "receive /^STATUS OK/ not matched" });
  });

  it("stops reading beyond 64 KiB", async () => {
    const spec = negotiateSpec("simpletcp", { request: "/flood\\n", receive: "^STATUS OK" });
    const result = await simpletcpChecker(loopbackTarget(port), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "reply longer than 65536 bytes" });
  });

  it("is down when nothing listens", async () => {
    const spec = negotiateSpec("simpletcp", { request: "/status\\n", receive: "OK" });
    const result = await simpletcpChecker(loopbackTarget(await freePort()), spec, quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("strips one leading slash and turns literal \\n into newlines", () => {
    expect(simpletcpPayload("/GET\\nx")).toBe("GET\nx");
    expect(simpletcpPayload("//a")).toBe("/a");
  });
});
