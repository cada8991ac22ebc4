// Which Checker runs for a kind of check and a service. Kept apart from index.ts (which
// imports every checker and its libraries) so callers and tests can bring their own
// checkers without loading mysql2, pg, ldapts and undici.
import type { Service } from "../config/types.js";
import { down, up } from "./lib/result.js";
import type { Checker } from "./types.js";

/** The kinds of check a probe actually runs (checktype on/off run none; N alternates negotiate and connect). */
export type CheckKind = "connect" | "negotiate" | "ping" | "external";

export interface CheckerRegistry {
  connect: Checker;
  ping: Checker;
  external: Checker;
  /** The negotiate checker per service; `none` and `oracle` fall back to the built-ins below. */
  negotiate: Readonly<Partial<Record<Service, Checker>>>;
}

/** service=none: ldirectord's check_none, always up. */
export const noneChecker: Checker = async () => up("service none: not checked", performance.now());

/** service=oracle: no Oracle client here; config load says so too, this keeps a slipped-through real out. */
export const oracleChecker: Checker = async () => down("service=oracle is not supported", performance.now());

export function checkerFor(registry: CheckerRegistry, kind: CheckKind, service: Service): Checker {
  switch (kind) {
    case "connect":
      return registry.connect;
    case "ping":
      return registry.ping;
    case "external":
      return registry.external;
    case "negotiate":
      return registry.negotiate[service] ?? builtin(service);
  }
}

function builtin(service: Service): Checker {
  if (service === "none") return noneChecker;
  if (service === "oracle") return oracleChecker;
  return async () => down(`no checker for service=${service}`, performance.now());
}
