import { describe, expect, it } from "vitest";
import type { ProbeSpec } from "../../src/health/monitor.js";
import { checksPerSecond, workersFor } from "../../src/health/pool/size.js";
import { makeSpec, makeTarget } from "./fixtures.js";

const probe = (type: ProbeSpec["spec"]["type"], intervalMs: number): ProbeSpec => ({
  id: "x",
  target: makeTarget(),
  spec: makeSpec({ type }),
  intervalMs,
  failureCount: 1,
});

describe("check workers", () => {
  it("counts the checks per second of probes that run checks (not checktype on/off)", () => {
    const probes = [probe("negotiate", 1000), probe("connect", 500), probe("on", 1000), probe("off", 1000)];
    expect(checksPerSecond(probes)).toBe(3);
  });

  it("auto: none below 400 checks/s, then one per 1,500 checks/s, at most one per core", () => {
    expect(workersFor(399, "auto", 2)).toBe(0);
    expect(workersFor(400, "auto", 2)).toBe(1);
    expect(workersFor(1500, "auto", 2)).toBe(1);
    expect(workersFor(1501, "auto", 2)).toBe(2);
    expect(workersFor(10_000, "auto", 2)).toBe(2);
    expect(workersFor(10_000, "auto", 8)).toBe(7);
    expect(workersFor(10_000, "auto", 1)).toBe(1);
  });

  it("a number is taken as given, 0 included", () => {
    expect(workersFor(10_000, 0, 2)).toBe(0);
    expect(workersFor(10, 3, 2)).toBe(3);
  });
});
