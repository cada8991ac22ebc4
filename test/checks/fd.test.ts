// Checks must give back every socket they open: over 10,000 connect and http checks
// (some of them failing) the number of open file descriptors stays where it was.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectChecker } from "../../src/checks/connect.js";
import { httpChecker } from "../../src/checks/http.js";
import type { CheckResult } from "../../src/checks/types.js";
import { close, listen, never, spec, target } from "./core/fixtures.js";

const CHECKS = 10_000;
const CONCURRENCY = 50;
/** Room for descriptors the runtime opens on its own (workers, epoll, …), not per check. */
const SLACK = 10;

const openFds = () => readdirSync("/proc/self/fd").length;

// The peer runs in its own process: only the checks' descriptors are counted here, and
// its accept loop is not slowed down by 50 checks sharing this event loop.
const PEER = `
const server = require("node:http").createServer((req, res) => {
  if (req.url === "/fail") res.writeHead(500).end();
  else res.end("fd test OK\\n");
});
server.listen(0, "127.0.0.1", 4096, () => console.log(server.address().port));
process.stdin.on("end", () => process.exit(0)).resume();
`;

describe("file descriptors", () => {
  let peer: ChildProcess;
  let port: number;
  let refusedPort: number;

  beforeAll(async () => {
    peer = spawn(process.execPath, ["-e", PEER], { stdio: ["pipe", "pipe", "inherit"] });
    const [line] = (await once(peer.stdout as NodeJS.ReadableStream, "data")) as [Buffer];
    port = Number(line.toString().trim());
    const gone = createServer();
    refusedPort = await listen(gone);
    await close(gone);
  });
  afterAll(async () => {
    if (peer.exitCode === null && peer.signalCode === null) {
      const exited = once(peer, "exit");
      peer.kill("SIGKILL");
      await exited;
    }
  });

  it(`stay flat over ${CHECKS} connect and http checks`, { timeout: 120_000 }, async () => {
    // One round first, so lazily opened runtime descriptors are already counted.
    await connectChecker(target(port), spec({ type: "connect" }), never());
    await httpChecker(target(port), spec({ request: "/", receive: "OK" }), never());
    const before = openFds();

    const run = (i: number): Promise<CheckResult> => {
      switch (i % 5) {
        case 0:
          return connectChecker(target(port), spec({ type: "connect" }), never());
        case 1:
          return connectChecker(target(refusedPort), spec({ type: "connect" }), never());
        case 2:
          return httpChecker(target(port), spec({ request: "/", receive: "OK" }), never());
        case 3:
          return httpChecker(target(port), spec({ request: "/fail" }), never());
        default:
          return httpChecker(target(refusedPort), spec({ request: "/" }), never());
      }
    };
    const tally = { up: 0, down: 0 };
    let next = 0;
    const worker = async () => {
      while (next < CHECKS) {
        const r = await run(next++);
        tally[r.ok ? "up" : "down"]++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(tally).toEqual({ up: CHECKS * (2 / 5), down: CHECKS * (3 / 5) });
    expect(openFds()).toBeLessThanOrEqual(before + SLACK);
  });
});
