// A resolved CheckSpec with ldirectord's defaults (negotiate http GET /, checktimeout 5 s,
// negotiatetimeout 30 s), for tests that build their own; each suite overrides what it needs.
import type { CheckSpec } from "../../src/config/types.js";

export function checkSpec(over: Partial<CheckSpec> = {}): CheckSpec {
  return {
    type: "negotiate",
    connectCount: 0,
    service: "http",
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
    negotiateTimeoutMs: 30000,
    checkCount: 1,
    tlsVerify: false,
    ...over,
  };
}
