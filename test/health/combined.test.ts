import { describe, expect, it } from "vitest";
import {
  afterCombined,
  type CombinedKind,
  type CombinedState,
  combinedKind,
  initialCombined,
} from "../../src/health/combined.js";

/** Drives the schedule with `results` ("+" good, "-" bad) and returns the kinds it chose. */
function schedule(n: number, results: string, from: CombinedState = initialCombined()): CombinedKind[] {
  const kinds: CombinedKind[] = [];
  let state = from;
  for (const r of results) {
    const kind = combinedKind(state, n);
    kinds.push(kind);
    state = afterCombined(state, kind, r === "+");
  }
  return kinds;
}

const short = (kinds: CombinedKind[]) => kinds.map((k) => (k === "negotiate" ? "N" : "c")).join("");

describe("checktype=N schedule, all checks good", () => {
  it("N=0 negotiates every time", () => {
    expect(short(schedule(0, "++++++"))).toBe("NNNNNN");
  });
  it("N=1 alternates negotiate and connect", () => {
    expect(short(schedule(1, "++++++"))).toBe("NcNcNc");
  });
  it("N=3 gives negotiate, 3 connects, negotiate, … (as ldirectord, verified)", () => {
    expect(short(schedule(3, "++++++++++"))).toBe("NcccNcccNc");
  });
  it("starts with a negotiate", () => {
    for (const n of [0, 1, 3, 10]) expect(combinedKind(initialCombined(), n)).toBe("negotiate");
  });
});

describe("checktype=N schedule, failures", () => {
  it("a failed negotiate is followed by another negotiate until one succeeds", () => {
    expect(short(schedule(3, "---+++++"))).toBe("NNNNcccN");
  });
  it("a failed connect forces a negotiate next, then N connects again", () => {
    // N c c(fail) N c c c N
    expect(short(schedule(3, "++-+++++"))).toBe("NccNcccN");
  });
  it("a failed first connect with N=1 goes straight back to negotiate", () => {
    expect(short(schedule(1, "+-+++"))).toBe("NcNcN");
  });
  it("N=0 stays on negotiate through failures", () => {
    expect(short(schedule(0, "+--+-"))).toBe("NNNNN");
  });
  it("the state after a failure is the initial state", () => {
    const s = afterCombined({ negotiateNext: false, connects: 2 }, "connect", false);
    expect(s).toEqual(initialCombined());
    expect(afterCombined({ negotiateNext: false, connects: 0 }, "negotiate", false)).toEqual(
      initialCombined(),
    );
  });
  it("a good connect counts, a good negotiate resets the count", () => {
    expect(afterCombined({ negotiateNext: false, connects: 1 }, "connect", true)).toEqual({
      negotiateNext: false,
      connects: 2,
    });
    expect(afterCombined({ negotiateNext: true, connects: 0 }, "negotiate", true)).toEqual({
      negotiateNext: false,
      connects: 0,
    });
  });
});
