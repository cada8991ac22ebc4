import type { Dest, Service } from "./model.js";

/** A service's settings without its dests: what -A and -E carry. */
export type ServiceSpec = Omit<Service, "dests">;

/**
 * One change to the kernel table, in the order it must run. Each maps to exactly one
 * ipvsadm invocation (-A, -E, -D, -a, -e, -d) and to one nftables edit.
 */
export type Op =
  | { kind: "add-service"; service: ServiceSpec }
  | { kind: "edit-service"; service: ServiceSpec }
  | { kind: "delete-service"; service: ServiceSpec }
  | { kind: "add-dest"; service: ServiceSpec; dest: Dest }
  | { kind: "edit-dest"; service: ServiceSpec; dest: Dest }
  | { kind: "delete-dest"; service: ServiceSpec; dest: Dest };

/** An op the kernel (or the stand-in) refused, with ipvsadm's words for why. */
export interface OpFailure {
  op: Op;
  error: string;
}
