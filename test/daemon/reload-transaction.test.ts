// Defect 1 of issue 14: a reload (or a start) whose config parses but whose resources
// cannot be had (a port in use, an address the host lacks, a missing sorry page) must be
// a reload error naming the line, with the old config and its listeners kept; a start
// must fail before it touches the kernel table. Real sockets, the memory backend.
import { request } from "node:http";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { freePort, liveTable, Scratch, weights } from "./support.js";

let s: Scratch;
afterEach(() => s?.cleanup());

function get(port: number, path = "/status"): Promise<number> {
  return getAt("127.0.0.1", port, path);
}

function getAt(host: string, port: number, path = "/status"): Promise<number> {
  return new Promise((ok, fail) => {
    // No keep-alive: a pooled socket to a listener the reload closed would hang up.
    request({ host, port, path, agent: false }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    })
      .on("error", fail)
      .end();
  });
}

const base = ["virtual=10.0.0.1:80", "    real=10.0.0.2:80 masq 1", "    checktype=on"];

describe("reload is a transaction", () => {
  it("a metricsaddress= moved to a port in use is refused with its line; the old listener stays", async () => {
    s = new Scratch();
    const port = await freePort();
    s.write([`metricsaddress=127.0.0.1:${port}`, ...base]);
    const backend = liveTable();
    const d = s.daemon(backend);
    await d.start();
    const busy = await s.hold();
    s.write([
      `metricsaddress=127.0.0.1:${busy}`,
      ...base.slice(0, 1),
      "    real=10.0.0.2:80 masq 5",
      "    checktype=on",
    ]);
    const outcome = await d.reload("test");
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? [] : outcome.errors.join("\n")).toMatch(
      /lb\.cf:1\b.*metricsaddress.*EADDRINUSE|lb\.cf:1\b.*in use/,
    );
    expect(d.state).toBe("running");
    expect(await get(port)).toBe(200);
    // The rest of the new config was not applied either: the weight is the old one.
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 1 });
    expect((await d.status()).counters.reloadErrors).toBe(1);
    // A good file afterwards is applied as usual.
    s.write([
      `metricsaddress=127.0.0.1:${port}`,
      ...base.slice(0, 1),
      "    real=10.0.0.2:80 masq 5",
      "    checktype=on",
    ]);
    expect(await d.reload("test")).toEqual({ ok: true });
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 5 });
  });

  it("metricsaddress= moved to another address on its own port (0.0.0.0:P to 127.0.0.1:P) is applied", async () => {
    s = new Scratch();
    const port = await freePort();
    s.write([`metricsaddress=0.0.0.0:${port}`, ...base]);
    const d = s.daemon(liveTable());
    await d.start();
    expect(await get(port)).toBe(200);
    s.write([`metricsaddress=127.0.0.1:${port}`, ...base]);
    expect(await d.reload("test")).toEqual({ ok: true });
    expect(await get(port)).toBe(200);
    // Only 127.0.0.1 now: another loopback address no longer reaches it.
    await expect(getAt("127.0.0.2", port)).rejects.toThrow(/ECONNREFUSED/);
  });

  it("sorryserver= moved from 127.0.0.1:P to 0.0.0.0:P is applied and serves on every address", async () => {
    s = new Scratch();
    const port = await freePort();
    s.write([`sorryserver=127.0.0.1:${port}`, ...base]);
    const d = s.daemon(liveTable());
    await d.start();
    await expect(getAt("127.0.0.2", port, "/")).rejects.toThrow(/ECONNREFUSED/);
    s.write([`sorryserver=0.0.0.0:${port}`, ...base]);
    expect(await d.reload("test")).toEqual({ ok: true });
    expect(await getAt("127.0.0.2", port, "/")).toBe(503);
  });

  it("a sorryserver= on an address this host lacks is refused; the running sorry server stays", async () => {
    s = new Scratch();
    const port = await freePort();
    s.write([`sorryserver=127.0.0.1:${port}`, ...base]);
    const d = s.daemon(liveTable());
    await d.start();
    s.write(["", `sorryserver=192.0.2.77:${port}`, ...base]);
    const outcome = await d.reload("test");
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.errors.join("\n")).toMatch(/lb\.cf:2\b.*sorryserver.*EADDRNOTAVAIL/);
    expect(await get(port, "/")).toBe(503);
    expect(d.state).toBe("running");
  });

  it("a sorrypage= naming a missing file is refused with its line", async () => {
    s = new Scratch();
    const port = await freePort();
    s.write([`sorryserver=127.0.0.1:${port}`, ...base]);
    const d = s.daemon(liveTable());
    await d.start();
    s.write([`sorryserver=127.0.0.1:${port}`, `sorrypage=${join(s.dir, "missing.html")}`, ...base]);
    const outcome = await d.reload("test");
    expect(outcome.ok).toBe(false);
    expect(outcome.ok ? "" : outcome.errors.join("\n")).toMatch(/lb\.cf:2\b.*sorrypage.*ENOENT/);
    expect(await get(port, "/")).toBe(503);
  });

  it("a start whose listener cannot bind fails before it touches the kernel table", async () => {
    s = new Scratch();
    const busy = await s.hold();
    s.write([`metricsaddress=127.0.0.1:${busy}`, ...base]);
    const backend = liveTable();
    const writes: unknown[] = [];
    const apply = backend.apply.bind(backend);
    backend.apply = async (ops) => {
      writes.push(...ops);
      return apply(ops);
    };
    const d = s.daemon(backend);
    await expect(d.start()).rejects.toThrow(/lb\.cf:1\b.*metricsaddress/);
    // As the CLI does after a failed start: cleanstop=yes (the default) must not remove
    // the live service the daemon never took charge of.
    await d.stop();
    expect(writes).toEqual([]);
    expect(await weights(backend)).toEqual({ "10.0.0.2:80": 1 });
  });
});
