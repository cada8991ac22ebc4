// ldirector on a real IPVS kernel: boots the VM once (boot.mjs: a Debian kernel under
// qemu with the host's / as its root), runs the guest suite in it (guest/suite.mjs), and
// has one test per recorded ipvsadm case and per scenario, each asserting what the guest
// reported. Never skipped: when the VM cannot boot, every test fails with the reason.
// Set LDVM_ONLY=REGEX to run some; LDVM_BREAK=REGEX to break the backend on purpose.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { compareCase, realCases, type RunResult } from "../fixtures/realipvs/cases.js";
import { bootVm, type VmRun } from "./boot.mjs";
import { scenarios } from "./guest/scenarios.mjs";

const root = resolve(import.meta.dirname, "../..");
const only = process.env.LDVM_ONLY ? new RegExp(process.env.LDVM_ONLY) : undefined;
const wanted = (name: string) => !only || only.test(name);
/** One boot runs everything; on a loaded two-core machine that has taken up to ~18 min. */
// The pair scenarios (guest/pair.mjs) add up to ~7 min of their own under load.
const VM_LIMIT_MS = 35 * 60_000;

interface Reported {
  kind: "case" | "scenario";
  name: string;
  ms: number;
  ok?: boolean;
  result?: RunResult;
  measured?: unknown;
  error?: string;
}

let vm: VmRun | undefined;
let failure: string | undefined;
const reported = new Map<string, Reported>();

beforeAll(async () => {
  try {
    vm = await bootVm({
      argv: [process.execPath, "--no-opt", "--no-sparkplug", "test/vm/guest/suite.mjs"],
      cwd: root,
      files: { "cases.json": JSON.stringify(realCases.filter((c) => wanted(c.name))) },
      keepShare: true,
      timeoutMs: VM_LIMIT_MS,
      onLine: (line) => {
        if (line.startsWith("ldvm: ")) process.stderr.write(`${line}\n`);
      },
    });
    const file = join(vm.share, "results.jsonl");
    if (existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n").filter(Boolean)) {
        const r = JSON.parse(line) as Reported;
        reported.set(`${r.kind}:${r.name}`, r);
      }
    }
    rmSync(vm.share, { recursive: true, force: true });
    const secs = (ms?: number) => (ms === undefined ? "-" : (ms / 1000).toFixed(1));
    process.stderr.write(`vm: boot ${secs(vm.bootMs)} s, whole run ${secs(vm.totalMs)} s\n`);
    if (vm.error) failure = `${vm.error}; the console ended:\n${vm.output.split("\n").slice(-40).join("\n")}`;
  } catch (e) {
    failure = (e as Error).message;
  }
}, VM_LIMIT_MS + 60_000);

function result(kind: Reported["kind"], name: string): Reported {
  const r = reported.get(`${kind}:${name}`);
  if (r) return r;
  throw new Error(
    failure ??
      `the guest did not report ${kind} "${name}"; the console ended:\n${vm?.output.split("\n").slice(-40).join("\n")}`,
  );
}

it("the VM boots and the guest suite runs to its end", () => {
  if (failure) throw new Error(failure);
  expect(vm?.bootMs).toBeGreaterThan(0);
  expect(vm?.output).toMatch(/ldvm: suite done in/);
});

// (With LDVM_ONLY, a group may have nothing to run: vitest refuses an empty describe.)
const cases = realCases.filter((x) => wanted(x.name));
const chosen = scenarios.filter((x) => wanted(x.name));

if (cases.length > 0)
  describe("the real ipvsadm agrees with the recording (and so with the stand-in)", () => {
    for (const c of cases) {
      it(c.name, () => {
        const r = result("case", c.name);
        expect(r.error).toBeUndefined();
        expect(compareCase(c, r.result!)).toEqual([]);
      });
    }
  });

if (chosen.length > 0)
  describe("scenarios on the real kernel", () => {
    for (const s of chosen) {
      it(s.name, () => {
        const r = result("scenario", s.name);
        if (!r.ok) throw new Error(r.error);
        expect(r.ok).toBe(true);
      });
    }
  });
