// The plain-HTTP path (service=http, a path on the real) reads responses itself, so it is
// tested against a raw TCP server that sends what real servers send, byte for byte:
// chunked bodies, no Content-Length, HTTP/1.0, folded headers, interim 1xx answers,
// bare LF line ends, oversize heads and bodies, garbage, a slow drip, a close mid-body.
// Every check goes through httpChecker, as the monitor calls it.
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { httpChecker } from "../../src/checks/http.js";
import { close, listen, never, spec, target, underDeadline } from "./core/fixtures.js";

/** What the server does once it has read a request for a path: write these, pausing where asked. */
type Step = string | Buffer | { pauseMs: number };
interface Script {
  steps: Step[];
  /** After the steps: close the connection (default) or leave it open. */
  then?: "close" | "stay";
}

const MiB = 1024 * 1024;

describe("httpChecker, plain HTTP on a socket: odd responses from a raw server", () => {
  const scripts = new Map<string, Script>();
  /** Every request the server read, raw, in order. */
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let server: Server;
  let port: number;

  const play = async (socket: Socket, script: Script) => {
    for (const step of script.steps) {
      if (socket.destroyed) return;
      if (typeof step === "object" && !Buffer.isBuffer(step)) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, step.pauseMs);
          timers.add(t);
        });
      } else socket.write(step);
    }
    if (script.then !== "stay") socket.end();
  };

  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      socket.on("error", () => {});
      let got = "";
      const onData = (chunk: Buffer) => {
        got += chunk.toString("latin1");
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) return;
        socket.off("data", onData);
        socket.resume();
        requests.push(got.slice(0, end + 4));
        const path = got.split(" ")[1] ?? "";
        void play(
          socket,
          scripts.get(path) ?? { steps: ["HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"] },
        );
      };
      socket.on("data", onData);
    });
    port = await listen(server);
  });
  afterAll(async () => {
    for (const t of timers) clearTimeout(t);
    for (const s of sockets) s.destroy();
    await close(server);
  });
  beforeEach(() => {
    requests.length = 0;
  });

  /** Registers `script` under a fresh path and checks it with `over`. */
  let seq = 0;
  const check = (script: Script, over: Parameters<typeof spec>[0] = {}) => {
    const path = `/case${++seq}`;
    scripts.set(path, script);
    return underDeadline(
      "negotiate",
      httpChecker,
      target(port),
      spec({ request: path, receive: "OK", ...over }),
    );
  };

  it("sends the request undici sends, byte for byte (compared with the undici path itself)", async () => {
    const answer = { steps: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK"] };
    scripts.set("/same?x=1", answer);
    scripts.set("/same", answer);
    const viaProbe = await httpChecker(target(port), spec({ request: "/same?x=1" }), never());
    // An absolute request URL takes the undici path to the same real with the same Host.
    const viaUndici = await httpChecker(
      target(port),
      spec({ request: `http://127.0.0.1:${port}/same?x=1` }),
      never(),
    );
    expect(viaProbe).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(viaUndici).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(requests).toHaveLength(2);
    expect(requests[0]).toBe(requests[1]);
    expect(requests[0]).toBe(
      "GET /same?x=1 HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\nuser-agent: ldirector\r\n\r\n",
    );

    await httpChecker(
      target(port),
      spec({ request: "/same", httpMethod: "HEAD", virtualHost: "www.example.com" }),
      never(),
    );
    expect(requests[2]).toBe(
      "HEAD /same HTTP/1.1\r\nhost: www.example.com\r\nconnection: close\r\nuser-agent: ldirector\r\n\r\n",
    );
  });

  it("reads a chunked body (extensions, a match across chunks, trailers)", async () => {
    const r = await check(
      {
        steps: [
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
          "5;name=value\r\nall O\r\n",
          { pauseMs: 30 },
          "8\r\nK here\r\n\r\n0\r\nX-Trailer: yes\r\n\r\n",
        ],
        then: "stay",
      },
      { receive: "all OK here" },
    );
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("is down when the chunked body lacks the receive text, and on a bad chunk size", async () => {
    const miss = await check({
      steps: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nbad\r\n0\r\n\r\n"],
      then: "stay",
    });
    expect(miss).toMatchObject({ ok: false, reason: "HTTP 200 but receive /OK/ not matched" });
    const bad = await check({
      steps: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nOK\r\n0\r\n\r\n"],
    });
    expect(bad).toMatchObject({ ok: false, reason: "bad HTTP response: HPE_INVALID_CHUNK_SIZE" });
  });

  it("reads a body without Content-Length until the server closes (HTTP/1.0 and 1.1)", async () => {
    const old = await check({
      steps: ["HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome ", { pauseMs: 30 }, "OK\n"],
    });
    expect(old).toMatchObject({ ok: true, reason: "HTTP 200" });
    // The receive text comes last: a check that stopped at the first bytes would miss it.
    const eleven = await check({ steps: ["HTTP/1.1 200 OK\r\n\r\nnot yet", { pauseMs: 30 }, " … OK"] });
    expect(eleven).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("reads HTTP/1.0 with Content-Length, and ignores bytes past it", async () => {
    const r = await check({ steps: ["HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nnopeOK and more"] });
    expect(r).toMatchObject({ ok: false, reason: "HTTP 200 but receive /OK/ not matched" });
    const ok = await check({ steps: ["HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nOK!!"], then: "stay" });
    expect(ok).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("takes folded header lines, and follows a redirect whose Location is folded", async () => {
    scripts.set("/target", { steps: ["HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\ntarget OK"] });
    // The hop after the redirect is undici's, imported on first use: slow on a loaded machine.
    const r = await check(
      {
        steps: [
          "HTTP/1.1 302 Found\r\nLocation:\r\n  /target\r\nX-Long: a\r\n\tb\r\nContent-Length: 0\r\n\r\n",
        ],
      },
      { negotiateTimeoutMs: 15_000 },
    );
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    expect(requests.map((q) => q.split(" ")[1])).toEqual([`/case${seq}`, "/target"]);
    // As with LWP, the hop after a redirect carries the URL's own Host (with its port).
    expect(requests[1]).toContain(`host: 127.0.0.1:${port}\r\n`);
  });

  it("skips interim answers: 100 Continue and 103 Early Hints before the real one", async () => {
    const r = await check({
      steps: [
        "HTTP/1.1 100 Continue\r\n\r\n",
        { pauseMs: 20 },
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
      ],
      then: "stay",
    });
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
    const notOk = await check({ steps: ["HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\n\r\n"] });
    expect(notOk).toMatchObject({ ok: false, reason: "HTTP 503" });
  });

  it("takes bare LF line ends and a status line without a reason phrase", async () => {
    const lf = await check({ steps: ["HTTP/1.1 200 OK\nContent-Length: 2\n\nOK"] });
    expect(lf).toMatchObject({ ok: true, reason: "HTTP 200" });
    const bare = await check({ steps: ["HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nOK"] });
    expect(bare).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("answers from the head alone when no body follows or none is needed", async () => {
    // The server keeps the connection open: waiting for a body here would end in a timeout.
    const head = await check(
      { steps: ["HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"], then: "stay" },
      { httpMethod: "HEAD", receive: "", negotiateTimeoutMs: 5000 },
    );
    expect(head).toMatchObject({ ok: true, reason: "HTTP 200" });
    const noContent = await check(
      { steps: ["HTTP/1.1 204 No Content\r\n\r\n"], then: "stay" },
      { receive: "" },
    );
    expect(noContent).toMatchObject({ ok: true, reason: "HTTP 204" });
    const failing = await check({
      steps: ["HTTP/1.1 500 Oops\r\nContent-Length: 100\r\n\r\n"],
      then: "stay",
    });
    expect(failing).toMatchObject({ ok: false, reason: "HTTP 500" });
  });

  it("bounds the head and the body", async () => {
    const bigHead = await check({
      steps: [`HTTP/1.1 200 OK\r\nX-Junk: ${"y".repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\nOK`],
    });
    expect(bigHead).toMatchObject({ ok: false, reason: "bad HTTP response: headers too large" });
    const late = Buffer.concat([Buffer.alloc(MiB + 10, "x"), Buffer.from("OK")]);
    const bigBody = await check({
      steps: [`HTTP/1.1 200 OK\r\nContent-Length: ${late.length}\r\n\r\n`, late],
    });
    expect(bigBody).toMatchObject({
      ok: false,
      reason: "HTTP 200 but receive /OK/ not matched in the first 1 MiB",
    });
    const early = await check(
      { steps: ["HTTP/1.1 200 OK\r\n\r\nOK", Buffer.alloc(2 * MiB, "x")], then: "stay" },
      { receive: "^OK" },
    );
    expect(early).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("is down on garbage and on malformed heads, naming what is wrong as llhttp does", async () => {
    const ssh = await check({ steps: ["SSH-2.0-OpenSSH_9.2\r\n\r\n"], then: "stay" });
    expect(ssh).toMatchObject({ ok: false, reason: "bad HTTP response: HPE_INVALID_CONSTANT" });
    const status = await check({ steps: ["HTTP/1.1 2OO OK\r\n\r\n"] });
    expect(status).toMatchObject({ ok: false, reason: "bad HTTP response: HPE_INVALID_STATUS" });
    const token = await check({ steps: ["HTTP/1.1 200 OK\r\nBad Header: x\r\n\r\nOK"] });
    expect(token).toMatchObject({ ok: false, reason: "bad HTTP response: HPE_INVALID_HEADER_TOKEN" });
    const length = await check({
      steps: ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nOK"],
    });
    expect(length).toMatchObject({ ok: false, reason: "bad HTTP response: HPE_INVALID_CONTENT_LENGTH" });
  });

  it("waits for a slow drip within the timeout", async () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK";
    const steps: Step[] = [...text].flatMap((c) => [c, { pauseMs: 5 }]);
    const r = await check({ steps, then: "stay" }, { negotiateTimeoutMs: 10_000 });
    expect(r).toMatchObject({ ok: true, reason: "HTTP 200" });
  });

  it("is down when the server closes before the head ends or in the middle of the body", async () => {
    const noHead = await check({ steps: ["HTTP/1.1 200 OK\r\nContent-"] });
    expect(noHead).toMatchObject({ ok: false, reason: "connection: other side closed" });
    const short = await check({ steps: ["HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nOK but short"] });
    expect(short).toMatchObject({ ok: false, reason: "connection: other side closed" });
    const chunk = await check({ steps: ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nOK"] });
    expect(chunk).toMatchObject({ ok: false, reason: "connection: other side closed" });
    const nothing = await check({ steps: [] });
    expect(nothing).toMatchObject({ ok: false, reason: "connection: other side closed" });
  });

  it("is down with a timeout when the answer stops coming, and leaves no socket open", async () => {
    const r = await check(
      { steps: ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nOK"], then: "stay" },
      { negotiateTimeoutMs: 300 },
    );
    expect(r).toMatchObject({ ok: false, reason: "timeout after 300 ms" });
    await expect.poll(() => sockets.size, { timeout: 5000 }).toBe(0);
  });
});
