// Name resolution: the real system resolver on "localhost", and /etc/services reading.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { parseServices, resolveHost, servicePort, systemResolver } from "../../src/config/resolve.js";

describe("name resolution", () => {
  it("the default resolver finds localhost through the hosts database", async () => {
    expect(await resolveHost(systemResolver, "localhost", "inet")).toBe("127.0.0.1");
  });

  it("loadConfig with defaults reads the file, /etc/services and the system resolver", async () => {
    const text = "virtual=localhost:http\n\treal=localhost:www gate\n";
    const c = await loadConfig("some/relative.cf", { readFile: async () => text });
    expect(c.file.startsWith("/")).toBe(true);
    expect(c.virtuals[0]!.id).toBe("tcp:127.0.0.1:80");
    expect(c.virtuals[0]!.reals[0]!.port).toBe(80);
  });

  it("an unreadable file is a ConfigError", async () => {
    await expect(loadConfig("/nonexistent/ldirectord.cf")).rejects.toMatchObject({ name: "ConfigErrors" });
  });

  it("getservbyname: names and aliases per protocol, any protocol with empty", () => {
    const db = parseServices("domain 53/tcp\nsyslog 514/udp # comment\nhttp 80/tcp www\n");
    expect(servicePort(db, "www", "tcp")).toBe(80);
    expect(servicePort(db, "syslog", "tcp")).toBeUndefined();
    expect(servicePort(db, "syslog", "")).toBe(514);
    expect(servicePort(db, "70000", "")).toBeUndefined();
  });
});
