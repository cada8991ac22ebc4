// Plain-value builders for IPVS tests.
import type { Dest, Service, Table } from "../../src/ipvs/model.js";

export function tcp(address: string, port: number, extra: Partial<Service> = {}): Service {
  const family = address.includes(":") ? "inet6" : "inet";
  return {
    protocol: "tcp",
    family,
    address,
    port,
    scheduler: "wlc",
    schedFlags: [],
    ops: false,
    dests: [],
    ...extra,
  };
}

export function udp(address: string, port: number, extra: Partial<Service> = {}): Service {
  return { ...tcp(address, port, extra), protocol: "udp" };
}

export function fwmark(mark: number, extra: Partial<Service> = {}): Service {
  return {
    protocol: "fwmark",
    family: "inet",
    fwmark: mark,
    port: 0,
    scheduler: "wlc",
    schedFlags: [],
    ops: false,
    dests: [],
    ...extra,
  };
}

export function dest(address: string, port: number, extra: Partial<Dest> = {}): Dest {
  return { address, port, forward: "masq", weight: 1, upperThreshold: 0, lowerThreshold: 0, ...extra };
}

export function table(...services: Service[]): Table {
  return { services };
}
