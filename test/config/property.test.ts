// Random mutations of valid files give a Config or ConfigErrors: never another
// exception, never a hang. Names resolve through the stub (no DNS), so 10,000 runs fit
// in seconds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigErrors } from "../../src/config/errors.js";
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

// Byte-level and line-level mutations of every real config in the repository (the golden
// fixtures and the shipped etc/ldirectord.cf), decoded as the loader reads a file: the
// loader returns a Config or throws ConfigErrors whose every error names file:line:column,
// and nothing else, whatever the bytes. A reload of such a file is then a reload error.
describe("byte-mutated real configs", () => {
  const root = join(import.meta.dirname, "../..");
  const files = [
    ...["nat-8080", "dr", "tun", "fwmark-persistent", "schedulers", "extensions", "debian-sample"].map((n) =>
      join(dir, `${n}.cf`),
    ),
    join(root, "etc/ldirectord.cf"),
  ].map((f) => readFileSync(f));
  const BYTES = [
    0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x23, 0x3a, 0x3d, 0x5b, 0x5d, 0x2d, 0x3e, 0x5c, 0xff, 0xc3, 0xe3,
  ];

  type ByteMutation = (b: Buffer) => Buffer;
  const at = (n: number, b: Buffer) => (b.length === 0 ? 0 : n % (b.length + 1));
  const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
    // Flip one byte to anything (invalid UTF-8 included).
    fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(([i, v]) => (b: Buffer) => {
      const out = Buffer.from(b);
      if (out.length > 0) out[i % out.length] = v;
      return out;
    }),
    // Insert a byte the grammar cares about, or a random one.
    fc
      .tuple(fc.nat(), fc.oneof(fc.constantFrom(...BYTES), fc.integer({ min: 0, max: 255 })))
      .map(([i, v]) => (b: Buffer) => {
        const p = at(i, b);
        return Buffer.concat([b.subarray(0, p), Buffer.from([v]), b.subarray(p)]);
      }),
    // Delete a run of bytes.
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 40 })).map(([i, n]) => (b: Buffer) => {
      const p = at(i, b);
      return Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
    }),
    // Duplicate a run of bytes somewhere else.
    fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 1, max: 80 })).map(([i, j, n]) => (b: Buffer) => {
      const p = at(i, b);
      const q = at(j, b);
      return Buffer.concat([b.subarray(0, q), b.subarray(p, p + n), b.subarray(q)]);
    }),
    // Truncate.
    fc.nat().map((i) => (b: Buffer) => b.subarray(0, at(i, b))),
    // Insert arbitrary text, non-ASCII included (fullwidth spaces, BOM, CR).
    fc
      .tuple(
        fc.nat(),
        fc.oneof(
          fc.string({ maxLength: 20, unit: "binary" }),
          fc.constantFrom("\u3000", "\ufeff", "\r", "\u00a0", "\t\t\t\t\t", "->", "::", '"', "l:5 u:", "-w "),
        ),
      )
      .map(([i, s]) => (b: Buffer) => {
        const p = at(i, b);
        return Buffer.concat([b.subarray(0, p), Buffer.from(s, "utf8"), b.subarray(p)]);
      }),
  );

  it("always give a Config or ConfigErrors naming file:line:column", async () => {
    const decoder = new TextDecoder("utf-8"); // what fs.readFile(path, "utf8") does with bad bytes
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...files),
        fc.array(byteMutation, { minLength: 1, maxLength: 6 }),
        async (base, mutations) => {
          const text = decoder.decode(mutations.reduce<Buffer>((b, m) => m(b), base));
          try {
            const c = await parseConfigText(text, "/m.cf", opts);
            expect(Array.isArray(c.virtuals)).toBe(true);
          } catch (e) {
            if (!(e instanceof ConfigErrors)) throw e;
            expect(e.errors.length).toBeGreaterThan(0);
            for (const err of e.errors) {
              expect(err).toBeInstanceOf(ConfigError);
              expect(err.message).toMatch(/^\/m\.cf:\d+:\d+: \S/);
              expect(err.location.line).toBeGreaterThan(0);
            }
          }
        },
      ),
      // LDIRECTOR_FUZZ_RUNS=200000 for a long hunt; the suite runs 5,000.
      { numRuns: Number(process.env.LDIRECTOR_FUZZ_RUNS ?? 5_000) },
    );
  }, 120_000);
});
