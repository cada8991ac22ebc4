// The web status page end to end: the built CLI as a daemon on the memory backend, real
// HTTP servers on loopback as reals, and the page driven in Debian's chromium through
// playwright-core. What the page shows is checked against what GET /status says.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RealView, StatusView } from "../../src/api/types.js";
import { freePort } from "../checks/peers/process.js";
import { cli, Harness, type Real, requireBuild } from "./harness.js";
import launchOptions from "../support/chromium.json" with { type: "json" };

// Debian's chromium, launched as root on a machine with a closed network: no sandbox,
// and no background fetches (they are refused here, many at a time).
const chromiumPath = launchOptions.executablePath;
const missing = `${chromiumPath} is missing: install it with scripts/install-test-deps.sh (apt-get install chromium)`;

/** How long the page gets to show what the daemon knows: a few check intervals. */
const settle = 10_000;

let h: Harness | undefined;
let daemon: (ChildProcess & { output: () => string }) | undefined;
let browser: Browser | undefined;

afterEach(async () => {
  await browser?.close().catch(() => {});
  if (daemon) await stopDaemon(daemon);
  await h?.cleanup();
  [browser, daemon, h] = [undefined, undefined, undefined];
});

function config(port: number, reals: Real[], webControl: boolean): string {
  return [
    "checkinterval=1",
    "checktimeout=1",
    "negotiatetimeout=1",
    "failurecount=1",
    `metricsaddress=127.0.0.1:${port}`,
    ...(webControl ? ["webcontrol=yes"] : []),
    "virtual=127.0.0.1:80",
    ...reals.map((r, i) => `    real=127.0.0.1:${r.port} masq ${i + 1}`),
    "    service=http",
    '    request="/"',
    '    receive="ok"',
    "",
  ].join("\n");
}

/** `ldirector -d --backend memory <cfg> start` in the foreground; resolves once GET /status answers. */
async function startDaemon(hh: Harness, base: string): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [cli, "-d", "--backend", "memory", hh.config, "start"], {
    env: { ...hh.env, LDIRECTOR_STATE_DIR: hh.dir },
    cwd: hh.dir,
  });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const d = Object.assign(child, { output: () => out });
  daemon = d;
  await hh.until(
    "the daemon's GET /status",
    async () => {
      if (d.exitCode !== null) throw new Error(`the daemon exited with ${d.exitCode}:\n${out}`);
      return (await fetch(`${base}/status`).catch(() => undefined))?.ok;
    },
    20_000,
  );
  return d;
}

/** SIGTERM by PID and wait; SIGKILL if it does not exit within 10 s. Returns the exit code. */
async function stopDaemon(d: ChildProcess): Promise<number | null> {
  if (d.exitCode !== null || d.signalCode !== null || d.pid === undefined) return d.exitCode;
  const exited = new Promise<number | null>((ok) => d.once("exit", (code) => ok(code)));
  process.kill(d.pid, "SIGTERM");
  const t = setTimeout(() => d.pid !== undefined && d.kill("SIGKILL"), 10_000);
  const code = await exited;
  clearTimeout(t);
  return code;
}

async function openPage(url: string): Promise<Page> {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: launchOptions.args,
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  expect(await page.title()).toBe("ldirector status");
  expect(errors).toEqual([]);
  return page;
}

async function status(base: string): Promise<StatusView> {
  const res = await fetch(`${base}/status`);
  expect(res.status, "GET /status").toBe(200);
  return (await res.json()) as StatusView;
}

async function realView(base: string, r: Real): Promise<RealView> {
  const s = await status(base);
  const view = s.virtuals.flatMap((v) => v.reals).find((x) => x.address === `127.0.0.1:${r.port}`);
  if (!view) throw new Error(`GET /status has no real 127.0.0.1:${r.port}: ${JSON.stringify(s)}`);
  return view;
}

/** POST /reals/<action> as the page sends it, or (actionHeader false) as a cross-site form could. */
function post(base: string, action: string, body: unknown, actionHeader = true) {
  return fetch(`${base}/reals/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(actionHeader ? { "x-ldirector-action": "1" } : {}) },
    body: JSON.stringify(body),
  });
}

/** A started daemon with reals a and b, and the page open on it. */
async function setup(webControl: boolean) {
  h = new Harness();
  const [a, b] = [await h.real("a"), await h.real("b")];
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  h.writeConfig(config(port, [a, b], webControl));
  await startDaemon(h, base);
  const [idA, idB] = [(await realView(base, a)).id, (await realView(base, b)).id];
  const page = await openPage(`${base}/`);
  const row = (id: string) => page.locator(`tr[data-real="${id}"]`);
  await expect
    .poll(
      async () => [await row(idA).getAttribute("data-health"), await row(idB).getAttribute("data-health")],
      {
        timeout: settle,
        message: "both reals shown up",
      },
    )
    .toEqual(["up", "up"]);
  return { harness: h, a, b, base, idA, idB, page, row };
}

// Never skipped: without chromium the suite fails and says how to install it.
describe("status page", () => {
  beforeAll(() => {
    requireBuild();
    if (!existsSync(chromiumPath)) throw new Error(missing);
  });

  it("shows the virtual and its reals up, then a killed real down with its transition", async () => {
    const { harness, a, base, idA, page, row } = await setup(true);
    const section = page.locator('section[data-virtual="tcp:127.0.0.1:80"]');
    await expect
      .poll(() => section.locator("h2").textContent(), { timeout: settle })
      .toMatch(/2 \/ 2 healthy/);
    expect(await row(idA).locator("th").textContent()).toBe(`127.0.0.1:${a.port}`);
    // The director's role, as keepalived's notify script sets it through the CLI.
    const meta = page.locator("#meta");
    await expect.poll(() => meta.textContent(), { timeout: settle }).toMatch(/^running · role unknown · /);
    expect((await harness.run([harness.config, "role", "backup"])).code).toBe(0);
    await expect.poll(() => meta.textContent(), { timeout: settle }).toMatch(/^running · role backup · /);

    await harness.kill(a);
    await expect
      .poll(() => row(idA).getAttribute("data-health"), { timeout: settle, message: "a shown down" })
      .toBe("down");
    expect((await realView(base, a)).health).toBe("down");
    await expect
      .poll(() => section.locator("h2").textContent(), { timeout: settle })
      .toMatch(/1 \/ 2 healthy/);
    const tx = page.locator(`#transitions li[data-id="${idA}"]`).filter({ hasText: /up → down/ });
    await expect.poll(() => tx.count(), { timeout: settle, message: "a's up → down transition" }).toBe(1);
    expect(await tx.textContent()).toContain(`127.0.0.1:${a.port}`);
    // Newest first: a's fall is the top entry.
    expect(await page.locator("#transitions li").first().textContent()).toMatch(/up → down/);

    // The daemon goes away: the page says so, and picks up again when it is back.
    expect(await stopDaemon(daemon!)).toBe(0);
    const banner = page.locator("#banner");
    await expect
      .poll(() => banner.isVisible(), { timeout: settle, message: "connection lost banner" })
      .toBe(true);
    expect(await banner.textContent()).toMatch(/connection lost/i);
    await startDaemon(harness, base);
    await expect
      .poll(() => banner.isVisible(), { timeout: settle, message: "banner gone after restart" })
      .toBe(false);
    await expect
      .poll(() => row(idA).getAttribute("data-health"), {
        timeout: settle,
        message: "a still down after restart",
      })
      .toBe("down");
  }, 60_000);

  it("Drain and Enable on a real take effect in the kernel table", async () => {
    const { harness, b, base, idB, page, row } = await setup(true);
    const error = page.locator("#error");
    // The POST's error text, if any, is what the poll reports instead of the override.
    const overrideOrError = async () =>
      (await error.isVisible())
        ? `error: ${await error.textContent()}`
        : await row(idB).getAttribute("data-override");

    await row(idB).locator('button[data-action="drain"]').click();
    await expect.poll(overrideOrError, { timeout: settle, message: "b shown drained" }).toBe("drained");
    await expect
      .poll(
        async () => {
          const r = await realView(base, b);
          return { mode: r.override?.mode, tableWeight: r.tableWeight };
        },
        { timeout: settle, message: "GET /status: b drained at weight 0" },
      )
      .toEqual({ mode: "drained", tableWeight: 0 });

    await row(idB).locator('button[data-action="enable"]').click();
    await expect.poll(overrideOrError, { timeout: settle, message: "b shown enabled" }).toBe(null);
    await expect
      .poll(
        async () => {
          const r = await realView(base, b);
          return { mode: r.override?.mode, tableWeight: r.tableWeight };
        },
        { timeout: settle, message: "GET /status: b back at weight 2" },
      )
      .toEqual({ mode: undefined, tableWeight: 2 });

    // The header is what keeps other sites' form posts out, with webcontrol on too.
    const res = await post(
      base,
      "drain",
      { virtual: "tcp:127.0.0.1:80", real: `127.0.0.1:${b.port}` },
      false,
    );
    expect(res.status).toBe(403);
    expect((await realView(base, b)).override).toBeUndefined();

    // Set weight asks for N; its button and route come from the verb table like the others.
    page.once("dialog", (d) => void d.accept("5"));
    await row(idB).locator('button[data-action="weight"]').click();
    await expect.poll(overrideOrError, { timeout: settle, message: "b shown weighted" }).toBe("weighted");
    await expect
      .poll(async () => (await realView(base, b)).tableWeight, { timeout: settle, message: "b at weight 5" })
      .toBe(5);
    expect(await row(idB).textContent()).toContain("weight 5");

    // A maintenance window added through the CLI is listed with its next run.
    const add = await harness.run([
      harness.config,
      "schedule",
      "add",
      "tcp:127.0.0.1:80",
      "all",
      "drain",
      "TZ=Europe/Berlin 0 3 * * 0",
      "2h",
    ]);
    expect(add.code).toBe(0);
    const win = page.locator('#windows li[data-window="1"]');
    await expect.poll(() => win.count(), { timeout: settle, message: "window 1 listed" }).toBe(1);
    expect(await win.textContent()).toMatch(/drained.*0 3 \* \* 0 \(Europe\/Berlin\) for 2h 0m: next /);
  }, 60_000);

  it("without webcontrol= the page has no buttons and the actions answer 403", async () => {
    const { b, base, idB, page, row } = await setup(false);
    expect((await status(base)).webControl).toBe(false);
    expect(await row(idB).count()).toBe(1);
    expect(await page.locator("button[data-action]").count()).toBe(0);
    const res = await post(base, "drain", { virtual: "tcp:127.0.0.1:80", real: `127.0.0.1:${b.port}` });
    expect(res.status).toBe(403);
    expect((await realView(base, b)).override).toBeUndefined();
  }, 60_000);
});
