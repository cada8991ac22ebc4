// Defect 4 of issue 14 (DNS rebinding): the web listener answers only requests whose
// Host names it (its address, localhost on loopback) or a metricshost= name, with 421
// otherwise; a POST also needs an Origin of such a host when it carries one. Through a
// running Daemon's real TCP listener with webcontrol=yes.
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, liveTable, Scratch } from "../daemon/support.js";

let s: Scratch;
afterEach(() => s?.cleanup());

const D = JSON.stringify({ virtual: "tcp:10.0.0.1:80", real: "10.0.0.2:80" });

function call(port: number, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: body ? "POST" : "GET",
        headers: {
          ...headers,
          ...(body ? { "content-type": "application/json", "x-ldirector-action": "1" } : {}),
        },
      },
      (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      },
    );
    req.on("error", fail);
    req.end(body);
  });
}

async function daemon(extra: string[] = []): Promise<number> {
  s = new Scratch();
  const port = await freePort();
  s.write([
    `metricsaddress=127.0.0.1:${port}`,
    "webcontrol=yes",
    ...extra,
    "virtual=10.0.0.1:80",
    "    real=10.0.0.2:80 masq 1",
    "    checktype=on",
  ]);
  const d = s.daemon(liveTable());
  await d.start();
  return port;
}

describe("the web listener checks Host and Origin", () => {
  it("refuses a rebound name with 421, for a drain and for status", async () => {
    const port = await daemon();
    expect(await call(port, "/reals/drain", { host: `attacker.example:${port}` }, D)).toBe(421);
    expect(await call(port, "/status", { host: `attacker.example:${port}` })).toBe(421);
    // Right name, wrong port (another service on this host rebinding to ours).
    expect(await call(port, "/status", { host: `127.0.0.1:${port + 1}` })).toBe(421);
    const st = await call(port, "/status", { host: `127.0.0.1:${port}` });
    expect(st).toBe(200);
  });

  it("answers its own address, localhost on loopback, and metricshost= names", async () => {
    const port = await daemon(["metricshost=lb1.example.com, LB1"]);
    expect(await call(port, "/status", { host: `127.0.0.1:${port}` })).toBe(200);
    expect(await call(port, "/status", { host: `localhost:${port}` })).toBe(200);
    expect(await call(port, "/status", { host: `lb1.example.com:${port}` })).toBe(200);
    expect(await call(port, "/status", { host: `LB1:${port}` })).toBe(200);
    expect(await call(port, "/reals/drain", { host: `lb1:${port}`, origin: `http://lb1:${port}` }, D)).toBe(
      200,
    );
  });

  it("refuses a POST whose Origin is another site, even with a good Host", async () => {
    const port = await daemon();
    const host = `127.0.0.1:${port}`;
    expect(await call(port, "/reals/drain", { host, origin: "http://attacker.example" }, D)).toBe(403);
    expect(await call(port, "/reals/drain", { host, origin: "null" }, D)).toBe(403);
    expect(await call(port, "/reals/drain", { host, origin: `http://${host}` }, D)).toBe(200);
  });
});
