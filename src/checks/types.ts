// One interface for every kind of check (Seesaw's healthcheck/ shape): a Checker gets
// where to look, how to look and a signal that says "stop now", and always resolves.
import type { CheckSpec, Family, Protocol } from "../config/types.js";

/** Where a check goes. Addresses are numeric, without brackets. */
export interface CheckTarget {
  /** The real's address. */
  address: string;
  family: Family;
  /** The port to check (already resolved: checkport, else the real's port, else the service default). */
  port: number;
  /** The real's own port as configured (0 when none): passed to external commands. */
  realPort: number;
  /** The virtual service this real belongs to, for external commands and SIP/DNS transport. */
  virtual: {
    protocol: Protocol;
    /** Absent for firewall-mark virtuals. */
    address?: string;
    port: number;
    fwmark?: number;
  };
}

export interface CheckResult {
  ok: boolean;
  /** Short and honest: "connect ECONNREFUSED", "timeout after 3000 ms", "HTTP 503", "receive /OK/ not matched". */
  reason: string;
  latencyMs: number;
  /**
   * Set when the check failed only because ldirector itself was too slow to see the
   * answer (it settled far past its deadline: the event loop was blocked or saturated).
   * Such a result says nothing about the real and must not change its health.
   */
  inconclusive?: true;
}

/**
 * Resolves, never rejects. Must stop (closing sockets, killing children) when `signal`
 * aborts, and read a bounded number of bytes. The deadline is runCheck's alone: it aborts
 * `signal` at the spec's timeout, and a checker keeps no timer of its own for it.
 */
export type Checker = (target: CheckTarget, spec: CheckSpec, signal: AbortSignal) => Promise<CheckResult>;
