// One canonical spelling for every value the kernel stores, so that a table we wrote and the
// same table read back from ipvsadm compare equal. diff.ts and memory.ts both rely on it.

import { SCHEDULERS } from "../vocabulary.js";
import type { Dest, IpFamily, Service } from "./model.js";
import type { ServiceSpec } from "./ops.js";

/** Schedulers of a stock Linux kernel (ip_vs_*.ko); anything else is ENOENT. */
export const KNOWN_SCHEDULERS: ReadonlySet<string> = new Set(SCHEDULERS);

/** Persistence engines of a stock kernel. */
export const KNOWN_PERSISTENCE_ENGINES: ReadonlySet<string> = new Set(["sip"]);

const DEFAULT_IPV4_MASK = "255.255.255.255";
const DEFAULT_IPV6_PREFIX = "128";

/** The kernel keeps three scheduler flag bits; their names depend on the scheduler. */
const FLAG_NAMES: Record<string, readonly string[]> = {
  sh: ["sh-fallback", "sh-port", "flag-3"],
  mh: ["mh-fallback", "mh-port", "flag-3"],
};
const GENERIC_FLAG_NAMES = ["flag-1", "flag-2", "flag-3"] as const;

function flagNamesFor(scheduler: string): readonly string[] {
  return FLAG_NAMES[scheduler] ?? GENERIC_FLAG_NAMES;
}

/** The bit (0..2) a -b flag name sets, whatever the scheduler; undefined for an unknown name. */
export function schedFlagBit(name: string): number | undefined {
  switch (name) {
    case "flag-1":
    case "sh-fallback":
    case "mh-fallback":
      return 0;
    case "flag-2":
    case "sh-port":
    case "mh-port":
      return 1;
    case "flag-3":
      return 2;
    default:
      return undefined;
  }
}

/**
 * The flags as ipvsadm prints them for this scheduler: bit order, scheduler-specific names.
 * ipvsadm prints no name for flag-3 under sh/mh; we keep "flag-3" so the bit is not lost.
 */
export function canonicalSchedFlags(scheduler: string, flags: readonly string[]): string[] {
  const bits = new Set<number>();
  for (const f of flags) {
    const bit = schedFlagBit(f);
    if (bit !== undefined) bits.add(bit);
  }
  const names = flagNamesFor(scheduler);
  return [0, 1, 2].filter((b) => bits.has(b)).map((b) => names[b]!);
}

/** IPv6 in inet_ntop's compressed lower-case form; IPv4 unchanged. */
export function canonicalAddress(address: string): string {
  if (!address.includes(":")) return address;
  try {
    const host = new URL(`http://[${address}]/`).hostname;
    return host.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

export function familyOf(address: string): IpFamily {
  return address.includes(":") ? "inet6" : "inet";
}

function isDefaultMask(family: IpFamily, netmask: string): boolean {
  return family === "inet6" ? Number(netmask) === 128 : netmask === DEFAULT_IPV4_MASK;
}

/** The netmask a persistent service really has (ipvsadm's default when none was given). */
export function effectiveNetmask(s: Pick<ServiceSpec, "family" | "netmask">): string {
  return s.netmask ?? (s.family === "inet6" ? DEFAULT_IPV6_PREFIX : DEFAULT_IPV4_MASK);
}

/** A service's settings in canonical form; dests are not touched. */
export function normalizeSpec(s: ServiceSpec): ServiceSpec {
  const isFwmark = s.protocol === "fwmark";
  const address = isFwmark || s.address === undefined ? undefined : canonicalAddress(s.address);
  const family: IpFamily = isFwmark ? s.family : address !== undefined ? familyOf(address) : s.family;
  const persistent = s.persistence !== undefined;
  const netmask =
    persistent && s.netmask !== undefined && s.netmask !== "" && !isDefaultMask(family, s.netmask)
      ? family === "inet6"
        ? String(Number(s.netmask))
        : s.netmask
      : undefined;
  const out: ServiceSpec = {
    protocol: s.protocol,
    family,
    port: isFwmark ? 0 : s.port,
    scheduler: s.scheduler || "wlc",
    schedFlags: canonicalSchedFlags(s.scheduler || "wlc", s.schedFlags),
    ops: s.ops,
  };
  if (address !== undefined) out.address = address;
  if (isFwmark) out.fwmark = s.fwmark;
  if (persistent) out.persistence = s.persistence;
  if (netmask !== undefined) out.netmask = netmask;
  if (s.persistenceEngine) out.persistenceEngine = s.persistenceEngine;
  return out;
}

/**
 * A dest as the kernel will hold it under this service: ipvsadm forces the port of a
 * route or tunnel dest to the service port (except under a firewall mark), and a Local
 * dest is written as -g. Counters are dropped: they are never compared.
 */
export function normalizeDest(service: Pick<ServiceSpec, "protocol" | "port">, d: Dest): Dest {
  const forward = d.forward === "local" ? "route" : d.forward;
  const forcePort = service.protocol !== "fwmark" && (forward === "route" || forward === "tunnel");
  return {
    address: canonicalAddress(d.address),
    port: forcePort ? service.port : d.port,
    forward,
    weight: d.weight,
    upperThreshold: d.upperThreshold,
    lowerThreshold: d.lowerThreshold,
  };
}

export function specOf(s: Service): ServiceSpec {
  const { dests: _dests, ...spec } = s;
  return spec;
}

export function sameSpec(a: ServiceSpec, b: ServiceSpec): boolean {
  const x = normalizeSpec(a);
  const y = normalizeSpec(b);
  return (
    x.scheduler === y.scheduler &&
    x.schedFlags.join(",") === y.schedFlags.join(",") &&
    x.ops === y.ops &&
    x.persistence === y.persistence &&
    x.netmask === y.netmask &&
    (x.persistenceEngine ?? "") === (y.persistenceEngine ?? "")
  );
}

/** Both already normalized under the same service. */
export function sameDest(a: Dest, b: Dest): boolean {
  return (
    a.forward === b.forward &&
    a.weight === b.weight &&
    a.upperThreshold === b.upperThreshold &&
    a.lowerThreshold === b.lowerThreshold
  );
}

/** serviceKey() of a key built from a non-canonical address (e.g. "2001:DB8:0::1"). */
export function canonicalServiceKey(key: string): string {
  if (key.startsWith("fwmark:")) return key;
  const first = key.indexOf(":");
  const last = key.lastIndexOf(":");
  if (first < 0 || last <= first) return key;
  return `${key.slice(0, first)}:${canonicalAddress(key.slice(first + 1, last))}:${key.slice(last + 1)}`;
}
