import type { RealServer, VirtualService } from "../config/types.js";

/** `addr:port`, with IPv6 addresses in brackets as ldirectord and ipvsadm write them. */
export function hostPort(address: string, port: number): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The key of one (virtual, real) pair: `tcp:10.0.0.1:80/10.0.0.2:80`,
 * `fwm6:5/[2001:db8::2]:0`. The health map, operator overrides, maintenance and
 * status all use it. The port is the configured one (before ipvsadm's port forcing),
 * so two reals that differ only in a port the kernel ignores keep their own ids.
 */
export function realId(
  v: Pick<VirtualService, "id">,
  r: RealServer | { address: string; port: number },
): string {
  return `${v.id}/${hostPort(r.address, r.port)}`;
}
