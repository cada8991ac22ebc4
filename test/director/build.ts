// Hand-built Config values for director tests: no parser involved, only the fields
// plan and the director read are meaningful; the rest get plain defaults.
import type {
  CheckSpec,
  CheckType,
  Config,
  FallbackServer,
  Forward,
  GlobalSettings,
  RealServer,
  VirtualService,
} from "../../src/config/types.js";
import { checkSpec } from "../support/spec.js";

const here = { file: "test.cf", line: 1, column: 1 };

export function check(type: CheckType = "negotiate"): CheckSpec {
  return checkSpec({ type, port: 80 });
}

export function real(
  address: string,
  port: number,
  forward: Forward = "masq",
  weight = 1,
  more: Partial<RealServer> = {},
): RealServer {
  return {
    address,
    family: address.includes(":") ? "inet6" : "inet",
    port,
    forward,
    weight,
    upperThreshold: 0,
    lowerThreshold: 0,
    check: check(),
    location: here,
    ...more,
  };
}

export function fallback(address: string, port: number, forward: Forward = "gate"): FallbackServer {
  return { address, family: address.includes(":") ? "inet6" : "inet", port, forward, location: here };
}

function bracket(a: string): string {
  return a.includes(":") ? `[${a}]` : a;
}

/** An address virtual: `virtual("tcp", "10.0.0.1", 80, { reals: [...] })`. */
export function virtual(
  protocol: "tcp" | "udp",
  address: string,
  port: number,
  more: Partial<VirtualService> = {},
): VirtualService {
  return {
    id: `${protocol}:${bracket(address)}:${port}`,
    family: address.includes(":") ? "inet6" : "inet",
    protocol,
    address,
    port,
    scheduler: "wrr",
    ops: false,
    reals: [],
    check: check(),
    checkInterval: 5,
    failureCount: 1,
    quiescent: false,
    cleanStop: true,
    emailAlert: "",
    emailAlertFreq: 0,
    emailAlertStatus: [],
    location: here,
    ...more,
  };
}

/** A firewall-mark virtual (`virtual=5` or `virtual6=5`). */
export function fwmVirtual(
  mark: number,
  family: "inet" | "inet6",
  more: Partial<VirtualService> = {},
): VirtualService {
  return {
    ...virtual("tcp", "0.0.0.0", 0),
    id: family === "inet" ? `fwm:${mark}` : `fwm6:${mark}`,
    family,
    protocol: "fwm",
    address: undefined,
    port: 0,
    fwmark: mark,
    ...more,
  };
}

export function config(virtuals: VirtualService[], global: Partial<GlobalSettings> = {}): Config {
  return {
    file: "/etc/ha.d/test.cf",
    global: {
      checkInterval: 5,
      autoreload: false,
      logfile: { kind: "syslog", facility: "local0" },
      execute: [],
      fork: false,
      supervised: false,
      readdQuiescent: false,
      resyncInterval: 0,
      webControl: false,
      ...global,
    },
    virtuals,
    warnings: [],
    extensions: [],
  };
}
