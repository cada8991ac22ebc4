// What the pair's VRRP (keepalived's notify scripts, or a Pacemaker agent) last said this
// director is. ldirector never elects and never acts on it: a warm standby runs its checks
// and keeps its table like the master, so a takeover writes nothing. The role is shown
// (status, page, metrics) and logged; it is not persisted: after a restart it is
// "unknown" until VRRP says again (keepalived re-runs its notify script on every change).
export const ROLES = ["master", "backup", "fault"] as const;

export type Role = (typeof ROLES)[number] | "unknown";

export interface RoleView {
  role: Role;
  /** When it was last told a different role; absent while unknown. */
  since?: number;
}
