// Which real an operator means by `ldirector drain VIRTUAL REAL`: the exact ids that
// `ldirector status` prints, or the short forms people type (the virtual without its
// protocol, a firewall mark number, the real's address without its port) as long as
// they name exactly one.
import type { RealServer, VirtualService } from "../config/types.js";
import { hostPort, realId } from "../director/ids.js";
import { Refused } from "./refused.js";

/** The virtual an operator means; throws Refused naming what to add. */
export function findVirtual(virtuals: readonly VirtualService[], virtual: string): VirtualService {
  return one(
    virtuals.filter((x) => virtualNames(x).includes(virtual)),
    () =>
      `no virtual service "${virtual}" (as \`ldirector status\` names them, e.g. ${virtuals[0]?.id ?? "tcp:10.0.0.1:80"})`,
    (found) =>
      `"${virtual}" names several virtual services (${found.map((x) => x.id).join(", ")}); give the protocol`,
  );
}

export function findReal(
  virtuals: readonly VirtualService[],
  virtual: string,
  real: string,
): { v: VirtualService; r: RealServer; id: string } {
  const v = findVirtual(virtuals, virtual);
  const wanted = unbracket(real);
  const r = one(
    // One real can be listed twice (two ranges, per-real checks); the first is the one.
    dedupe(
      v.reals.filter((x) => hostPort(x.address, x.port) === real || x.address === wanted),
      v,
    ),
    () => `no real "${real}" in ${v.id}`,
    (found) =>
      `"${real}" names several reals of ${v.id} (${found.map((x) => hostPort(x.address, x.port)).join(", ")}); give the port`,
  );
  return { v, r, id: realId(v, r) };
}

function virtualNames(v: VirtualService): string[] {
  const names = [v.id];
  if (v.fwmark !== undefined) names.push(String(v.fwmark));
  else names.push(v.id.slice(v.id.indexOf(":") + 1));
  return names;
}

function unbracket(s: string): string {
  return s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s;
}

function dedupe(reals: RealServer[], v: VirtualService): RealServer[] {
  const seen = new Set<string>();
  return reals.filter((r) => {
    const id = realId(v, r);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function one<T>(found: T[], none: () => string, many: (found: T[]) => string): T {
  if (found.length === 0) throw new Refused("not-found", none());
  if (found.length > 1) throw new Refused("conflict", many(found));
  return found[0]!;
}
