import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diff, normalizeTable } from "../../src/ipvs/diff.js";
import { applyOps } from "../../src/ipvs/memory.js";
import { serviceKey, type Table } from "../../src/ipvs/model.js";
import { tableArb } from "./arbitraries.js";

/** A table the kernel could hold: what applyOps builds from adding everything in it. */
function kernelTable(t: Table): Table {
  return normalizeTable(t);
}

describe("diff converges", () => {
  it("reaches the desired table from any actual one in at most two passes, never touching unowned services", () => {
    fc.assert(
      fc.property(tableArb, tableArb, fc.func(fc.boolean()), (rawDesired, rawActual, ownedPick) => {
        const actual = kernelTable(rawActual);
        const desired = rawDesired;
        const owned = new Set(actual.services.map(serviceKey).filter((k) => ownedPick(k)));
        const desiredKeys = new Set(normalizeTable(desired).services.map(serviceKey));

        let current = actual;
        let passes = 0;
        for (; passes < 2; passes++) {
          const ops = diff(desired, current, owned);
          if (ops.length === 0) break;
          current = applyOps(current, ops).table;
        }
        expect(diff(desired, current, owned)).toEqual([]);

        const want = normalizeTable(desired);
        const wantByKey = new Map(want.services.map((s) => [serviceKey(s), s]));
        for (const s of normalizeTable(current).services) {
          const key = serviceKey(s);
          if (desiredKeys.has(key)) expect(s).toEqual(wantByKey.get(key));
          else expect(owned.has(key)).toBe(false);
        }
        for (const s of actual.services) {
          const key = serviceKey(s);
          if (!desiredKeys.has(key) && !owned.has(key)) {
            expect(current.services.find((c) => serviceKey(c) === key)).toEqual(s);
          }
        }
        for (const key of desiredKeys) expect(current.services.some((c) => serviceKey(c) === key)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("takes one pass: a diff applied never leaves a second one to do", () => {
    fc.assert(
      fc.property(tableArb, tableArb, (desired, rawActual) => {
        const actual = kernelTable(rawActual);
        const everything = new Set(actual.services.map(serviceKey));
        const { table, failed } = applyOps(actual, diff(desired, actual, everything));
        expect(failed).toEqual([]);
        expect(diff(desired, table, everything)).toEqual([]);
        expect(normalizeTable(table)).toEqual(normalizeTable(desired));
      }),
      { numRuns: 2000 },
    );
  });
});
