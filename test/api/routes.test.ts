// The API's routes and listeners over a real Unix socket and a real TCP port, with a
// small in-test ControlApi standing in for the daemon (the daemon's side is tested end
// to end in test/e2e/runtime-control.test.ts and status-page.test.ts).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ControlError, controlRequest } from "../../src/api/client.js";
import { ApiError } from "../../src/api/errors.js";
import { apiHandler, type ControlApi } from "../../src/api/routes.js";
import { type Listener, startControlSocket, startTcpListener } from "../../src/api/server.js";
import type { StatusView } from "../../src/api/types.js";

let dir: string;
const listeners: Listener[] = [];
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((l) => l.close()));
  rmSync(dir, { recursive: true, force: true });
});

function fakeDaemon() {
  const calls: { action: string; req: Record<string, unknown> }[] = [];
  const api: ControlApi = {
    status: async () => ({ state: "running", pid: 1 }) as StatusView,
    act: async (verb, req) => {
      const action = verb.name;
      calls.push({ action, req });
      if (req.real === "nope") throw new ApiError(404, 'no real "nope"');
      return { id: `${req.virtual}/${req.real}`, action };
    },
    reload: async () => ({ ok: true }),
    metrics: async () => ({ contentType: "text/plain; version=0.0.4", text: "ldirector_up 1\n" }),
  };
  return { api, calls };
}

describe("control socket", () => {
  it("is root-only: socket 0600 in a 0700 directory, removed on close", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-api-"));
    const path = join(dir, "ldirector", "x.sock");
    const l = await startControlSocket(
      path,
      apiHandler(fakeDaemon().api, { actions: () => true, requireActionHeader: false, reload: true }),
    );
    expect(statSync(join(dir, "ldirector")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await l.close();
    expect(() => statSync(path)).toThrow(/ENOENT/);
  });

  it("serves status, reload and the real actions, with errors as status codes", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-api-"));
    const path = join(dir, "c.sock");
    const d = fakeDaemon();
    listeners.push(
      await startControlSocket(
        path,
        apiHandler(d.api, { actions: () => true, requireActionHeader: false, reload: true }),
      ),
    );
    expect(await controlRequest(path, "GET", "/status")).toEqual({ state: "running", pid: 1 });
    expect(await controlRequest(path, "POST", "/reload", {})).toEqual({ ok: true });
    expect(await controlRequest(path, "POST", "/reals/drain", { virtual: "v", real: "r" })).toEqual({
      id: "v/r",
      action: "drain",
    });
    // check: the older name of recheck, still accepted.
    expect(await controlRequest(path, "POST", "/reals/check", { virtual: "v", real: "r" })).toEqual({
      id: "v/r",
      action: "recheck",
    });
    expect(d.calls).toEqual([
      { action: "drain", req: { virtual: "v", real: "r" } },
      { action: "recheck", req: { virtual: "v", real: "r" } },
    ]);
    const fail = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: ControlError) => [e.status, e.message],
      );
    expect(await fail(controlRequest(path, "POST", "/reals/drain", { virtual: "v", real: "nope" }))).toEqual([
      404,
      'no real "nope"',
    ]);
    expect(await fail(controlRequest(path, "POST", "/reals/explode", { virtual: "v", real: "r" }))).toEqual([
      404,
      "no such resource: /reals/explode",
    ]);
    expect((await fail(controlRequest(path, "POST", "/reals/drain", { virtual: "v" })))?.[0]).toBe(400);
    expect((await fail(controlRequest(path, "GET", "/nothing")))?.[0]).toBe(404);
    expect(await fail(controlRequest(join(dir, "absent.sock"), "GET", "/status"))).toEqual([
      undefined,
      expect.stringMatching(/ENOENT/),
    ]);
  });
});

describe("TCP listener", () => {
  it("serves the page and metrics; actions only when allowed and with the header; no reload", async () => {
    dir = mkdtempSync(join(tmpdir(), "ldirector-api-"));
    const d = fakeDaemon();
    let allowed = false;
    const l = await startTcpListener(
      "127.0.0.1",
      0,
      apiHandler(d.api, {
        page: () => "<html>hi</html>",
        actions: () => allowed,
        requireActionHeader: true,
        reload: false,
      }),
    );
    listeners.push(l);
    const base = `http://127.0.0.1:${l.port}`;
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toBe("<html>hi</html>");
    expect(await (await fetch(`${base}/metrics`)).text()).toBe("ldirector_up 1\n");
    const post = (path: string, headers: Record<string, string> = { "x-ldirector-action": "1" }) =>
      fetch(`${base}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ virtual: "v", real: "r" }),
      });
    expect((await post("/reals/drain")).status).toBe(403);
    allowed = true; // webcontrol=yes after a reload: read at each request
    expect((await post("/reals/drain", {})).status).toBe(403);
    expect((await post("/reals/drain")).status).toBe(200);
    expect((await post("/reload")).status).toBe(404);
    expect((await fetch(`${base}/status`, { method: "DELETE" })).status).toBe(405);
    const big = await fetch(`${base}/reals/drain`, {
      method: "POST",
      headers: { "x-ldirector-action": "1" },
      body: "x".repeat(64 * 1024),
    }).catch(() => undefined);
    expect(big === undefined || big.status === 413).toBe(true);
    expect(d.calls).toHaveLength(1);
  });
});
