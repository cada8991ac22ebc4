// The kernel's IPVS table as plain values, in the kernel's words (service, dest,
// forwarding method). Nothing here knows ldirectord.cf; director/plan.ts translates.

export type IpFamily = "inet" | "inet6";

/** -t, -u, --sctp-service, or -f (firewall mark). */
export type ServiceProtocol = "tcp" | "udp" | "sctp" | "fwmark";

/** Masq = NAT (-m), Route = direct routing (-g), Tunnel = IP-in-IP (-i), Local (saved as -g). */
export type ForwardMethod = "masq" | "route" | "tunnel" | "local";

export interface Dest {
  /** Numeric, without brackets. */
  address: string;
  port: number;
  forward: ForwardMethod;
  weight: number;
  /** -x; 0 = none. */
  upperThreshold: number;
  /** -y; 0 = none. */
  lowerThreshold: number;
  /** Counters, when the source of the table knows them (ipvsadm -L, conntrack). Never compared. */
  activeConns?: number;
  inactiveConns?: number;
}

export interface Service {
  protocol: ServiceProtocol;
  family: IpFamily;
  /** Numeric, without brackets; absent for fwmark services. */
  address?: string;
  /** 0 for fwmark services. */
  port: number;
  /** Set for fwmark services only. */
  fwmark?: number;
  scheduler: string;
  /** -b flags, e.g. ["sh-fallback", "sh-port"]; [] = none. */
  schedFlags: string[];
  /** -o */
  ops: boolean;
  /** -p seconds; absent = not persistent. */
  persistence?: number;
  /** -M: dotted IPv4 mask or IPv6 prefix length; only meaningful with persistence. */
  netmask?: string;
  /** --pe */
  persistenceEngine?: string;
  dests: Dest[];
}

export interface Table {
  services: Service[];
}

/** A service's identity in the kernel: what cannot be edited in place. */
export function serviceKey(s: Pick<Service, "protocol" | "family" | "address" | "port" | "fwmark">): string {
  return s.protocol === "fwmark" ? `fwmark:${s.family}:${s.fwmark}` : `${s.protocol}:${s.address}:${s.port}`;
}

/** A dest's identity within its service. */
export function destKey(d: Pick<Dest, "address" | "port">): string {
  return `${d.address}:${d.port}`;
}

/** A table's services by serviceKey, each with its dests by destKey: lookups without scans. */
export type TableIndex = Map<string, { service: Service; dests: Map<string, Dest> }>;

export function indexTable(t: Table): TableIndex {
  const index: TableIndex = new Map();
  for (const service of t.services) {
    index.set(serviceKey(service), { service, dests: new Map(service.dests.map((d) => [destKey(d), d])) });
  }
  return index;
}
