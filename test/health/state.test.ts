import { describe, expect, it } from "vitest";
import { type HealthState, initialState, next, type Step } from "../../src/health/state.js";
import type { Health } from "../../src/health/types.js";

const OK = { ok: true };
const FAIL = { ok: false };

/** Feeds results ("+" good, "-" bad) and returns every step. */
function run(pattern: string, failureCount: number, from: HealthState = initialState()): Step[] {
  const steps: Step[] = [];
  let state = from;
  for (const c of pattern) {
    const step = next(state, c === "+" ? OK : FAIL, failureCount);
    steps.push(step);
    state = step.state;
  }
  return steps;
}

const healths = (steps: Step[]) => steps.map((s) => s.state.health);
const transitions = (steps: Step[]) =>
  steps.map((s) => (s.transition ? `${s.transition.from}>${s.transition.to}` : ""));

describe("initialState", () => {
  it("is unknown with no counts", () => {
    expect(initialState()).toEqual({ health: "unknown", failures: 0, successes: 0 });
  });
});

describe("next from unknown", () => {
  for (const fc of [1, 3]) {
    it(`failurecount=${fc}: a success goes up with a transition`, () => {
      expect(next(initialState(), OK, fc)).toEqual({
        state: { health: "up", failures: 0, successes: 1 },
        transition: { from: "unknown", to: "up" },
      });
    });
    it(`failurecount=${fc}: the first failure goes down at once`, () => {
      expect(next(initialState(), FAIL, fc)).toEqual({
        state: { health: "down", failures: 1, successes: 0 },
        transition: { from: "unknown", to: "down" },
      });
    });
  }
});

describe("failurecount=1", () => {
  it("one failure takes an up real down, one success brings it back", () => {
    const steps = run("+-+", 1);
    expect(healths(steps)).toEqual(["up", "down", "up"]);
    expect(transitions(steps)).toEqual(["unknown>up", "up>down", "down>up"]);
  });
  it("repeated results emit no transitions", () => {
    const steps = run("+++---+++", 1);
    expect(transitions(steps)).toEqual(["unknown>up", "", "", "up>down", "", "", "down>up", "", ""]);
  });
});

describe("failurecount=3", () => {
  it("goes down on the third consecutive failure, not before", () => {
    const steps = run("+---", 3);
    expect(healths(steps)).toEqual(["up", "up", "up", "down"]);
    expect(transitions(steps)).toEqual(["unknown>up", "", "", "up>down"]);
    expect(steps.map((s) => s.state.failures)).toEqual([0, 1, 2, 3]);
  });
  it("a success between failures resets the count (soft failures never add up)", () => {
    const steps = run("+--+--+--", 3);
    expect(healths(steps).every((h) => h === "up")).toBe(true);
    expect(transitions(steps).filter(Boolean)).toEqual(["unknown>up"]);
  });
  it("one success restores a down real (no rise count)", () => {
    const steps = run("+---+", 3);
    expect(steps[4]).toEqual({
      state: { health: "up", failures: 0, successes: 1 },
      transition: { from: "down", to: "up" },
    });
  });
  it("a down real stays down on further failures, with no transition", () => {
    const steps = run("+-----", 3);
    expect(healths(steps)).toEqual(["up", "up", "up", "down", "down", "down"]);
    expect(transitions(steps).slice(4)).toEqual(["", ""]);
  });
  it("from down, fewer than failurecount failures after one success only soft-fail", () => {
    const steps = run("-+--", 3);
    expect(healths(steps)).toEqual(["down", "up", "up", "up"]);
  });
});

describe("flapping", () => {
  it("failurecount=1 follows every change", () => {
    const steps = run("+-+-+-", 1);
    expect(transitions(steps)).toEqual(["unknown>up", "up>down", "down>up", "up>down", "down>up", "up>down"]);
  });
  it("failurecount=3 never goes down while failures stay below 3 in a row", () => {
    const steps = run("+-+--+-+--+", 3);
    expect(transitions(steps).filter(Boolean)).toEqual(["unknown>up"]);
  });
  it("failurecount=3 flaps at most once per 3 failures + 1 success", () => {
    const steps = run("+---+---+", 3);
    expect(transitions(steps).filter(Boolean)).toEqual([
      "unknown>up",
      "up>down",
      "down>up",
      "up>down",
      "down>up",
    ]);
  });
});

describe("counters", () => {
  it("count consecutive successes and failures, each reset by the other", () => {
    const steps = run("++-+---", 5);
    expect(steps.map((s) => [s.state.successes, s.state.failures])).toEqual([
      [1, 0],
      [2, 0],
      [0, 1],
      [1, 0],
      [0, 1],
      [0, 2],
      [0, 3],
    ]);
  });
});

describe("every state × result × failurecount", () => {
  const starts: HealthState[] = [];
  for (const health of ["unknown", "up", "down"] as Health[]) {
    for (const failures of [0, 1, 2]) starts.push({ health, failures, successes: failures === 0 ? 2 : 0 });
  }
  for (const fc of [1, 2, 3]) {
    for (const s of starts) {
      it(`${s.health} with ${s.failures} failures, failurecount=${fc}`, () => {
        const good = next(s, OK, fc);
        expect(good.state).toEqual({ health: "up", failures: 0, successes: s.successes + 1 });
        expect(good.transition).toEqual(s.health === "up" ? undefined : { from: s.health, to: "up" });

        const bad = next(s, FAIL, fc);
        const expected: Health = s.health === "up" && s.failures + 1 < fc ? "up" : "down";
        expect(bad.state).toEqual({ health: expected, failures: s.failures + 1, successes: 0 });
        expect(bad.transition).toEqual(s.health === expected ? undefined : { from: s.health, to: expected });
      });
    }
  }
});

describe("odd failurecount values", () => {
  for (const fc of [0, -2, Number.NaN]) {
    it(`failurecount=${fc} reads as 1`, () => {
      expect(healths(run("+-", fc))).toEqual(["up", "down"]);
    });
  }
  it("a fractional failurecount is floored", () => {
    expect(healths(run("+--", 2.7))).toEqual(["up", "up", "down"]);
  });
  it("does not mutate the state it is given", () => {
    const s = Object.freeze({ health: "up", failures: 0, successes: 1 }) as HealthState;
    expect(() => next(s, FAIL, 1)).not.toThrow();
    expect(s).toEqual({ health: "up", failures: 0, successes: 1 });
  });
});
