#!/usr/bin/env node
// Renders docs/status-page.png: the built daemon (dist/cli.js) on the memory backend
// with three local HTTP reals, one killed and one drained through the API, and the web
// status page captured in Debian's chromium. Run `npm run build` first.
//   node scripts/status-page-screenshot.mjs [out.png]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as httpServer } from "node:http";
import { createServer as netServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import launchOptions from "../test/support/chromium.json" with { type: "json" };

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "dist/cli.js");
const out = resolve(process.argv[2] ?? join(root, "docs/status-page.png"));
// Debian's chromium, launched as root on a machine with a closed network: no sandbox,
// and no background fetches (they are refused here, many at a time).
const chromiumPath = launchOptions.executablePath;
for (const [path, hint] of [
  [cli, "run `npm run build` first"],
  [chromiumPath, "run scripts/install-test-deps.sh"],
]) {
  if (!existsSync(path)) {
    console.error(`${path} is missing: ${hint}`);
    process.exit(1);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, probe, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(200);
  }
}
function listen(server, port = 0) {
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok(server.address().port));
  });
}
async function freePort() {
  const s = netServer();
  const port = await listen(s);
  await new Promise((ok) => s.close(ok));
  return port;
}

const dir = mkdtempSync(join(tmpdir(), "ldirector-shot-"));
const servers = [];
let daemon;
let browser;
try {
  const reals = [];
  for (const name of ["web1", "web2", "web3"]) {
    const s = httpServer((_req, res) => res.setHeader("connection", "close").end(`ok from ${name}\n`));
    servers.push(s);
    reals.push(`127.0.0.1:${await listen(s)}`);
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, "ldirectord.cf");
  writeFileSync(
    config,
    [
      "checkinterval=1",
      "checktimeout=1",
      "negotiatetimeout=1",
      "failurecount=1",
      `metricsaddress=127.0.0.1:${port}`,
      "webcontrol=yes",
      "virtual=127.0.0.1:80",
      ...reals.map((r, i) => `    real=${r} masq ${i + 1}`),
      "    service=http",
      '    request="/"',
      '    receive="ok"',
      "",
    ].join("\n"),
  );
  let log = "";
  daemon = spawn(process.execPath, [cli, "-d", "--backend", "memory", config, "start"], {
    env: { ...process.env, LDIRECTOR_RUN_DIR: dir, LDIRECTOR_STATE_DIR: dir },
    cwd: dir,
  });
  daemon.stdout.on("data", (d) => (log += d));
  daemon.stderr.on("data", (d) => (log += d));
  daemon.on("exit", (code) => code && console.error(`the daemon exited with ${code}:\n${log}`));
  const status = async () => (await fetch(`${base}/status`)).json();
  const real = (s, address) => s.virtuals[0].reals.find((r) => r.address === address);

  await until("all three reals up", async () => (await status()).virtuals[0]?.healthy === 3);
  // web2 dies; web3 is drained by an operator.
  await new Promise((ok) => {
    servers[1].close(ok);
    servers[1].closeAllConnections();
  });
  const res = await fetch(`${base}/reals/drain`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-ldirector-action": "1" },
    body: JSON.stringify({ virtual: "tcp:127.0.0.1:80", real: reals[2] }),
  });
  if (!res.ok) throw new Error(`POST /reals/drain answered ${res.status}: ${await res.text()}`);
  await until("web2 down, web3 drained at weight 0", async () => {
    const s = await status();
    return real(s, reals[1]).health === "down" && real(s, reals[2]).tableWeight === 0;
  });

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: launchOptions.args,
  });
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  await page.goto(`${base}/`);
  await page.waitForSelector('tr[data-health="down"]', { timeout: 10_000 });
  await page.waitForSelector('tr[data-override="drained"]', { timeout: 10_000 });
  await sleep(3000); // let "since" and "ago" read as a live page does
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser?.close().catch(() => {});
  if (daemon?.pid && daemon.exitCode === null && daemon.signalCode === null) {
    const exited = new Promise((ok) => daemon.once("exit", ok));
    process.kill(daemon.pid, "SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill("SIGKILL");
  }
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  rmSync(dir, { recursive: true, force: true });
}
