// Random mutations of valid files give a Config or ConfigErrors: never another
// exception, never a hang. Names resolve through the stub (no DNS), so 10,000 runs fit
// in seconds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigErrors } from "../../src/config/errors.js";
import { parseConfigText } from "../../src/config/load.js";
import { opts } from "./helpers.js";

const dir = join(import.meta.dirname, "fixtures");
const bases = ["nat-8080", "dr", "tun", "fwmark-persistent", "schedulers", "extensions", "debian-sample"].map(
  (n) => readFileSync(join(dir, `${n}.cf`), "utf8"),
);
const SPECIAL = [
  ...'\t #"=:>-,[]0123456789\r\n',
  "->",
  "::",
  "real=",
  "virtual=",
  "10.0.0.1",
  "65536",
  "yes",
];

type Mutation = (lines: string[]) => string[];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map((i) => (ls: string[]) => ls.filter((_, j) => j !== i % Math.max(ls.length, 1))),
  fc.tuple(fc.nat(), fc.nat()).map(([i, j]) => (ls: string[]) => {
    const out = [...ls];
    out.splice(j % (ls.length + 1), 0, ls[i % Math.max(ls.length, 1)] ?? "");
    return out;
  }),
  fc.tuple(fc.nat(), fc.string({ maxLength: 30 })).map(([i, s]) => (ls: string[]) => {
    const out = [...ls];
    out.splice(i % (ls.length + 1), 0, s);
    return out;
  }),
  fc
    .tuple(
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.constantFrom(...SPECIAL), fc.string({ minLength: 1, maxLength: 1 })),
    )
    .map(([i, k, c]) => (ls: string[]) => {
      const out = [...ls];
      const at = i % Math.max(ls.length, 1);
      const line = out[at] ?? "";
      const pos = k % (line.length + 1);
      out[at] = line.slice(0, pos) + c + line.slice(pos + 1);
      return out;
    }),
  fc
    .tuple(fc.nat(), fc.constantFrom("", " ", "  ", "   ", "\t", "\t\t", "    "))
    .map(([i, ind]) => (ls: string[]) => {
      const out = [...ls];
      const at = i % Math.max(ls.length, 1);
      out[at] = ind + (out[at] ?? "").trimStart();
      return out;
    }),
  fc.tuple(fc.nat(), fc.integer({ min: -1, max: 5_000_000_000 })).map(([i, n]) => (ls: string[]) => {
    const out = [...ls];
    const at = i % Math.max(ls.length, 1);
    out[at] = (out[at] ?? "").replace(/\d+/, String(n));
    return out;
  }),
);

describe("mutated files", () => {
  it("always give a Config or ConfigErrors", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...bases),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (base, mutations) => {
          const text = mutations.reduce((ls, m) => m(ls), base.split("\n")).join("\n");
          try {
            const c = await parseConfigText(text, "/m.cf", opts);
            expect(Array.isArray(c.virtuals)).toBe(true);
          } catch (e) {
            if (!(e instanceof ConfigErrors)) throw e;
            expect(e.errors.length).toBeGreaterThan(0);
            for (const err of e.errors) expect(err.message).toMatch(/^\/m\.cf:\d+:\d+: \S/);
          }
        },
      ),
      { numRuns: 10_000 },
    );
  }, 60_000);
});
