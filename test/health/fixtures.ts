// Plain values for health and run tests: a resolved CheckSpec and a CheckTarget.

import type { CheckerRegistry } from "../../src/checks/registry.js";
import type { Checker, CheckResult, CheckTarget } from "../../src/checks/types.js";
import type { CheckSpec } from "../../src/config/types.js";
import { checkSpec } from "../support/spec.js";

export function makeSpec(over: Partial<CheckSpec> = {}): CheckSpec {
  return checkSpec({ port: 80, checkTimeoutMs: 1000, negotiateTimeoutMs: 1000, ...over });
}

export function makeTarget(over: Partial<CheckTarget> = {}): CheckTarget {
  return {
    address: "127.0.0.1",
    family: "inet",
    port: 80,
    realPort: 80,
    virtual: { protocol: "tcp", address: "10.0.0.1", port: 80 },
    ...over,
  };
}

export const okResult = (reason = "ok"): CheckResult => ({ ok: true, reason, latencyMs: 1 });
export const failResult = (reason = "bad"): CheckResult => ({ ok: false, reason, latencyMs: 1 });

/** A registry whose every slot answers `reason` with `ok`: tests replace the slots they care about. */
export function fixedRegistry(over: Partial<CheckerRegistry> = {}): CheckerRegistry {
  const answer =
    (reason: string): Checker =>
    async () =>
      okResult(reason);
  return {
    connect: answer("connect"),
    ping: answer("ping"),
    external: answer("external"),
    negotiate: { http: answer("negotiate/http") },
    ...over,
  };
}
