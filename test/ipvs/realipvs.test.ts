// The stand-in against the real ipvsadm: every batch recorded on a real 6.1 kernel with
// ipvsadm 1.31 (test/fixtures/realipvs/groundtruth.txt) runs through test/fixtures/ipvsadm
// from an empty table, and stdout, stderr, the exit status and `-S -n` afterwards must be
// what the real one printed. Listing order is compared as the real kernel makes it: entries
// that ipvsadm's wrapping comparator cannot order (addresses >= 128.0.0.0, fwmarks >= 2^31)
// as a set, everything else in order (see canonicalListing in cases.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { canonicalListing, compareCase, realCases, runCase } from "../fixtures/realipvs/cases.js";

const STAND_IN = resolve("test/fixtures/ipvsadm");
const dir = mkdtempSync(join(tmpdir(), "ldirector-realipvs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the recorded cases", () => {
  it("are all there and whole", () => {
    // 50 cases in groundtruth.txt (12 of them sync daemons); a parser that dropped some would pass the rest vacuously.
    expect(realCases.map((c) => c.name)).toHaveLength(50);
    expect(realCases.filter((c) => c.setup !== "").map((c) => c.name)).toEqual(["ldirector-read"]);
    const big = realCases.find((c) => c.name === "big-batch");
    expect(big?.stdin.split("\n")).toHaveLength(1203);
    expect(big?.saved.totalLines).toBe(600);
    expect(realCases.find((c) => c.name === "no-final-newline")?.stdin).toBe("-A -t 10.0.0.1:80 -s rr");
    expect(realCases.find((c) => c.name === "blank-lines")?.stdin).toContain(
      "-A\t-t\t10.0.0.3:80\t-s\trr\n-A -t 10.0.0.4:80 -s rr\r\n",
    );
  });
});

describe("the stand-in agrees with the real ipvsadm", () => {
  for (const c of realCases) {
    it(c.name, () => {
      const env = { ...process.env, IPVSADM_STATE: join(dir, `${c.name}.json`) };
      expect(compareCase(c, runCase(STAND_IN, c, env))).toEqual([]);
    });
  }
});

describe("a listing with an order-unstable entry is compared as a set, any other in order", () => {
  const listing = (...lines: string[]) => `${lines.join("\n")}\n`;
  it("lets addresses >= 128.0.0.0 and negative fwmarks move, with their dests", () => {
    const a = listing(
      "-A -t 10.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
      "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1",
      "-A -t 128.0.0.1:80 -s rr",
      "-A -t 200.0.0.1:80 -s rr",
      "-a -t 200.0.0.1:80 -r 10.0.0.2:80 -m -w 1",
      "-A -f -1 -s rr",
    );
    const b = listing(
      "-A -t 200.0.0.1:80 -s rr",
      "-a -t 200.0.0.1:80 -r 10.0.0.2:80 -m -w 1",
      "-A -t 10.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 10.0.0.3:80 -m -w 1",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
      "-A -f -1 -s rr",
      "-A -t 128.0.0.1:80 -s rr",
    );
    expect(canonicalListing(a)).toBe(canonicalListing(b));
  });
  it("still sees a dest moved to another service, a missing line, and order in a listing without a wrap", () => {
    const base = listing(
      "-A -t 10.0.0.1:8 -s rr",
      "-A -t 10.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
      "-A -t 200.0.0.1:80 -s rr",
    );
    const swapped = listing(
      "-A -t 10.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
      "-A -t 10.0.0.1:8 -s rr",
      "-A -t 200.0.0.1:80 -s rr",
    );
    const moved = listing(
      "-A -t 10.0.0.1:8 -s rr",
      "-A -t 10.0.0.1:80 -s rr",
      "-A -t 200.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
    );
    const missing = listing(
      "-A -t 10.0.0.1:8 -s rr",
      "-A -t 10.0.0.1:80 -s rr",
      "-a -t 10.0.0.1:80 -r 200.0.0.3:80 -m -w 1",
    );
    for (const other of [moved, missing]) expect(canonicalListing(other)).not.toBe(canonicalListing(base));
    // With a wrapped entry in the listing, qsort's broken comparator may misplace any
    // entry (seen live: 127.255.255.255 between 10.0.0.1:8 and 10.0.0.1:80), so the
    // listing is a set; without one, ipvsadm's sort is exact and order still counts.
    expect(canonicalListing(swapped)).toBe(canonicalListing(base));
    const plain = listing("-A -t 10.0.0.1:8 -s rr", "-A -t 10.0.0.1:80 -s rr", "-A -t 127.0.0.1:80 -s rr");
    const plainSwapped = listing(
      "-A -t 10.0.0.1:80 -s rr",
      "-A -t 10.0.0.1:8 -s rr",
      "-A -t 127.0.0.1:80 -s rr",
    );
    expect(canonicalListing(plainSwapped)).not.toBe(canonicalListing(plain));
  });
  it("keeps the -L listing's header lines in place", () => {
    const l = listing(
      "IP Virtual Server version 1.2.1 (size=4096)",
      "Prot LocalAddress:Port Scheduler Flags",
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
      "TCP  200.0.0.1:80 rr",
      "TCP  10.0.0.1:80 rr",
    );
    expect(canonicalListing(l).split("\n").slice(0, 5)).toEqual([
      "IP Virtual Server version 1.2.1 (size=4096)",
      "Prot LocalAddress:Port Scheduler Flags",
      "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
      "TCP  10.0.0.1:80 rr",
      "TCP  200.0.0.1:80 rr",
    ]);
  });
});
