// CheckSpec and CheckTarget values for the negotiate checker tests.

import type { CheckTarget } from "../../../src/checks/types.js";
import type { CheckSpec, Service } from "../../../src/config/types.js";
import { checkSpec } from "../../support/spec.js";

export function negotiateSpec(service: Service, over: Partial<CheckSpec> = {}): CheckSpec {
  return checkSpec({ service, checkTimeoutMs: 5000, negotiateTimeoutMs: 5000, ...over });
}

export function loopbackTarget(port: number, protocol: "tcp" | "udp" = "tcp"): CheckTarget {
  return {
    address: "127.0.0.1",
    family: "inet",
    port,
    realPort: port,
    virtual: { protocol, address: "192.0.2.1", port },
  };
}

/** A fresh signal that never aborts unless the test does. */
export function quiet(): AbortSignal {
  return new AbortController().signal;
}
