// DNS rebinding: a web page on attacker.example can make its own name resolve to
// 127.0.0.1 and then reach the TCP listener "same-origin", custom headers and all. What
// it cannot change is the Host header its browser sends (attacker.example). So the
// listener answers only requests whose Host names the listener itself (its address, or
// `localhost` on loopback) or a name the operator listed in metricshost=, and refuses
// unsafe methods whose Origin is not such a host either.
import { isIP } from "node:net";
import { networkInterfaces } from "node:os";

export interface HostPolicy {
  /** The address and port the listener is bound to. */
  address: string;
  port: number;
  /** metricshost=: names (or addresses) the listener is also reached by, lower case. */
  names: readonly string[];
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::";
}

function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.");
}

function canonical(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
}

/** Addresses of this host's interfaces (for a listener on 0.0.0.0 or ::). */
function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.add(canonical(a.address.replace(/%.*$/, "")));
  return out;
}

/** `host[:port]` or `[v6][:port]` → its parts; undefined for anything else. */
export function splitHost(value: string): { host: string; port?: number } | undefined {
  const m =
    /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(value) ?? /^([^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(value);
  if (!m) return undefined;
  const host = m[1]!.toLowerCase().replace(/\.$/, "");
  return m[2] === undefined ? { host } : { host, port: Number(m[2]) };
}

/** Whether a Host header value names this listener. */
export function hostAllowed(value: string | undefined, policy: HostPolicy): boolean {
  if (value === undefined) return false;
  const h = splitHost(value.trim());
  if (!h) return false;
  if ((h.port ?? 80) !== policy.port) return false;
  if (policy.names.includes(h.host)) return true;
  const bound = canonical(policy.address);
  if (isIP(h.host)) {
    const asked = canonical(h.host);
    if (asked === bound) return true;
    return isWildcard(bound) && localAddresses().has(asked);
  }
  return h.host === "localhost" && (isLoopback(bound) || isWildcard(bound));
}

/** Whether an Origin header (of an unsafe request) is this listener's own page. */
export function originAllowed(origin: string | undefined, policy: HostPolicy): boolean {
  // No Origin: not a browser's cross-origin request (curl, scripts); the Host check applies.
  if (origin === undefined) return true;
  const m = /^http:\/\/([^/]+)$/.exec(origin.trim());
  return m !== null && hostAllowed(m[1], policy);
}
