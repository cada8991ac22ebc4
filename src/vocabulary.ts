// The words ldirectord.cf and the IPVS layer share, each list written once here. config/
// reads and validates them, ipvs/ checks what the kernel is given, checks/ keys its
// registry by them; each type is derived from its list, so a word added here is known
// to the parser, the types and every `Record` keyed by them at once. This module
// imports nothing, so any layer may import it.

/** Schedulers of a stock Linux kernel (ip_vs_*.ko), the values of `scheduler=` and `ipvsadm -s`. */
export const SCHEDULERS = [
  "rr",
  "wrr",
  "lc",
  "wlc",
  "lblc",
  "lblcr",
  "dh",
  "sh",
  "sed",
  "nq",
  "fo",
  "ovf",
  "mh",
  "twos",
] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

/** `service=`: the protocol a negotiate check speaks (ldirectord's check_* functions). */
export const SERVICES = [
  "dns",
  "ftp",
  "http",
  "https",
  "http_proxy",
  "imap",
  "imaps",
  "ldap",
  "ldaps",
  "mysql",
  "nntp",
  "none",
  "oracle",
  "pgsql",
  "pop",
  "pops",
  "radius",
  "simpletcp",
  "sip",
  "smtp",
  "submission",
] as const;
export type Service = (typeof SERVICES)[number];

/**
 * ldirectord's forwarding words on a real= line: gate = direct routing (-g), masq = NAT
 * (-m), ipip = tunnel (-i). The kernel's own words for them are ipvs/model.ts's
 * ForwardMethod; director/plan.ts translates.
 */
export const FORWARDS = ["gate", "masq", "ipip"] as const;
export type Forward = (typeof FORWARDS)[number];

/**
 * `protocol=`: tcp or udp for address virtuals, fwm for firewall-mark virtuals. The
 * kernel's words are ipvs/model.ts's ServiceProtocol (fwm is "fwmark" there).
 */
export const PROTOCOLS = ["tcp", "udp", "fwm"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Whether `word` is one of `list`, narrowing it to the list's type. */
export function isOneOf<T extends string>(list: readonly T[], word: string): word is T {
  return (list as readonly string[]).includes(word);
}
