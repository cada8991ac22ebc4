// The kernel's connection sync daemons (ip_vs_sync.c): a master multicasts the
// director's connection entries, a backup inserts a peer's into its own table, so a
// director taking over a VIP already knows where each established connection goes.
// Their ipvsadm text both ways: `--start-daemon`/`--stop-daemon` lines for an -R batch,
// and `-L --daemon`'s listing (recorded in test/fixtures/realipvs/groundtruth.txt).

export type SyncDaemonRole = "master" | "backup";

export interface SyncDaemon {
  role: SyncDaemonRole;
  /** The multicast interface. */
  interface: string;
  /** 0..255; a backup takes only its own syncid's messages (0 = any). */
  syncId: number;
}

/** What a change of sync daemons left: the daemons read back, and each failed line's words. */
export interface SyncChange {
  daemons: SyncDaemon[];
  errors: string[];
}

export function sameSyncDaemon(a: SyncDaemon, b: SyncDaemon): boolean {
  return a.role === b.role && a.interface === b.interface && a.syncId === b.syncId;
}

export function startDaemonLine(d: SyncDaemon): string {
  return `--start-daemon ${d.role} --mcast-interface ${d.interface} --syncid ${d.syncId}`;
}

export function stopDaemonLine(role: SyncDaemonRole): string {
  return `--stop-daemon ${role}`;
}

/** "master sync daemon (mcast=lo, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)" */
const LISTED = /^(master|backup) sync daemon \(mcast=([^,)]+), syncid=(\d+)/;

/** The daemons in `ipvsadm -L --daemon` output (other lines are ignored). */
export function parseDaemons(text: string): SyncDaemon[] {
  const out: SyncDaemon[] = [];
  for (const line of text.split("\n")) {
    const m = LISTED.exec(line);
    if (m) out.push({ role: m[1] as SyncDaemonRole, interface: m[2]!, syncId: Number(m[3]) });
  }
  return out;
}
