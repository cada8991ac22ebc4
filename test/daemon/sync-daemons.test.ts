// syncdaemon= on the in-process backends: the memory backend models the sync daemons (a
// dry run shows what would run), nftables refuses the directive at load with its line.
import { afterEach, describe, expect, it } from "vitest";
import { ConfigErrors } from "../../src/config/errors.js";
import { loadConfig } from "../../src/config/load.js";
import { validatorFor } from "../../src/daemon/backend-constraints.js";
import { MemoryBackend } from "../../src/ipvs/memory.js";
import { Scratch } from "./support.js";

let s: Scratch;
afterEach(() => s?.cleanup());

const pool = ["virtual=10.0.0.1:80", "    real=10.0.0.2:80 masq 1", "    checktype=on"];

describe("syncdaemon=", () => {
  it("runs on the memory backend: started at start, shown in status, stopped at a clean stop", async () => {
    s = new Scratch();
    s.write(["syncdaemon=backup", "syncinterface=eth1", "syncid=12", ...pool]);
    const backend = new MemoryBackend();
    const d = s.daemon(backend);
    await d.start();
    expect(await backend.syncDaemons()).toEqual([{ role: "backup", interface: "eth1", syncId: 12 }]);
    expect((await d.status()).syncDaemons).toEqual([
      { role: "backup", interface: "eth1", syncId: 12, startedHere: true },
    ]);
    expect((await d.status()).role).toEqual({ role: "unknown" });
    await d.stop();
    expect(await backend.syncDaemons()).toEqual([]);
  });

  it("leaves daemons alone when the config names none", async () => {
    s = new Scratch();
    s.write(pool);
    const backend = new MemoryBackend();
    await backend.changeSyncDaemons([], [{ role: "master", interface: "eth0", syncId: 0 }]);
    const d = s.daemon(backend);
    await d.start();
    expect((await d.status()).syncDaemons).toEqual([]);
    await d.stop();
    expect(await backend.syncDaemons()).toEqual([{ role: "master", interface: "eth0", syncId: 0 }]);
  });

  it("is refused by the nftables backend, naming the line", async () => {
    s = new Scratch();
    s.write(["checkinterval=5", "syncdaemon=both", "syncinterface=eth1", ...pool]);
    const config = await loadConfig(s.config);
    let thrown: unknown;
    try {
      validatorFor("nftables")!(config);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigErrors);
    expect(String((thrown as ConfigErrors).errors[0])).toMatch(
      /lb\.cf:2:1: syncdaemon= needs IPVS: the nftables backend has no connection sync daemon/,
    );
    expect(validatorFor("ipvsadm")).toBeUndefined();
  });
});
