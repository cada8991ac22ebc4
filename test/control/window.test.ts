// Maintenance windows as plain values: durations, cron checks, next runs across the
// daylight-saving changes (node-cron's computation, on a fixed date), and how open
// windows combine with each other and with an operator's override.
import { afterEach, describe, expect, it, vi } from "vitest";
import { effectiveOverrides } from "../../src/control/effective.js";
import {
  cronProblem,
  formatDuration,
  isOpen,
  nextRuns,
  parseDuration,
  type Window,
  windowView,
} from "../../src/control/window.js";

afterEach(() => {
  vi.useRealTimers();
});

const H = 3_600_000;

describe("durations", () => {
  it.each([
    ["90m", 90 * 60_000, "1h30m"],
    ["2h", 2 * H, "2h"],
    ["1d2h", 26 * H, "1d2h"],
    ["45s", 45_000, "45s"],
    ["7d", 168 * H, "7d"],
  ])("reads %s", (text, ms, back) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(back);
  });

  it.each(["", "0m", "8d", "2 hours", "h", "1.5h"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/a duration is like 90m/);
  });
});

describe("cron times", () => {
  it("takes five fields or six with seconds, and IANA zones", () => {
    expect(cronProblem("0 3 * * 0", "Europe/Berlin")).toBeUndefined();
    expect(cronProblem("*/5 0 3 * * 0", undefined)).toBeUndefined();
    expect(cronProblem("0 3 * *", undefined)).toMatch(/five fields/);
    expect(cronProblem("61 3 * * *", undefined)).toMatch(/61 is a invalid expression for minute/);
    expect(cronProblem("0 3 * * *", "Europe/Nowhere")).toMatch(/unknown time zone "Europe\/Nowhere"/);
  });
});

/** The next openings as node-cron computes them, seen from a fixed instant. */
function runsFrom(iso: string, w: Pick<Window, "cron" | "timezone">, count: number): string[] {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(iso));
  return nextRuns(w, count).map((d) => d.toISOString());
}

describe("next runs across daylight-saving changes (Europe/Berlin)", () => {
  it("03:00 local is 02:00 UTC before the March change and 01:00 UTC after it", () => {
    expect(runsFrom("2026-03-27T12:00:00Z", { cron: "0 3 * * *", timezone: "Europe/Berlin" }, 4)).toEqual([
      "2026-03-28T02:00:00.000Z",
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T01:00:00.000Z",
      "2026-03-31T01:00:00.000Z",
    ]);
  });

  it("02:30 local does not exist on the day of the March change: no opening that day", () => {
    expect(runsFrom("2026-03-28T12:00:00Z", { cron: "30 2 * * *", timezone: "Europe/Berlin" }, 2)).toEqual([
      "2026-03-30T00:30:00.000Z",
      "2026-03-31T00:30:00.000Z",
    ]);
  });

  it("03:00 local goes back to 02:00 UTC after the October change", () => {
    expect(runsFrom("2026-10-23T12:00:00Z", { cron: "0 3 * * *", timezone: "Europe/Berlin" }, 3)).toEqual([
      "2026-10-24T01:00:00.000Z",
      "2026-10-25T02:00:00.000Z",
      "2026-10-26T02:00:00.000Z",
    ]);
  });

  it("02:30 local happens twice on the day of the October change; the window opens once", () => {
    const runs = runsFrom("2026-10-24T12:00:00Z", { cron: "30 2 * * *", timezone: "Europe/Berlin" }, 2);
    expect(runs[0]).toMatch(/^2026-10-25T0[01]:30:00.000Z$/);
    expect(runs[1]).toBe("2026-10-26T01:30:00.000Z");
  });

  it("the same cron in UTC does not move", () => {
    expect(runsFrom("2026-03-28T12:00:00Z", { cron: "0 3 * * *", timezone: "UTC" }, 2)).toEqual([
      "2026-03-29T03:00:00.000Z",
      "2026-03-30T03:00:00.000Z",
    ]);
  });
});

const base: Omit<Window, "id" | "mode"> = {
  virtual: "tcp:10.0.0.1:80",
  real: "all",
  cron: "0 3 * * *",
  durationMs: 2 * H,
};

describe("open windows", () => {
  it("a window is open from its start for its duration, whenever it is looked at", () => {
    const w: Window = { ...base, id: 1, mode: "drained", openedAt: 10 * H };
    expect(isOpen(w, 10 * H - 1)).toBe(false);
    expect(isOpen(w, 10 * H)).toBe(true);
    expect(isOpen(w, 12 * H - 1)).toBe(true);
    expect(isOpen(w, 12 * H)).toBe(false);
    expect(windowView(w, 11 * H)).toMatchObject({ open: true, openedAt: 10 * H, openUntil: 12 * H });
    expect(windowView({ ...w, openedAt: undefined }, 11 * H).open).toBe(false);
  });

  it("overlapping windows: the strongest wins while both are open; one closing leaves the other", () => {
    const reals = [
      { id: "tcp:10.0.0.1:80/10.0.0.2:80", virtual: "tcp:10.0.0.1:80", real: "10.0.0.2:80" },
      { id: "tcp:10.0.0.1:80/10.0.0.3:80", virtual: "tcp:10.0.0.1:80", real: "10.0.0.3:80" },
    ];
    const drainAll: Window = { ...base, id: 1, mode: "drained", openedAt: 0, durationMs: 3 * H };
    const disableOne: Window = {
      ...base,
      id: 2,
      mode: "disabled",
      real: "10.0.0.2:80",
      openedAt: H,
      durationMs: H,
    };
    const weight = new Map([[reals[1]!.id, { mode: "weighted" as const, weight: 9, since: 0 }]]);
    const at = (t: number) =>
      Object.fromEntries(
        [...effectiveOverrides(weight, [drainAll, disableOne], reals, t)].map(([id, o]) => [
          id.slice(-11),
          o.mode,
        ]),
      );
    expect(at(H / 2)).toEqual({ "10.0.0.2:80": "drained", "10.0.0.3:80": "drained" });
    expect(at(1.5 * H)).toEqual({ "10.0.0.2:80": "disabled", "10.0.0.3:80": "drained" });
    // The disable closed; the drain that opened first still holds.
    expect(at(2.5 * H)).toEqual({ "10.0.0.2:80": "drained", "10.0.0.3:80": "drained" });
    // Both closed: the operator's weight is back.
    expect(at(3 * H)).toEqual({ "10.0.0.3:80": "weighted" });
  });
});
