// CheckSpec and CheckTarget values for the negotiate checker tests.

import type { CheckTarget } from "../../../src/checks/types.js";
import type { CheckSpec, Service } from "../../../src/config/types.js";

export function negotiateSpec(service: Service, over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    type: "negotiate",
    connectCount: 0,
    service,
    request: "/",
    receive: "",
    httpMethod: "GET",
    port: 0,
    login: "",
    passwd: "",
    database: "",
    secret: "",
    command: "",
    checkTimeoutMs: 5000,
    negotiateTimeoutMs: 5000,
    checkCount: 1,
    tlsVerify: false,
    ...over,
  };
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
