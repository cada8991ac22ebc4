import { describe, expect, it } from "vitest";
import { ConnectionCache } from "../../src/api/connection-cache.js";

describe("ConnectionCache", () => {
  it("shares one read among concurrent callers and serves it until it is maxAge old", async () => {
    let now = 0;
    let reads = 0;
    const cache = new ConnectionCache(
      async () => new Map([["k", { active: ++reads, inactive: 0 }]]),
      5000,
      () => now,
    );
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    now = 4999;
    expect((await cache.get()).get("k")?.active).toBe(1);
    now = 5000;
    expect((await cache.get()).get("k")?.active).toBe(2);
    expect(reads).toBe(2);
  });

  it("answers empty for a backend that cannot count or a read that fails", async () => {
    expect((await new ConnectionCache(undefined).get()).size).toBe(0);
    const failing = new ConnectionCache(async () => {
      throw new Error("conntrack: not found");
    });
    expect((await failing.get()).size).toBe(0);
  });
});
