// nntpChecker against the npm nntp-server package (a real NNTP reader server) started
// in-process; the refusing real is a node:net server whose only words are NNTP's 400
// greeting, which is all an NNTP server says before it hangs up.
import { createRequire } from "node:module";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { underDeadline } from "./core/fixtures.js";
import { nntpChecker } from "../../src/checks/nntp.js";
import { freePort } from "./peers/process.js";
import { type SilentPeer, silentTcpServer } from "./peers/silent.js";
import { loopbackTarget, negotiateSpec, quiet } from "./peers/spec.js";

interface NntpServer {
  listen(address: string): Promise<void>;
  close(): Promise<void>;
  server: net.Server;
}
const NntpServer = createRequire(import.meta.url)("nntp-server") as new (options?: object) => NntpServer;

let news: NntpServer;
let refusing: net.Server;
let hung: SilentPeer;
let newsPort = 0;
let refusingPort = 0;

beforeAll(async () => {
  news = new NntpServer({ requireAuth: false });
  await news.listen("nntp://127.0.0.1:0");
  newsPort = (news.server.address() as net.AddressInfo).port;
  refusing = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.end("400 Service temporarily unavailable\r\n");
  });
  await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
  refusingPort = (refusing.address() as net.AddressInfo).port;
  hung = await silentTcpServer();
});

afterAll(async () => {
  await Promise.all([
    news?.close(),
    new Promise<void>((resolve) => (refusing ? refusing.close(() => resolve()) : resolve())),
    hung?.close(),
  ]);
});

describe("nntpChecker", () => {
  it("is up on nntp-server's 201 greeting", async () => {
    const result = await nntpChecker(loopbackTarget(newsPort), negotiateSpec("nntp"), quiet());
    expect(result).toMatchObject({ ok: true, reason: expect.stringMatching(/^NNTP 201/) });
  });

  it("is down on a 400 greeting", async () => {
    const result = await nntpChecker(loopbackTarget(refusingPort), negotiateSpec("nntp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: "NNTP greeting 400 Service temporarily unavailable" });
  });

  it("is down when nothing listens", async () => {
    const result = await nntpChecker(loopbackTarget(await freePort()), negotiateSpec("nntp"), quiet());
    expect(result).toMatchObject({ ok: false, reason: "connect ECONNREFUSED" });
  });

  it("gives up at negotiatetimeout when the real never greets", async () => {
    const startedAt = performance.now();
    const result = await underDeadline(
      "negotiate",
      nntpChecker,
      loopbackTarget(hung.port),
      negotiateSpec("nntp", { negotiateTimeoutMs: 300 }),
    );
    expect(result).toMatchObject({ ok: false, reason: "timeout after 300 ms" });
    expect(performance.now() - startedAt).toBeLessThan(300 + 3000);
  });
});
